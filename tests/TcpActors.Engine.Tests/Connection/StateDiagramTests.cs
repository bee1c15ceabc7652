using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Every arc of the state diagram of RFC 9293 section 3.3.2 (Figure 5), driven by segments a scripted peer injects
/// and by the application's commands, asserting the exact segments the stack sends and the state it reaches.
///
/// Not tested: LISTEN -&gt; SYN-SENT ("SEND / snd SYN"). Our API is Akka.IO's: a listener takes no Write, so a
/// passive OPEN never turns active; RFC 9293 3.10.2 makes that SEND optional.
/// </summary>
public class StateDiagramTests : StackTestKit
{
    private static readonly TimeSpan TwoMsl = TimeSpan.FromSeconds(60);

    // ------------------------------------------------------------------ opening

    [Fact]
    public void Closed_to_Listen_on_Bind_a_SYN_that_got_a_RST_now_gets_a_SYN_ACK_RFC9293_3_10_1()
    {
        var s = new ProbeStack(this, Origin);
        s.Manager.Tell(new Identify(null), TestActor);   // the I/O actor has started the link
        ExpectMsg<ActorIdentity>();
        s.Inject(40000, 7, TcpFlags.Syn, 1000);
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);

        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        var bound = app.ExpectMsg<Bound>();
        Assert.Equal((ushort)7, bound.Port);
        Assert.Equal(ProbeStack.StackAddress, bound.Address);

        s.Inject(40000, 7, TcpFlags.Syn, 1000);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, s.Next().Flags);
    }

    [Fact]
    public void Listen_to_SynReceived_on_SYN_sends_SYN_ACK_RFC9293_3_10_7_2()
    {
        var rig = new StateRig(this, Origin);
        var s = rig.S;
        s.Inject(40000, StateRig.ListenPort, TcpFlags.Syn, 1000, window: 29200, mss: 1460);
        var synAck = s.Next();
        // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ+1; our MSS (MTU 1500 - 40) and full window
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(1001u, synAck.Ack);
        Assert.Equal((ushort)65535, synAck.Tcp.Window);
        Assert.Equal((ushort)1460, synAck.Tcp.Options.Mss);
        Assert.Equal(TimeSpan.Zero, synAck.At);
        s.ExpectNothing();

        var p = new ScriptedPeer { S = s, PeerPort = 40000, StackPort = StateRig.ListenPort, App = CreateTestProbe(), Observer = CreateTestProbe(), Passive = true };
        p.Conn = rig.FindConnection(p);
        var st = p.Status();
        Assert.Equal(TcpState.SynReceived, st.State);
        Assert.Equal(synAck.Seq, st.SndUna);                 // SND.UNA = ISS
        Assert.Equal(synAck.Seq + 1, st.SndNxt);             // SND.NXT = ISS+1: the SYN takes one sequence number
        Assert.Equal(1001u, st.RcvNxt);
        Assert.Equal(29200u, st.SndWnd);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.PassiveOpens]);
    }

    [Fact]
    public void Closed_to_SynSent_on_Connect_sends_SYN_RFC9293_3_10_1()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        // the SYN was checked by SynSent(): <SEQ=ISS><CTL=SYN>
        var st = p.Status();
        Assert.Equal(TcpState.SynSent, st.State);
        Assert.Equal(p.Iss, st.SndUna);
        Assert.Equal(p.Iss + 1, st.SndNxt);
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.ActiveOpens]);
        rig.S.ExpectNothing();
    }

    [Fact]
    public void Connect_SYN_carries_no_ACK_and_the_MSS_option_RFC9293_3_10_1_and_3_7_1()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var syn = s.Next();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        Assert.Equal(0u, syn.Ack);
        Assert.Equal((ushort)80, syn.Tcp.DestinationPort);
        Assert.Equal((ushort)1460, syn.Tcp.Options.Mss);
        Assert.Empty(syn.Payload);
    }

    [Fact]
    public void SynSent_to_Established_on_SYN_ACK_sends_ACK_RFC9293_3_10_7_3()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 5000);
        p.Send(TcpFlags.Syn | TcpFlags.Ack, seq: 5000, ack: p.Iss + 1);
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: the peer's SYN takes one sequence number too
        p.Expect(TcpFlags.Ack, p.Iss + 1, 5001);
        var connected = p.App.ExpectMsg<Connected>();
        Assert.Equal(p.Conn, p.App.LastSender);
        Assert.Equal(p.StackPort, connected.LocalPort);
        Assert.Equal((ushort)StateRig.RemoteServicePort, connected.RemotePort);
        p.RcvNxt = 5001;
        p.ExpectState(TcpState.Established);
        Assert.Equal(p.Iss + 1, p.Status().SndUna);
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.CurrEstab]);
        rig.S.ExpectNothing();
    }

    [Fact]
    public void SynSent_to_SynReceived_on_SYN_sends_SYN_ACK_simultaneous_open_RFC9293_3_10_7_3_Figure7()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 300);
        // Figure 7 line 3: <SEQ=300><CTL=SYN> arrives in SYN-SENT
        p.Send(TcpFlags.Syn, seq: 300, window: 8192);
        p.RcvNxt = 301;
        // line 5: <SEQ=ISS><ACK=301><CTL=SYN,ACK>
        var synAck = p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);
        Assert.Equal((ushort)1460, synAck.Tcp.Options.Mss);
        p.ExpectState(TcpState.SynReceived);
        Assert.Equal(8192u, p.Status().SndWnd);
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void SynReceived_to_Established_on_SYN_ACK_of_simultaneous_open_RFC9293_Figure7_line6()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 300);
        p.Send(TcpFlags.Syn, seq: 300);
        p.RcvNxt = 301;
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);

        // line 6: the peer's <SEQ=300><ACK=ISS+1><CTL=SYN,ACK> acknowledges our SYN: ESTABLISHED.
        // (Like Linux, which answers it with an ACK, since it repeats the SYN at 300.)
        p.Send(TcpFlags.Syn | TcpFlags.Ack, seq: 300, ack: p.Iss + 1);
        p.ExpectAck();
        p.App.ExpectMsg<Connected>();
        p.ExpectState(TcpState.Established);
        rig.S.ExpectNothing();
    }

    [Fact]
    public void SynReceived_to_Established_on_ACK_of_SYN_after_simultaneous_open_RFC9293_3_10_7_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 300);
        p.Send(TcpFlags.Syn, seq: 300);
        p.RcvNxt = 301;
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);
        p.Send(TcpFlags.Ack, seq: 301, ack: p.Iss + 1);
        rig.S.ExpectNothing();
        p.App.ExpectMsg<Connected>();   // the active opener's commander is told
        p.ExpectState(TcpState.Established);
    }

    [Fact]
    public void SynReceived_to_Established_on_ACK_of_SYN_RFC9293_3_10_7_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Ack, seq: 1001, ack: p.Iss + 1, window: 4000);
        rig.S.ExpectNothing();   // an ACK is not acknowledged
        rig.BindHandler.ExpectMsg<Connected>();
        Assert.Equal(p.Conn, rig.BindHandler.LastSender);
        p.ExpectState(TcpState.Established);
        var st = p.Status();
        Assert.Equal(p.Iss + 1, st.SndUna);
        Assert.Equal(4000u, st.SndWnd);   // SND.WND <- SEG.WND
    }

    [Fact]
    public void SynReceived_to_Listen_on_RST_passive_open_RFC9293_3_10_7_4_second()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Rst, seq: 1001);
        p.ExpectClosed();
        rig.S.ExpectNothing();
        rig.BindHandler.ExpectNoMsg(TimeSpan.Zero);   // "the user need not be informed"
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.InRsts]);

        // the listener is still in LISTEN: the same peer's new SYN opens a new connection
        rig.S.Inject(p.PeerPort, StateRig.ListenPort, TcpFlags.Syn, 7000);
        var synAck = p.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(7001u, synAck.Ack);
    }

    [Fact]
    public void SynReceived_to_FinWait1_on_Close_is_queued_until_Established_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        var closer = CreateTestProbe();
        p.Conn.Tell(Close.Instance, closer.Ref);
        // RFC 9293 3.10.4 SYN-RECEIVED: "queue for processing after entering ESTABLISHED state". (The RFC sends
        // the FIN at once when nothing is queued; we always wait for the ACK of our SYN, so the FIN never
        // precedes the SYN's acknowledgment. Linux has no socket to close before the handshake completes.)
        rig.S.ExpectNothing();
        p.ExpectState(TcpState.SynReceived);

        p.Send(TcpFlags.Ack);   // the ACK of our SYN: ESTABLISHED, then the queued CLOSE sends the FIN at once
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.Iss + 1, 1001);
        p.SndNxt += 1;
        p.ExpectState(TcpState.FinWait1);
        rig.BindHandler.ExpectMsg<Connected>();

        p.Send(TcpFlags.Ack);   // the ACK of the FIN
        p.ExpectState(TcpState.FinWait2);
        closer.ExpectMsg<Closed>();
    }

    [Fact]
    public void SynReceived_with_queued_Close_and_FIN_on_the_third_ACK_goes_to_Closing_RFC9293_3_10_4_and_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        var closer = CreateTestProbe();
        p.Conn.Tell(Close.Instance, closer.Ref);

        // the ACK of our SYN carries the peer's FIN: ESTABLISHED -> (queued CLOSE) FIN-WAIT-1 -> (FIN) CLOSING
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        var sent = rig.S.Drain();
        // our FIN at ISS+1, and the peer's FIN acknowledged (ACK=1002) by the last segment
        Assert.Single(sent, x => x.Flags.HasFlag(TcpFlags.Fin) && x.Seq == p.Iss + 1);
        Assert.Equal(1002u, sent[^1].Ack);
        Assert.True(sent.Count <= 2, string.Join("; ", sent));
        p.SndNxt += 1;
        p.RcvNxt += 1;
        p.ExpectState(TcpState.Closing);

        p.Send(TcpFlags.Ack);
        p.ExpectState(TcpState.TimeWait);
        closer.ExpectMsg<Closed>();
    }

    // ------------------------------------------------------------------ data and sequence numbers

    [Fact]
    public void Data_on_the_third_ACK_of_the_handshake_is_accepted_and_delivered_RFC9293_3_10_7_4_seventh()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, data: "abc"u8.ToArray());
        rig.BindHandler.ExpectMsg<Connected>();
        p.RcvNxt += 3;
        p.ExpectState(TcpState.Established);
        var ack = p.ExpectAck();   // quick-ACK: the connection's first data is acknowledged at once

        p.Conn.Tell(new Register(p.App.Ref), p.App.Ref);
        Assert.Equal("abc"u8.ToArray(), p.App.ExpectMsg<Received>().Data.ToArray());
        Assert.Equal(1004u, ack.Ack);
    }

    [Fact]
    public void SYN_and_FIN_each_consume_one_sequence_number_RFC9293_3_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established(peerIss: 1000);
        Assert.Equal(1001u, p.Status().RcvNxt);           // the peer's SYN at 1000
        Assert.Equal(p.Iss + 1, p.Status().SndNxt);       // our SYN at ISS

        p.Conn.Tell(Write.Create("hi"u8.ToArray()), p.App.Ref);
        p.Expect(TcpFlags.Ack | TcpFlags.Psh, p.Iss + 1, 1001, dataLength: 2);   // data starts right after the SYN
        p.SndNxt += 2;
        p.Send(TcpFlags.Ack);

        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.Iss + 3, 1001);
        Assert.Equal(p.Iss + 4, p.Status().SndNxt);       // the FIN at ISS+3
        p.SndNxt += 1;

        p.Send(TcpFlags.Fin | TcpFlags.Ack, seq: 1001, ack: p.Iss + 4);
        p.Expect(TcpFlags.Ack, p.Iss + 4, 1002);          // the peer's FIN at 1001 is acknowledged with 1002
        p.RcvNxt = 1002;
        p.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void Half_close_CloseWait_keeps_sending_what_the_application_writes_RFC9293_3_10_2()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.CloseWait();
        p.Conn.Tell(Write.Create("still here"u8.ToArray()), p.App.Ref);
        p.Expect(TcpFlags.Ack | TcpFlags.Psh, p.SndNxt, p.RcvNxt, dataLength: 10);
        p.SndNxt += 10;
        p.Send(TcpFlags.Ack);
        p.ExpectState(TcpState.CloseWait);

        p.Conn.Tell(Write.Create("more"u8.ToArray()), p.App.Ref);
        p.Expect(TcpFlags.Ack | TcpFlags.Psh, p.SndNxt, p.RcvNxt, dataLength: 4);
        p.SndNxt += 4;
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.SndNxt, p.RcvNxt);
        p.SndNxt += 1;
        p.ExpectState(TcpState.LastAck);
        p.Send(TcpFlags.Ack);
        p.ExpectClosed();
        p.App.ExpectMsg<Closed>();
    }

    // ------------------------------------------------------------------ closing

    [Fact]
    public void Established_to_FinWait1_on_Close_sends_FIN_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established();
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.Iss + 1, 1001);
        p.SndNxt += 1;
        p.ExpectState(TcpState.FinWait1);
        p.App.ExpectNoMsg(TimeSpan.Zero);   // Closed only once the FIN is acknowledged
    }

    [Fact]
    public void Established_Close_sends_the_queued_data_before_the_FIN_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established();
        p.Send(TcpFlags.Ack, window: 0);   // the peer's window closes: the data waits
        p.Conn.Tell(Write.Create("abcd"u8.ToArray()), p.App.Ref);
        p.Conn.Tell(Close.Instance, p.App.Ref);
        rig.S.ExpectNothing();
        p.ExpectState(TcpState.FinWait1);
        p.Send(TcpFlags.Ack, window: 1000);
        p.Expect(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Ack, p.Iss + 1, 1001, dataLength: 4);
    }

    [Fact]
    public void Established_to_CloseWait_on_FIN_sends_ACK_RFC9293_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established(keepOpenOnPeerClosed: true);
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.Expect(TcpFlags.Ack, p.Iss + 1, 1002);   // RCV.NXT advanced over the FIN
        p.RcvNxt = 1002;
        p.App.ExpectMsg<PeerClosed>();
        p.ExpectState(TcpState.CloseWait);
        rig.S.ExpectNothing();
    }

    [Fact]
    public void Established_on_FIN_with_default_Register_closes_on_the_apps_behalf_CloseWait_to_LastAck_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established();   // Register(handler): Akka.IO's default, KeepOpenOnPeerClosed = false
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.RcvNxt = 1002;
        p.ExpectAck();
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.Iss + 1, 1002);
        p.SndNxt += 1;
        p.App.ExpectMsg<PeerClosed>();
        p.ExpectState(TcpState.LastAck);
        p.Send(TcpFlags.Ack);
        p.ExpectClosed();
        p.App.ExpectMsg<Closed>();
    }

    [Fact]
    public void FinWait1_to_FinWait2_on_ACK_of_FIN_RFC9293_3_10_7_4_fifth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.FinWait1();
        p.Send(TcpFlags.Ack, ack: p.SndNxt - 1);   // a duplicate ACK: our FIN is not yet acknowledged
        p.ExpectState(TcpState.FinWait1);
        p.Send(TcpFlags.Ack);
        rig.S.ExpectNothing();
        p.App.ExpectMsg<Closed>();
        p.ExpectState(TcpState.FinWait2);
        Assert.Equal(p.SndNxt, p.Status().SndUna);
    }

    [Fact]
    public void FinWait1_to_Closing_on_FIN_sends_ACK_simultaneous_close_RFC9293_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.FinWait1();
        p.Send(TcpFlags.Fin | TcpFlags.Ack, ack: p.SndNxt - 1);   // the peer's FIN, sent before ours arrived
        p.Expect(TcpFlags.Ack, p.SndNxt, 1002);
        p.RcvNxt = 1002;
        p.App.ExpectMsg<PeerClosed>();
        p.ExpectState(TcpState.Closing);
    }

    [Fact]
    public void FinWait1_to_TimeWait_on_FIN_that_acknowledges_our_FIN_RFC9293_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.FinWait1();
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.RcvNxt = 1002;
        p.ExpectAck();
        p.App.ExpectMsg<Closed>();
        p.App.ExpectMsg<PeerClosed>();
        p.App.ExpectNoMsg(TimeSpan.Zero);   // Closed exactly once
        p.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void Closing_to_TimeWait_on_ACK_of_FIN_RFC9293_3_10_7_4_fifth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Closing();
        p.Send(TcpFlags.Ack);
        rig.S.ExpectNothing();
        p.ExpectState(TcpState.TimeWait);
        p.App.ExpectMsg<Closed>();
    }

    [Fact]
    public void FinWait2_to_TimeWait_on_FIN_sends_ACK_RFC9293_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.FinWait2();
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.Expect(TcpFlags.Ack, p.SndNxt, 1002);
        p.RcvNxt = 1002;
        p.App.ExpectMsg<PeerClosed>();
        p.App.ExpectNoMsg(TimeSpan.Zero);   // Closed was told in FIN-WAIT-2, and only then
        p.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void FinWait2_delivers_data_the_peer_still_sends_RFC9293_3_10_7_4_seventh()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.FinWait2();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, data: "late"u8.ToArray());
        Assert.Equal("late"u8.ToArray(), p.App.ExpectMsg<Received>().Data.ToArray());
        p.RcvNxt += 4;
        p.ExpectState(TcpState.FinWait2);
    }

    [Fact]
    public void CloseWait_to_LastAck_on_Close_sends_FIN_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.CloseWait();
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.Iss + 1, 1002);
        p.SndNxt += 1;
        p.ExpectState(TcpState.LastAck);
    }

    [Fact]
    public void LastAck_to_Closed_on_ACK_of_FIN_RFC9293_3_10_7_4_fifth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.LastAck();
        p.Send(TcpFlags.Ack, ack: p.SndNxt - 1);   // not our FIN's ACK: stay
        p.ExpectState(TcpState.LastAck);
        p.Send(TcpFlags.Ack);
        p.ExpectClosed();
        p.App.ExpectMsg<Closed>();
        rig.S.ExpectNothing();
    }

    [Fact]
    public void TimeWait_to_Closed_after_2_MSL_RFC9293_3_10_8()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.TimeWait();
        var entered = Elapsed;
        AdvanceTo(entered + TwoMsl - TimeSpan.FromMilliseconds(1));
        p.ExpectState(TcpState.TimeWait);
        AdvanceTo(entered + TwoMsl);
        p.ExpectClosed();
        rig.S.ExpectNothing();

        // CLOSED: the tuple is free; a segment for it now gets the closed-port RST
        p.Send(TcpFlags.Ack);
        p.Expect(TcpFlags.Rst, p.SndNxt);
    }

    [Fact]
    public void TimeWait_a_retransmitted_FIN_is_acknowledged_and_restarts_the_2_MSL_timeout_RFC9293_3_10_7_4_eighth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.TimeWait();
        AdvanceTo(TimeSpan.FromSeconds(30));
        p.Send(TcpFlags.Fin | TcpFlags.Ack, seq: p.RcvNxt - 1);
        p.ExpectAck();
        AdvanceTo(TimeSpan.FromSeconds(89));
        p.ExpectState(TcpState.TimeWait);
        AdvanceTo(TimeSpan.FromSeconds(90));
        p.ExpectClosed();
    }

    [Fact]
    public void SynSent_to_Closed_on_Close_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.App.ExpectMsg<Closed>();
        p.ExpectClosed();
        rig.S.ExpectNothing();   // no FIN, no RST: there is nothing to synchronize

        // the SYN-ACK that arrives late finds a closed port: <SEQ=SEG.ACK><CTL=RST>
        p.Send(TcpFlags.Syn | TcpFlags.Ack, seq: p.Irs, ack: p.Iss + 1);
        p.Expect(TcpFlags.Rst, p.Iss + 1);
    }

    [Fact]
    public void SynSent_Close_from_another_actor_fails_the_Connect_RFC9293_3_10_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        var other = CreateTestProbe();
        p.Conn.Tell(Close.Instance, other.Ref);
        other.ExpectMsg<Closed>();
        var failed = p.App.ExpectMsg<CommandFailed>();
        Assert.IsType<Connect>(failed.Command);
        p.ExpectClosed();
    }

    // ------------------------------------------------------------------ no retransmission of ACKs and RSTs

    [Fact]
    public void Bare_ACKs_are_never_retransmitted_RFC9293_3_4()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.Established();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, data: new byte[10]);
        p.RcvNxt += 10;
        AdvanceTo(TimeSpan.FromMilliseconds(40));
        p.ExpectAck();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, seq: 2000, data: new byte[10]);   // out of order: an immediate duplicate ACK
        p.ExpectAck();
        p.Send(TcpFlags.Syn, seq: p.RcvNxt);                                    // a challenge ACK
        p.ExpectAck();
        AdvanceBy(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1));
        rig.S.ExpectNothing();
        p.ExpectState(TcpState.Established);
    }

    [Fact]
    public void RSTs_are_never_retransmitted_RFC9293_3_10_7_1_and_3_10_5()
    {
        var rig = new StateRig(this, Origin);
        rig.S.Inject(50000, 9, TcpFlags.Ack, 1, 2);   // closed port
        Assert.Equal(TcpFlags.Rst, rig.S.Next().Flags);
        var p = rig.Established();
        p.Conn.Tell(Abort.Instance, p.App.Ref);       // ABORT: <SEQ=SND.NXT><CTL=RST>
        p.Expect(TcpFlags.Rst, p.SndNxt);
        p.App.ExpectMsg<Aborted>();
        p.ExpectClosed();
        AdvanceBy(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(1));
        rig.S.ExpectNothing();
    }
}
