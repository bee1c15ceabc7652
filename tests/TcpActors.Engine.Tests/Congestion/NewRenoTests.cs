using TcpActors.Engine.Congestion;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>NewReno's window arithmetic against RFC 5681, RFC 6582 and RFC 6928, with the numbers worked out here.</summary>
public class NewRenoTests
{
    private const int Smss = 1460;
    private static readonly TimeSpan T0 = TimeSpan.Zero;

    [Theory]
    [InlineData(1460, 14600)]   // min(14600, max(2920, 14600))
    [InlineData(536, 5360)]     // min(5360, max(1072, 14600))
    [InlineData(1448, 14480)]
    [InlineData(9000, 18000)]   // min(90000, max(18000, 14600))
    [InlineData(65495, 130990)]
    public void Initial_window_is_min_10_MSS_max_2_MSS_14600_RFC6928_section2(int smss, int iw)
    {
        Assert.Equal(Math.Min(10 * smss, Math.Max(2 * smss, 14600)), iw);
        Assert.Equal(iw, CongestionControl.InitialWindow(smss));
        var cc = new NewReno(smss);
        Assert.Equal(iw, cc.Cwnd);
        Assert.Equal(int.MaxValue, cc.Ssthresh);   // RFC 5681 3.1: initially arbitrarily high
        Assert.False(cc.InRecovery);
    }

    [Fact]
    public void Slow_start_grows_cwnd_by_min_N_SMSS_per_ACK_RFC5681_section3_1_equation2()
    {
        var cc = new NewReno(Smss);
        int cwnd = 14600;
        foreach (int acked in new[] { 1460, 2920, 100, 5000, 1 })
        {
            cc.OnAck(acked, null, T0);
            cwnd += Math.Min(acked, Smss);
            Assert.Equal(cwnd, cc.Cwnd);
        }
        Assert.True(cc.InSlowStart);
    }

    [Fact]
    public void Congestion_avoidance_adds_SMSS_per_cwnd_of_bytes_acknowledged_RFC5681_section3_1()
    {
        var cc = new NewReno(Smss);
        cc.EnterRecovery(flightSize: 40000, T0);        // ssthresh = 20000, cwnd = 20000
        cc.ExitRecovery(flightSize: 30000, T0);          // cwnd = min(20000, 30000 + 1460) = 20000
        Assert.Equal(20000, cc.Ssthresh);
        Assert.Equal(20000, cc.Cwnd);
        Assert.False(cc.InSlowStart);
        // 13 full segments (18980 bytes) are less than cwnd: no growth yet.
        for (int i = 0; i < 13; i++)
            cc.OnAck(Smss, null, T0);
        Assert.Equal(20000, cc.Cwnd);
        cc.OnAck(Smss, null, T0);                        // 20440 >= 20000: cwnd += SMSS, 440 carried over
        Assert.Equal(21460, cc.Cwnd);
        for (int i = 0; i < 14; i++)                     // 440 + 14*1460 = 20880 < 21460
            cc.OnAck(Smss, null, T0);
        Assert.Equal(21460, cc.Cwnd);
        cc.OnAck(Smss, null, T0);                        // 22340 >= 21460
        Assert.Equal(22920, cc.Cwnd);
    }

    [Theory]
    [InlineData(100000, 50000)]
    [InlineData(4000, 2920)]      // max(2000, 2*SMSS)
    [InlineData(5841, 2920)]      // integer half 2920
    public void Fast_retransmit_sets_ssthresh_max_FlightSize_half_2_SMSS_and_cwnd_ssthresh_RFC5681_section3_2_step2(int flight, int ssthresh)
    {
        Assert.Equal(Math.Max(flight / 2, 2 * Smss), ssthresh);
        var cc = new NewReno(Smss);
        cc.EnterRecovery(flight, T0);
        Assert.True(cc.InRecovery);
        Assert.Equal(ssthresh, cc.Ssthresh);
        Assert.Equal(ssthresh, cc.Cwnd);
    }

    [Fact]
    public void Recovery_inflates_per_dup_ACK_deflates_on_partial_ACK_and_exits_carefully_RFC5681_3_2_and_RFC6582_3_2()
    {
        var cc = new NewReno(Smss);
        cc.EnterRecovery(flightSize: 58400, T0);          // 40 segments: ssthresh 29200
        for (int i = 0; i < 3; i++)
            cc.OnDupAck();                                 // step 3: ssthresh + 3*SMSS
        Assert.Equal(29200 + 3 * Smss, cc.Cwnd);
        cc.OnDupAck();                                     // step 4: + SMSS per further duplicate
        Assert.Equal(29200 + 4 * Smss, cc.Cwnd);
        cc.OnAck(Smss, null, T0);                          // no growth in recovery
        Assert.Equal(29200 + 4 * Smss, cc.Cwnd);

        cc.OnPartialAck(5 * Smss);                         // RFC 6582 step 5: deflate by the amount acked, add back SMSS
        Assert.Equal(29200 + 4 * Smss - 5 * Smss + Smss, cc.Cwnd);
        int before = cc.Cwnd;
        cc.OnPartialAck(1000);                             // less than SMSS: nothing added back
        Assert.Equal(before - 1000, cc.Cwnd);

        cc.ExitRecovery(flightSize: 10000, T0);            // step 6 option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS)
        Assert.False(cc.InRecovery);
        Assert.Equal(Math.Min(29200, Math.Max(10000, Smss) + Smss), cc.Cwnd);
        var cc2 = new NewReno(Smss);
        cc2.EnterRecovery(58400, T0);
        cc2.ExitRecovery(flightSize: 50000, T0);
        Assert.Equal(29200, cc2.Cwnd);
    }

    [Fact]
    public void Dup_ACKs_outside_recovery_do_not_inflate_RFC5681_section3_2()
    {
        var cc = new NewReno(Smss);
        cc.OnDupAck();
        Assert.Equal(14600, cc.Cwnd);
    }

    [Fact]
    public void Retransmission_timeout_collapses_cwnd_to_the_loss_window_and_holds_ssthresh_on_repeats_RFC5681_section3_1()
    {
        var cc = new NewReno(Smss);
        for (int i = 0; i < 30; i++)
            cc.OnAck(Smss, null, T0);                      // slow start to 14600 + 30*1460 = 58400
        Assert.Equal(58400, cc.Cwnd);
        cc.OnRetransmissionTimeout(flightSize: 58400, alreadyRetransmitted: false, T0);
        Assert.Equal(Smss, cc.Cwnd);                       // LW = 1 SMSS
        Assert.Equal(29200, cc.Ssthresh);                  // equation 4
        cc.OnRetransmissionTimeout(flightSize: 58400, alreadyRetransmitted: true, T0);
        Assert.Equal(29200, cc.Ssthresh);                  // the same segment timed out again: ssthresh is held
        Assert.Equal(Smss, cc.Cwnd);
        cc.OnRetransmissionTimeout(flightSize: 1000, alreadyRetransmitted: false, T0);
        Assert.Equal(2 * Smss, cc.Ssthresh);               // at least 2 SMSS

        // Slow start again up to ssthresh, then congestion avoidance.
        cc.OnAck(Smss, null, T0);
        Assert.Equal(2 * Smss, cc.Cwnd);
        Assert.False(cc.InSlowStart);
        cc.OnAck(Smss, null, T0);
        Assert.Equal(2 * Smss, cc.Cwnd);
        cc.OnAck(Smss, null, T0);                          // 2920 acked = cwnd
        Assert.Equal(3 * Smss, cc.Cwnd);
    }

    [Fact]
    public void A_timeout_ends_fast_recovery_RFC6582_section4()
    {
        var cc = new NewReno(Smss);
        cc.EnterRecovery(40000, T0);
        cc.OnRetransmissionTimeout(40000, alreadyRetransmitted: false, T0);
        Assert.False(cc.InRecovery);
        Assert.Equal(Smss, cc.Cwnd);
    }

    [Fact]
    public void ReduceWindow_for_an_ECN_Echo_sets_ssthresh_and_cwnd_as_a_loss_would_without_recovery_RFC3168_section6_1_2()
    {
        var cc = new NewReno(Smss);
        cc.ReduceWindow(20000, T0);
        Assert.Equal(10000, cc.Ssthresh);   // max(FlightSize / 2, 2*SMSS)
        Assert.Equal(10000, cc.Cwnd);
        Assert.False(cc.InRecovery);
        cc.ReduceWindow(1000, T0);
        Assert.Equal(2 * Smss, cc.Cwnd);   // never below 2*SMSS
        // In loss recovery the window is being reduced already: an ECN-Echo changes nothing.
        var r = new NewReno(Smss);
        r.EnterRecovery(20000, T0);
        r.ReduceWindow(8000, T0);
        Assert.Equal(10000, r.Ssthresh);
        Assert.True(r.InRecovery);
    }
}
