using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Hostile and malformed segments in every state: nothing crashes, the connection survives unless RFC 9293 says
/// it ends, the replies are the RFC's, and the counters move.
/// </summary>
public class HostileSegmentTests : StackTestKit
{
    public static TheoryData<TcpState> AllStates => new()
    {
        TcpState.SynSent, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2,
        TcpState.CloseWait, TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    };

    public static TheoryData<TcpState> RcvNxtStates => new()
    {
        TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait,
        TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    };

    public static TheoryData<TcpState> SynchronizedStates => new()
    {
        TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.CloseWait,
        TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    };

    [Theory]
    [MemberData(nameof(RcvNxtStates))]
    public void Sequence_numbers_far_outside_the_window_get_an_ACK_and_are_dropped_RFC9293_3_10_7_4_first(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        // 65536: just past RCV.NXT+RCV.WND (a zero-length segment exactly at the right edge is acceptable, like Linux)
        foreach (uint offset in new uint[] { 0x80000000, 0x7FFFFFFF, 65536, 0xFFFEE000, 0xFFFFFF00 })   // 100 octets at -256 end before RCV.NXT
        {
            foreach (var flags in new[] { TcpFlags.Ack | TcpFlags.Psh, TcpFlags.Ack | TcpFlags.Fin, TcpFlags.Ack })
            {
                long discarded = rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded];
                p.Send(flags, seq: p.RcvNxt + offset, data: flags.HasFlag(TcpFlags.Psh) ? new byte[100] : null);
                p.ExpectAck();
                rig.S.ExpectNothing();
                Assert.Equal(discarded + 1, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
                p.ExpectState(state);
            }
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);   // no data, no PeerClosed
        rig.BindHandler.ExpectNoMsg(TimeSpan.Zero);
    }

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void SYN_with_data_gets_a_challenge_ACK_and_the_data_is_not_delivered_RFC5961_4_2(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        p.Send(TcpFlags.Syn | TcpFlags.Psh, seq: p.RcvNxt, data: "evil"u8.ToArray());
        p.ExpectAck();
        rig.S.ExpectNothing();
        p.ExpectState(state);
        p.App.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(1, rig.S.Stack.Counters[TcpCounter.ChallengeAcks]);
    }

    [Fact]
    public void SynSent_SYN_with_data_is_a_simultaneous_open_and_the_data_is_not_acknowledged_RFC9293_3_10_7_3_fourth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        p.Send(TcpFlags.Syn, seq: 300, data: new byte[20]);
        // the SYN is acknowledged, the data is not (it was not kept: the peer sends it again)
        p.Expect(TcpFlags.Syn | TcpFlags.Ack, p.Iss, 301);
        p.RcvNxt = 301;
        p.ExpectState(TcpState.SynReceived);
    }

    [Fact]
    public void SynSent_SYN_ACK_with_data_establishes_and_delivers_the_data_RFC9293_3_10_7_3_fourth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent(peerIss: 5000);
        p.Send(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Psh, seq: 5000, ack: p.Iss + 1, data: "early"u8.ToArray());
        p.Expect(TcpFlags.Ack, p.Iss + 1, 5001);   // the ACK of the SYN, sent before the text is processed
        p.App.ExpectMsg<Connected>();
        AdvanceTo(TimeSpan.FromMilliseconds(40));
        p.Expect(TcpFlags.Ack, p.Iss + 1, 5006);   // the delayed ACK of the five octets
        p.Conn.Tell(new Register(p.App.Ref), p.App.Ref);
        Assert.Equal("early"u8.ToArray(), p.App.ExpectMsg<Received>().Data.ToArray());
        p.RcvNxt = 5006;
        p.ExpectState(TcpState.Established);
    }

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void ACK_of_data_never_sent_gets_an_ACK_and_is_dropped_RFC9293_3_10_7_4_fifth(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        foreach (uint beyond in new uint[] { 1, 1000, 0x40000000 })
        {
            long discarded = rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded];
            p.Send(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, ack: p.SndNxt + beyond, data: "xyz"u8.ToArray());
            p.ExpectAck();
            rig.S.ExpectNothing();
            Assert.Equal(discarded + 1, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
            p.ExpectState(state);
            Assert.Equal(p.SndUna, p.Status().SndUna);
        }
        p.App.ExpectNoMsg(TimeSpan.Zero);   // neither the data nor the FIN was taken
    }

    [Theory]
    [MemberData(nameof(SynchronizedStates))]
    public void ACK_older_than_the_largest_window_gets_an_ACK_and_is_dropped_RFC5961_5_2(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        p.Send(TcpFlags.Ack | TcpFlags.Psh, ack: p.SndUna - 65536, data: "xyz"u8.ToArray());   // MAX.SND.WND = 65535
        p.ExpectAck();
        rig.S.ExpectNothing();
        p.ExpectState(state);
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(0u)]            // SEG.ACK = ISS: acknowledges nothing
    [InlineData(2u)]            // beyond SND.NXT
    [InlineData(0x80000000u)]
    public void SynReceived_unacceptable_ACK_gets_RST_with_SEQ_SEG_ACK_RFC9293_3_10_7_4_fifth(uint ackOffset)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynReceived();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, ack: p.Iss + ackOffset, data: "xyz"u8.ToArray());
        p.Expect(TcpFlags.Rst, p.Iss + ackOffset);
        p.ExpectState(TcpState.SynReceived);
        rig.BindHandler.ExpectNoMsg(TimeSpan.Zero);
        // the real ACK still completes the handshake
        p.Send(TcpFlags.Ack);
        rig.BindHandler.ExpectMsg<Connected>();
    }

    [Fact]
    public void SynSent_segment_with_neither_SYN_nor_RST_is_dropped_RFC9293_3_10_7_3_fifth()
    {
        var rig = new StateRig(this, Origin);
        var p = rig.SynSent();
        p.Send(TcpFlags.Ack | TcpFlags.Psh, seq: 1, ack: p.Iss + 1, data: new byte[10]);
        p.Send(TcpFlags.Fin, seq: 1);
        p.Send(TcpFlags.Psh | TcpFlags.Urg, seq: 1, data: new byte[3]);
        rig.S.ExpectNothing();
        p.ExpectState(TcpState.SynSent);
        Assert.Equal(3, rig.S.Stack.Counters[TcpCounter.SegmentsDiscarded]);
    }

    [Theory]
    [MemberData(nameof(AllStates))]
    public void Bad_checksum_is_a_counted_drop_with_no_reply_even_for_an_exact_RST_RFC9293_3_1(TcpState state)
    {
        var rig = new StateRig(this, Origin);
        var p = rig.In(state);
        foreach (var flags in new[] { TcpFlags.Rst, TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Syn, TcpFlags.Fin | TcpFlags.Ack, TcpFlags.Ack })
        {
            var packet = Build(p, flags, p.RcvNxt, p.SndNxt, flags == TcpFlags.Ack ? new byte[8] : []);
            packet[20 + 16] ^= 0x01;   // the TCP checksum
            rig.S.InjectRaw(packet);
        }
        var ipBad = Build(p, TcpFlags.Rst, p.RcvNxt, p.SndNxt, []);
        ipBad[10] ^= 0x80;             // the IPv4 header checksum
        rig.S.InjectRaw(ipBad);
        rig.S.ExpectNothing();
        Assert.Equal(5, rig.S.Stack.Counters[DropReason.BadTcpChecksum]);
        Assert.Equal(1, rig.S.Stack.Counters[DropReason.BadIpChecksum]);
        p.ExpectState(state);
        p.App.ExpectNoMsg(TimeSpan.Zero);
    }

    private static byte[] Build(ScriptedPeer p, TcpFlags flags, uint seq, uint ack, byte[] data)
    {
        var tcp = new TcpSegment
        {
            SourcePort = p.PeerPort,
            DestinationPort = p.StackPort,
            Sequence = seq,
            Acknowledgment = ack,
            Flags = flags,
            Window = 65535,
        };
        var buf = new byte[100 + data.Length];
        int n = tcp.WritePacket(buf, ProbeStack.PeerAddress, ProbeStack.StackAddress, data);
        return buf[..n];
    }

    // ------------------------------------------------------------------ seeded random segments against an RFC model

    private enum Outcome { Drop, Ack, SynAck, Rst, Closed, Processed }

    private sealed record Prediction(Outcome Outcome, uint RstSeq = 0, TcpState[]? Allowed = null, string Rule = "");

    /// <summary>
    /// What RFC 9293 3.10.7.3/3.10.7.4 (with RFC 5961) prescribes for one segment arriving in a fresh connection
    /// in <paramref name="state"/>, as far as the early checks decide it; segments that pass them to the text and
    /// FIN steps are "Processed", and only the states they may lead to are given.
    /// </summary>
    private static Prediction Predict(TcpState state, ScriptedPeer p, TcpFlags f, uint seq, uint ack, int dataLen)
    {
        bool syn = f.HasFlag(TcpFlags.Syn), rst = f.HasFlag(TcpFlags.Rst), hasAck = f.HasFlag(TcpFlags.Ack), fin = f.HasFlag(TcpFlags.Fin);
        SeqNum a = ack, s = seq;
        if (state == TcpState.SynSent)
        {
            if (hasAck && !a.InRangeExclusiveInclusive(p.Iss, p.SndNxt))
                return rst ? new(Outcome.Drop, Rule: "SYN-SENT bad ACK + RST") : new(Outcome.Rst, ack, Rule: "SYN-SENT bad ACK");
            if (rst)
                return hasAck ? new(Outcome.Closed, Rule: "SYN-SENT RST acking SYN") : new(Outcome.Drop, Rule: "SYN-SENT RST without ACK");
            if (!syn)
                return new(Outcome.Drop, Rule: "SYN-SENT neither SYN nor RST");
            if (hasAck)
                return new(Outcome.Processed, Allowed: [TcpState.Established, TcpState.CloseWait], Rule: "SYN-SENT SYN-ACK");
            return new(Outcome.SynAck, Rule: "SYN-SENT SYN: simultaneous open");
        }

        int segLen = dataLen + (syn ? 1 : 0) + (fin ? 1 : 0);
        if (state == TcpState.SynReceived && syn && !hasAck && !rst && s == p.Irs)
            return new(Outcome.SynAck, Rule: "retransmitted SYN");
        if (state == TcpState.TimeWait && fin && !rst && !syn && s + segLen == (SeqNum)p.RcvNxt)
            return new(Outcome.Ack, Rule: "TIME-WAIT FIN retransmission");

        // first
        var rcv = new Engine.Connection.ReceiveSequenceSpace { Nxt = p.RcvNxt, Wnd = 65535 };
        if (!rcv.IsAcceptable(s, segLen))
            return rst ? new(Outcome.Drop, Rule: "unacceptable RST") : new(Outcome.Ack, Rule: "unacceptable");
        // second
        if (rst)
            return s == (SeqNum)p.RcvNxt ? new(Outcome.Closed, Rule: "exact RST") : new(Outcome.Ack, Rule: "in-window RST: challenge");
        // fourth
        if (syn)
            return state == TcpState.SynReceived ? new(Outcome.Closed, Rule: "SYN in passive SYN-RECEIVED") : new(Outcome.Ack, Rule: "SYN: challenge");
        // fifth
        if (!hasAck)
            return new(Outcome.Drop, Rule: "no ACK");
        if (state == TcpState.SynReceived)
            return a.InRangeExclusiveInclusive(p.SndUna, p.SndNxt)
                ? new(Outcome.Processed, Allowed: [TcpState.Established, TcpState.CloseWait], Rule: "ACK of SYN")
                : new(Outcome.Rst, ack, Rule: "SYN-RECEIVED bad ACK");
        if (!a.InRange((SeqNum)p.SndUna - 65535, (SeqNum)p.SndNxt + 1))
            return new(Outcome.Ack, Rule: "unacceptable ACK");
        bool finAcked = a == (SeqNum)p.SndNxt && p.SndNxt != p.SndUna;
        return state switch
        {
            TcpState.LastAck => finAcked ? new(Outcome.Closed, Rule: "LAST-ACK ACK of FIN") : new(Outcome.Drop, Rule: "LAST-ACK other ACK"),
            TcpState.Closing => finAcked
                ? new(Outcome.Processed, Allowed: [TcpState.TimeWait], Rule: "CLOSING ACK of FIN")
                : new(Outcome.Drop, Rule: "CLOSING other ACK"),
            TcpState.Established => new(Outcome.Processed, Allowed: [TcpState.Established, TcpState.LastAck], Rule: "ESTABLISHED"),
            TcpState.FinWait1 => new(Outcome.Processed,
                Allowed: [TcpState.FinWait1, TcpState.FinWait2, TcpState.Closing, TcpState.TimeWait], Rule: "FIN-WAIT-1"),
            TcpState.FinWait2 => new(Outcome.Processed, Allowed: [TcpState.FinWait2, TcpState.TimeWait], Rule: "FIN-WAIT-2"),
            TcpState.CloseWait => new(Outcome.Processed, Allowed: [TcpState.CloseWait], Rule: "CLOSE-WAIT"),
            TcpState.TimeWait => new(Outcome.Processed, Allowed: [TcpState.TimeWait], Rule: "TIME-WAIT"),
            _ => throw new InvalidOperationException(state.ToString()),
        };
    }

    [Theory]
    [MemberData(nameof(AllStates))]
    public void Seeded_random_segments_follow_RFC9293_3_10_7_and_never_crash_the_stack(TcpState state)
    {
        const int samples = 100;
        var rnd = new Random(9293 + (int)state);
        var rig = new StateRig(this, Origin);
        var outcomes = new HashSet<Outcome>();
        for (int i = 0; i < samples; i++)
        {
            var p = rig.In(state);
            while (rig.BindHandler.HasMessages)   // Connected from earlier samples' handshakes
                rig.BindHandler.ReceiveOne(TimeSpan.Zero);
            var flags = (TcpFlags)rnd.Next(256);   // all eight bits; half the samples without SYN and RST to reach the later steps
            if (rnd.Next(2) == 0)
                flags &= ~(TcpFlags.Syn | TcpFlags.Rst);
            uint[] seqs = [p.RcvNxt, p.RcvNxt - 1, p.RcvNxt + 1, p.RcvNxt + 65534, p.RcvNxt + 65535, p.RcvNxt + 0x80000000, p.Irs, (uint)rnd.NextInt64(1L << 32)];
            uint[] acks = [p.SndNxt, p.SndUna, p.SndNxt + 1, p.SndUna - 1, p.Iss, p.SndNxt + 0x40000000, (uint)rnd.NextInt64(1L << 32)];
            uint seq = seqs[rnd.Next(seqs.Length)];
            uint ack = acks[rnd.Next(acks.Length)];
            byte[] data = new byte[new[] { 0, 0, 1, 7 }[rnd.Next(4)]];
            rnd.NextBytes(data);
            ushort window = new ushort[] { 0, 1, 65535 }[rnd.Next(3)];
            ushort urgent = (ushort)rnd.Next(3);
            var prediction = Predict(state, p, flags, seq, ack, data.Length);
            string what = $"#{i} in {state}: {flags.ToShortString()} seq=RCV.NXT{(int)(seq - p.RcvNxt):+0;-0} ack=SND.NXT{(int)(ack - p.SndNxt):+0;-0} len={data.Length} -> {prediction}";

            long inSegs = rig.S.Stack.Counters[TcpCounter.InSegs];
            rig.S.Inject(p.PeerPort, p.StackPort, flags, seq, ack, window, data, urgent: urgent);
            Assert.True(inSegs + 1 == rig.S.Stack.Counters[TcpCounter.InSegs], what);
            var sent = rig.S.Drain();
            Assert.All(sent, x => Assert.True(x.Tcp.SourcePort == p.StackPort && x.Tcp.DestinationPort == p.PeerPort, what));
            string got = $"{what}; sent: [{string.Join("; ", sent)}]";

            outcomes.Add(prediction.Outcome);
            switch (prediction.Outcome)
            {
                case Outcome.Drop:
                    Assert.True(sent.Count == 0, got);
                    p.ExpectState(state);
                    break;
                case Outcome.Ack:
                    Assert.True(sent.Count == 1 && sent[0].Flags == TcpFlags.Ack && sent[0].Seq == p.SndNxt && sent[0].Ack == p.RcvNxt
                                && sent[0].Payload.Length == 0, got);
                    p.ExpectState(state);
                    break;
                case Outcome.SynAck:
                    Assert.True(sent.Count == 1 && sent[0].Flags == (TcpFlags.Syn | TcpFlags.Ack) && sent[0].Seq == p.Iss && sent[0].Ack == seq + 1, got);
                    Assert.Equal(TcpState.SynReceived, p.State);
                    break;
                case Outcome.Rst:
                    Assert.True(sent.Count == 1 && sent[0].Flags == TcpFlags.Rst && sent[0].Seq == prediction.RstSeq, got);
                    p.ExpectState(state);
                    break;
                case Outcome.Closed:
                    Assert.True(sent.Count == 0, got);
                    p.ExpectClosed();
                    break;
                case Outcome.Processed:
                    Assert.True(sent.All(x => (x.Flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0 && x.Flags.HasFlag(TcpFlags.Ack)), got);
                    Assert.True(sent.Count <= 3, got);
                    var reached = p.State;
                    Assert.True(prediction.Allowed!.Contains(reached), $"{got}; reached {reached}");
                    break;
            }
        }
        Assert.True(outcomes.Count >= 3, $"the generator exercised only {string.Join(", ", outcomes)}");
        // the stack as a whole is unharmed: a new connection still opens
        var fresh = rig.Established();
        fresh.ExpectState(TcpState.Established);
    }
}
