namespace TcpActors.Engine.Connection;

/// <summary>
/// Receive-window auto-tuning, Linux's dynamic right-sizing (tcp_rcv_space_adjust, after Fisk and Feng's DRS): the
/// window starts small and, once per round trip, when the application has read more than in the round trip before,
/// grows to what lets the sender go on at the rate it reached and still double it:
/// <code>
/// copied = bytes read by the application in the last round trip
/// if copied > space:                          (space: what was read in the last round trip that grew, at first 10 MSS)
///     rcvwin  = 2 * copied + 16 * MSS         (a window for the rate, twice over for losses, a cushion)
///     rcvwin += 2 * rcvwin * (copied - space) / space   (the sender is still growing, e.g. in slow start)
///     window  = max(window, min(rcvwin, max window))
///     space   = copied
/// </code>
/// A window is never made smaller. Pure: time and the RTT are passed in. Not thread-safe.
/// </summary>
public sealed class ReceiveWindowTuner
{
    /// <summary>Linux TCP_INIT_CWND: the first measure is compared with what an initial window brings.</summary>
    private const int InitialSegments = 10;

    private readonly int _max;
    private readonly int _mss;
    private long _space;
    private long _copiedAtStart;
    private TimeSpan _measureStart;
    private bool _started;

    /// <param name="initialWindow">Where the window starts (Linux tcp_rmem[1]); at most <paramref name="maxWindow"/>.</param>
    /// <param name="maxWindow">The largest window it grows to (tcp-actors.receive-window, Linux tcp_rmem[2]).</param>
    /// <param name="mss">The MSS we announce (Linux advmss).</param>
    public ReceiveWindowTuner(int initialWindow, int maxWindow, int mss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWindow, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(mss, 1);
        _max = maxWindow;
        _mss = mss;
        Window = Math.Clamp(initialWindow, 1, maxWindow);
        _space = Math.Min(Window, (long)InitialSegments * mss);
    }

    /// <summary>The receive window now (the connection's buffer: RCV.WND when the application keeps up).</summary>
    public int Window { get; private set; }

    /// <summary>What the application read in the last round trip that grew the window (Linux rcvq_space.space).</summary>
    public long Space => _space;

    /// <summary>
    /// The application has now read <paramref name="copied"/> bytes in all. Once at least <paramref name="rtt"/> has
    /// passed since the measure began, the measure ends and may grow the window. Returns true when the window grew.
    /// Without an RTT estimate (or with 0) nothing is measured, as in Linux.
    /// </summary>
    public bool OnCopied(long copied, TimeSpan now, TimeSpan? rtt)
    {
        if (!_started)
        {
            _started = true;
            _measureStart = now;
            _copiedAtStart = 0;
        }
        if (rtt is not { } r || r <= TimeSpan.Zero || now - _measureStart < r)
            return false;
        long inRtt = copied - _copiedAtStart;
        bool grew = false;
        if (inRtt > _space)
        {
            long rcvwin = 2 * inRtt + 16L * _mss;
            long grow = rcvwin * (inRtt - _space) / _space;
            rcvwin += 2 * grow;
            int window = (int)Math.Min(rcvwin, _max);
            if (window > Window)
            {
                Window = window;
                grew = true;
            }
            _space = inRtt;
        }
        _copiedAtStart = copied;
        _measureStart = now;
        return grew;
    }
}
