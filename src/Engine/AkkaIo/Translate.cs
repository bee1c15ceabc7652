using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Akka.IO;
using TcpActors.Engine.Api;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.AkkaIo;

/// <summary>
/// Between Akka.IO's types and the stack's. Everything that touches <see cref="ByteString"/> is here, so that Akka.NET
/// 1.6 (Received.Data and Write.Data become ReadOnlySequence&lt;byte&gt;) changes this file and little else.
/// </summary>
internal static class Translate
{
    /// <summary>Wraps the engine's bytes without copying (the engine hands over a fresh array per Received).</summary>
    public static ByteString ToByteString(ReadOnlyMemory<byte> data) =>
        data.IsEmpty ? ByteString.Empty
        : MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment) ? ByteString.FromBytes(segment)
        : ByteString.CopyFrom(data.ToArray());

    /// <summary>The bytes of a Write (one copy: the engine copies them again into its send buffer).</summary>
    public static ReadOnlyMemory<byte> ToMemory(ByteString data) => data.IsEmpty ? ReadOnlyMemory<byte>.Empty : data.ToArray();

    public static IPEndPoint ToEndPoint(Ipv4Address address, ushort port) => new(address.ToIPAddress(), port);

    /// <summary>A remote endpoint: an IPv4 IPEndPoint with a port (no name resolution: a DnsEndPoint is refused).</summary>
    public static string? Remote(EndPoint? endPoint, out Ipv4Address address, out ushort port)
    {
        address = default;
        port = 0;
        if (endPoint is not IPEndPoint ip)
            return $"the remote address must be an IPEndPoint with an IPv4 address, not {Describe(endPoint)} (TcpActors resolves no names)";
        if (ip.AddressFamily != AddressFamily.InterNetwork)
            return $"{ip} is not an IPv4 address: TcpActors is IPv4 only";
        if (ip.Port is < 1 or > 65535)
            return $"remote port {ip.Port} is not in 1..65535";
        address = Ipv4Address.FromIPAddress(ip.Address);
        port = (ushort)ip.Port;
        return null;
    }

    /// <summary>A local endpoint: null, or an IPv4 IPEndPoint whose address is the stack's or Any; port 0 means any.</summary>
    public static string? Local(EndPoint? endPoint, Ipv4Address stackAddress, out ushort port)
    {
        port = 0;
        if (endPoint is null)
            return null;
        if (endPoint is not IPEndPoint ip)
            return $"the local address must be an IPEndPoint, not {Describe(endPoint)}";
        if (ip.AddressFamily != AddressFamily.InterNetwork)
            return $"{ip} is not an IPv4 address: TcpActors is IPv4 only";
        var a = Ipv4Address.FromIPAddress(ip.Address);
        if (a != stackAddress && a != Ipv4Address.Any)
            return $"{ip.Address} is not this stack's address ({stackAddress}) nor 0.0.0.0";
        port = (ushort)ip.Port;
        return null;
    }

    private static string Describe(EndPoint? e) => e is null ? "null" : $"{e.GetType().Name} {e}";

    private static readonly FieldInfo? ReceiveBufferSizeField =
        typeof(Inet.SO.ReceiveBufferSize).GetField("_size", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? SendBufferSizeField =
        typeof(Inet.SO.SendBufferSize).GetField("_size", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>
    /// Akka.IO socket options as the connection's options. Supported: Inet.SO.ReceiveBufferSize (the receive window,
    /// at most 65535 without window scaling), Inet.SO.SendBufferSize, Inet.SO.ReuseAddress (accepted, changes nothing:
    /// a listener never conflicts with connections in TIME-WAIT here), TcpActorsSO.KeepAlive and TcpActorsSO.TcpNoDelay.
    /// Anything else is refused with the reason.
    /// </summary>
    public static string? Options(IEnumerable<Inet.SocketOption>? options, bool pullMode, out ConnectionOptions result)
    {
        // Akka.IO turns Nagle's algorithm off on every connection (TcpConnection.CompleteConnect sets NoDelay), and
        // options come after: TcpActorsSO.TcpNoDelay(false) turns it back on.
        result = ConnectionOptions.Default with { PullMode = pullMode, NoDelay = true };
        if (options is null)
            return null;
        foreach (var o in options)
        {
            switch (o)
            {
                case Inet.SO.ReceiveBufferSize r:
                {
                    if (ReceiveBufferSizeField?.GetValue(r) is not int size)
                        return "cannot read Inet.SO.ReceiveBufferSize's size from this Akka.NET version";
                    if (size < 1)
                        return $"receive buffer size {size} must be positive";
                    result = result with { ReceiveBufferSize = Math.Min(size, 65535) };
                    break;
                }
                case Inet.SO.SendBufferSize sb:
                {
                    if (SendBufferSizeField?.GetValue(sb) is not int size)
                        return "cannot read Inet.SO.SendBufferSize's size from this Akka.NET version";
                    if (size < 1)
                        return $"send buffer size {size} must be positive";
                    result = result with { SendBufferSize = size };
                    break;
                }
                case Inet.SO.ReuseAddress:
                    break;
                case TcpActorsSO.KeepAlive k:
                    if (k.Idle is { } i && i <= TimeSpan.Zero || k.Interval is { } v && v <= TimeSpan.Zero)
                        return $"{k}: idle and interval must be positive";
                    if (k.Count is < 1 or > 127)
                        return $"{k}: count must be in 1..127";
                    result = result with { Keepalive = k.On, KeepaliveIdle = k.Idle, KeepaliveInterval = k.Interval, KeepaliveProbes = k.Count };
                    break;
                case TcpActorsSO.TcpNoDelay n:
                    result = result with { NoDelay = n.On };
                    break;
                default:
                    return $"socket option {o.GetType().FullName} is not supported by TcpActors";
            }
        }
        return null;
    }

    public static Tcp.CommandFailed Failed(Tcp.Command command, string cause) =>
        command.FailureMessage.WithCause(new TcpException(cause));

    public static Tcp.CommandFailed Failed(Tcp.Command command, Exception cause) => command.FailureMessage.WithCause(cause);
}
