using Akka.Actor;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>A validated segment for one connection or listener. Payload is a private copy, never written after
/// it is made: the connection hands slices of it to the application as <c>Received</c>. Ecn is the ECN field of
/// its IP header (RFC 3168 section 5).</summary>
internal sealed record SegmentArrived(FourTuple Tuple, TcpSegment Segment, ReadOnlyMemory<byte> Payload, byte Ecn = 0);

/// <summary>A whole IPv4 packet to put on the link: <c>Buffer[..Length]</c>, rented from ArrayPool and returned by the I/O actor.</summary>
internal sealed record SendPacket(byte[] Buffer, int Length);

/// <summary>A packet that arrived on the link (copied off the link's buffer into a rented array).</summary>
internal sealed record PacketArrived(byte[] Buffer, int Length);

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
