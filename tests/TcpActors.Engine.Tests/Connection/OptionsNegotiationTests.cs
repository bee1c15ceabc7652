using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Options of RFC 7323 (window scale, timestamps, PAWS) and RFC 2018 (SACK): what the SYNs carry, what is
/// negotiated, and what they change on the wire. The peer is scripted; the stack announces MSS 1460 and a 4 MB
/// receive window (shift 7).
/// </summary>
public class OptionsNegotiationTests : TimingTestKit
{
    private const ushort Port = 7;
    private const uint PeerIss = 1000;

    private static TcpOptions PeerOptions(bool sack = true, uint? tsVal = 100, uint tsEcr = 0, byte? wscale = 2)
    {
        var o = new TcpOptions { Mss = 1460, SackPermitted = sack, WindowScale = wscale };
        if (tsVal is uint v)
            o.SetTimestamps(v, tsEcr);
        return o;
    }

    private static TcpOptions Ts(uint val, uint ecr)
    {
        var o = new TcpOptions();
        o.SetTimestamps(val, ecr);
        return o;
    }

    /// <summary>Passive open with the peer's SYN options; the handshake's ACK carries TS val 101. Returns the connection and the SYN-ACK.</summary>
    private (ScriptedConnection c, SentSegment synAck) Passive(ProbeStack s, TcpOptions synOptions, ushort window = 65535)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, Port), app.Ref);
        app.ExpectMsg<Bound>();
        s.Inject(40000, Port, TcpFlags.Syn, PeerIss, window: window, options: synOptions);
        var synAck = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        var ackOptions = synOptions.HasTimestamps ? Ts(101, synAck.Tcp.Options.TsVal) : new TcpOptions();
        s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, synAck.Seq + 1, window, options: ackOptions);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        return (new ScriptedConnection(s, conn, app, 40000, Port, synAck.Seq, PeerIss), synAck);
    }

    [Fact]
    public void SYN_carries_mss_sackOK_TS_nop_wscale_in_Linux_order_RFC7323_section1_3_and_RFC2018_section2()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var raw = s.NextRaw();
        var syn = s.Parse(raw);
        var o = syn.Tcp.Options;
        Assert.Equal((ushort)1460, o.Mss);
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps);
        Assert.Equal(0u, o.TsEcr);
        Assert.Equal((byte)7, o.WindowScale);                   // 4194304 >> 7 = 32768 fits 16 bits, >> 6 does not
        Assert.Equal((ushort)65535, syn.Tcp.Window);            // a SYN's window is never scaled (RFC 7323 2.2)
        // Linux's layout: mss(4) sackOK(2) TS(10) nop wscale(3) = 20 bytes.
        var area = raw.Packet.AsSpan(20 + 20, 20).ToArray();
        Assert.Equal(new byte[] { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 }, area[..8]);
        Assert.Equal(new byte[] { 1, 3, 3, 7 }, area[16..]);
    }

    [Fact]
    public void SYN_carries_only_MSS_when_the_options_are_off()
    {
        var s = new ProbeStack(this, Origin, Settings with { Sack = false, Timestamps = false, WindowScaling = false, ReceiveWindow = 65535 });
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var o = s.Next().Tcp.Options;
        Assert.Equal((ushort)1460, o.Mss);
        Assert.False(o.SackPermitted || o.HasTimestamps || o.WindowScale is not null);
    }

    [Fact]
    public void SYN_ACK_answers_only_the_options_the_SYN_offered_RFC7323_sections_1_3_and_2_2_RFC2018_section2()
    {
        var s = new ProbeStack(this, Origin);
        var (c, synAck) = Passive(s, new TcpOptions { Mss = 1460 });
        var o = synAck.Tcp.Options;
        Assert.Equal((ushort)1460, o.Mss);
        Assert.False(o.SackPermitted);
        Assert.False(o.HasTimestamps);
        Assert.Null(o.WindowScale);
        var st = StatusOf(c.Connection);
        Assert.False(st.WindowScaling || st.Timestamps || st.Sack);
        Assert.Equal(65535u, st.RcvWnd);                        // without scaling the window is clamped to 65535

        var s2 = new ProbeStack(this, Origin, wireName: "wire2");
        var (c2, synAck2) = Passive(s2, PeerOptions(sack: true, tsVal: 100, wscale: null));
        o = synAck2.Tcp.Options;
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps);
        Assert.Equal(100u, o.TsEcr);                            // TSecr echoes the SYN's TSval
        Assert.Null(o.WindowScale);
        st = StatusOf(c2.Connection);
        Assert.True(st.Sack && st.Timestamps && !st.WindowScaling);
    }

    [Fact]
    public void Scaled_windows_on_the_wire_but_not_on_SYNs_RFC7323_section2_2_and_2_3()
    {
        var s = new ProbeStack(this, Origin);
        var (c, synAck) = Passive(s, PeerOptions(wscale: 2), window: 1000);
        Assert.Equal((byte)7, synAck.Tcp.Options.WindowScale);
        Assert.Equal((ushort)65535, synAck.Tcp.Window);          // unscaled on the SYN-ACK
        var st = StatusOf(c.Connection);
        Assert.Equal(2, st.SndWindowShift);
        Assert.Equal(7, st.RcvWindowShift);
        Assert.Equal(4000u, st.SndWnd);                          // the handshake's ACK: 1000 << 2
        Assert.Equal(131072u, st.RcvWnd);                        // auto-tuning starts at 128 KiB; the shift is for the 4 MB maximum

        // Our window field is RCV.WND >> 7; the peer's window is SEG.WND << 2 and limits what we send.
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, PeerIss + 1, c.Iss + 1, window: 1000, data: "x"u8.ToArray());
        c.Connection.Tell(Write.Create(new byte[10_000]), c.App.Ref);
        var sent = s.Drain();
        Assert.All(sent, x => Assert.Equal((ushort)(131072 >> 7), x.Tcp.Window));
        // Two full segments (1,448 with timestamps) fit the 4,000-byte scaled window; a third would not, and the
        // 1,104-byte rest is a sliver that sender SWS avoidance holds (RFC 9293 3.8.6.2.1). 1000 unscaled would not even fit one.
        Assert.Equal(2 * 1448, sent.Sum(x => x.Payload.Length));
    }

    [Fact]
    public void Every_segment_carries_TSval_and_echoes_TS_Recent_and_an_ACK_gives_an_RTT_sample_from_TSecr_RFC7323_sections_3_2_and_4()
    {
        var s = new ProbeStack(this, Origin);
        var (c, synAck) = Passive(s, PeerOptions());
        uint tsAtZero = synAck.Tcp.Options.TsVal;                // the clock at 0 ms plus the connection's offset
        AdvanceTo(Ms(1000));
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        var data = s.Next();
        Assert.True(data.Tcp.Options.HasTimestamps);
        Assert.Equal(tsAtZero + 1000, data.Tcp.Options.TsVal);   // milliseconds
        Assert.Equal(101u, data.Tcp.Options.TsEcr);              // TS.Recent: the handshake ACK's TSval
        Assert.Equal(1448, 1460 - 12);                           // (SMSS less the 12 option bytes)

        // The handshake's ACK (at 0 ms) gave SRTT = 0. The ACK comes 70 ms later echoing the TSval: a sample of
        // 70 ms, SRTT = 7/8 * 0 + 1/8 * 70 (RFC 6298 2.3).
        Assert.Equal(TimeSpan.Zero, StatusOf(c.Connection).SmoothedRtt);
        AdvanceTo(Ms(1070));
        s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, c.Iss + 6, options: Ts(102, data.Tcp.Options.TsVal));
        Assert.Equal(Ms(70.0 / 8), StatusOf(c.Connection).SmoothedRtt);
    }

    [Fact]
    public void A_retransmitted_segment_gives_an_RTT_sample_from_TSecr_RFC7323_section4_and_Karn_does_not_apply()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s, PeerOptions());
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        var first = s.Next();
        var rto = StatusOf(c.Connection).Rto;                    // 1 s: no sample yet
        var again = ExpectSentAt(s, rto);
        Assert.Equal(first.Seq, again.Seq);
        Assert.Equal(first.Tcp.Options.TsVal + (uint)rto.TotalMilliseconds, again.Tcp.Options.TsVal);
        AdvanceTo(rto + Ms(30));
        s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, c.Iss + 6, options: Ts(200, again.Tcp.Options.TsVal));
        // A sample of 30 ms from the retransmission (SRTT was 0 from the handshake): 7/8 * 0 + 1/8 * 30.
        Assert.Equal(Ms(30.0 / 8), StatusOf(c.Connection).SmoothedRtt);
        Assert.Equal(0, StatusOf(c.Connection).Retransmits - 1);
    }

    [Fact]
    public void PAWS_drops_a_segment_with_an_old_TSval_and_sends_an_ACK_RFC7323_section5_3()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s, PeerOptions());
        s.Inject(40000, Port, TcpFlags.Ack | TcpFlags.Psh, PeerIss + 1, c.Iss + 1, data: "new"u8.ToArray(), options: Ts(500, 0));
        Assert.Equal("new"u8.ToArray(), c.App.ExpectMsg<Received>().Data.ToArray());
        s.Drain();
        // Sequence numbers in the window, but TSval 400 < TS.Recent 500: an old duplicate from a previous incarnation.
        s.Inject(40000, Port, TcpFlags.Ack | TcpFlags.Psh, PeerIss + 4, c.Iss + 1, data: "old"u8.ToArray(), options: Ts(400, 0));
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(PeerIss + 4, ack.Ack);                     // RCV.NXT unchanged
        Assert.Equal(500u, ack.Tcp.Options.TsEcr);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.PawsDrops]);
        // A RST is not subject to PAWS.
        Assert.Equal(TcpState.Established, StatusOf(c.Connection).State);
    }

    [Fact]
    public void ACKs_of_out_of_order_data_carry_SACK_blocks_most_recent_first_and_a_duplicate_is_reported_by_D_SACK_RFC2018_section4_RFC2883()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s, PeerOptions());
        uint rcvNxt = PeerIss + 1;
        var hundred = new byte[100];
        s.Inject(40000, Port, TcpFlags.Ack, rcvNxt + 100, c.Iss + 1, data: hundred, options: Ts(200, 0));
        var ack = s.Next();
        Assert.Equal(rcvNxt, ack.Ack);
        Assert.Equal([new SackBlock(rcvNxt + 100, rcvNxt + 200)], ack.Tcp.Options.SackBlocks.ToArray());
        s.Inject(40000, Port, TcpFlags.Ack, rcvNxt + 300, c.Iss + 1, data: hundred, options: Ts(201, 0));
        ack = s.Next();
        Assert.Equal([new SackBlock(rcvNxt + 300, rcvNxt + 400), new SackBlock(rcvNxt + 100, rcvNxt + 200)], ack.Tcp.Options.SackBlocks.ToArray());

        // The hole is filled: RCV.NXT jumps over the first block; the second remains.
        s.Inject(40000, Port, TcpFlags.Ack, rcvNxt, c.Iss + 1, data: hundred, options: Ts(202, 0));
        ack = s.Next();
        Assert.Equal(rcvNxt + 200, ack.Ack);
        Assert.Equal([new SackBlock(rcvNxt + 300, rcvNxt + 400)], ack.Tcp.Options.SackBlocks.ToArray());

        // Old data again: the ACK's first block is the duplicate (RFC 2883 section 4), then the held range.
        s.Inject(40000, Port, TcpFlags.Ack, rcvNxt, c.Iss + 1, data: hundred, options: Ts(203, 0));
        ack = s.Next();
        Assert.Equal(rcvNxt + 200, ack.Ack);
        Assert.Equal([new SackBlock(rcvNxt, rcvNxt + 100), new SackBlock(rcvNxt + 300, rcvNxt + 400)], ack.Tcp.Options.SackBlocks.ToArray());
        Assert.Equal(1, s.Stack.Counters[TcpCounter.DsacksSent]);
    }

    [Fact]
    public void A_hole_is_retransmitted_on_SACK_evidence_before_the_RTO_RFC6675_section5()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s, PeerOptions(wscale: 0));
        const int smss = 1448;                                   // 1460 less the timestamps
        c.Connection.Tell(Write.Create(new byte[100_000]), c.App.Ref);
        var flight = s.Drain();
        Assert.Equal(10, flight.Count);                          // IW 10 (RFC 6928)
        Assert.All(flight, x => Assert.Equal(smss, x.Payload.Length));
        uint una = c.Iss + 1;
        uint Seg(int i) => una + (uint)(i * smss);               // segment i, 0-based
        AdvanceTo(Ms(1));   // before the tail loss probe (2 * SRTT + 2 ms, SRTT 0 from the handshake): its SACKs come first
        // Segments 0 and 4 are lost: the ACK SACKs 1-3 and 5-9 (two blocks; 5 segments above segment 4).
        var o = Ts(300, flight[^1].Tcp.Options.TsVal);
        o.AddSack(new SackBlock(Seg(5), Seg(10)));
        o.AddSack(new SackBlock(Seg(1), Seg(4)));
        s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, una, options: o);
        var sent = s.Drain().Where(x => x.Payload.Length > 0).ToList();
        Assert.True(sent.Count >= 2, string.Join(", ", sent));
        Assert.Equal(Seg(0), sent[0].Seq);                       // NextSeg rule 1: the lost holes, lowest first
        Assert.Equal(Seg(4), sent[1].Seq);
        Assert.All(sent, x => Assert.Equal(Ms(1), x.At));        // at once, long before the RTO of 1 s
        Assert.All(sent.Skip(2), x => Assert.True(x.Seq >= Seg(10)));   // then new data (rule 2) as cwnd - pipe allows
        Assert.Equal(0, s.Stack.Counters[TcpCounter.Timeouts]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
        Assert.Equal(2, s.Stack.Counters[TcpCounter.SackRetransmits]);
        var st = StatusOf(c.Connection);
        Assert.Equal((int)(10 * smss * 0.7), st.Ssthresh);       // CUBIC: FlightSize * beta_cubic
        // pipe after the two retransmissions = 2 * smss, so new data fills cwnd - pipe.
        int newData = sent.Skip(2).Sum(x => x.Payload.Length);
        Assert.InRange(newData, st.Cwnd - 3 * smss, st.Cwnd - 2 * smss);
    }
}
