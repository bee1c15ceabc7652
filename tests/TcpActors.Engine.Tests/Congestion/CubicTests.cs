using TcpActors.Engine.Congestion;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>CUBIC's window arithmetic against RFC 9438; the expected values are computed here from the RFC's figures.</summary>
public class CubicTests
{
    private const int Smss = 1000;
    private const double C = 0.4, Beta = 0.7;
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>A CUBIC in congestion avoidance after one fast recovery with <paramref name="flight"/> outstanding at cwnd <paramref name="cwnd"/>.</summary>
    private static Cubic AfterLoss(int cwndSegments, TimeSpan at)
    {
        var cc = new Cubic(Smss);
        while (cc.Cwnd < cwndSegments * Smss)
            cc.OnAck(Smss, null, TimeSpan.Zero);             // slow start (RFC 9438 4.10 uses RFC 5681's)
        Assert.Equal(cwndSegments * Smss, cc.Cwnd);
        cc.EnterRecovery(flightSize: cwndSegments * Smss, at);
        cc.ExitRecovery(flightSize: cwndSegments * Smss, at);
        return cc;
    }

    [Fact]
    public void Constants_are_those_of_RFC9438_section4_1_and_Figure3()
    {
        Assert.Equal(0.4, Cubic.C);
        Assert.Equal(0.7, Cubic.BetaCubic);
        Assert.Equal(3 * (1 - 0.7) / (1 + 0.7), Cubic.AlphaCubic);
        Assert.Equal(CongestionControl.InitialWindow(Smss), new Cubic(Smss).Cwnd);
        Assert.Equal("cubic", new Cubic(Smss).Name);
    }

    [Fact]
    public void Loss_sets_ssthresh_to_FlightSize_times_beta_and_W_max_to_cwnd_RFC9438_section4_6()
    {
        var cc = new Cubic(Smss);
        for (int i = 0; i < 90; i++)
            cc.OnAck(Smss, null, TimeSpan.Zero);             // 10 + 90 = 100 segments
        cc.EnterRecovery(flightSize: 80_000, Ms(1000));
        Assert.True(cc.InRecovery);
        Assert.Equal((int)(80_000 * Beta), cc.Ssthresh);     // 56000
        Assert.Equal(56_000, cc.Cwnd);
        Assert.Equal(100.0, cc.WMax);                        // cwnd at the loss, in segments
        Assert.Equal(100.0, cc.CwndPrior);

        var small = new Cubic(Smss);
        small.EnterRecovery(flightSize: 2000, Ms(0));
        Assert.Equal(2 * Smss, small.Ssthresh);              // at least 2 SMSS
        Assert.Equal(2 * Smss, small.Cwnd);
    }

    [Fact]
    public void Fast_convergence_lowers_W_max_when_a_loss_comes_below_the_previous_W_max_RFC9438_section4_7()
    {
        var cc = AfterLoss(100, Ms(0));                      // W_max = 100, cwnd = 70
        Assert.Equal(70 * Smss, cc.Cwnd);
        cc.EnterRecovery(flightSize: 70 * Smss, Ms(10));     // cwnd 70 < W_max 100
        Assert.Equal(70 * (1 + Beta) / 2, cc.WMax, 12);
        Assert.Equal((int)(70 * Smss * Beta), cc.Ssthresh);

        var noFc = new Cubic(Smss) { FastConvergence = false };
        for (int i = 0; i < 90; i++)
            noFc.OnAck(Smss, null, TimeSpan.Zero);
        noFc.EnterRecovery(100 * Smss, Ms(0));
        noFc.ExitRecovery(100 * Smss, Ms(0));
        noFc.EnterRecovery(70 * Smss, Ms(10));
        Assert.Equal(70.0, noFc.WMax);
    }

    [Fact]
    public void Congestion_avoidance_follows_W_cubic_toward_the_target_RFC9438_sections_4_2_4_4_4_5()
    {
        var cc = AfterLoss(100, Ms(0));                      // W_max = 100, cwnd_epoch = 70
        var rtt = Ms(100);
        // The epoch starts with the first ACK in congestion avoidance, at 2 s.
        double wMax = 100, epoch = 70, k = Math.Cbrt((wMax - epoch) / C);
        double w = 70, wEst = 70, prior = 100;
        double WCubic(double t) => C * Math.Pow(t - k, 3) + wMax;
        double start = 2.0;
        // ACKs of one segment each, every 10 ms, from 2 s until well past K (about 4.2 s): concave then convex.
        for (int i = 0; i < 800; i++)
        {
            double now = start + i * 0.010;
            cc.OnAck(Smss, rtt, TimeSpan.FromSeconds(now));
            double t = now - start;
            double alpha = wEst >= prior ? 1 : 3 * (1 - Beta) / (1 + Beta);
            wEst += alpha * 1.0 / w;                           // Figure 4, one segment acknowledged
            if (WCubic(t) < wEst)
                w = Math.Max(w, wEst);                         // Reno-friendly region
            else
            {
                double target = Math.Min(Math.Max(WCubic(t + 0.1), w), 1.5 * w);
                w += (target - w) / w;
            }
            Assert.Equal((int)(w * Smss), cc.Cwnd);
        }
        Assert.Equal(k, cc.K, 12);
        Assert.Equal(epoch, cc.CwndEpoch);
        Assert.Equal(TimeSpan.FromSeconds(2), cc.EpochStart);
        Assert.True(w > wMax, $"after t = 8 s > K = {k:F3} s the window is beyond W_max (convex region): {w}");
    }

    [Fact]
    public void Reno_friendly_region_sets_cwnd_to_W_est_RFC9438_section4_3()
    {
        // Right after the loss W_cubic(t) rises slowly from cwnd_epoch (about 4.6 segments/s at t = 0), while W_est
        // grows by alpha_cubic / cwnd per ACK: with a small window and ACKs every millisecond W_est is ahead.
        var cc = AfterLoss(10, Ms(0));                        // W_max = 10, cwnd = 7 segments
        Assert.Equal(7000, cc.Cwnd);
        double wMax = 10, epoch = 7, k = Math.Cbrt((wMax - epoch) / C);
        double w = 7, wEst = 7, prior = 10;
        double WCubic(double t) => C * Math.Pow(t - k, 3) + wMax;
        bool sawRenoFriendly = false;
        for (int i = 0; i < 50; i++)
        {
            double now = 1.0 + i * 0.001;
            cc.OnAck(Smss, null, TimeSpan.FromSeconds(now));
            double t = now - 1.0;
            double alpha = wEst >= prior ? 1 : 3 * (1 - Beta) / (1 + Beta);
            wEst += alpha / w;
            if (WCubic(t) < wEst)
            {
                w = Math.Max(w, wEst);
                sawRenoFriendly = true;
            }
            else
            {
                double target = Math.Min(Math.Max(WCubic(t), w), 1.5 * w);
                w += (target - w) / w;
            }
            Assert.Equal((int)(w * Smss), cc.Cwnd);
            Assert.Equal(wEst, cc.WEst, 9);
        }
        Assert.True(sawRenoFriendly);
    }

    [Fact]
    public void Timeout_collapses_cwnd_and_the_next_stage_starts_with_K_0_and_W_max_cwnd_epoch_RFC9438_section4_8()
    {
        var cc = AfterLoss(100, Ms(0));
        cc.OnRetransmissionTimeout(flightSize: 60 * Smss, alreadyRetransmitted: false, Ms(500));
        Assert.Equal(Smss, cc.Cwnd);                            // RFC 5681 loss window
        Assert.Equal((int)(60 * Smss * Beta), cc.Ssthresh);     // ssthresh with beta_cubic: 42000
        Assert.False(cc.InRecovery);
        while (cc.Cwnd < cc.Ssthresh)
            cc.OnAck(Smss, null, Ms(600));                      // slow start to 42 segments
        Assert.Equal(42 * Smss, cc.Cwnd);
        cc.OnAck(Smss, Ms(100), Ms(700));                       // first ACK of congestion avoidance
        Assert.Equal(0, cc.K);
        Assert.Equal(42.0, cc.WMax);
        Assert.Equal(42.0, cc.CwndEpoch);
        // t = 0: W_cubic(0) = W_max = 42 < W_est = 42 + 1/42 (alpha 1? no: W_est 42 < cwnd_prior 70, so alpha_cubic)
        double alpha = 3 * (1 - Beta) / (1 + Beta);
        double wEst = 42 + alpha / 42;
        Assert.Equal(wEst, cc.WEst, 12);
        Assert.Equal((int)(wEst * Smss), cc.Cwnd);
    }

    [Fact]
    public void Recovery_mechanics_are_RFC6582s_for_CUBIC_too()
    {
        var cc = AfterLoss(100, Ms(0));
        cc.EnterRecovery(70 * Smss, Ms(1));
        int ss = cc.Ssthresh;
        cc.OnDupAck();
        Assert.Equal(ss + Smss, cc.Cwnd);
        cc.OnPartialAck(2 * Smss);
        Assert.Equal(ss + Smss - 2 * Smss + Smss, cc.Cwnd);
        cc.ExitRecovery(5 * Smss, Ms(2));
        Assert.Equal(Math.Min(ss, 6 * Smss), cc.Cwnd);
        Assert.Null(cc.EpochStart);
    }

    [Fact]
    public void An_ECN_Echo_reduces_like_a_loss_ssthresh_FlightSize_times_beta_W_max_cwnd_and_no_recovery_RFC9438_section4_6_RFC3168_section6_1_2()
    {
        var cc = new Cubic(Smss);
        for (int i = 0; i < 90; i++)
            cc.OnAck(Smss, null, TimeSpan.Zero);             // 100 segments
        cc.ReduceWindow(flightSize: 80_000, Ms(1000));
        Assert.False(cc.InRecovery);
        Assert.Equal(56_000, cc.Ssthresh);
        Assert.Equal(56_000, cc.Cwnd);
        Assert.Equal(100.0, cc.WMax);
        Assert.Null(cc.EpochStart);                          // the next ACK starts a congestion avoidance epoch
        cc.OnAck(Smss, Ms(100), Ms(1100));
        Assert.Equal(Ms(1100), cc.EpochStart);
        Assert.Equal(56.0, cc.CwndEpoch);
    }
}
