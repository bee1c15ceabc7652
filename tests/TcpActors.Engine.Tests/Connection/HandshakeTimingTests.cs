using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Loss during the three-way handshake (RFC 9293 3.5, RFC 6298 5.5-5.7, Linux tcp_syn_retries and
/// tcp_synack_retries), at exact virtual times.
/// </summary>
public class HandshakeTimingTests : TimingTestKit
{
    private static readonly double[] SynRetransmissions = [1, 3, 7, 15, 31, 63];

    [Fact]
    public void A_lost_SYN_is_retransmitted_at_1_3_7_15_31_63_s_and_the_open_fails_at_127_s_RFC_6298_5_5_and_Linux_syn_retries()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        var connect = new Connect(ProbeStack.PeerAddress, 80);
        s.Manager.Tell(connect, app.Ref);
        var syn = s.Next();
        Assert.Equal(TimeSpan.Zero, syn.At);
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        var conn = OnlyChild(s.Manager);
        var watcher = Watcher(conn);

        foreach (var t in SynRetransmissions)
        {
            var again = ExpectSentAt(s, S(t));
            Assert.Equal(TcpFlags.Syn, again.Flags);
            Assert.Equal(syn.Seq, again.Seq);
            Assert.Equal(syn.Tcp.SourcePort, again.Tcp.SourcePort);
            Assert.Equal(syn.Tcp.Options.Mss, again.Tcp.Options.Mss);
        }

        ExpectNothingUntil(s, S(127) - OneMs);
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        AdvanceTo(S(127));
        var failed = app.ExpectMsg<CommandFailed>();
        Assert.Same(connect, failed.Command);
        Assert.Contains("timed out", failed.Cause.Message);
        Assert.Contains("6 SYN retransmissions", failed.Cause.Message);
        watcher.ExpectTerminated(conn);
        Assert.Equal(0, Table(s).Connections);
        Assert.Equal(6, s.Stack.Counters[TcpCounter.RetransSegs]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.AttemptFails]);

        AdvanceTo(TimeSpan.FromMinutes(10));
        s.ExpectNothing();
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        // A SYN-ACK that comes too late finds no connection (CLOSED, RFC 9293 3.10.7.1): <SEQ=SEG.ACK><CTL=RST>.
        s.Inject(80, syn.Tcp.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq + 1);
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(syn.Seq + 1, rst.Seq);
    }

    [Fact]
    public void With_syn_retries_2_a_lost_SYN_is_retransmitted_at_1_and_3_s_and_the_open_fails_at_7_s()
    {
        var s = new ProbeStack(this, Origin, Settings with { SynRetries = 2 });
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        Assert.Equal(TimeSpan.Zero, s.Next().At);
        var conn = OnlyChild(s.Manager);
        var watcher = Watcher(conn);
        Assert.Equal(TcpFlags.Syn, ExpectSentAt(s, S(1)).Flags);
        Assert.Equal(TcpFlags.Syn, ExpectSentAt(s, S(3)).Flags);
        ExpectNothingUntil(s, S(7) - OneMs);
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        AdvanceTo(S(7));
        Assert.Contains("timed out", app.ExpectMsg<CommandFailed>().Cause.Message);
        watcher.ExpectTerminated(conn);
        AdvanceTo(S(60));
        s.ExpectNothing();
    }

    [Fact]
    public void A_SYN_ACK_to_a_retransmitted_SYN_gives_no_RTT_sample_so_data_starts_with_RTO_3_s_RFC_6298_Karn_and_5_7()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var syn = s.Next();
        ExpectSentAt(s, S(1));
        ushort port = syn.Tcp.SourcePort;

        // The SYN-ACK arrives at 1.5 s: it may answer either SYN, so it is no RTT sample (Karn).
        ExpectNothingUntil(s, Ms(1500));
        s.Inject(80, port, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq + 1, mss: 1460);
        Assert.Equal(TcpFlags.Ack, s.Next().Flags);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        var status = StatusOf(conn);
        Assert.Null(status.SmoothedRtt);
        Assert.Equal(S(3), status.Rto);

        conn.Tell(Write.Create("data"u8.ToArray()), app.Ref);
        var data = s.Next();
        Assert.Equal(Ms(1500), data.At);
        var again = ExpectSentAt(s, Ms(4500));
        Assert.Equal(data.Seq, again.Seq);
        Assert.Equal(data.Payload, again.Payload);
    }

    [Fact]
    public void A_lost_SYN_ACK_makes_both_sides_retransmit_at_1_s_the_server_answers_the_retransmitted_SYN_and_data_starts_with_RTO_3_s()
    {
        var client = new ProbeStack(this, Origin, wireName: "client-wire");
        var server = new ProbeStack(this, Origin, wireName: "server-wire");
        var serverApp = CreateTestProbe();
        server.Manager.Tell(new Bind(serverApp.Ref, 80), serverApp.Ref);
        serverApp.ExpectMsg<Bound>();
        var clientApp = CreateTestProbe();
        client.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), clientApp.Ref);

        var syn = client.Next();
        Assert.Equal(TimeSpan.Zero, syn.At);
        Wire(syn, server);
        var synAck = server.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(TimeSpan.Zero, synAck.At);
        // The SYN-ACK is lost.

        client.ExpectNothing();
        AdvanceTo(S(1) - OneMs);
        client.ExpectNothing();
        server.ExpectNothing();
        AdvanceTo(S(1));
        var syn2 = client.Next();
        Assert.Equal(S(1), syn2.At);
        Assert.Equal(TcpFlags.Syn, syn2.Flags);
        Assert.Equal(syn.Seq, syn2.Seq);
        var synAck2 = server.Next();
        Assert.Equal(S(1), synAck2.At);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck2.Flags);
        Assert.Equal(synAck.Seq, synAck2.Seq);
        Assert.Equal(synAck.Ack, synAck2.Ack);

        // The retransmitted SYN reaches the server in SYN-RECEIVED: answered with the SYN-ACK again (Linux).
        Wire(syn2, server);
        var synAck3 = server.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck3.Flags);
        Assert.Equal(synAck.Seq, synAck3.Seq);
        Assert.Equal(syn.Seq + 1, synAck3.Ack);
        server.ExpectNothing();

        // The server's retransmitted SYN-ACK completes the handshake.
        Wire(synAck2, client);
        var ack = client.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(synAck.Seq + 1, ack.Ack);
        clientApp.ExpectMsg<Connected>();
        var clientConn = clientApp.LastSender;
        clientConn.Tell(new Register(clientApp.Ref), clientApp.Ref);
        Wire(ack, server);
        serverApp.ExpectMsg<Connected>();
        var serverConn = serverApp.LastSender;
        serverConn.Tell(new Register(serverApp.Ref), serverApp.Ref);
        server.ExpectNothing();

        // The second SYN-ACK is an old duplicate in ESTABLISHED: not acceptable, answered with an ACK (RFC 9293 3.10.7.4 first).
        Wire(synAck3, client);
        var dupAck = client.Next();
        Assert.Equal(TcpFlags.Ack, dupAck.Flags);
        Assert.Equal(ack.Seq, dupAck.Seq);
        Assert.Equal(ack.Ack, dupAck.Ack);
        Wire(dupAck, server);
        server.ExpectNothing();

        // Both sides retransmitted their SYN: no RTT sample, so the RTO is 3 s (RFC 6298 5.7, Karn).
        foreach (var conn in new[] { clientConn, serverConn })
        {
            var status = StatusOf(conn);
            Assert.Equal(TcpState.Established, status.State);
            Assert.Null(status.SmoothedRtt);
            Assert.Equal(S(3), status.Rto);
        }

        // The first data segment is lost: it is retransmitted exactly 3 s after it was sent.
        AdvanceTo(S(2));
        clientConn.Tell(Write.Create("hello"u8.ToArray()), clientApp.Ref);
        var data = client.Next();
        Assert.Equal(S(2), data.At);
        var data2 = ExpectSentAt(client, S(5));
        Assert.Equal(data.Seq, data2.Seq);
        Assert.Equal("hello"u8.ToArray(), data2.Payload);
        Wire(data2, server);
        Assert.Equal("hello"u8.ToArray(), serverApp.ExpectMsg<Received>().Data.ToArray());
        var dataAck = server.Next();   // quick-ACK: the connection's first data is acknowledged at once
        Assert.Equal(S(5), dataAck.At);
        Assert.Equal(data.Seq + 5, dataAck.Ack);
        Wire(dataAck, client);
        AdvanceTo(S(60));
        client.ExpectNothing();
        server.ExpectNothing();
    }

    private static readonly double[] SynAckRetransmissions = [1, 3, 7, 15, 31];

    [Fact]
    public void A_lost_third_ACK_makes_the_server_retransmit_the_SYN_ACK_at_1_3_7_15_31_s_and_give_up_at_63_s_then_data_gets_a_RST_Linux_synack_retries()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        var listener = app.LastSender;

        s.Inject(40000, 7, TcpFlags.Syn, 1000, mss: 1460);
        var synAck = s.Next();
        Assert.Equal(TimeSpan.Zero, synAck.At);
        var conn = OnlyChild(listener);
        var watcher = Watcher(conn);
        foreach (var t in SynAckRetransmissions)
        {
            var again = ExpectSentAt(s, S(t));
            Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, again.Flags);
            Assert.Equal(synAck.Seq, again.Seq);
            Assert.Equal(1001u, again.Ack);
        }
        ExpectNothingUntil(s, S(63) - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        AdvanceTo(S(63));
        watcher.ExpectTerminated(conn);
        s.ExpectNothing();
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));   // the embryonic connection is dropped silently
        var table = Table(s);
        Assert.Equal(0, table.Connections);
        Assert.Equal(1, table.Listeners);
        Assert.Empty(Children(listener));

        // The client believes it is ESTABLISHED and sends data: the listener answers <SEQ=SEG.ACK><CTL=RST>.
        AdvanceTo(S(70));
        s.Inject(40000, 7, TcpFlags.Ack | TcpFlags.Psh, 1001, synAck.Seq + 1, data: "late"u8.ToArray());
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(synAck.Seq + 1, rst.Seq);
        Assert.Equal(S(70), rst.At);
        s.ExpectNothing();
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        // The listener still accepts new connections.
        s.Inject(40001, 7, TcpFlags.Syn, 9000, mss: 1460);
        var fresh = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, fresh.Flags);
        Assert.Equal(9001u, fresh.Ack);
    }

    [Fact]
    public void An_old_duplicate_SYN_at_a_listener_is_reset_back_to_LISTEN_and_the_new_SYN_is_accepted_RFC_9293_3_5_Figure_8()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        var listener = app.LastSender;

        // 3: the old duplicate <SEQ=90><CTL=SYN> arrives; 4: <SEQ=ISS><ACK=91><CTL=SYN,ACK>.
        s.Inject(40000, 7, TcpFlags.Syn, 90, mss: 1460);
        var synAck = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(91u, synAck.Ack);
        var embryo = OnlyChild(listener);
        var watcher = Watcher(embryo);

        // 5: the peer (in SYN-SENT, its SYN was 100) rejects it with <SEQ=91><CTL=RST>: back to LISTEN.
        s.Inject(40000, 7, TcpFlags.Rst, 91);
        watcher.ExpectTerminated(embryo);
        s.ExpectNothing();
        app.ExpectNoMsg(TimeSpan.FromMilliseconds(20));   // "the user need not be informed"
        Assert.Equal(0, Table(s).Connections);
        Assert.Empty(Children(listener));
        // No SYN-ACK retransmission follows.
        AdvanceTo(S(10));
        s.ExpectNothing();

        // 6: the real <SEQ=100><CTL=SYN> arrives; 7: <SEQ=ISS'><ACK=101><CTL=SYN,ACK>; 8: its ACK.
        s.Inject(40000, 7, TcpFlags.Syn, 100, mss: 1460);
        var synAck2 = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck2.Flags);
        Assert.Equal(101u, synAck2.Ack);
        s.Inject(40000, 7, TcpFlags.Ack, 101, synAck2.Seq + 1);
        var connected = app.ExpectMsg<Connected>();
        Assert.Equal(40000, connected.RemotePort);
        Assert.Equal(TcpState.Established, StatusOf(app.LastSender).State);
        s.ExpectNothing();
    }

    /// <summary>The wire between two ProbeStacks: a segment one sent arrives at the other (both see the other as 198.18.0.1).</summary>
    private static void Wire(SentSegment seg, ProbeStack to) =>
        to.Inject(seg.Tcp.SourcePort, seg.Tcp.DestinationPort, seg.Flags, seg.Seq, seg.Ack, seg.Tcp.Window,
            seg.Payload.Length > 0 ? seg.Payload : null, seg.Tcp.Options.Mss, seg.Tcp.UrgentPointer);
}
