using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>Keepalive (RFC 1122 4.2.3.6) with Linux's defaults: 2 h idle, a probe every 75 s, abort after 9.</summary>
public class KeepaliveTests : TimingTestKit
{
    private static readonly TimeSpan Idle = TimeSpan.FromHours(2);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(75);

    private static readonly ConnectionOptions On = new() { Keepalive = true };

    /// <summary>A keepalive probe: &lt;SEQ=SND.NXT-1&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;, no data.</summary>
    private static void AssertProbe(SentSegment probe, uint sndNxt, uint rcvNxt)
    {
        Assert.Equal(TcpFlags.Ack, probe.Flags);
        Assert.Equal(sndNxt - 1, probe.Seq);
        Assert.Equal(rcvNxt, probe.Ack);
        Assert.Empty(probe.Payload);
    }

    /// <summary>Expects probes at start, start + interval, ... (n of them), then the abort at start + n * interval.</summary>
    private void ExpectProbesThenAbort(ScriptedConnection c, TimeSpan start, TimeSpan interval, int n, string because = "keepalive")
    {
        var s = c.Stack;
        var watcher = Watcher(c.Connection);
        long probesBefore = s.Stack.Counters[TcpCounter.KeepaliveProbes];
        for (int i = 0; i < n; i++)
            AssertProbe(ExpectSentAt(s, start + i * interval), c.Iss + 1, c.PeerIss + 1);
        var abortAt = start + n * interval;
        ExpectNothingUntil(s, abortAt - OneMs);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        AdvanceTo(abortAt);
        var rst = s.Next();
        Assert.Equal(abortAt, rst.At);
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(c.Iss + 1, rst.Seq);
        var error = c.App.ExpectMsg<ErrorClosed>();
        Assert.Contains(because, error.Cause);
        Assert.Contains($"{n} probes", error.Cause);
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();
        Assert.Equal(probesBefore + n, s.Stack.Counters[TcpCounter.KeepaliveProbes]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.KeepaliveTimeouts]);
    }

    [Fact]
    public void Keepalive_on_Connect_probes_at_2_h_idle_then_every_75_s_and_aborts_after_9_unanswered_probes_RFC_1122_4_2_3_6()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, On);
        ExpectProbesThenAbort(c, Idle, Interval, 9);
        Assert.Equal(Idle + 9 * Interval, TimeSpan.FromSeconds(7875));   // 2 h 11 min 15 s
    }

    [Fact]
    public void Keepalive_on_Bind_applies_to_accepted_connections_RFC_1122_4_2_3_6()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s, options: On, ackAfter: Ms(500));
        ExpectProbesThenAbort(c, Ms(500) + Idle, Interval, 9);
    }

    [Fact]
    public void An_answered_probe_restarts_the_idle_time_and_the_probe_count_RFC_1122_4_2_3_6()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, On);
        AssertProbe(ExpectSentAt(s, Idle), c.Iss + 1, c.PeerIss + 1);
        AssertProbe(ExpectSentAt(s, Idle + Interval), c.Iss + 1, c.PeerIss + 1);
        // The peer answers the second probe 1 s later: <SEQ=RCV.NXT><ACK=SND.NXT><CTL=ACK>.
        ExpectNothingUntil(s, Idle + Interval + S(1));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1);
        s.ExpectNothing();
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        // Idle again from the answer: 9 fresh probes, abort after them.
        ExpectProbesThenAbort(c, Idle + Interval + S(1) + Idle, Interval, 9);
    }

    [Fact]
    public void Any_segment_from_the_peer_restarts_the_idle_time_RFC_1122_4_2_3_6()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, On);
        AdvanceTo(TimeSpan.FromHours(1));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, c.PeerIss + 1, c.Iss + 1, data: "ping"u8.ToArray());
        c.App.ExpectMsg<Received>();
        var ack = s.Next();   // quick-ACK: the connection's first data is acknowledged at once
        Assert.Equal(TimeSpan.FromHours(1), ack.At);
        Assert.Equal(c.PeerIss + 5, ack.Ack);
        var probe = ExpectSentAt(s, TimeSpan.FromHours(3));
        AssertProbe(probe, c.Iss + 1, c.PeerIss + 5);
    }

    [Fact]
    public void Without_keepalive_an_idle_connection_sends_nothing_for_days()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        var watcher = Watcher(c.Connection);
        ExpectNothingUntil(s, TimeSpan.FromDays(3));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Equal(TcpState.Established, StatusOf(c.Connection).State);
    }

    [Fact]
    public void Keepalive_idle_interval_and_probes_are_taken_from_the_connection_options()
    {
        var s = new ProbeStack(this, Origin);
        var options = new ConnectionOptions
        {
            Keepalive = true,
            KeepaliveIdle = TimeSpan.FromMinutes(5),
            KeepaliveInterval = S(10),
            KeepaliveProbes = 3,
        };
        var c = ActiveOpen(s, options);
        ExpectProbesThenAbort(c, TimeSpan.FromMinutes(5), S(10), 3);
    }

    [Fact]
    public void Keepalive_false_on_Connect_overrides_keepalive_enabled_in_the_configuration()
    {
        var s = new ProbeStack(this, Origin, Settings with { KeepaliveEnabled = true });
        var c = ActiveOpen(s, new ConnectionOptions { Keepalive = false });
        ExpectNothingUntil(s, TimeSpan.FromHours(5));
        Assert.Equal(TcpState.Established, StatusOf(c.Connection).State);
    }
}

/// <summary>Keepalive switched on, and tuned, in the tcp-actors configuration.</summary>
public class KeepaliveConfiguredTests() : TimingTestKit("""
    tcp-actors.keepalive {
      enabled = on
      idle = 10m
      interval = 20s
      probes = 4
    }
    """)
{
    [Fact]
    public void With_keepalive_enabled_idle_10m_interval_20s_probes_4_configured_probes_come_at_10_min_plus_k_times_20_s_and_the_abort_at_11_min_20_s()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        var watcher = Watcher(c.Connection);
        for (int k = 0; k < 4; k++)
        {
            var probe = ExpectSentAt(s, TimeSpan.FromMinutes(10) + k * S(20));
            Assert.Equal(TcpFlags.Ack, probe.Flags);
            Assert.Equal(c.Iss, probe.Seq);
            Assert.Empty(probe.Payload);
        }
        ExpectNothingUntil(s, TimeSpan.FromMinutes(11) + S(20) - OneMs);
        AdvanceTo(TimeSpan.FromMinutes(11) + S(20));
        Assert.Equal(TcpFlags.Rst, s.Next().Flags);
        Assert.Contains("keepalive", c.App.ExpectMsg<ErrorClosed>().Cause);
        watcher.ExpectTerminated(c.Connection);
    }
}
