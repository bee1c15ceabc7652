using Akka.Actor;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// A validated segment for one connection or listener, from the link's thread (<see cref="Demultiplexer"/>). The
/// payload lies in a packet buffer (<see cref="PacketBuffers"/>) that this message owns until someone takes it
/// (<see cref="TakeBuffer"/>: a Received for a handler that asked for pooled data) or releases it. Who releases:
/// the connection once it has processed the segment (ConnectionActor.AroundReceive), the listener once it has
/// answered it, the I/O actor after a RST, and the <see cref="DeadLetterReleaser"/> for one that ended in dead letters
/// (its connection stopped). <see cref="Release"/> is idempotent, so a second release does nothing.
/// <see cref="Ecn"/> is the ECN field of its IP header (RFC 3168 section 5).
/// The message object itself may come from a <see cref="SegmentArrivedPool"/> (the segments the link's thread hands
/// straight to a connection); the connection gives it back once it has handled it (<see cref="Recycle"/>), and after
/// that nobody may read it. One that ends anywhere else (dead letters, a failure) is left to the garbage collector.
/// </summary>
internal sealed class SegmentArrived
{
    private byte[]? _buffer;
    private TcpCounters? _counters;
    private SegmentArrivedPool? _pool;
    private int _rented;

    public FourTuple Tuple { get; private set; }
    public TcpSegment Segment { get; private set; }
    public ReadOnlyMemory<byte> Payload { get; private set; }
    public byte Ecn { get; private set; }

    public SegmentArrived(FourTuple tuple, TcpSegment segment, ReadOnlyMemory<byte> payload, byte[]? buffer, TcpCounters? counters,
        byte ecn = 0) => Set(tuple, segment, payload, buffer, counters, ecn);

    /// <summary>A segment whose payload is in no pooled buffer (a private array, or none).</summary>
    public SegmentArrived(FourTuple tuple, TcpSegment segment, ReadOnlyMemory<byte> payload, byte ecn = 0) : this(tuple, segment, payload, null, null, ecn)
    {
    }

    /// <summary>An empty message of <paramref name="pool"/>; <see cref="SegmentArrivedPool.Rent"/> fills it.</summary>
    internal SegmentArrived(SegmentArrivedPool pool) => _pool = pool;

    public TcpCounters? Counters => _counters;

    /// <summary>Whether this message is out of a pool and not yet given back (tests).</summary>
    internal bool IsRented => Volatile.Read(ref _rented) != 0;

    internal void Set(FourTuple tuple, TcpSegment segment, ReadOnlyMemory<byte> payload, byte[]? buffer, TcpCounters? counters, byte ecn)
    {
        Tuple = tuple;
        Segment = segment;
        Payload = payload;
        _buffer = buffer;
        _counters = counters;
        Ecn = ecn;
    }

    /// <summary>Marks a pooled message as handed out (<see cref="SegmentArrivedPool.Rent"/>).</summary>
    internal void MarkRented() => Volatile.Write(ref _rented, 1);

    /// <summary>Takes the pooled buffer under <see cref="Payload"/> (null if there is none or it was taken or released).</summary>
    public byte[]? TakeBuffer() => Interlocked.Exchange(ref _buffer, null);

    /// <summary>Returns the pooled buffer, if this message still owns it; after that <see cref="Payload"/> must not be read.</summary>
    public void Release()
    {
        if (TakeBuffer() is { } b)
            PacketBuffers.Return(_counters!, b);
    }

    /// <summary>
    /// Releases the buffer and gives the message back to its pool, if it came from one and is still out (a second call,
    /// or a call on a message that is not pooled, only releases). Only its one receiver calls this, once it is done.
    /// </summary>
    public void Recycle()
    {
        Release();
        if (_pool is not null && Interlocked.Exchange(ref _rented, 0) == 1)
        {
            Payload = default;
            _pool.Return(this);
        }
    }
}

/// <summary>The link failed.</summary>
internal sealed record LinkFailed(Exception Cause);

/// <summary>A listener created a connection for this tuple: segments for it now go straight to the connection.</summary>
internal sealed record ConnectionCreated(FourTuple Tuple, IActorRef Connection);

/// <summary>
/// From a connection as it stops (PostStop) to the I/O actor and to its listener: forget this tuple if it is still
/// mine (the Sender). Death watch would do the same at ~600 bytes per connection (Akka's watch sets on both sides).
/// </summary>
internal sealed record ConnectionGone(FourTuple Tuple) : Akka.Event.IDeadLetterSuppression;   // when the stack itself stops, nobody is left to tell

/// <summary>From a connection to its listener: it reached ESTABLISHED (leaves the SYN queue, joins the accept queue).</summary>
internal sealed record ConnectionEstablished(FourTuple Tuple);

/// <summary>From a connection to its listener: the application registered a handler (leaves the accept queue).</summary>
internal sealed record ConnectionAccepted(FourTuple Tuple);

/// <summary>Ask the I/O actor for the number of table entries (tests, status).</summary>
internal sealed class GetTableSize
{
    public static readonly GetTableSize Instance = new();
}

internal sealed record TableSize(int Connections, int Listeners);

internal sealed class ShutdownDeadline
{
    public static readonly ShutdownDeadline Instance = new();
}

/// <summary>From a connection to the I/O actor: it entered TIME-WAIT (its data is all delivered both ways).</summary>
internal sealed record ConnectionInTimeWait(FourTuple Tuple);
