using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>The retransmission timer for data (RFC 6298) and the retries2 limit (Linux tcp_retries2).</summary>
public class RetransmissionTests : TimingTestKit
{
    private static readonly byte[] Hello = "hello"u8.ToArray();

    /// <summary>
    /// Active open whose SYN is retransmitted at 1 s and answered at 1.5 s: no RTT sample, RTO 3 s (RFC 6298 5.7).
    /// </summary>
    private ScriptedConnection OpenWithoutSample(ProbeStack s)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), app.Ref);
        var syn = s.Next();
        ExpectSentAt(s, S(1));
        ExpectNothingUntil(s, Ms(1500));
        s.Inject(80, syn.Tcp.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq + 1, mss: 1460);
        Assert.Equal(TcpFlags.Ack, s.Next().Flags);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        var status = StatusOf(conn);
        Assert.Null(status.SmoothedRtt);
        Assert.Equal(S(3), status.Rto);
        return new ScriptedConnection(s, conn, app, 80, syn.Tcp.SourcePort, syn.Seq, 5000);
    }

    [Fact]
    public void A_handshake_RTT_of_100_ms_gives_RTO_300_ms_and_a_lost_segment_is_retransmitted_exactly_300_ms_after_it_was_sent_RFC_6298_2_2()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, synAckAfter: Ms(100));
        var status = StatusOf(c.Connection);
        Assert.Equal(Ms(100), status.SmoothedRtt);
        Assert.Equal(Ms(300), status.Rto);   // 100 + 4 * 50 = 300 > min-rto 200

        AdvanceTo(Ms(500));
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        Assert.Equal(Ms(500), data.At);
        var again = ExpectSentAt(s, Ms(800));
        Assert.Equal(data.Seq, again.Seq);
        Assert.Equal(Hello, again.Payload);
    }

    [Fact]
    public void The_first_RTT_sample_of_100_ms_from_data_sets_SRTT_100_ms_and_RTO_300_ms_RFC_6298_2_2()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenWithoutSample(s);
        AdvanceTo(S(2));
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        Assert.Equal(S(2), data.At);
        ExpectNothingUntil(s, Ms(2100));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, data.Seq + 5);
        var status = StatusOf(c.Connection);
        Assert.Equal(Ms(100), status.SmoothedRtt);
        Assert.Equal(Ms(300), status.Rto);

        AdvanceTo(S(3));
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var lost = s.Next();
        Assert.Equal(data.Seq + 5, lost.Seq);
        var again = ExpectSentAt(s, Ms(3300));
        Assert.Equal(lost.Seq, again.Seq);
    }

    [Fact]
    public void The_RTO_doubles_from_the_current_RTO_and_after_retries2_retransmissions_the_connection_is_aborted_with_ErrorClosed_RFC_6298_5_5_Linux_tcp_retries2()
    {
        var s = new ProbeStack(this, Origin, Settings with { Retries2 = 3 });
        var c = ActiveOpen(s, synAckAfter: Ms(100));   // RTO 300 ms
        var watcher = Watcher(c.Connection);
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        Assert.Equal(Ms(100), data.At);

        // 100 + 300 = 400, + 600 = 1000, + 1200 = 2200 ms; the fourth expiry at 2200 + 2400 = 4600 ms aborts.
        foreach (var t in new[] { 400, 1000, 2200 })
        {
            var again = ExpectSentAt(s, Ms(t));
            Assert.Equal(data.Seq, again.Seq);
            Assert.Equal(Hello, again.Payload);
        }
        ExpectNothingUntil(s, Ms(4600) - OneMs);
        var status = StatusOf(c.Connection);
        Assert.Equal(3, status.Retransmits);
        Assert.Equal(Ms(2400), status.Rto);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        AdvanceTo(Ms(4600));
        var error = c.App.ExpectMsg<ErrorClosed>();
        Assert.Contains("retransmission timeout", error.Cause);
        Assert.Contains("3 retransmissions", error.Cause);
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();   // like Linux: no RST when the peer is unreachable
        Assert.Equal(3, s.Stack.Counters[TcpCounter.RetransSegs]);
        AdvanceTo(S(600));
        s.ExpectNothing();
    }

    [Fact]
    public void With_the_default_retries2_15_the_backoff_is_capped_at_max_rto_120_s_and_the_abort_comes_at_the_16th_expiry_RFC_6298_2_5()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, synAckAfter: Ms(100));   // RTO 300 ms
        var watcher = Watcher(c.Connection);
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        var at = data.At;
        var rto = Ms(300);
        for (int k = 1; k <= 15; k++)
        {
            at += rto;
            var again = ExpectSentAt(s, at);
            Assert.Equal(data.Seq, again.Seq);
            rto = rto * 2 > S(120) ? S(120) : rto * 2;
        }
        Assert.Equal(S(120), rto);
        at += rto;
        ExpectNothingUntil(s, at - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        AdvanceTo(at);
        Assert.Contains("15 retransmissions", c.App.ExpectMsg<ErrorClosed>().Cause);
        watcher.ExpectTerminated(c.Connection);
        // 0.1 + 0.3 * (2^9 - 1) + 7 * 120 = 993.4 s after the data was sent at 0.1 s.
        Assert.Equal(Ms(100) + Ms(300 * 511) + S(7 * 120), at);
    }

    [Fact]
    public void An_ACK_of_a_retransmitted_segment_gives_no_RTT_sample_and_the_backed_off_RTO_stays_until_a_valid_sample_RFC_6298_Karn()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenWithoutSample(s);   // SRTT none, RTO 3 s
        AdvanceTo(S(2));
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        ExpectSentAt(s, S(5));
        ExpectNothingUntil(s, Ms(5100));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, data.Seq + 5);   // ambiguous: the first copy or the second?
        var status = StatusOf(c.Connection);
        Assert.Null(status.SmoothedRtt);
        Assert.Equal(S(6), status.Rto);

        // New data, never retransmitted, acknowledged 100 ms later: a valid sample collapses the RTO.
        AdvanceTo(S(6));
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var fresh = s.Next();
        ExpectNothingUntil(s, Ms(6100));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, fresh.Seq + 5);
        status = StatusOf(c.Connection);
        Assert.Equal(Ms(100), status.SmoothedRtt);
        Assert.Equal(Ms(300), status.Rto);
    }

    [Fact]
    public void With_an_RTT_estimate_an_ACK_of_a_retransmitted_segment_leaves_SRTT_unchanged_RFC_6298_Karn()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, synAckAfter: Ms(100));   // SRTT 100 ms, RTO 300 ms
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var data = s.Next();
        ExpectSentAt(s, Ms(400));
        ExpectNothingUntil(s, Ms(450));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, data.Seq + 5);
        var status = StatusOf(c.Connection);
        Assert.Equal(Ms(100), status.SmoothedRtt);   // not 350 ms, not 50 ms
        Assert.Equal(Ms(600), status.Rto);
        Assert.Equal(1, status.Retransmits);
        ExpectNothingUntil(s, S(30));
    }

    [Fact]
    public void A_partial_ACK_restarts_the_timer_with_the_current_RTO_RFC_6298_5_3()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, synAckAfter: Ms(100));   // RTO 300 ms, peer MSS 1460
        var two = new byte[2000];
        c.Connection.Tell(Write.Create(two), c.App.Ref);
        var first = s.Next();
        var second = s.Next();
        Assert.Equal(1460, first.Payload.Length);
        Assert.Equal(540, second.Payload.Length);
        Assert.Equal(Ms(100), second.At);
        // The first segment is acknowledged at 250 ms (a sample of 150 ms): the timer restarts with the new RTO.
        ExpectNothingUntil(s, Ms(250));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, first.Seq + 1460);
        var status = StatusOf(c.Connection);
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 150| = 50; SRTT = 7/8 * 100 + 1/8 * 150 = 106.25; RTO = 306.25 ms.
        Assert.Equal(Ms(106.25), status.SmoothedRtt);
        Assert.Equal(Ms(306.25), status.Rto);
        var again = ExpectSentAt(s, Ms(250) + Ms(306.25));
        Assert.Equal(second.Seq, again.Seq);
        Assert.Equal(540, again.Payload.Length);
    }
}
