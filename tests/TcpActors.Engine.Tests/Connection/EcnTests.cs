using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Explicit Congestion Notification (RFC 3168 section 6.1) against a scripted peer: the negotiation in the handshake
/// (tcp-actors.ecn like Linux tcp_ecn: passive by default), ECT(0) on new data only, the echo of CE marks with ECE
/// until CWR, and the sender's cwnd reduction on ECE, once per window, with CWR on the next new data.
/// </summary>
public class EcnTests : TimingTestKit
{
    private const TcpFlags SynEcnSetup = TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr;

    /// <summary>Passive open on port 7 whose SYN (from port 40000, ISS 1000, MSS 1460) carries <paramref name="synFlags"/>.</summary>
    private (ScriptedConnection C, SentSegment SynAck) Passive(ProbeStack s, TcpFlags synFlags = SynEcnSetup, byte synIpEcn = EcnCodepoint.NotEct,
        ConnectionOptions? options = null)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7, Options: options), app.Ref);
        app.ExpectMsg<Bound>();
        s.Inject(40000, 7, synFlags, 1000, mss: 1460, ecn: synIpEcn);
        var synAck = s.Next();
        s.Inject(40000, 7, TcpFlags.Ack, 1001, synAck.Seq + 1);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        return (new ScriptedConnection(s, conn, app, 40000, 7, synAck.Seq, 1000), synAck);
    }

    private static void FromPeer(ScriptedConnection c, TcpFlags flags, uint seq, uint ack, byte[]? data = null, byte ecn = EcnCodepoint.NotEct) =>
        c.Stack.Inject(c.PeerPort, c.StackPort, flags, seq, ack, data: data, ecn: ecn);

    [Fact]
    public void By_default_a_SYN_with_ECE_and_CWR_is_answered_with_ECE_on_the_SYN_ACK_like_Linux_tcp_ecn_2_RFC_3168_6_1_1()
    {
        Assert.Equal(EcnMode.Passive, Settings.Ecn);
        var s = new ProbeStack(this, Origin);
        var (_, synAck) = Passive(s);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, synAck.Flags);   // ECE, never CWR
        Assert.Equal(EcnCodepoint.NotEct, synAck.Ip.Ecn);                          // a SYN-ACK is not ECN-capable (6.1.1)
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnConnections]);
    }

    [Fact]
    public void By_default_our_SYN_does_not_ask_for_ECN_and_a_SYN_without_ECE_and_CWR_gets_a_plain_SYN_ACK()
    {
        var s = new ProbeStack(this, Origin);
        var (c, synAck) = Passive(s, TcpFlags.Syn);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        Assert.Equal(EcnCodepoint.NotEct, s.Next().Ip.Ecn);   // not an ECN connection: data is not ECT

        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        Assert.Equal(TcpFlags.Syn, s.Next().Flags);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.EcnConnections]);
    }

    [Fact]
    public void With_ecn_off_a_SYN_that_asks_for_ECN_gets_a_SYN_ACK_without_ECE_Linux_tcp_ecn_0()
    {
        var s = new ProbeStack(this, Origin, Settings with { Ecn = EcnMode.Off });
        var (c, synAck) = Passive(s);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        Assert.Equal(EcnCodepoint.NotEct, s.Next().Ip.Ecn);
    }

    [Fact]
    public void A_SYN_that_is_itself_ECT_marked_is_refused_ECN_like_Linux_RFC_3168_6_1_1()
    {
        var s = new ProbeStack(this, Origin);
        var (_, synAck) = Passive(s, SynEcnSetup, synIpEcn: EcnCodepoint.Ect0);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
    }

    [Fact]
    public void With_ecn_on_the_SYN_asks_with_ECE_and_CWR_and_a_SYN_ACK_with_ECE_makes_new_data_ECT_0_RFC_3168_6_1_1()
    {
        var s = new ProbeStack(this, Origin, Settings with { Ecn = EcnMode.On });
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var syn = s.Next();
        Assert.Equal(SynEcnSetup, syn.Flags);
        Assert.Equal(EcnCodepoint.NotEct, syn.Ip.Ecn);   // the SYN itself is not ECT (6.1.1)
        s.Inject(80, syn.Tcp.SourcePort, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, 5000, syn.Seq + 1, mss: 1460);
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(EcnCodepoint.NotEct, ack.Ip.Ecn);   // a pure ACK is not ECT (6.1.4)
        app.ExpectMsg<Connected>();
        app.LastSender.Tell(new Register(app.Ref), app.Ref);
        app.LastSender.Tell(Write.Create("hello"u8.ToArray()), app.Ref);
        var data = s.Next();
        Assert.Equal(5, data.Payload.Length);
        Assert.Equal(EcnCodepoint.Ect0, data.Ip.Ecn);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, data.Flags);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnConnections]);
    }

    [Theory]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack)]                               // the peer does not do ECN
    [InlineData(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Cwr)] // a reflected SYN, not an ECN-setup SYN-ACK
    public void With_ecn_on_a_SYN_ACK_that_is_not_an_ECN_setup_SYN_ACK_leaves_the_connection_without_ECN_RFC_3168_6_1_1(TcpFlags synAckFlags)
    {
        var s = new ProbeStack(this, Origin, Settings with { Ecn = EcnMode.On });
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var syn = s.Next();
        s.Inject(80, syn.Tcp.SourcePort, synAckFlags, 5000, syn.Seq + 1, mss: 1460);
        s.Next();
        app.ExpectMsg<Connected>();
        app.LastSender.Tell(new Register(app.Ref), app.Ref);
        app.LastSender.Tell(Write.Create("hello"u8.ToArray()), app.Ref);
        Assert.Equal(EcnCodepoint.NotEct, s.Next().Ip.Ecn);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.EcnConnections]);
    }

    [Fact]
    public void A_retransmitted_SYN_no_longer_asks_for_ECN_like_Linux_tcp_ecn_fallback_RFC_3168_6_1_1_1()
    {
        var s = new ProbeStack(this, Origin, Settings with { Ecn = EcnMode.On });
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        Assert.Equal(SynEcnSetup, s.Next().Flags);
        Assert.Equal(TcpFlags.Syn, ExpectSentAt(s, S(1)).Flags);
    }

    [Fact]
    public void ConnectionOptions_Ecn_overrides_the_setting_for_one_connection()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80, Options: new ConnectionOptions { Ecn = EcnMode.On }), app.Ref);
        Assert.Equal(SynEcnSetup, s.Next().Flags);

        var off = new ProbeStack(this, Origin, wireName: "wire2");
        var app2 = CreateTestProbe();
        off.Manager.Tell(new Bind(app2.Ref, 7, Options: new ConnectionOptions { Ecn = EcnMode.Off }), app2.Ref);
        app2.ExpectMsg<Bound>();
        off.Inject(40000, 7, SynEcnSetup, 1000, mss: 1460);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, off.Next().Flags);
    }

    [Fact]
    public void Only_new_data_is_ECT_a_retransmission_is_not_RFC_3168_6_1_5()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s);
        AdvanceTo(S(1));
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        var first = s.Next();
        Assert.Equal(EcnCodepoint.Ect0, first.Ip.Ecn);
        // The handshake's RTT was 0: RTO = 200 ms (min-rto).
        var again = ExpectSentAt(s, S(1) + Ms(200));
        Assert.Equal(first.Seq, again.Seq);
        Assert.Equal(5, again.Payload.Length);
        Assert.Equal(EcnCodepoint.NotEct, again.Ip.Ecn);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, again.Flags);
    }

    [Fact]
    public void A_CE_marked_data_segment_makes_every_segment_we_send_carry_ECE_until_a_CWR_arrives_RFC_3168_6_1_3()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s);
        uint peer = 1001, our = c.Iss + 1;
        AdvanceTo(S(1));
        FromPeer(c, TcpFlags.Ack, peer, our, new byte[100]);
        var plain = s.Next();
        Assert.Equal(TcpFlags.Ack, plain.Flags);
        Assert.Equal(EcnCodepoint.NotEct, plain.Ip.Ecn);

        FromPeer(c, TcpFlags.Ack, peer += 100, our, new byte[100], EcnCodepoint.Ce);
        var echo = s.Next();
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, echo.Flags);
        Assert.Equal(peer + 100, echo.Ack);
        Assert.Equal(EcnCodepoint.NotEct, echo.Ip.Ecn);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnCeReceived]);

        // Without a CE mark the echo goes on, on ACKs and on our data.
        FromPeer(c, TcpFlags.Ack, peer += 100, our, new byte[100], EcnCodepoint.Ect0);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, s.Next().Flags);
        c.Connection.Tell(Write.Create("hello"u8.ToArray()), c.App.Ref);
        var data = s.Next();
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Ece, data.Flags);
        Assert.Equal(EcnCodepoint.Ect0, data.Ip.Ecn);

        // The sender reduced its window and says so with CWR: the echo stops.
        FromPeer(c, TcpFlags.Ack | TcpFlags.Cwr, peer += 100, our + 5, new byte[100], EcnCodepoint.Ect0);
        var after = s.Next();
        Assert.Equal(TcpFlags.Ack, after.Flags);
        Assert.Equal(peer + 100, after.Ack);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnCeReceived]);
    }

    [Fact]
    public void The_ACK_of_a_CE_mark_goes_at_once_instead_of_delayed_and_so_does_the_next_like_Linux_quick_ack_mode_2()
    {
        var s = new ProbeStack(this, Origin, Settings with { QuickAcks = 0 });
        var (c, _) = Passive(s);
        uint peer = 1001, our = c.Iss + 1;
        AdvanceTo(S(1));
        FromPeer(c, TcpFlags.Ack, peer, our, new byte[100]);
        Assert.Equal(TcpFlags.Ack, ExpectSentAt(s, S(1) + Ms(40)).Flags);   // delayed ACK
        AdvanceTo(S(2));
        FromPeer(c, TcpFlags.Ack, peer += 100, our, new byte[100], EcnCodepoint.Ce);
        var echo = s.Next();
        Assert.Equal(S(2), echo.At);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, echo.Flags);
        AdvanceTo(S(3));
        FromPeer(c, TcpFlags.Ack, peer += 100, our, new byte[100]);
        Assert.Equal(S(3), s.Next().At);                                     // the second quick ACK
        AdvanceTo(S(4));
        FromPeer(c, TcpFlags.Ack, peer += 100, our, new byte[100]);
        var delayed = ExpectSentAt(s, S(4) + Ms(40));                         // delayed again
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, delayed.Flags);            // still echoing: no CWR yet
    }

    /// <summary>
    /// Ten segments (IW, 14600 bytes) are out at 1 s; the application has 20 segments queued. The peer's ACK of
    /// two segments carries ECE: cwnd becomes ssthresh for the 11680 bytes still in flight, nothing is retransmitted.
    /// </summary>
    [Theory]
    [InlineData(CongestionAlgorithm.Cubic, 8175)]     // (int)(11680 * 0.7), RFC 9438 4.6
    [InlineData(CongestionAlgorithm.NewReno, 5840)]   // 11680 / 2 (RFC 5681 equation 4)
    public void An_ECE_reduces_cwnd_as_a_loss_would_without_retransmitting_RFC_3168_6_1_2(CongestionAlgorithm algorithm, int expected)
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s, options: new ConnectionOptions { CongestionControl = algorithm });
        var conn = c.Connection;
        var app = c.App;
        var s2 = s;
        uint iss = c.Iss;

        AdvanceTo(S(1));
        conn.Tell(Write.Create(new byte[20 * 1460]), app.Ref);
        var flight = s2.Drain();
        Assert.Equal(10, flight.Count);
        Assert.All(flight, x => Assert.Equal(EcnCodepoint.Ect0, x.Ip.Ecn));
        Assert.All(flight, x => Assert.False(x.Flags.HasFlag(TcpFlags.Cwr)));

        AdvanceTo(S(1) + Ms(100));
        s2.Inject(40000, 7, TcpFlags.Ack | TcpFlags.Ece, 1001, iss + 1 + 2 * 1460);
        s2.ExpectNothing();   // 11680 in flight is above the reduced cwnd: nothing new, nothing retransmitted
        var st = StatusOf(conn);
        Assert.Equal(expected, st.Cwnd);
        Assert.Equal(expected, st.Ssthresh);
        Assert.Equal(0, st.Retransmits);
        Assert.Equal(1, s2.Stack.Counters[TcpCounter.EcnCwndReductions]);
        Assert.Equal(0, s2.Stack.Counters[TcpCounter.FastRetransmits]);
    }

    [Fact]
    public void Further_ECEs_in_the_same_window_change_nothing_the_next_new_data_carries_CWR_and_an_ECE_after_the_window_reduces_again_RFC_3168_6_1_2()
    {
        var s = new ProbeStack(this, Origin);
        var (c, _) = Passive(s);
        uint a = c.Iss + 1;   // our first data octet
        AdvanceTo(S(1));
        c.Connection.Tell(Write.Create(new byte[30 * 1460]), c.App.Ref);
        Assert.Equal(10, s.Drain().Count);   // IW: a .. a+14600

        AdvanceTo(S(1) + Ms(100));
        FromPeer(c, TcpFlags.Ack | TcpFlags.Ece, 1001, a + 2 * 1460);
        s.ExpectNothing();
        Assert.Equal(8175, StatusOf(c.Connection).Cwnd);   // cubic: 11680 * 0.7

        // Four more segments acknowledged, still with ECE: the same congestion, cwnd neither shrinks nor grows.
        FromPeer(c, TcpFlags.Ack | TcpFlags.Ece, 1001, a + 6 * 1460);
        Assert.Equal(8175, StatusOf(c.Connection).Cwnd);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnCwndReductions]);
        // 5840 in flight, 2335 of room: one new segment, with CWR, ECT(0).
        var cwr = s.Next();
        Assert.Equal(a + 10 * 1460, cwr.Seq);
        Assert.Equal(1460, cwr.Payload.Length);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Cwr, cwr.Flags);
        Assert.Equal(EcnCodepoint.Ect0, cwr.Ip.Ecn);
        s.ExpectNothing();

        // Everything up to the CWR segment is acknowledged: until the CWR segment itself is (Linux: SND.UNA above
        // high_seq), cwnd still holds; the segments the room lets out carry no CWR.
        AdvanceTo(S(1) + Ms(200));
        FromPeer(c, TcpFlags.Ack | TcpFlags.Ece, 1001, a + 10 * 1460);
        Assert.Equal(8175, StatusOf(c.Connection).Cwnd);
        var next = s.Drain();
        Assert.Equal(4, next.Count);   // 8175 - 1460 in flight: four more segments
        Assert.All(next, x => Assert.Equal(TcpFlags.Ack, x.Flags));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.EcnCwndReductions]);
        // The CWR segment is acknowledged, without ECE: cwnd grows again.
        FromPeer(c, TcpFlags.Ack, 1001, a + 11 * 1460);
        Assert.True(StatusOf(c.Connection).Cwnd > 8175);
        s.Drain();

        // An ECE now is new congestion: a second reduction, and CWR again on the next new data.
        AdvanceTo(S(1) + Ms(300));
        FromPeer(c, TcpFlags.Ack | TcpFlags.Ece, 1001, a + 12 * 1460);
        Assert.Equal(2, s.Stack.Counters[TcpCounter.EcnCwndReductions]);
    }
}
