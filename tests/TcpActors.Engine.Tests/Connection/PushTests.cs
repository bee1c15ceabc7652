using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Where PSH goes (RFC 9293 3.9.1: at least on the segment that empties the send buffer), and Linux's forced push:
/// with data queued behind, PSH at least once every half of the largest window the peer offered.
/// </summary>
public class PushTests : TimingTestKit
{
    private const int Full = 1460;

    private static bool Pushed(SentSegment s) => (s.Flags & TcpFlags.Psh) != 0;

    [Fact]
    public void With_more_queued_a_segment_gets_PSH_once_half_the_peers_largest_window_was_sent_since_the_last_PSH()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s, window: 8192);   // MAX.SND.WND 8,192: a forced push every 4,096 bytes
        c.Connection.Tell(Write.Create(new byte[20 * Full]), c.App.Ref);
        var flight = s.Drain();
        Assert.Equal(5, flight.Count);          // 5 full segments fit the window; the sliver waits (sender SWS avoidance)
        // Ends 1,460, 2,920, 4,380 (> 4,096 since the SYN: PSH), 5,840, 7,300 (2,920 since the PSH).
        Assert.Equal([false, false, true, false, false], flight.Select(Pushed));
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1 + (uint)(5 * Full), window: 8192);
        var next = s.Drain();
        // Ends 8,760 (4,380 since the PSH at 4,380: PSH), 10,220, 11,680, 13,140 (4,380: PSH), 14,600.
        Assert.Equal([true, false, false, true, false], next.Select(Pushed));
    }

    [Fact]
    public void The_segment_that_empties_the_send_buffer_gets_PSH_and_the_others_of_a_small_write_do_not_RFC9293_section3_9_1()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);                 // a 65,535-byte window: no forced push within 4 segments
        c.Connection.Tell(Write.Create(new byte[4 * Full]), c.App.Ref);
        Assert.Equal([false, false, false, true], s.Drain().Select(Pushed));
    }
}
