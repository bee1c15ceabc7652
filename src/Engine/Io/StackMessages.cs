using Akka.Actor;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>A validated segment for one connection or listener, from the link's thread (<see cref="Demultiplexer"/>).
/// Payload is a private copy, never written after it is made: the connection hands slices of it to the application
/// as <c>Received</c>.</summary>
internal sealed record SegmentArrived(FourTuple Tuple, TcpSegment Segment, ReadOnlyMemory<byte> Payload);

/// <summary>The link failed.</summary>
internal sealed record LinkFailed(Exception Cause);

/// <summary>A listener created a connection for this tuple: segments for it now go straight to the connection.</summary>
internal sealed record ConnectionCreated(FourTuple Tuple, IActorRef Connection);

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
