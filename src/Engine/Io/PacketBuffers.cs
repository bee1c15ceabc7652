using System.Buffers;

namespace TcpActors.Engine.Io;

/// <summary>
/// Packet buffers from the shared ArrayPool, counted in <see cref="TcpCounter.PacketBuffersInUse"/> so that a
/// leak shows as a gauge that never returns to zero.
/// </summary>
internal static class PacketBuffers
{
    public static byte[] Rent(TcpCounters counters, int size)
    {
        counters.Add(TcpCounter.PacketBuffersInUse);
        return ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
    }

    public static void Return(TcpCounters counters, byte[] buffer)
    {
        counters.Add(TcpCounter.PacketBuffersInUse, -1);
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
