using TcpActors.Engine.Connection;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

public class RttEstimatorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static void AssertNear(TimeSpan expected, TimeSpan actual) =>
        Assert.InRange(actual.Ticks, expected.Ticks - 10, expected.Ticks + 10);

    private static RttEstimator Linux() => new(TimeSpan.FromSeconds(1), Ms(200), TimeSpan.FromSeconds(120));

    [Fact]
    public void Before_any_sample_RTO_is_the_initial_value_and_SRTT_is_unset_RFC6298_2_1()
    {
        var e = Linux();
        Assert.Equal(TimeSpan.FromSeconds(1), e.Rto);
        Assert.Null(e.SmoothedRtt);
        Assert.Null(e.RttVariance);
        Assert.Equal(0, e.Backoffs);
        Assert.False(e.IsTiming);
    }

    [Fact]
    public void First_sample_sets_SRTT_to_R_and_RTTVAR_to_half_RFC6298_2_2()
    {
        var e = Linux();
        e.AddSample(Ms(100));
        Assert.Equal(Ms(100), e.SmoothedRtt);
        Assert.Equal(Ms(50), e.RttVariance);
        // RTO = SRTT + max(G, K*RTTVAR) = 100 + 4*50
        Assert.Equal(Ms(300), e.Rto);
    }

    [Fact]
    public void Subsequent_samples_use_alpha_one_eighth_and_beta_one_quarter_with_the_old_SRTT_RFC6298_2_3()
    {
        var e = Linux();
        double srtt = 100, rttvar = 50;
        e.AddSample(Ms(100));
        foreach (double r in new double[] { 200, 40, 40, 520 })
        {
            e.AddSample(Ms(r));
            rttvar = 0.75 * rttvar + 0.25 * Math.Abs(srtt - r);
            srtt = 0.875 * srtt + 0.125 * r;
            // Integer ticks truncate; each step loses under a tick, and the loss decays, so 1 us is ample.
            AssertNear(Ms(srtt), e.SmoothedRtt!.Value);
            AssertNear(Ms(rttvar), e.RttVariance!.Value);
            AssertNear(Ms(Math.Max(200, srtt + 4 * rttvar)), e.Rto);
        }
        // After 100 then 200: RTTVAR = 3/4*50 + 1/4*100 = 62.5, SRTT = 7/8*100 + 1/8*200 = 112.5 (checked by hand once).
        var h = Linux();
        h.AddSample(Ms(100));
        h.AddSample(Ms(200));
        Assert.Equal(Ms(112.5), h.SmoothedRtt);
        Assert.Equal(Ms(62.5), h.RttVariance);
        Assert.Equal(Ms(362.5), h.Rto);
    }

    [Fact]
    public void Clock_granularity_bounds_the_variance_term_when_RTTVAR_is_tiny_RFC6298_2_3()
    {
        var e = new RttEstimator(TimeSpan.FromSeconds(1), Ms(1), TimeSpan.FromSeconds(60), clockGranularity: Ms(10));
        e.AddSample(Ms(400));
        for (int i = 0; i < 200; i++)
            e.AddSample(Ms(400)); // RTTVAR decays toward 0
        Assert.True(e.RttVariance!.Value * 4 < Ms(10));
        Assert.Equal(Ms(410), e.Rto);
    }

    [Fact]
    public void RTO_below_the_minimum_is_raised_to_minRto_RFC6298_2_4()
    {
        var e = Linux();
        e.AddSample(Ms(10)); // 10 + 4*5 = 30 ms
        Assert.Equal(Ms(200), e.Rto);
        Assert.Equal(Ms(10), e.SmoothedRtt);
    }

    [Fact]
    public void RTO_above_the_maximum_is_capped_at_maxRto_RFC6298_2_5()
    {
        var e = new RttEstimator(TimeSpan.FromSeconds(1), Ms(200), TimeSpan.FromSeconds(60));
        e.AddSample(TimeSpan.FromSeconds(40)); // 40 + 4*20 = 120 s
        Assert.Equal(TimeSpan.FromSeconds(60), e.Rto);
    }

    [Fact]
    public void Initial_RTO_outside_the_bounds_is_clamped_RFC6298_2_4()
    {
        Assert.Equal(Ms(500), new RttEstimator(Ms(100), Ms(500), TimeSpan.FromSeconds(10)).Rto);
        Assert.Equal(TimeSpan.FromSeconds(10), new RttEstimator(TimeSpan.FromSeconds(30), Ms(500), TimeSpan.FromSeconds(10)).Rto);
    }

    [Fact]
    public void Backoff_doubles_the_RTO_each_time_up_to_120_seconds_RFC6298_5_5()
    {
        var e = Linux();
        var expected = new[] { 1, 2, 4, 8, 16, 32, 64, 120, 120, 120 };
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(expected[i]), e.Rto);
            Assert.Equal(i, e.Backoffs);
            e.Backoff();
        }
        for (int i = 0; i < 100; i++)
            e.Backoff();
        Assert.Equal(TimeSpan.FromSeconds(120), e.Rto);
        Assert.Equal(110, e.Backoffs);
    }

    [Fact]
    public void Backoff_doubles_the_computed_RTO_not_the_initial_one_RFC6298_5_5()
    {
        var e = Linux();
        e.AddSample(Ms(100)); // RTO 300 ms
        e.Backoff();
        Assert.Equal(Ms(600), e.Rto);
        e.Backoff();
        Assert.Equal(Ms(1200), e.Rto);
    }

    [Fact]
    public void A_new_sample_clears_the_backoff_RFC6298_5_7()
    {
        var e = Linux();
        e.Backoff();
        e.Backoff();
        Assert.Equal(TimeSpan.FromSeconds(4), e.Rto);
        e.AddSample(Ms(100));
        Assert.Equal(0, e.Backoffs);
        Assert.Equal(Ms(300), e.Rto);
    }

    [Fact]
    public void Timed_segment_is_sampled_when_an_ACK_covers_its_end_RFC6298_3()
    {
        var e = Linux();
        e.StartTiming(new SeqNum(1000), Ms(5000));
        Assert.True(e.IsTiming);
        e.OnAck(new SeqNum(999), Ms(5050)); // does not cover it yet
        Assert.True(e.IsTiming);
        Assert.Null(e.SmoothedRtt);
        e.OnAck(new SeqNum(1000), Ms(5080));
        Assert.False(e.IsTiming);
        Assert.Equal(Ms(80), e.SmoothedRtt);
    }

    [Fact]
    public void ACK_beyond_the_timed_segment_across_the_2_32_wrap_takes_the_sample_RFC6298_3()
    {
        var e = Linux();
        e.StartTiming(new SeqNum(0xFFFFFFF0), Ms(0));
        e.OnAck(new SeqNum(0x10), Ms(70));
        Assert.Equal(Ms(70), e.SmoothedRtt);
    }

    [Fact]
    public void Only_one_segment_is_timed_at_a_time_RFC6298_3()
    {
        var e = Linux();
        e.StartTiming(new SeqNum(100), Ms(0));
        e.StartTiming(new SeqNum(200), Ms(30)); // ignored: a segment is already timed
        e.OnAck(new SeqNum(200), Ms(90));
        Assert.Equal(Ms(90), e.SmoothedRtt);
    }

    [Fact]
    public void Karn_no_sample_is_taken_after_a_retransmission_RFC6298_3()
    {
        var e = Linux();
        e.StartTiming(new SeqNum(100), Ms(0));
        e.Backoff();
        e.OnRetransmit();
        Assert.False(e.IsTiming);
        e.OnAck(new SeqNum(100), Ms(1500));
        Assert.Null(e.SmoothedRtt);
        Assert.Equal(1, e.Backoffs); // the backoff stays until a valid sample (RFC 6298 5.7)
        Assert.Equal(TimeSpan.FromSeconds(2), e.Rto);
    }

    [Fact]
    public void Timing_restarts_after_a_retransmission_with_a_new_segment_RFC6298_3()
    {
        var e = Linux();
        e.StartTiming(new SeqNum(100), Ms(0));
        e.OnRetransmit();
        e.StartTiming(new SeqNum(300), Ms(1000));
        e.OnAck(new SeqNum(300), Ms(1060));
        Assert.Equal(Ms(60), e.SmoothedRtt);
    }

    [Fact]
    public void Invalid_bounds_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new RttEstimator(TimeSpan.FromSeconds(1), Ms(500), Ms(100)));
        Assert.Throws<ArgumentException>(() => new RttEstimator(TimeSpan.FromSeconds(1), TimeSpan.Zero, Ms(100)));
        Assert.Throws<ArgumentException>(() => new RttEstimator(TimeSpan.Zero, Ms(100), Ms(100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Linux().AddSample(Ms(-1)));
    }
}
