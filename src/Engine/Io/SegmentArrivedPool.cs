using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// The <see cref="SegmentArrived"/> messages the link's thread hands straight to connections, reused: in steady state
/// a segment costs no message object (each was ~150 B, the largest allocation left per segment). One per stack;
/// rented on the link's thread, given back by the connection that handled it (any thread). Holds at most
/// <see cref="MaximumRetained"/> idle messages; a burst beyond that allocates and the surplus goes to the collector.
/// The pool is a <see cref="CountingObjectPool{T}"/>.
/// </summary>
internal sealed class SegmentArrivedPool
{
    public const int MaximumRetained = 1024;

    private readonly CountingObjectPool<SegmentArrived> _pool;

    public SegmentArrivedPool() => _pool = new CountingObjectPool<SegmentArrived>(() => new SegmentArrived(this), MaximumRetained);

    /// <summary>A message for the segment, out of the pool (or new when the pool is empty).</summary>
    public SegmentArrived Rent(FourTuple tuple, in TcpSegment segment, ReadOnlyMemory<byte> payload, byte[]? buffer, TcpCounters? counters, byte ecn)
    {
        var m = _pool.Get();
        m.Set(tuple, segment, payload, buffer, counters, ecn);
        m.MarkRented();
        return m;
    }

    /// <summary>How many message objects the pool has made so far (in steady state it stops growing).</summary>
    public long Created => _pool.Created;

    /// <summary>From <see cref="SegmentArrived.Recycle"/>.</summary>
    internal void Return(SegmentArrived message) => _pool.Return(message);
}
