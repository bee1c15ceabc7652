using System.Buffers.Binary;

namespace TcpActors.Engine.Wire;

/// <summary>ICMPv4 types the endpoint handles (RFC 792).</summary>
public static class IcmpType
{
    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte EchoRequest = 8;
}

/// <summary>Destination-unreachable codes (RFC 792, RFC 1122 section 3.2.2.1).</summary>
public enum UnreachableCode : byte
{
    Network = 0,
    Host = 1,
    Protocol = 2,
    Port = 3,
    FragmentationNeeded = 4,
    AdministrativelyProhibited = 13,
}

/// <summary>
/// ICMPv4 (RFC 792): validation, answering echo requests (so `ping` of the endpoint works) and building
/// destination-unreachable messages. All work is in caller-provided buffers.
/// </summary>
public readonly struct Icmpv4Message
{
    public const int HeaderLength = 8;
    /// <summary>RFC 1812 section 4.3.2.3: an ICMP error carries as much of the original as fits in 576 bytes.</summary>
    public const int MaxErrorPacketLength = 576;

    public byte Type { get; init; }
    public byte Code { get; init; }
    /// <summary>For echo request/reply: identifier and sequence number.</summary>
    public ushort Identifier { get; init; }
    public ushort SequenceNumber { get; init; }
    public int Length { get; init; }

    /// <summary>Validates the ICMP message that is the payload of <paramref name="ip"/>: length and checksum.</summary>
    public static DropReason TryParse(ReadOnlySpan<byte> packet, in Ipv4Packet ip, out Icmpv4Message icmp)
    {
        icmp = default;
        if (ip.Protocol != IpProtocol.Icmp)
            return DropReason.UnsupportedProtocol;
        var m = ip.Payload(packet);
        if (m.Length < HeaderLength)
            return DropReason.Truncated;
        if (!InternetChecksum.IsValid(m))
            return DropReason.BadIcmpChecksum;
        icmp = new Icmpv4Message
        {
            Type = m[0],
            Code = m[1],
            Identifier = BinaryPrimitives.ReadUInt16BigEndian(m[4..]),
            SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(m[6..]),
            Length = m.Length,
        };
        return DropReason.None;
    }

    /// <summary>
    /// Writes the echo reply to a validated echo request (RFC 792; RFC 1122 section 3.2.2.6: same
    /// identifier, sequence and data, addresses swapped). Returns the reply's length, or 0 when
    /// <paramref name="request"/> is not an echo request or the reply does not fit.
    /// </summary>
    public static int WriteEchoReply(ReadOnlySpan<byte> request, in Ipv4Packet ip, Span<byte> reply, byte ttl = 64)
    {
        var m = ip.Payload(request);
        if (ip.Protocol != IpProtocol.Icmp || m.Length < HeaderLength || m[0] != IcmpType.EchoRequest)
            return 0;
        int total = Ipv4Packet.MinHeaderLength + m.Length;
        if (reply.Length < total || total > Ipv4Packet.MaxTotalLength)
            return 0;
        var body = reply.Slice(Ipv4Packet.MinHeaderLength, m.Length);
        m.CopyTo(body);
        body[0] = IcmpType.EchoReply;
        body[1] = 0;
        // RFC 1624: only the type word changed (8 -> 0), so update the checksum incrementally.
        ushort oldChecksum = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        ushort oldWord = (ushort)(m[0] << 8 | m[1]);
        ushort checksum = InternetChecksum.Update(oldChecksum, oldWord, 0);
        // Equation 3 cannot tell +0 from -0: when every word of the reply is zero (identifier, sequence and data
        // all zero) the sum is +0 and only 0xFFFF makes the message sum to -0 (RFC 1071); it gives 0x0000.
        if (checksum == 0 && !body[4..].ContainsAnyExcept((byte)0))
            checksum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(body[2..], checksum);
        Ipv4Packet.WriteHeader(reply, ip.Destination, ip.Source, IpProtocol.Icmp, total, ip.Identification, ttl, ip.TypeOfService, dontFragment: false);
        return total;
    }

    /// <summary>
    /// Writes a destination-unreachable message from <paramref name="source"/> about <paramref name="original"/>
    /// (the offending IPv4 packet), quoting as much of it as fits in 576 bytes. Returns the length, or 0
    /// when the original is too short to quote (it needs an IPv4 header) or the buffer is too small.
    /// </summary>
    public static int WriteDestinationUnreachable(Span<byte> dest, Ipv4Address source, Ipv4Address destination,
        UnreachableCode code, ReadOnlySpan<byte> original, ushort nextHopMtu = 0, byte ttl = 64)
    {
        if (original.Length < Ipv4Packet.MinHeaderLength)
            return 0;
        int quote = Math.Min(original.Length, MaxErrorPacketLength - Ipv4Packet.MinHeaderLength - HeaderLength);
        int total = Ipv4Packet.MinHeaderLength + HeaderLength + quote;
        if (dest.Length < total)
            return 0;
        var body = dest.Slice(Ipv4Packet.MinHeaderLength, HeaderLength + quote);
        body[0] = IcmpType.DestinationUnreachable;
        body[1] = (byte)code;
        body[2] = 0;
        body[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(body[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(body[6..], code == UnreachableCode.FragmentationNeeded ? nextHopMtu : (ushort)0);
        original[..quote].CopyTo(body[HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(body[2..], InternetChecksum.Compute(body));
        Ipv4Packet.WriteHeader(dest, source, destination, IpProtocol.Icmp, total, 0, ttl, 0xC0, dontFragment: false);
        return total;
    }
}
