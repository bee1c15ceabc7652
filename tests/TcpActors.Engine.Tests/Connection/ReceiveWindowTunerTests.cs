using TcpActors.Engine.Connection;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>The arithmetic of receive-window auto-tuning (Linux tcp_rcv_space_adjust), with MSS 1460.</summary>
public class ReceiveWindowTunerTests
{
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(100);
    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void It_starts_at_the_initial_window_and_compares_the_first_round_trip_with_10_MSS()
    {
        var t = new ReceiveWindowTuner(131072, 4194304, 1460);
        Assert.Equal(131072, t.Window);
        Assert.Equal(14600, t.Space);
        Assert.Equal(1000, new ReceiveWindowTuner(1000, 4194304, 1460).Space);   // a window smaller than 10 MSS
        Assert.Equal(65535, new ReceiveWindowTuner(131072, 65535, 1460).Window);  // never above the maximum
    }

    [Fact]
    public void Nothing_is_measured_before_a_round_trip_has_passed_or_without_an_RTT()
    {
        var t = new ReceiveWindowTuner(131072, 4194304, 1460);
        Assert.False(t.OnCopied(1460, Ms(0), Rtt));          // starts the measure
        Assert.False(t.OnCopied(1_000_000, Ms(99), Rtt));    // 99 ms: not yet a round trip
        Assert.False(t.OnCopied(2_000_000, Ms(500), null));  // no RTT estimate: no measure (Linux: rcv_rtt_est 0)
        Assert.Equal(131072, t.Window);
        Assert.Equal(14600, t.Space);
    }

    [Fact]
    public void Reading_more_than_before_in_a_round_trip_grows_the_window_by_Linux_formula()
    {
        var t = new ReceiveWindowTuner(131072, 4194304, 1460);
        t.OnCopied(0, Ms(0), Rtt);
        // 20000 > 14600: rcvwin = 2*20000 + 16*1460 = 63360, + 2 * 63360 * 5400 / 14600 = 110228: below the window.
        Assert.False(t.OnCopied(20000, Ms(100), Rtt));
        Assert.Equal(131072, t.Window);
        Assert.Equal(20000, t.Space);
        // 40000 > 20000: rcvwin = 80000 + 23360 = 103360, + 2 * 103360 * 20000 / 20000 = 310080.
        Assert.True(t.OnCopied(60000, Ms(200), Rtt));
        Assert.Equal(310080, t.Window);
        Assert.Equal(40000, t.Space);
    }

    [Fact]
    public void Reading_less_than_before_never_shrinks_the_window_and_keeps_the_reference()
    {
        var t = new ReceiveWindowTuner(131072, 4194304, 1460);
        t.OnCopied(0, Ms(0), Rtt);
        t.OnCopied(20000, Ms(100), Rtt);
        t.OnCopied(60000, Ms(200), Rtt);
        Assert.False(t.OnCopied(61000, Ms(300), Rtt));
        Assert.Equal(310080, t.Window);
        Assert.Equal(40000, t.Space);
    }

    [Fact]
    public void The_window_stops_at_the_maximum()
    {
        var t = new ReceiveWindowTuner(131072, 4194304, 1460);
        t.OnCopied(0, Ms(0), Rtt);
        Assert.True(t.OnCopied(3_000_000, Ms(100), Rtt));
        Assert.Equal(4194304, t.Window);
        Assert.False(t.OnCopied(9_000_000, Ms(200), Rtt));
        Assert.Equal(4194304, t.Window);
    }
}
