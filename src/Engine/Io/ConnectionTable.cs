using System.Collections.Concurrent;
using Akka.Actor;

namespace TcpActors.Engine.Io;

/// <summary>
/// The 4-tuple -> connection table that the link's read thread demultiplexes with. Only the I/O actor writes it
/// (when a connection is created, and when its actor has terminated); any thread reads it. A segment for a tuple
/// not (or no longer) in it goes to the I/O actor, which looks again in its own state, then at the listeners.
/// </summary>
internal sealed class ConnectionTable
{
    private readonly ConcurrentDictionary<FourTuple, IActorRef> _table = new();

    public int Count => _table.Count;

    public bool TryGet(in FourTuple tuple, out IActorRef connection) => _table.TryGetValue(tuple, out connection!);

    public void Publish(in FourTuple tuple, IActorRef connection) => _table[tuple] = connection;

    /// <summary>Removes the entry if it still belongs to <paramref name="connection"/>.</summary>
    public void Withdraw(in FourTuple tuple, IActorRef connection) =>
        _table.TryRemove(new KeyValuePair<FourTuple, IActorRef>(tuple, connection));
}
