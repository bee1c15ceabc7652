using System.Buffers;

namespace TcpActors.Engine.Io;

/// <summary>
/// Packet buffers, counted in <see cref="TcpCounter.PacketBuffersInUse"/> so that a leak shows as a gauge that never
/// returns to zero. Buffers of up to <see cref="SmallSize"/> bytes (every packet at MTU 1500, in and out) come from a
/// pool of their own that keeps up to <see cref="SmallRetained"/> of them (4 MiB), process-wide; larger ones (large
/// MTUs, offloaded super-segments) from the shared ArrayPool. ArrayPool.Shared keeps 32 arrays of a size per CPU: a
/// 4 MiB window holds ~2,900 segments, and whenever more than its few dozen waited at once (data queued for a handler
/// running on another thread), each further segment was a new array, 3-13 B per packet in bulk (bench/README.md, round 7).
/// </summary>
internal static class PacketBuffers
{
    /// <summary>The size of the pooled small buffers: a whole packet at MTU 1500, with room for link headers.</summary>
    public const int SmallSize = 2048;

    /// <summary>How many idle small buffers the pool keeps at most (beyond that, returned ones go to the collector).</summary>
    public const int SmallRetained = 2048;

    private static readonly CountingObjectPool<byte[]> Small = new(() => GC.AllocateUninitializedArray<byte>(SmallSize), SmallRetained);

    /// <summary>How many small buffers the pool has made so far, process-wide (in steady state it stops growing).</summary>
    public static long SmallBuffersMade => Small.Created;

    public static byte[] Rent(TcpCounters counters, int size)
    {
        counters.Add(TcpCounter.PacketBuffersInUse);
        return size <= SmallSize ? Small.Get() : ArrayPool<byte>.Shared.Rent(size);
    }

    public static void Return(TcpCounters counters, byte[] buffer)
    {
        counters.Add(TcpCounter.PacketBuffersInUse, -1);
        if (buffer.Length == SmallSize)
            Small.Return(buffer);
        else
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
