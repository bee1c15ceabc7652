using System.Collections.Concurrent;
using Akka.Actor;

namespace TcpActors.Engine.Io;

/// <summary>
/// The stack's 4-tuple -> connection table: the I/O actor's own, and the one the link's read thread demultiplexes
/// with (one table, not two: an entry costs an idle connection ~50 bytes). Only the I/O actor writes it (when a
/// connection is created, and when it is gone); any thread reads it. A segment for a tuple not (or no longer) in it
/// goes to the I/O actor, which looks at the listeners.
/// </summary>
internal sealed class ConnectionTable
{
    private readonly ConcurrentDictionary<FourTuple, IActorRef> _table = new();
    /// <summary>Kept by the one writer: ConcurrentDictionary.Count takes every lock.</summary>
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public bool TryGet(in FourTuple tuple, out IActorRef connection) => _table.TryGetValue(tuple, out connection!);

    public bool Contains(in FourTuple tuple) => _table.ContainsKey(tuple);

    /// <summary>A moment's view of the entries (for the writer: exact).</summary>
    public IEnumerable<KeyValuePair<FourTuple, IActorRef>> Entries => _table;

    public void Publish(in FourTuple tuple, IActorRef connection)
    {
        if (_table.TryAdd(tuple, connection))
            Interlocked.Increment(ref _count);
        else
            _table[tuple] = connection;
    }

    /// <summary>Removes the entry if it still belongs to <paramref name="connection"/>.</summary>
    public bool Withdraw(in FourTuple tuple, IActorRef connection)
    {
        if (!_table.TryRemove(new KeyValuePair<FourTuple, IActorRef>(tuple, connection)))
            return false;
        Interlocked.Decrement(ref _count);
        return true;
    }
}
