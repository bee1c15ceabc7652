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
/// </summary>
internal sealed class SegmentArrived(FourTuple tuple, TcpSegment segment, ReadOnlyMemory<byte> payload, byte[]? buffer, TcpCounters? counters,
    byte ecn = 0)
{
    private byte[]? _buffer = buffer;

    public FourTuple Tuple { get; } = tuple;
    public TcpSegment Segment { get; } = segment;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public byte Ecn { get; } = ecn;

    /// <summary>A segment whose payload is in no pooled buffer (a private array, or none).</summary>
    public SegmentArrived(FourTuple tuple, TcpSegment segment, ReadOnlyMemory<byte> payload, byte ecn = 0) : this(tuple, segment, payload, null, null, ecn)
    {
    }

    public TcpCounters? Counters => counters;

    /// <summary>Takes the pooled buffer under <see cref="Payload"/> (null if there is none or it was taken or released).</summary>
    public byte[]? TakeBuffer() => Interlocked.Exchange(ref _buffer, null);

    /// <summary>Returns the pooled buffer, if this message still owns it; after that <see cref="Payload"/> must not be read.</summary>
    public void Release()
    {
        if (TakeBuffer() is { } b)
            PacketBuffers.Return(counters!, b);
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
