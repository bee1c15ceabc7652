using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// Retransmission timeout computation of RFC 6298 (SRTT, RTTVAR, exponential backoff) with Karn's algorithm
/// (section 3): one segment is timed at a time and a retransmission discards the measurement.
/// Pure: time is passed in by the caller. Not thread-safe.
/// </summary>
public sealed class RttEstimator
{
    private const int K = 4;

    private readonly TimeSpan _minRto;
    private readonly TimeSpan _maxRto;
    private readonly TimeSpan _granularity;
    private TimeSpan _baseRto;
    private TimeSpan? _srtt;
    private TimeSpan? _rttvar;
    private SeqNum _timedEnd;
    private TimeSpan _timedStart;

    /// <param name="initialRto">RTO before the first sample (RFC 6298 2.1: 1 s).</param>
    /// <param name="minRto">Lower bound of the RTO (Linux uses 200 ms rather than the RFC's 1 s).</param>
    /// <param name="maxRto">Upper bound of the RTO, also of the backed-off RTO (RFC 6298 2.5).</param>
    /// <param name="clockGranularity">G of RFC 6298 2.2/2.3; 1 ms when null.</param>
    public RttEstimator(TimeSpan initialRto, TimeSpan minRto, TimeSpan maxRto, TimeSpan? clockGranularity = null)
    {
        if (minRto <= TimeSpan.Zero)
            throw new ArgumentException("minRto must be positive", nameof(minRto));
        if (maxRto < minRto)
            throw new ArgumentException("maxRto must be at least minRto", nameof(maxRto));
        if (initialRto <= TimeSpan.Zero)
            throw new ArgumentException("initialRto must be positive", nameof(initialRto));
        var g = clockGranularity ?? TimeSpan.FromMilliseconds(1);
        if (g <= TimeSpan.Zero)
            throw new ArgumentException("clockGranularity must be positive", nameof(clockGranularity));
        _minRto = minRto;
        _maxRto = maxRto;
        _granularity = g;
        _baseRto = Clamp(initialRto);
    }

    /// <summary>Current RTO: the computed RTO clamped to [minRto, maxRto], doubled per backoff, capped at maxRto.</summary>
    public TimeSpan Rto
    {
        get
        {
            long ticks = _baseRto.Ticks;
            long max = _maxRto.Ticks;
            for (int i = 0; i < Backoffs && ticks < max; i++)
                ticks = ticks > max / 2 ? max : ticks * 2;
            return TimeSpan.FromTicks(Math.Min(ticks, max));
        }
    }

    /// <summary>SRTT; null before the first sample.</summary>
    public TimeSpan? SmoothedRtt => _srtt;

    /// <summary>RTTVAR; null before the first sample.</summary>
    public TimeSpan? RttVariance => _rttvar;

    /// <summary>Times <see cref="Backoff"/> was called since the last valid sample.</summary>
    public int Backoffs { get; private set; }

    /// <summary>True while a segment is being timed.</summary>
    public bool IsTiming { get; private set; }

    /// <summary>Takes a measurement R (RFC 6298 2.2 for the first, 2.3 afterwards) and clears the backoff.</summary>
    public void AddSample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(rtt), rtt, "an RTT sample cannot be negative");
        long r = rtt.Ticks;
        long srtt, rttvar;
        if (_srtt is not { } oldSrtt || _rttvar is not { } oldVar)
        {
            srtt = r;
            rttvar = r / 2;
        }
        else
        {
            // RTTVAR is updated with the old SRTT (RFC 6298 2.3), beta = 1/4, alpha = 1/8.
            long s = oldSrtt.Ticks;
            rttvar = oldVar.Ticks - oldVar.Ticks / 4 + Math.Abs(s - r) / 4;
            srtt = s - s / 8 + r / 8;
        }
        _srtt = TimeSpan.FromTicks(srtt);
        _rttvar = TimeSpan.FromTicks(rttvar);
        long variance = rttvar > long.MaxValue / K ? long.MaxValue : rttvar * K;
        long rto = srtt + Math.Min(Math.Max(_granularity.Ticks, variance), long.MaxValue - srtt);
        _baseRto = Clamp(TimeSpan.FromTicks(rto));
        Backoffs = 0;
    }

    /// <summary>Retransmission timer expired (RFC 6298 5.5): the RTO doubles, capped at maxRto.</summary>
    public void Backoff()
    {
        if (Backoffs < int.MaxValue)
            Backoffs++;
    }

    /// <summary>Starts timing the segment ending before <paramref name="endSeq"/>, unless one is already timed.</summary>
    public void StartTiming(SeqNum endSeq, TimeSpan now)
    {
        if (IsTiming)
            return;
        IsTiming = true;
        _timedEnd = endSeq;
        _timedStart = now;
    }

    /// <summary>An acknowledgment arrived: if it covers the timed segment, the RTT is sampled and timing stops.</summary>
    public void OnAck(SeqNum ack, TimeSpan now)
    {
        if (!IsTiming || ack < _timedEnd)
            return;
        IsTiming = false;
        if (now >= _timedStart)
            AddSample(now - _timedStart);
    }

    /// <summary>Karn's algorithm: a retransmission makes the running measurement ambiguous, so it is dropped.</summary>
    public void OnRetransmit() => IsTiming = false;

    /// <summary>
    /// Karn and Partridge: the backed-off RTO is kept until an ACK arrives for a segment that was sent only
    /// once; then RTO is computed from SRTT and RTTVAR again.
    /// </summary>
    public void ClearBackoff() => Backoffs = 0;

    /// <summary>Starts timing the segment [startSeq, endSeq) if none is timed (lets <see cref="OnRetransmit(SeqNum, SeqNum)"/> be exact).</summary>
    public void StartTiming(SeqNum startSeq, SeqNum endSeq, TimeSpan now)
    {
        if (IsTiming)
            return;
        StartTiming(endSeq, now);
        _timedStartSeq = startSeq;
    }

    /// <summary>
    /// Karn's algorithm, exactly: the octets [from, to) were retransmitted. Only if they overlap the timed
    /// segment is its measurement invalid (RFC 6298 section 3: samples MUST NOT be taken from retransmitted segments).
    /// </summary>
    public void OnRetransmit(SeqNum from, SeqNum to)
    {
        if (IsTiming && from < _timedEnd && _timedStartSeq < to)
            IsTiming = false;
    }

    private SeqNum _timedStartSeq;

    private TimeSpan Clamp(TimeSpan rto) => rto < _minRto ? _minRto : rto > _maxRto ? _maxRto : rto;
}
