using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// The identity of a connection (RFC 9293 section 3.1): the local and remote address and port, seen from
/// this endpoint. A segment that arrives from remote to local belongs to the connection with this tuple.
/// </summary>
public readonly record struct FourTuple(Ipv4Address LocalAddress, ushort LocalPort, Ipv4Address RemoteAddress, ushort RemotePort)
{
    /// <summary>The tuple of an arriving segment: its destination is local, its source remote.</summary>
    public static FourTuple OfArriving(in Ipv4Packet ip, in TcpSegment tcp) =>
        new(ip.Destination, tcp.DestinationPort, ip.Source, tcp.SourcePort);

    public override string ToString() => $"{LocalAddress}:{LocalPort}<->{RemoteAddress}:{RemotePort}";
}
