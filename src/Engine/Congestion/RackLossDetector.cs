using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Congestion;

/// <summary>
/// RACK's time-based loss rule (RFC 8985 section 6.2) for data sent once, in sequence order: a segment is lost when
/// a segment sent after it was delivered (SACKed) and RACK.reo_wnd has passed since that delivery was reported,
/// without the segment arriving. Data sent once goes out in sequence order, so "sent after it" is "above it", and
/// the segment's transmit time is no later than the SACKed one's: once the ACK that SACKed octets up to H is
/// reo_wnd old, every octet below H that is still not SACKed is lost. No per-segment timestamps are needed: the
/// detector keeps, for each ACK that raised the highest SACKed octet, that octet and when the ACK came.
/// Retransmissions are not covered here (they go out of order): <see cref="RetransmitLog"/> finds those lost.
/// Pure: time is passed in, never read. Not thread-safe.
/// </summary>
public sealed class RackLossDetector
{
    private readonly Queue<(SeqNum High, TimeSpan At)> _pending = new();
    private SeqNum? _lastHigh;

    /// <summary>When the reordering timer behind <see cref="NextDeadline"/> fires (the connection's bookkeeping).</summary>
    public TimeSpan TimerFiresAt { get; set; }

    /// <summary>Nothing pending and nothing known lost: the connection may drop the detector.</summary>
    public bool IsEmpty => _pending.Count == 0 && Boundary is null;

    /// <summary>Every unSACKed octet below it is lost (null when none is known lost).</summary>
    public SeqNum? Boundary { get; private set; }

    /// <summary>
    /// RACK.reo_wnd (RFC 8985 6.2 step 4): min(RACK.min_RTT / 4, SRTT). SRTT / 4 stands in for min_RTT / 4 (it is
    /// not smaller, so it waits at least as long for reordered segments); without an RTT sample, <paramref name="fallback"/>.
    /// </summary>
    public static TimeSpan ReorderingWindow(TimeSpan? srtt, TimeSpan fallback) => srtt is { } s ? s / 4 : fallback;

    /// <summary>
    /// RACK.reo_wnd with the first rule of RFC 8985 6.2 step 4: while no reordering has been seen on the connection
    /// (RACK.reord is FALSE) and it is in loss recovery, 0, so that a hole below a SACK is lost as soon as the SACK
    /// arrives (Linux's tcp_rack_reo_wnd does the same). Otherwise as <see cref="ReorderingWindow(TimeSpan?, TimeSpan)"/>.
    /// The rule's other half (DupThresh segments SACKed) is RFC 6675's IsLost, which starts recovery at once anyway.
    /// </summary>
    public static TimeSpan ReorderingWindow(TimeSpan? srtt, TimeSpan fallback, bool reorderingSeen, bool inRecovery) =>
        !reorderingSeen && inRecovery ? TimeSpan.Zero : ReorderingWindow(srtt, fallback);

    /// <summary>An ACK at <paramref name="now"/> SACKed octets up to <paramref name="highSacked"/> (the scoreboard's highest).</summary>
    public void OnSacked(SeqNum highSacked, TimeSpan now)
    {
        if (_lastHigh is { } last && highSacked <= last)
            return;
        _lastHigh = highSacked;
        _pending.Enqueue((highSacked, now));
    }

    /// <summary>The loss boundary at <paramref name="now"/>: the highest SACKed octet reported at least <paramref name="reoWnd"/> ago.</summary>
    public SeqNum? LostBelow(TimeSpan now, TimeSpan reoWnd)
    {
        while (_pending.TryPeek(out var p) && p.At + reoWnd <= now)
        {
            _pending.Dequeue();
            Boundary = Boundary is { } b ? SeqNum.Max(b, p.High) : p.High;
        }
        return Boundary;
    }

    /// <summary>When the next pending report becomes old enough (RACK's reordering timer, RFC 8985 6.3); null when none is pending.</summary>
    public TimeSpan? NextDeadline(TimeSpan reoWnd) => _pending.TryPeek(out var p) ? p.At + reoWnd : null;

    /// <summary>SND.UNA advanced: what lies below it is forgotten.</summary>
    public void Acknowledge(SeqNum una)
    {
        while (_pending.TryPeek(out var p) && p.High <= una)
            _pending.Dequeue();
        if (Boundary is { } b && b <= una)
            Boundary = null;
        if (_lastHigh is { } h && h <= una)
            _lastHigh = null;
    }

    /// <summary>The SACK information was dropped (a retransmission timeout): start again.</summary>
    public void Clear()
    {
        _pending.Clear();
        _lastHigh = null;
        Boundary = null;
    }
}
