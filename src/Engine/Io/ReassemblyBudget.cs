namespace TcpActors.Engine.Io;

/// <summary>
/// The out-of-order bytes all connections of one stack may hold together (tcp-actors.reassembly-limit-total): a
/// connection reserves before its reassembler keeps bytes and releases them when they are delivered, pruned or the
/// connection ends. Thread-safe (connections run concurrently): a compare-and-swap on one counter, which never goes
/// over the limit. The counters' gauge <see cref="TcpCounter.ReassemblyBytesHeld"/> follows it.
/// </summary>
public sealed class ReassemblyBudget(long limit, TcpCounters counters)
{
    private long _held;

    public long Limit { get; } = limit;

    /// <summary>Bytes reserved and not yet released.</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Reserves <paramref name="bytes"/> if they fit under the limit; false (nothing reserved) if not.</summary>
    public bool TryReserve(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long held = Interlocked.Read(ref _held);
        while (true)
        {
            if (held + bytes > Limit)
                return false;
            long seen = Interlocked.CompareExchange(ref _held, held + bytes, held);
            if (seen == held)
                break;
            held = seen;
        }
        counters.Add(TcpCounter.ReassemblyBytesHeld, bytes);
        return true;
    }

    /// <summary>Gives back <paramref name="bytes"/> reserved earlier.</summary>
    public void Release(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
            return;
        Interlocked.Add(ref _held, -bytes);
        counters.Add(TcpCounter.ReassemblyBytesHeld, -bytes);
    }
}
