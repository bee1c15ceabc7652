using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>The persist timer: probing a zero window (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17).</summary>
public class ZeroWindowTests : TimingTestKit
{
    private static readonly byte[] Hello = "hello"u8.ToArray();

    /// <summary>
    /// Active open whose SYN-ACK (at 100 ms: RTO 300 ms) offers window 0; the application writes "hello" at
    /// 100 ms: nothing may be sent. Probes follow at 400 ms and then back off.
    /// </summary>
    private ScriptedConnection OpenAgainstZeroWindow(ProbeStack s)
    {
        var c = ActiveOpen(s, synAckAfter: Ms(100), window: 0);
        Assert.Equal(Ms(300), StatusOf(c.Connection).Rto);
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        return c;
    }

    private static void AssertProbe(SentSegment probe, ScriptedConnection c)
    {
        Assert.Equal(TcpFlags.Ack, probe.Flags);
        Assert.Equal(c.Iss + 1, probe.Seq);
        Assert.Equal(c.PeerIss + 1, probe.Ack);
        Assert.Equal("h"u8.ToArray(), probe.Payload);
    }

    [Fact]
    public void A_zero_window_is_probed_with_one_octet_after_the_RTO_then_at_doubling_intervals_RFC_1122_4_2_2_17()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenAgainstZeroWindow(s);
        // 100 + 300 = 400, + 600 = 1000, + 1200 = 2200, + 2400 = 4600 ms
        foreach (var t in new[] { 400, 1000, 2200, 4600 })
        {
            var probe = ExpectSentAt(s, Ms(t));
            AssertProbe(probe, c);
            // The receiver keeps its window closed and acknowledges the probe without taking the octet.
            c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 0);
            s.ExpectNothing();
        }
        Assert.Equal(4, s.Stack.Counters[TcpCounter.ZeroWindowProbes]);
        var status = StatusOf(c.Connection);
        Assert.Equal(TcpState.Established, status.State);
        Assert.Equal(5, status.SendQueue);
        Assert.Equal(c.Iss + 1, status.SndNxt);
    }

    [Fact]
    public void When_the_window_reopens_the_data_flows_at_once_and_the_probing_stops()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenAgainstZeroWindow(s);
        AssertProbe(ExpectSentAt(s, Ms(400)), c);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 0);
        ExpectNothingUntil(s, Ms(700));

        // The window update.
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 65535);
        var data = s.Next();
        Assert.Equal(Ms(700), data.At);
        Assert.Equal(c.Iss + 1, data.Seq);
        Assert.Equal(Hello, data.Payload);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 6, window: 65535);
        ExpectNothingUntil(s, S(30));
        Assert.Equal(0, StatusOf(c.Connection).SendQueue);
    }

    [Fact]
    public void A_probe_octet_the_receiver_accepts_after_a_lost_window_update_is_acknowledged_and_the_rest_flows_RFC_9293_3_8_6_1()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenAgainstZeroWindow(s);
        AssertProbe(ExpectSentAt(s, Ms(400)), c);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 0);
        // The receiver opens its window; its window update is lost. The next probe's octet is taken.
        AssertProbe(ExpectSentAt(s, Ms(1000)), c);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 2, window: 65535);
        var rest = s.Next();
        Assert.Equal(Ms(1000), rest.At);
        Assert.Equal(c.Iss + 2, rest.Seq);
        Assert.Equal("ello"u8.ToArray(), rest.Payload);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 6, window: 65535);
        ExpectNothingUntil(s, S(30));
        var status = StatusOf(c.Connection);
        Assert.Equal(0, status.SendQueue);
        Assert.Equal(c.Iss + 6, status.SndUna);
        Assert.Equal(5, status.BytesSent);
    }

    [Fact]
    public void The_probe_backoff_is_cleared_when_the_window_opens_so_a_lost_segment_is_retransmitted_after_the_plain_RTO_Linux_tcp_ack_probe()
    {
        var s = new ProbeStack(this, Origin);
        var c = OpenAgainstZeroWindow(s);
        foreach (var t in new[] { 400, 1000, 2200 })
        {
            AssertProbe(ExpectSentAt(s, Ms(t)), c);
            c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 0);
        }
        ExpectNothingUntil(s, S(3));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, window: 65535);
        var data = s.Next();
        Assert.Equal(S(3), data.At);
        Assert.Equal(Ms(300), StatusOf(c.Connection).Rto);
        // The data is lost: it is retransmitted after the RTO of 300 ms, not after a probe-inflated one.
        var again = ExpectSentAt(s, Ms(3300));
        Assert.Equal(data.Seq, again.Seq);
        Assert.Equal(Hello, again.Payload);
    }

    [Fact]
    public void A_window_that_closes_after_data_was_acknowledged_starts_the_probes_one_RTO_later()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, synAckAfter: Ms(100));   // RTO 300 ms
        c.Connection.Tell(Write.Create(Hello), c.App.Ref);
        var first = s.Next();
        // Acknowledged at once (a 0 ms sample: RTTVAR 3/4 * 50 + 1/4 * 100 = 62.5, SRTT 87.5, RTO 337.5 ms) with window 0.
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, first.Seq + 5, window: 0);
        var rto = StatusOf(c.Connection).Rto;
        Assert.Equal(Ms(337.5), rto);
        c.Connection.Tell(Write.Create("world"u8.ToArray()), c.App.Ref);
        var probe = ExpectSentAt(s, Ms(100) + rto);
        Assert.Equal(first.Seq + 5, probe.Seq);
        Assert.Equal("w"u8.ToArray(), probe.Payload);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, first.Seq + 5, window: 0);
        Assert.Equal("w"u8.ToArray(), ExpectSentAt(s, Ms(100) + 3 * rto).Payload);
    }
}
