using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// RST (and SYN) processing in every state: RFC 9293 3.10.7 with the blind-reset defences of RFC 5961 sections 3
/// and 4 that RFC 9293 makes part of the check. Closed ports and LISTEN (3.10.7.1, 3.10.7.2).
/// </summary>
public class ResetHandlingTests : StackTestKit
{
    /// <summary>SYN-RECEIVED and the synchronized states: RST is validated against RCV.NXT (RFC 9293 3.10.7.4 second).</summary>
    public static TheoryData<TcpState> RcvNxtStates => new()
    {
        TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait,
        TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    };

    /// <summary>States in which RFC 9293 says to signal the user "connection reset" on an acceptable RST.</summary>
    private static bool UserIsTold(TcpState s) =>
        s is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait;

    [Theory]
    [MemberData(nameof(RcvNxtStates))]
    public void RST_with_SEQ_equal_to_RCV_NXT_closes_the_connection_RFC9293_3_10_7_4_second_RFC5961_3_2(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        long inRsts = rig.S.Stack.Counters[TcpCounter.InRsts];
        long estabResets = rig.S.Stack.Counters[TcpCounter.EstabResets];

        p.Send(TcpFlags.Rst, seq: p.RcvNxt);
        p.ExpectClosed();
        rig.S.ExpectNothing();   // never a reply to a RST
        if (UserIsTold(state))
            Assert.Contains("reset", p.App.ExpectMsg<ErrorClosed>().Cause);
        p.App.ExpectNoMsg(TimeSpan.Zero);   // SYN-RECEIVED (passive), CLOSING, LAST-ACK, TIME-WAIT: just CLOSED
        rig.BindHandler.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(inRsts + 1, rig.S.Stack.Counters[TcpCounter.InRsts]);
        Assert.Equal(estabResets + (state is TcpState.Established or TcpState.CloseWait ? 1 : 0),
            rig.S.Stack.Counters[TcpCounter.EstabResets]);

        // the tuple is free: the peer's next segment finds a closed port (or, on the listening port, LISTEN)
        p.Send(TcpFlags.Ack, seq: p.RcvNxt, ack: p.SndNxt);
        p.Expect(TcpFlags.Rst, p.SndNxt);
    }

    [Theory]
    [MemberData(nameof(RcvNxtStates))]
    public void RST_with_data_and_SEQ_equal_to_RCV_NXT_closes_the_connection_RFC9293_3_10_7_4_second(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        // RFC 9293 3.10.7.4 / RFC 1122 4.2.2.12: a RST may carry diagnostic text; it is not delivered.
        p.Send(TcpFlags.Rst | TcpFlags.Ack, data: "bye"u8.ToArray());
        p.ExpectClosed();
        rig.S.ExpectNothing();
        if (UserIsTold(state))
            p.App.ExpectMsg<ErrorClosed>();
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    [Theory]
    [MemberData(nameof(RcvNxtStates))]
    public void RST_in_the_window_but_not_at_RCV_NXT_gets_a_challenge_ACK_and_changes_nothing_RFC5961_3_2(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        foreach (uint offset in new uint[] { 1, 1000, 65534 })   // RCV.WND = 65535: RCV.NXT+65534 is the last in the window
        {
            long challenges = rig.S.Stack.Counters[TcpCounter.ChallengeAcks];
            p.Send(TcpFlags.Rst, seq: p.RcvNxt + offset);
            p.ExpectAck();   // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            rig.S.ExpectNothing();
            Assert.Equal(challenges + 1, rig.S.Stack.Counters[TcpCounter.ChallengeAcks]);
            p.ExpectState(state);
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    [Theory]
    [MemberData(nameof(RcvNxtStates))]
    public void RST_outside_the_window_is_silently_dropped_RFC5961_3_2_RFC9293_3_10_7_4_first(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        // 65536: just past RCV.NXT+RCV.WND (a zero-length segment exactly at the right edge is acceptable, like Linux; see ReceiveSequenceSpace)
        foreach (uint offset in new uint[] { 0xFFFFFFFF, 65536, 0x80000000, 0x7FFFFFFF, 0xFFFF0000 })
        {
            long discarded = rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded];
            p.Send(TcpFlags.Rst | TcpFlags.Ack, seq: p.RcvNxt + offset);
            rig.S.ExpectNothing();
            Assert.Equal(discarded + 1, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
            p.ExpectState(state);
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(0, rig.S.Stack.Counters[TcpCounter.ChallengeAcks]);
    }

    /// <summary>The synchronized states (RFC 9293 3.10.7.4 fourth lists SYN-RECEIVED too, with the passive exception tested below).</summary>
    public static TheoryData<TcpState> SynchronizedStates => new()
    {
        TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait,
        TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    };

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void SYN_in_a_synchronized_state_gets_a_challenge_ACK_whatever_its_SEQ_RFC5961_4_2_RFC9293_3_10_7_4_fourth(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        foreach (uint offset in new uint[] { 0, 1, 30000, 0x80000000, 0xFFFFFFFF })
        {
            foreach (var flags in new[] { TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack })
            {
                p.Send(flags, seq: p.RcvNxt + offset, ack: p.SndNxt);
                p.ExpectAck();
                rig.S.ExpectNothing();
                p.ExpectState(state);
            }
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);
        Assert.True(rig.S.Stack.Counters[TcpCounter.ChallengeAcks] >= 6);   // the in-window ones (outside: the first check's ACK)
    }

    [Fact]
    public void SYN_in_passive_SynReceived_returns_the_connection_to_Listen_RFC9293_3_10_7_4_fourth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Syn, seq: p.RcvNxt + 10);
        p.ExpectClosed();
        rig.S.ExpectNothing();
        rig.BindHandler.ExpectNoMsg(TimeSpan.Zero);
        // LISTEN still answers
        rig.S.Inject(p.PeerPort, StateRig.ListenPort, TcpFlags.Syn, 9000);
        Assert.Equal(9001u, p.Next().Ack);
    }

    [Fact]
    public void SYN_retransmitted_in_passive_SynReceived_gets_the_SYN_ACK_again_like_Linux_RFC9293_3_10_7_4_first()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Syn, seq: p.Irs);
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, p.Irs + 1);
        p.ExpectState(TcpState.SynReceived);
    }

    [Fact]
    public void SYN_in_active_SynReceived_gets_a_challenge_ACK_RFC9293_3_10_7_4_fourth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 300);
        p.Send(TcpFlags.Syn, seq: 300);
        p.RcvNxt = 301;
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);
        p.Send(TcpFlags.Syn, seq: 305);
        p.ExpectAck();
        p.ExpectState(TcpState.SynReceived);
    }

    [Fact]
    public void RST_in_active_SynReceived_refuses_the_connection_RFC9293_3_10_7_4_second()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 300);
        p.Send(TcpFlags.Syn, seq: 300);
        p.RcvNxt = 301;
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);
        p.Send(TcpFlags.Rst, seq: 301);
        var failed = p.App.ExpectMsg<CommandFailed>();
        Assert.IsType<Connect>(failed.Command);
        Assert.Contains("refused", failed.Cause.Message);
        p.ExpectClosed();
        rig.S.ExpectNothing();
    }

    // ------------------------------------------------------------------ SYN-SENT

    [Fact]
    public void SynSent_RST_that_acknowledges_our_SYN_refuses_the_connection_RFC9293_3_10_7_3_second()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        // any SEQ: in SYN-SENT RCV.NXT is not known yet; the ACK is what proves the RST answers our SYN
        p.Send(TcpFlags.Rst | TcpFlags.Ack, seq: 0, ack: p.Iss + 1);
        var failed = p.App.ExpectMsg<CommandFailed>();
        Assert.IsType<Connect>(failed.Command);
        Assert.Contains("refused", failed.Cause.Message);
        p.ExpectClosed();
        rig.S.ExpectNothing();
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.AttemptFails]);
    }

    [Theory]
    [InlineData(TcpFlags.Rst, 0u)]                  // no ACK: cannot be validated, dropped
    [InlineData(TcpFlags.Rst | TcpFlags.Ack, 0u)]   // SEG.ACK = ISS: acknowledges nothing
    [InlineData(TcpFlags.Rst | TcpFlags.Ack, 2u)]   // SEG.ACK = ISS+2 > SND.NXT
    [InlineData(TcpFlags.Rst | TcpFlags.Ack, 0x80000000u)]
    public void SynSent_RST_that_does_not_acknowledge_our_SYN_is_dropped_without_reply_RFC9293_3_10_7_3_first_and_second(TcpFlags flags, uint ackOffset)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        p.Send(flags, seq: 12345, ack: p.Iss + ackOffset);
        rig.S.ExpectNothing();
        p.App.ExpectNoMsg(TimeSpan.Zero);
        p.ExpectState(TcpState.SynSent);

        // and the connection still completes
        p.Send(TcpFlags.Syn | TcpFlags.Ack, seq: p.Irs, ack: p.Iss + 1);
        p.RcvNxt = p.Irs + 1;
        p.ExpectAck();
        p.App.ExpectMsg<Connected>();
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(0x80000000u)]
    public void SynSent_unacceptable_ACK_gets_RST_with_SEQ_SEG_ACK_RFC9293_3_10_7_3_first(uint ackOffset)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        foreach (var flags in new[] { TcpFlags.Ack, TcpFlags.Syn | TcpFlags.Ack })
        {
            p.Send(flags, seq: p.Irs, ack: p.Iss + ackOffset);
            p.Expect(TcpFlags.Rst, p.Iss + ackOffset);   // <SEQ=SEG.ACK><CTL=RST>
            p.ExpectState(TcpState.SynSent);
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    // ------------------------------------------------------------------ CLOSED port and LISTEN

    [Fact]
    public void Closed_port_SYN_gets_RST_ACK_with_SEQ_0_and_ACK_SEG_SEQ_plus_SEG_LEN_RFC9293_3_10_7_1()
    {
        var rig = new StateRig(this, Origin);
        var s = rig.S;
        s.Inject(50000, 9, TcpFlags.Syn, 4000);
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.Seq);
        Assert.Equal(4001u, rst.Ack);
        Assert.Equal((ushort)9, rst.Tcp.SourcePort);
        Assert.Equal((ushort)50000, rst.Tcp.DestinationPort);
        Assert.Empty(rst.Payload);

        s.Inject(50000, 9, TcpFlags.Syn, 0xFFFFFFFF, data: new byte[5]);   // SEG.LEN = 6, wrapping
        rst = s.Next();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(5u, rst.Ack);

        s.Inject(50000, 9, TcpFlags.Fin, 77);
        rst = s.Next();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(78u, rst.Ack);

        s.Inject(50000, 9, TcpFlags.Psh, 100, data: new byte[3]);
        Assert.Equal(103u, s.Next().Ack);

        Assert.Equal(4, s.Stack.Counters[TcpCounter.NoPort]);
        Assert.Equal(4, s.Stack.Counters[TcpCounter.OutRsts]);
    }

    [Theory]
    [InlineData(TcpFlags.Ack)]
    [InlineData(TcpFlags.Ack | TcpFlags.Psh)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    public void Closed_port_ACK_gets_RST_with_SEQ_SEG_ACK_RFC9293_3_10_7_1(TcpFlags flags)
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(50000, 9, flags, 4000, ack: 0xDEADBEEF, data: new byte[4]);
        var rst = rig.S.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(0xDEADBEEFu, rst.Seq);
        rig.S.ExpectNothing();
    }

    [Theory]
    [InlineData(TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData(TcpFlags.Rst | TcpFlags.Syn)]
    [InlineData(TcpFlags.Rst | TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg)]
    public void Closed_port_RST_gets_nothing_RFC9293_3_10_7_1(TcpFlags flags)
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(50000, 9, flags, 4000, ack: 5);
        rig.S.ExpectNothing();
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.NoPort]);
        Assert.Equal(0, rig.S.Stack.Counters[TcpCounter.OutRsts]);
    }

    [Theory]
    [InlineData(TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData(TcpFlags.Ack | TcpFlags.Psh)]
    public void Listen_ACK_gets_RST_with_SEQ_SEG_ACK_RFC9293_3_10_7_2_second(TcpFlags flags)
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(40000, StateRig.ListenPort, flags, 1000, ack: 777, data: new byte[2]);
        var rst = rig.S.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(777u, rst.Seq);
        rig.S.ExpectNothing();
        Assert.Equal(0, rig.S.Stack.Counters[TcpCounter.PassiveOpens]);
    }

    [Theory]
    [InlineData(TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData(TcpFlags.Rst | TcpFlags.Syn)]
    public void Listen_RST_is_ignored_RFC9293_3_10_7_2_first(TcpFlags flags)
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(40000, StateRig.ListenPort, flags, 1000, ack: 777);
        rig.S.ExpectNothing();
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
        Assert.Equal(0, rig.S.Stack.Counters[TcpCounter.PassiveOpens]);
        // still listening
        rig.S.Inject(40000, StateRig.ListenPort, TcpFlags.Syn, 1000);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, rig.S.Next().Flags);
    }

    [Theory]
    [InlineData(TcpFlags.Fin)]
    [InlineData(TcpFlags.Psh)]
    [InlineData(TcpFlags.None)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin)]   // SYN+FIN: dropped, like Linux
    public void Listen_segment_without_SYN_ACK_or_RST_is_dropped_RFC9293_3_10_7_2_fourth(TcpFlags flags)
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(40000, StateRig.ListenPort, flags, 1000, data: new byte[3]);
        rig.S.ExpectNothing();
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
        Assert.Equal(0, rig.S.Stack.Counters[TcpCounter.PassiveOpens]);
    }
}
