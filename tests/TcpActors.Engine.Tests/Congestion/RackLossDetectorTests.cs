using TcpActors.Engine.Congestion;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>RACK's time-based loss rule for data sent once (RFC 8985 section 6.2), without a connection.</summary>
public class RackLossDetectorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private static SeqNum Seq(uint v) => new(v);

    [Fact]
    public void Holes_below_a_SACK_are_lost_once_the_SACK_is_reo_wnd_old_RFC8985_section6_2()
    {
        var r = new RackLossDetector();
        r.OnSacked(Seq(3000), Ms(10));
        Assert.Null(r.LostBelow(Ms(14.9), reoWnd: Ms(5)));       // may still be reordering
        Assert.Equal(Ms(15), r.NextDeadline(Ms(5)));
        Assert.Equal(Seq(3000), r.LostBelow(Ms(15), reoWnd: Ms(5)));
        Assert.Null(r.NextDeadline(Ms(5)));
    }

    [Fact]
    public void The_boundary_is_the_highest_SACK_old_enough_and_only_rises()
    {
        var r = new RackLossDetector();
        r.OnSacked(Seq(3000), Ms(10));
        r.OnSacked(Seq(2000), Ms(11));                           // not higher: nothing new
        r.OnSacked(Seq(5000), Ms(12));
        Assert.Equal(Seq(3000), r.LostBelow(Ms(15), Ms(5)));
        Assert.Equal(Ms(17), r.NextDeadline(Ms(5)));
        Assert.Equal(Seq(5000), r.LostBelow(Ms(20), Ms(5)));
    }

    [Fact]
    public void What_SND_UNA_passes_is_forgotten_and_a_timeout_clears_everything()
    {
        var r = new RackLossDetector();
        r.OnSacked(Seq(3000), Ms(10));
        Assert.Equal(Seq(3000), r.LostBelow(Ms(20), Ms(5)));
        r.Acknowledge(Seq(3000));
        Assert.Null(r.LostBelow(Ms(20), Ms(5)));
        Assert.True(r.IsEmpty);
        r.OnSacked(Seq(4000), Ms(21));
        Assert.False(r.IsEmpty);
        r.Clear();
        Assert.True(r.IsEmpty);
        Assert.Null(r.LostBelow(Ms(100), Ms(5)));
    }

    [Fact]
    public void The_reordering_window_is_a_quarter_of_SRTT_RFC8985_section6_2_step4()
    {
        Assert.Equal(Ms(5), RackLossDetector.ReorderingWindow(Ms(20), fallback: Ms(50)));
        Assert.Equal(Ms(50), RackLossDetector.ReorderingWindow(null, fallback: Ms(50)));
    }

    [Fact]
    public void In_recovery_without_reordering_seen_the_reordering_window_is_0_RFC8985_section6_2_step4()
    {
        Assert.Equal(TimeSpan.Zero, RackLossDetector.ReorderingWindow(Ms(20), Ms(50), reorderingSeen: false, inRecovery: true));
        Assert.Equal(Ms(5), RackLossDetector.ReorderingWindow(Ms(20), Ms(50), reorderingSeen: true, inRecovery: true));
        Assert.Equal(Ms(5), RackLossDetector.ReorderingWindow(Ms(20), Ms(50), reorderingSeen: false, inRecovery: false));
        Assert.Equal(Ms(50), RackLossDetector.ReorderingWindow(null, Ms(50), reorderingSeen: true, inRecovery: false));
    }

    [Fact]
    public void With_a_window_of_0_a_SACK_makes_the_holes_below_it_lost_at_once()
    {
        var r = new RackLossDetector();
        r.OnSacked(Seq(3000), Ms(10));
        Assert.Equal(Seq(3000), r.LostBelow(Ms(10), TimeSpan.Zero));
        Assert.Null(r.NextDeadline(TimeSpan.Zero));   // nothing left for the reordering timer
    }
}
