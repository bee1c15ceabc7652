using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Congestion;

/// <summary>
/// The sender's record of what the receiver reported with SACK blocks (RFC 6675 section 3): the SACKed ranges
/// between SND.UNA and SND.NXT, merged, sorted. Answers IsLost, the pipe estimate (SetPipe) and where the next
/// retransmission starts (NextSeg rules 1 and 3). Pure: sequence numbers in, no clock, no I/O. Not thread-safe.
/// </summary>
public sealed class SackScoreboard
{
    /// <summary>RFC 6675 DupThresh: 3.</summary>
    public const int DupThresh = 3;

    private readonly List<(SeqNum Left, SeqNum Right)> _ranges = [];

    /// <summary>Disjoint SACKed ranges held.</summary>
    public int Count => _ranges.Count;

    public bool IsEmpty => _ranges.Count == 0;

    /// <summary>Octets SACKed and not yet cumulatively acknowledged.</summary>
    public long SackedBytes { get; private set; }

    /// <summary>One past the highest SACKed octet; null when nothing is SACKed.</summary>
    public SeqNum? HighSacked => _ranges.Count == 0 ? null : _ranges[^1].Right;

    public IReadOnlyList<(SeqNum Left, SeqNum Right)> Ranges => _ranges;

    /// <summary>
    /// Drops what SND.UNA passed, then records the blocks of one ACK. Blocks are checked (RFC 2018 section 3 and
    /// 5): a block must satisfy SND.UNA &lt; Right =&lt; SND.NXT and Left &lt; Right; the part below SND.UNA of a block
    /// (a D-SACK, RFC 2883, or stale) is ignored. Returns true when octets not SACKed before are SACKed now.
    /// </summary>
    public bool Update(SeqNum una, SeqNum nxt, ReadOnlySpan<SackBlock> blocks)
    {
        Acknowledge(una);
        bool added = false;
        foreach (var b in blocks)
        {
            if (!(b.Left < b.Right) || !(una < b.Right) || b.Right > nxt)
                continue;
            added |= Add(SeqNum.Max(b.Left, una), b.Right);
        }
        return added;
    }

    /// <summary>SND.UNA advanced: ranges at or below it are forgotten.</summary>
    public void Acknowledge(SeqNum una)
    {
        int drop = 0;
        while (drop < _ranges.Count && _ranges[drop].Right <= una)
        {
            SackedBytes -= _ranges[drop].Right - _ranges[drop].Left;
            drop++;
        }
        _ranges.RemoveRange(0, drop);
        if (_ranges.Count > 0 && _ranges[0].Left < una)
        {
            SackedBytes -= una - _ranges[0].Left;
            _ranges[0] = (una, _ranges[0].Right);
        }
    }

    /// <summary>Forgets everything (RFC 2018 section 8: SACK information is ignored after a retransmission timeout).</summary>
    public void Clear()
    {
        _ranges.Clear();
        SackedBytes = 0;
    }

    private bool Add(SeqNum left, SeqNum right)
    {
        // Find the first range that ends at or after left (touching ranges merge).
        int i = 0;
        while (i < _ranges.Count && _ranges[i].Right < left)
            i++;
        if (i < _ranges.Count && _ranges[i].Left <= left && right <= _ranges[i].Right)
            return false;   // nothing new
        long before = SackedBytes;
        SeqNum newLeft = left, newRight = right;
        int j = i;
        while (j < _ranges.Count && _ranges[j].Left <= right)
        {
            newLeft = SeqNum.Min(newLeft, _ranges[j].Left);
            newRight = SeqNum.Max(newRight, _ranges[j].Right);
            SackedBytes -= _ranges[j].Right - _ranges[j].Left;
            j++;
        }
        _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (newLeft, newRight));
        SackedBytes += newRight - newLeft;
        return SackedBytes > before;
    }

    /// <summary>The octet <paramref name="seq"/> was SACKed.</summary>
    public bool IsSacked(SeqNum seq)
    {
        foreach (var (l, r) in _ranges)
        {
            if (seq < l)
                return false;
            if (seq < r)
                return true;
        }
        return false;
    }

    /// <summary>
    /// RFC 6675 IsLost(SeqNum): true when DupThresh discontiguous SACKed sequences lie above <paramref name="seq"/>,
    /// or more than (DupThresh - 1) * SMSS SACKed bytes do.
    /// </summary>
    public bool IsLost(SeqNum seq, int smss)
    {
        int ranges = 0;
        long bytes = 0;
        for (int i = _ranges.Count - 1; i >= 0; i--)
        {
            var (l, r) = _ranges[i];
            if (r <= seq + 1)
                break;
            ranges++;
            bytes += l > seq ? r - l : r - (seq + 1);
            if (ranges >= DupThresh || bytes > (long)(DupThresh - 1) * smss)
                return true;
        }
        return false;
    }

    /// <summary>
    /// The loss boundary: every octet below it that is not SACKed is lost by <see cref="IsLost"/>; none at or above
    /// it is. Null when no octet is lost.
    /// </summary>
    public SeqNum? LostBoundary(int smss)
    {
        // An unSACKed octet below range i has exactly the ranges i..top above it: the first i (from the top)
        // that satisfies IsLost bounds every lost octet.
        int ranges = 0;
        long bytes = 0;
        for (int i = _ranges.Count - 1; i >= 0; i--)
        {
            var (l, r) = _ranges[i];
            ranges++;
            bytes += r - l;
            if (ranges >= DupThresh || bytes > (long)(DupThresh - 1) * smss)
                return l;
        }
        return null;
    }

    /// <summary>Octets in [from, to) not SACKed.</summary>
    public long UnsackedBytes(SeqNum from, SeqNum to)
    {
        if (!(from < to))
            return 0;
        long n = to - from;
        foreach (var (l, r) in _ranges)
        {
            if (r <= from)
                continue;
            if (l >= to)
                break;
            n -= SeqNum.Min(r, to) - SeqNum.Max(l, from);
        }
        return n;
    }

    /// <summary>
    /// RFC 6675 SetPipe: for each octet of [SND.UNA, SND.NXT) not SACKed, one if it is not lost and one if it was
    /// retransmitted (it lies below <paramref name="highRxt"/>, one past the highest octet retransmitted).
    /// <paramref name="lostBelow"/> marks more octets lost (everything below it, e.g. after a timeout).
    /// </summary>
    public long Pipe(SeqNum una, SeqNum nxt, SeqNum highRxt, int smss, SeqNum? lostBelow = null)
    {
        SeqNum lost = LossEnd(una, nxt, smss, lostBelow);
        SeqNum rxt = Clamp(highRxt, una, nxt);
        return UnsackedBytes(lost, nxt) + UnsackedBytes(una, rxt);
    }

    /// <summary>Where the lost octets end: max of <see cref="LostBoundary"/> and <paramref name="lostBelow"/>, within [una, nxt].</summary>
    public SeqNum LossEnd(SeqNum una, SeqNum nxt, int smss, SeqNum? lostBelow = null)
    {
        SeqNum end = una;
        if (LostBoundary(smss) is { } b)
            end = SeqNum.Max(end, b);
        if (lostBelow is { } x)
            end = SeqNum.Max(end, x);
        return Clamp(end, una, nxt);
    }

    /// <summary>
    /// The first octet at or after <paramref name="from"/> and below <paramref name="limit"/> that is not SACKed,
    /// and the length of the segment to send there: up to <paramref name="smss"/>, the next SACKed range, or
    /// <paramref name="nxt"/>. NextSeg rule 1 asks it with limit = the loss end; rule 3 with limit = HighSacked.
    /// </summary>
    public bool NextHole(SeqNum from, SeqNum limit, SeqNum nxt, int smss, out SeqNum start, out int length)
    {
        start = from;
        length = 0;
        SeqNum s = from;
        foreach (var (l, r) in _ranges)
        {
            if (r <= s)
                continue;
            if (l <= s)
            {
                s = r;   // inside a SACKed range: the hole starts after it
                continue;
            }
            break;
        }
        if (!(s < limit) || !(s < nxt))
            return false;
        SeqNum end = nxt;
        foreach (var (l, _) in _ranges)
        {
            if (l > s)
            {
                end = SeqNum.Min(end, l);
                break;
            }
        }
        start = s;
        length = Math.Min(smss, end - s);
        return length > 0;
    }

    private static SeqNum Clamp(SeqNum v, SeqNum lo, SeqNum hi) => v < lo ? lo : v > hi ? hi : v;
}
