using System.Buffers.Binary;
using TcpActors.Engine.Wire;

namespace TcpActors.Interop.Tests.Support;

/// <summary>Builds and reads IPv4/UDP packets for the raw link tests.</summary>
public static class Udp
{
    /// <summary>Writes an IPv4/UDP packet with a correct UDP checksum; returns its length.</summary>
    public static int Write(Span<byte> buffer, Ipv4Address source, ushort sourcePort, Ipv4Address destination,
        ushort destinationPort, ReadOnlySpan<byte> payload, ushort id = 0)
    {
        int udpLength = 8 + payload.Length;
        int total = 20 + udpLength;
        Ipv4Packet.WriteHeader(buffer, source, destination, IpProtocol.Udp, total, identification: id);
        var udp = buffer.Slice(20, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        udp[6] = 0;
        udp[7] = 0;
        payload.CopyTo(udp[8..]);
        ushort c = InternetChecksum.Finish(InternetChecksum.Accumulate(udp,
            InternetChecksum.PseudoHeader(source.Value, destination.Value, IpProtocol.Udp, udpLength)));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], c == 0 ? (ushort)0xFFFF : c);
        return total;
    }

    /// <summary>The UDP payload of an IPv4/UDP packet to <paramref name="port"/>, or false.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, ushort port, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (Ipv4Packet.TryParse(packet, out var ip) != DropReason.None || ip.Protocol != IpProtocol.Udp)
            return false;
        var udp = ip.Payload(packet);
        if (udp.Length < 8 || BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != port)
            return false;
        payload = udp[8..];
        return true;
    }
}
