using TcpActors.Engine.Congestion;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>The tail loss probe's arithmetic and verdicts (RFC 8985 section 7), without a connection.</summary>
public class TailLossProbeTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private static SeqNum Seq(uint v) => new(v);
    private static TailLossProbe Probe() => new(slack: Ms(2), delayedAckAllowance: Ms(200));

    [Fact]
    public void PTO_is_two_SRTT_plus_the_slack_RFC8985_section7_2()
    {
        Assert.Equal(Ms(42), Probe().ProbeTimeout(Ms(20), oneSegmentInFlight: false, rtoLeft: Ms(300)));
    }

    [Fact]
    public void PTO_of_a_single_segment_flight_waits_for_a_delayed_ACK_RFC8985_section7_2()
    {
        Assert.Equal(Ms(240), Probe().ProbeTimeout(Ms(20), oneSegmentInFlight: true, rtoLeft: Ms(1000)));
    }

    [Fact]
    public void PTO_is_never_later_than_the_RTO_RFC8985_section7_2()
    {
        Assert.Equal(Ms(200), Probe().ProbeTimeout(Ms(20), oneSegmentInFlight: true, rtoLeft: Ms(200)));
        Assert.Equal(TimeSpan.Zero, Probe().ProbeTimeout(Ms(20), oneSegmentInFlight: false, rtoLeft: Ms(-5)));
    }

    [Fact]
    public void PTO_without_an_RTT_sample_is_one_second_RFC8985_section7_2()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Probe().ProbeTimeout(null, oneSegmentInFlight: false, rtoLeft: null));
    }

    [Fact]
    public void A_probe_of_new_data_ends_without_a_loss_once_acknowledged_RFC8985_section7_4()
    {
        var p = Probe();
        p.ProbeSent(Seq(1000), Seq(2000), retransmission: false);
        Assert.True(p.Outstanding);
        Assert.Equal(ProbeOutcome.Pending, p.OnAck(Seq(1500), unaAdvanced: true, dsack: false, newSack: false));
        Assert.Equal(ProbeOutcome.NoLoss, p.OnAck(Seq(2000), unaAdvanced: true, dsack: false, newSack: false));
        Assert.False(p.Outstanding);
    }

    [Fact]
    public void A_D_SACK_of_a_retransmitted_probe_means_no_loss_RFC8985_section7_4()
    {
        var p = Probe();
        p.ProbeSent(Seq(1000), Seq(2000), retransmission: true);
        Assert.Equal(ProbeOutcome.NoLoss, p.OnAck(Seq(2000), unaAdvanced: true, dsack: true, newSack: false));
    }

    [Fact]
    public void An_ACK_beyond_a_retransmitted_probe_means_it_repaired_a_loss_RFC8985_section7_4()
    {
        var p = Probe();
        p.ProbeSent(Seq(1000), Seq(2000), retransmission: true);
        Assert.Equal(ProbeOutcome.LossRepaired, p.OnAck(Seq(3000), unaAdvanced: true, dsack: false, newSack: false));
        Assert.False(p.Outstanding);
    }

    [Fact]
    public void An_ACK_that_only_reaches_a_retransmitted_probe_waits_for_the_next_and_a_pure_duplicate_means_no_loss()
    {
        var p = Probe();
        p.ProbeSent(Seq(1000), Seq(2000), retransmission: true);
        // For the original or for the probe: cannot tell yet.
        Assert.Equal(ProbeOutcome.Pending, p.OnAck(Seq(2000), unaAdvanced: true, dsack: false, newSack: false));
        Assert.True(p.Outstanding);
        // A duplicate ACK (the second copy arrived): both were delivered.
        Assert.Equal(ProbeOutcome.NoLoss, p.OnAck(Seq(2000), unaAdvanced: false, dsack: false, newSack: false));
    }

    [Fact]
    public void A_SACK_of_the_probe_above_a_hole_finds_the_hole_lost_by_RACKs_rule_RFC8985_section6_2()
    {
        var p = Probe();
        p.ProbeSent(Seq(1000), Seq(2000), retransmission: false);
        Assert.True(p.HoleBelowDeliveredProbe(Seq(500), highSacked: Seq(2000)));
        Assert.False(p.HoleBelowDeliveredProbe(Seq(500), highSacked: Seq(900)));   // SACKs of older data only
        Assert.False(p.HoleBelowDeliveredProbe(Seq(500), highSacked: null));
        Assert.False(p.HoleBelowDeliveredProbe(Seq(1000), highSacked: Seq(2000))); // no hole below the probe
        p.Reset();
        Assert.False(p.HoleBelowDeliveredProbe(Seq(500), highSacked: Seq(2000)));
    }

    [Fact]
    public void D_SACK_is_a_first_block_below_the_ACK_or_inside_the_second_RFC2883_section4()
    {
        Assert.True(TailLossProbe.HasDsack(Seq(2000), [new SackBlock(Seq(1000), Seq(1500))]));
        Assert.True(TailLossProbe.HasDsack(Seq(1000), [new SackBlock(Seq(3000), Seq(3500)), new SackBlock(Seq(2000), Seq(4000))]));
        Assert.False(TailLossProbe.HasDsack(Seq(1000), [new SackBlock(Seq(2000), Seq(2500)), new SackBlock(Seq(3000), Seq(4000))]));
        Assert.False(TailLossProbe.HasDsack(Seq(1000), []));
    }
}
