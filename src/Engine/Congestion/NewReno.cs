namespace TcpActors.Engine.Congestion;

/// <summary>
/// TCP congestion control of RFC 5681 with the NewReno fast recovery of RFC 6582: slow start (cwnd += min(N, SMSS)
/// per ACK), congestion avoidance by byte counting (cwnd += SMSS per cwnd acknowledged), ssthresh =
/// max(FlightSize / 2, 2*SMSS) on loss, loss window of 1 SMSS on a timeout. The initial window is RFC 6928's.
/// Also the base of <see cref="Cubic"/>, which replaces the reduction and the congestion-avoidance growth.
/// </summary>
public class NewReno : ICongestionControl
{
    private long _bytesAckedInCa;

    public NewReno(int smss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(smss, 1);
        Smss = smss;
        Cwnd = CongestionControl.InitialWindow(smss);
    }

    public virtual string Name => "newreno";
    public int Smss { get; }
    public int Cwnd { get; protected set; }
    public int Ssthresh { get; protected set; } = int.MaxValue;
    public bool InRecovery { get; private set; }

    /// <summary>cwnd &lt; ssthresh: slow start (RFC 5681 3.1).</summary>
    public bool InSlowStart => Cwnd < Ssthresh;

    public void OnAck(int bytesAcked, TimeSpan? rtt, TimeSpan now)
    {
        if (bytesAcked <= 0 || InRecovery)
            return;
        if (InSlowStart)
        {
            // RFC 5681 equation 2: cwnd += min(N, SMSS).
            Cwnd = Saturate((long)Cwnd + Math.Min(bytesAcked, Smss));
            return;
        }
        CongestionAvoidance(bytesAcked, rtt, now);
    }

    /// <summary>RFC 5681 3.1, the recommended byte counting: once cwnd bytes are acknowledged, cwnd += SMSS.</summary>
    protected virtual void CongestionAvoidance(int bytesAcked, TimeSpan? rtt, TimeSpan now)
    {
        _bytesAckedInCa += bytesAcked;
        if (_bytesAckedInCa >= Cwnd)
        {
            _bytesAckedInCa -= Cwnd;
            Cwnd = Saturate((long)Cwnd + Smss);
        }
    }

    /// <summary>The ssthresh after a loss (RFC 5681 equation 4): max(FlightSize / 2, 2*SMSS).</summary>
    protected virtual int ReducedSsthresh(int flightSize) => Math.Max(flightSize / 2, 2 * Smss);

    /// <summary>Hook: a congestion event (loss or timeout) is about to reduce the window.</summary>
    protected virtual void OnCongestionEvent(bool timeout, TimeSpan now) { }

    public void EnterRecovery(int flightSize, TimeSpan now)
    {
        OnCongestionEvent(timeout: false, now);
        Ssthresh = ReducedSsthresh(flightSize);
        Cwnd = Ssthresh;
        InRecovery = true;
        _bytesAckedInCa = 0;
    }

    public void ReduceWindow(int flightSize, TimeSpan now)
    {
        if (InRecovery)
            return;   // a loss already reduced the window
        OnCongestionEvent(timeout: false, now);
        Ssthresh = ReducedSsthresh(flightSize);
        Cwnd = Ssthresh;
        _bytesAckedInCa = 0;
        OnRecoveryExited(now);   // the next ACK starts a new congestion avoidance stage
    }

    public void OnDupAck()
    {
        if (InRecovery)
            Cwnd = Saturate((long)Cwnd + Smss);
    }

    public void OnPartialAck(int bytesAcked)
    {
        if (!InRecovery || bytesAcked <= 0)
            return;
        long cwnd = (long)Cwnd - bytesAcked;
        if (bytesAcked >= Smss)
            cwnd += Smss;
        Cwnd = (int)Math.Max(Smss, cwnd);
    }

    public void ExitRecovery(int flightSize, TimeSpan now)
    {
        if (!InRecovery)
            return;
        InRecovery = false;
        Cwnd = (int)Math.Min(Ssthresh, (long)Math.Max(flightSize, Smss) + Smss);
        OnRecoveryExited(now);
    }

    /// <summary>Hook: recovery ended and congestion avoidance resumes.</summary>
    protected virtual void OnRecoveryExited(TimeSpan now) { }

    public void OnRetransmissionTimeout(int flightSize, bool alreadyRetransmitted, TimeSpan now)
    {
        OnCongestionEvent(timeout: true, now);
        if (!alreadyRetransmitted)
            Ssthresh = ReducedSsthresh(flightSize);
        Cwnd = Smss;   // the loss window, LW
        InRecovery = false;
        _bytesAckedInCa = 0;
    }

    protected static int Saturate(long v) => v > int.MaxValue ? int.MaxValue : (int)v;

    public override string ToString() => $"{Name} cwnd={Cwnd} ssthresh={Ssthresh}{(InRecovery ? " recovery" : "")}";
}
