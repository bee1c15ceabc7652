using System.Buffers;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// Out-of-order receive queue (RFC 9293 section 3.10.7.4, "segment text"): data beyond RCV.NXT is held until
/// the gap before it is filled. Holds at most a fixed number of bytes; where copies overlap, the first one wins.
/// Held data is kept as disjoint pieces sorted by sequence number (pooled buffers, never copied on merge).
/// Not thread-safe.
/// </summary>
public sealed class Reassembler
{
    private sealed class Piece
    {
        public SeqNum Start;
        public byte[] Buffer = [];
        public int Offset;
        public int Length;
        public long Stamp;

        public SeqNum End => Start + Length;
        public ReadOnlySpan<byte> Data => Buffer.AsSpan(Offset, Length);
    }

    private readonly int _capacity;
    /// <summary>Never written to: what <see cref="_pieces"/> is while nothing is held, so that an idle connection holds no list.</summary>
    private static readonly List<Piece> NoPieces = [];
    private List<Piece> _pieces = NoPieces;
    private long _clock;
    private SeqNum? _fin;

    /// <param name="capacityBytes">Most out-of-order bytes held; data beyond it is refused.</param>
    public Reassembler(int capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _capacity = capacityBytes;
    }

    public int BufferedBytes { get; private set; }

    /// <summary>True while the reassembler holds storage of its own (a list of pieces): never on an idle connection.</summary>
    public bool HoldsStorage => !ReferenceEquals(_pieces, NoPieces);

    /// <summary>Number of disjoint (non-adjacent) ranges held.</summary>
    public int SegmentCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _pieces.Count; i++)
                if (i == 0 || _pieces[i - 1].End != _pieces[i].Start)
                    n++;
            return n;
        }
    }

    /// <summary>The out-of-order FIN recorded by <see cref="AddFin"/>, if any.</summary>
    public SeqNum? FinSeq => _fin;

    /// <summary>
    /// Holds data that starts at seq (seq may be > rcvNxt; any part before rcvNxt is trimmed; overlapping parts
    /// with what is held are merged, the first copy wins; any part at or after a recorded FIN is dropped).
    /// Returns the number of new bytes now held (0 if refused or all duplicate).
    /// </summary>
    public int Add(SeqNum rcvNxt, SeqNum seq, ReadOnlySpan<byte> data)
    {
        Prune(rcvNxt);
        if (data.IsEmpty)
            return 0;
        SeqNum end = seq + data.Length;
        if (end <= rcvNxt)
            return 0;
        if (seq < rcvNxt)
        {
            data = data[(rcvNxt - seq)..];
            seq = rcvNxt;
        }
        if (_fin is { } fin && end > fin)
        {
            if (seq >= fin)
                return 0;
            data = data[..(fin - seq)];
            end = fin;
        }

        int first = FirstEndingAfter(rcvNxt, seq);
        int newBytes = 0;
        SeqNum cur = seq;
        int last = first;
        for (; last < _pieces.Count && _pieces[last].Start < end; last++)
        {
            if (_pieces[last].Start > cur)
                newBytes += _pieces[last].Start - cur;
            cur = SeqNum.Max(cur, _pieces[last].End);
        }
        if (cur < end)
            newBytes += end - cur;

        if (newBytes > _capacity - BufferedBytes)
            return 0;

        long stamp = ++_clock;
        // Touch the pieces that overlap or adjoin the arrival so its block reports as the most recent (RFC 2018 section 4).
        int touchFrom = first > 0 && _pieces[first - 1].End == seq ? first - 1 : first;
        int touchTo = last < _pieces.Count && _pieces[last].Start == end ? last + 1 : last;
        for (int i = touchFrom; i < touchTo; i++)
            _pieces[i].Stamp = stamp;
        if (newBytes == 0)
            return 0;

        // Fill each gap between the held pieces in [seq, end) with a new piece; the held bytes are kept.
        cur = seq;
        int index = first;
        while (cur < end)
        {
            if (index < _pieces.Count && _pieces[index].Start <= cur)
            {
                cur = SeqNum.Max(cur, _pieces[index].End);
                index++;
                continue;
            }
            SeqNum gapEnd = index < _pieces.Count && _pieces[index].Start < end ? _pieces[index].Start : end;
            int len = gapEnd - cur;
            var buffer = ArrayPool<byte>.Shared.Rent(len);
            data.Slice(cur - seq, len).CopyTo(buffer);
            if (ReferenceEquals(_pieces, NoPieces))
                _pieces = [];
            _pieces.Insert(index, new Piece { Start = cur, Buffer = buffer, Offset = 0, Length = len, Stamp = stamp });
            index++;
            cur = gapEnd;
        }
        BufferedBytes += newBytes;
        return newBytes;
    }

    /// <summary>Records a FIN at finSeq (the sequence number the FIN occupies) that arrived out of order; held data at or after it is dropped.</summary>
    public void AddFin(SeqNum finSeq)
    {
        _fin = finSeq;
        for (int i = _pieces.Count - 1; i >= 0; i--)
        {
            var p = _pieces[i];
            if (p.End <= finSeq)
                break;
            if (p.Start >= finSeq)
            {
                Release(p);
                BufferedBytes -= p.Length;
                _pieces.RemoveAt(i);
            }
            else
            {
                int cut = p.End - finSeq;
                p.Length -= cut;
                BufferedBytes -= cut;
            }
        }
        ReleaseListIfEmpty();
    }

    /// <summary>
    /// Moves the bytes that now start exactly at rcvNxt into output, advancing rcvNxt past them; returns how many
    /// bytes were moved. finReached is true when the recorded FIN is at rcvNxt (rcvNxt is not advanced for it).
    /// </summary>
    public int TakeContiguous(ref SeqNum rcvNxt, IBufferWriter<byte> output, out bool finReached)
    {
        Prune(rcvNxt);
        int moved = 0;
        int taken = 0;
        while (taken < _pieces.Count && _pieces[taken].Start == rcvNxt)
        {
            var p = _pieces[taken++];
            output.Write(p.Data);
            rcvNxt += p.Length;
            moved += p.Length;
            BufferedBytes -= p.Length;
            Release(p);
        }
        _pieces.RemoveRange(0, taken);
        ReleaseListIfEmpty();
        finReached = _fin == rcvNxt;
        return moved;
    }

    /// <summary>The held ranges as SACK blocks, most recently added first (RFC 2018 section 4), at most dest.Length; returns the count.</summary>
    public int GetSackBlocks(Span<SackBlock> dest)
    {
        if (dest.IsEmpty)
            return 0;
        Span<long> stamps = dest.Length <= 16 ? stackalloc long[dest.Length] : new long[dest.Length];
        int count = 0;
        int i = 0;
        while (i < _pieces.Count)
        {
            SeqNum left = _pieces[i].Start;
            long stamp = _pieces[i].Stamp;
            SeqNum right = _pieces[i].End;
            for (i++; i < _pieces.Count && _pieces[i].Start == right; i++)
            {
                right = _pieces[i].End;
                stamp = Math.Max(stamp, _pieces[i].Stamp);
            }
            // Insertion into dest ordered by stamp, newest first, keeping the dest.Length newest.
            int pos = count;
            while (pos > 0 && stamps[pos - 1] < stamp)
                pos--;
            if (pos >= dest.Length)
                continue;
            int last = Math.Min(count, dest.Length - 1);
            for (int j = last; j > pos; j--)
            {
                dest[j] = dest[j - 1];
                stamps[j] = stamps[j - 1];
            }
            dest[pos] = new SackBlock(left, right);
            stamps[pos] = stamp;
            if (count < dest.Length)
                count++;
        }
        return count;
    }

    /// <summary>Drops all held data and the recorded FIN, returning buffers to the pool.</summary>
    public void Clear()
    {
        foreach (var p in _pieces)
            Release(p);
        _pieces = NoPieces;
        BufferedBytes = 0;
        _fin = null;
    }

    /// <summary>Drops held bytes that rcvNxt has already passed (the caller may advance it with in-order data).</summary>
    private void Prune(SeqNum rcvNxt)
    {
        if (_fin is { } fin && fin < rcvNxt)
            _fin = null;
        int drop = 0;
        while (drop < _pieces.Count && _pieces[drop].End <= rcvNxt)
        {
            BufferedBytes -= _pieces[drop].Length;
            Release(_pieces[drop]);
            drop++;
        }
        _pieces.RemoveRange(0, drop);
        ReleaseListIfEmpty();
        if (_pieces.Count > 0 && _pieces[0].Start < rcvNxt)
        {
            var p = _pieces[0];
            int cut = rcvNxt - p.Start;
            p.Start = rcvNxt;
            p.Offset += cut;
            p.Length -= cut;
            BufferedBytes -= cut;
        }
    }

    /// <summary>Index of the first piece whose end lies after seq (pieces are sorted and all at or after rcvNxt).</summary>
    private int FirstEndingAfter(SeqNum rcvNxt, SeqNum seq)
    {
        int target = seq - rcvNxt;
        int lo = 0, hi = _pieces.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_pieces[mid].End - rcvNxt > target)
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo;
    }

    /// <summary>Nothing held: the list goes (an out-of-order episode is rare; an idle connection keeps none).</summary>
    private void ReleaseListIfEmpty()
    {
        if (_pieces.Count == 0)
            _pieces = NoPieces;
    }

    private static void Release(Piece p)
    {
        if (p.Buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(p.Buffer);
        p.Buffer = [];
    }
}
