using TcpActors.Engine.Link;

namespace TcpActors.Engine.Tests.Link;

/// <summary>A link receiver that keeps copies of what arrives, with the thread it arrived on.</summary>
internal sealed class CollectingReceiver : ILinkReceiver
{
    private readonly Lock _lock = new();
    private readonly List<byte[]> _packets = [];
    private readonly List<int> _threads = [];

    public List<Exception> Failures { get; } = [];

    public List<byte[]> Packets
    {
        get { lock (_lock) return [.. _packets]; }
    }

    public List<int> Threads
    {
        get { lock (_lock) return [.. _threads]; }
    }

    public void OnPacket(ReadOnlySpan<byte> packet)
    {
        lock (_lock)
        {
            _packets.Add(packet.ToArray());
            _threads.Add(Environment.CurrentManagedThreadId);
        }
    }

    public void OnLinkFailed(Exception cause)
    {
        lock (_lock) Failures.Add(cause);
    }
}

internal static class TestPackets
{
    /// <summary>A recognizable packet: its first byte is <paramref name="id"/>, the rest a pattern.</summary>
    public static byte[] Make(int id, int length = 100)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++)
            p[i] = (byte)(i * 7 + 3);
        p[0] = (byte)id;
        return p;
    }

    /// <summary>The positions of differing bits between two packets of the same length.</summary>
    public static List<int> DifferingBits(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var bits = new List<int>();
        for (int i = 0; i < a.Length; i++)
            for (int bit = 0; bit < 8; bit++)
                if (((a[i] ^ b[i]) & (1 << bit)) != 0)
                    bits.Add(i * 8 + bit);
        return bits;
    }
}
