namespace TcpActors.Engine.Congestion;

/// <summary>
/// CUBIC (RFC 9438). Windows in the formulas are in segments (cwnd / SMSS), time in seconds, and time is
/// passed in. Slow start, fast recovery and the timeout's loss window are those of RFC 5681 / RFC 6582
/// (<see cref="NewReno"/>); CUBIC replaces the reduction (section 4.6: ssthresh = FlightSize * beta_cubic,
/// fast convergence of section 4.7) and the growth in congestion avoidance:
/// <code>
/// W_cubic(t) = C * (t - K)^3 + W_max                      (Figure 1)
/// K = cubic_root((W_max - cwnd_epoch) / C)                (Figure 2)
/// alpha_cubic = 3 * (1 - beta_cubic) / (1 + beta_cubic)   (Figure 3; 1 once W_est >= cwnd_prior)
/// W_est += alpha_cubic * segments_acked / cwnd            (Figure 4, per ACK)
/// target = W_cubic(t + RTT) clamped to [cwnd, 1.5 * cwnd] (section 4.2)
/// cwnd += (target - cwnd) / cwnd                          (sections 4.4, 4.5, per ACK)
/// cwnd = W_est when W_cubic(t) &lt; W_est                  (section 4.3, the Reno-friendly region)
/// </code>
/// The epoch (t = 0, cwnd_epoch, W_est = cwnd_epoch) starts at the first ACK of a congestion avoidance stage.
/// Before any loss, and in the first stage after a timeout (section 4.8), K = 0 and W_max = cwnd_epoch.
/// One choice: in the Reno-friendly region cwnd is never lowered by an ACK (max(cwnd, W_est), like Linux).
/// </summary>
public sealed class Cubic(int smss) : NewReno(smss)
{
    public const double C = 0.4;
    public const double BetaCubic = 0.7;
    public static readonly double AlphaCubic = 3 * (1 - BetaCubic) / (1 + BetaCubic);

    private TimeSpan? _epochStart;
    private bool _wMaxFromEpoch = true;
    private double _w;

    public override string Name => "cubic";
    public bool FastConvergence { get; init; } = true;

    /// <summary>W_max in segments (0 before the first congestion event).</summary>
    public double WMax { get; private set; }
    /// <summary>K in seconds, of the current epoch.</summary>
    public double K { get; private set; }
    /// <summary>cwnd_epoch in segments.</summary>
    public double CwndEpoch { get; private set; }
    /// <summary>W_est in segments (section 4.3).</summary>
    public double WEst { get; private set; }
    /// <summary>cwnd_prior in segments: cwnd at the last congestion event.</summary>
    public double CwndPrior { get; private set; }
    /// <summary>t_epoch, or null before the first ACK of the current congestion avoidance stage.</summary>
    public TimeSpan? EpochStart => _epochStart;

    /// <summary>W_cubic(t), Figure 1, in segments.</summary>
    public double WCubic(double t) => C * Math.Pow(t - K, 3) + WMax;

    protected override int ReducedSsthresh(int flightSize) => Math.Max((int)(flightSize * BetaCubic), 2 * Smss);

    protected override void OnCongestionEvent(bool timeout, TimeSpan now)
    {
        double w = _epochStart is null ? Cwnd / (double)Smss : _w;
        CwndPrior = w;
        _epochStart = null;
        if (timeout)
        {
            _wMaxFromEpoch = true;   // section 4.8: K = 0, W_max = cwnd at the start of the next stage
            return;
        }
        // Section 4.7, fast convergence: a flow that lost before reaching its previous W_max releases bandwidth.
        WMax = FastConvergence && w < WMax ? w * (1 + BetaCubic) / 2 : w;
        _wMaxFromEpoch = false;
    }

    protected override void OnRecoveryExited(TimeSpan now) => _epochStart = null;

    protected override void CongestionAvoidance(int bytesAcked, TimeSpan? rtt, TimeSpan now)
    {
        if (_epochStart is null)
        {
            _epochStart = now;
            _w = Cwnd / (double)Smss;
            CwndEpoch = _w;
            if (_wMaxFromEpoch)
            {
                WMax = CwndEpoch;
                _wMaxFromEpoch = false;
            }
            K = Math.Cbrt((WMax - CwndEpoch) / C);
            WEst = CwndEpoch;
        }
        double t = (now - _epochStart.Value).TotalSeconds;
        double segmentsAcked = bytesAcked / (double)Smss;
        double alpha = WEst >= CwndPrior ? 1 : AlphaCubic;
        WEst += alpha * segmentsAcked / _w;
        if (WCubic(t) < WEst)
        {
            _w = Math.Max(_w, WEst);   // Reno-friendly region
        }
        else
        {
            double target = Math.Clamp(WCubic(t + (rtt?.TotalSeconds ?? 0)), _w, 1.5 * _w);
            _w += (target - _w) / _w;   // concave or convex region
        }
        Cwnd = Saturate((long)(_w * Smss));
    }
}
