using TcpActors.Engine.Api;

namespace TcpActors.Engine.Io;

/// <summary>
/// The <see cref="Received"/> messages of handlers that registered with <see cref="Register.RecycleReceived"/>, reused:
/// <see cref="Received.Release"/> gives back the packet buffer and then the message itself, so in steady state a data
/// segment costs no object on its way to the application (48 B each otherwise, the last allocation per segment). One
/// per stack; rented by connections, given back by handlers (any thread). Holds at most <see cref="MaximumRetained"/>
/// idle messages; beyond that a burst allocates and the surplus goes to the collector.
/// </summary>
internal sealed class ReceivedPool
{
    /// <summary>
    /// Idle messages kept at most: a 4 MiB window's worth of segments (~2,900 at MTU 1500) may wait in a handler's
    /// mailbox at once, and every message returned beyond what the pool keeps is one made again later (4,096 x ~56 B).
    /// </summary>
    public const int MaximumRetained = 4096;

    private readonly CountingObjectPool<Received> _pool;

    public ReceivedPool() => _pool = new CountingObjectPool<Received>(() => new Received(this), MaximumRetained);

    /// <summary>A message that owns <paramref name="buffer"/> and shows <paramref name="data"/>, out of the pool (or new).</summary>
    public Received Rent(ReadOnlyMemory<byte> data, byte[] buffer, TcpCounters counters)
    {
        var m = _pool.Get();
        m.Lease(data, buffer, counters);
        return m;
    }

    /// <summary>How many message objects the pool has made so far (in steady state it stops growing).</summary>
    public long Created => _pool.Created;

    /// <summary>From <see cref="Received.Release"/>, once its buffer is back.</summary>
    internal void Return(Received message) => _pool.Return(message);
}
