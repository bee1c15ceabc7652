using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace TcpActors.Engine.Wire;

/// <summary>IP protocol numbers the endpoint knows.</summary>
public static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
}

/// <summary>
/// A validated IPv4 header (RFC 791) and where its payload lies in the packet buffer.
/// Holds no reference to the buffer: parse once, then slice the buffer with <see cref="Payload"/>.
/// </summary>
public readonly struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    public const int MaxTotalLength = 65535;

    public Ipv4Address Source { get; init; }
    public Ipv4Address Destination { get; init; }
    public byte Protocol { get; init; }
    /// <summary>Header length in bytes (IHL * 4), options included.</summary>
    public int HeaderLength { get; init; }
    /// <summary>Total length in bytes from the header; trailing link padding beyond it is ignored.</summary>
    public int TotalLength { get; init; }
    /// <summary>The DSCP (upper six bits) and ECN (lower two bits) byte.</summary>
    public byte TypeOfService { get; init; }
    public ushort Identification { get; init; }
    public bool DontFragment { get; init; }
    public bool MoreFragments { get; init; }
    /// <summary>Fragment offset in bytes.</summary>
    public int FragmentOffset { get; init; }
    public byte TimeToLive { get; init; }

    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    public byte Ecn => (byte)(TypeOfService & 0b11);
    public int PayloadOffset => HeaderLength;
    public int PayloadLength => TotalLength - HeaderLength;

    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet.Slice(HeaderLength, TotalLength - HeaderLength);
    public Span<byte> Payload(Span<byte> packet) => packet.Slice(HeaderLength, TotalLength - HeaderLength);

    /// <summary>
    /// Parses and validates an IPv4 header: version 4, IHL &gt;= 5 and inside the buffer, total length
    /// between the header length and the buffer length, header checksum, a sane source address.
    /// IP options are skipped. A fragment is parsed (the header is filled) and reported as
    /// <see cref="DropReason.Fragment"/>. Never throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DropReason TryParse(ReadOnlySpan<byte> packet, out Ipv4Packet ip)
    {
        ip = default;
        if (packet.Length < MinHeaderLength)
            return DropReason.Truncated;
        byte versionIhl = packet[0];
        if (versionIhl >> 4 != 4)
            return DropReason.NotIpv4;
        int headerLength = (versionIhl & 0x0F) * 4;
        if (headerLength < MinHeaderLength || headerLength > packet.Length)
            return DropReason.BadIpHeaderLength;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (totalLength < headerLength || totalLength > packet.Length)
            return DropReason.BadIpTotalLength;
        if (!InternetChecksum.IsValid(packet[..headerLength]))
            return DropReason.BadIpChecksum;

        ushort flagsOffset = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        ip = new Ipv4Packet
        {
            TypeOfService = packet[1],
            TotalLength = totalLength,
            HeaderLength = headerLength,
            Identification = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]),
            DontFragment = (flagsOffset & 0x4000) != 0,
            MoreFragments = (flagsOffset & 0x2000) != 0,
            FragmentOffset = (flagsOffset & 0x1FFF) * 8,
            TimeToLive = packet[8],
            Protocol = packet[9],
            Source = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(packet[12..])),
            Destination = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(packet[16..])),
        };
        if (ip.IsFragment)
            return DropReason.Fragment;
        if (ip.Source.IsInvalidSource)
            return DropReason.BadSourceAddress;
        return DropReason.None;
    }

    /// <summary>
    /// Writes a 20-byte IPv4 header (no options) with its checksum at the start of <paramref name="buffer"/>.
    /// <paramref name="totalLength"/> is header plus payload. Returns the header length (20).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteHeader(Span<byte> buffer, Ipv4Address source, Ipv4Address destination, byte protocol,
        int totalLength, ushort identification = 0, byte ttl = 64, byte typeOfService = 0, bool dontFragment = true)
    {
        if ((uint)totalLength > MaxTotalLength || totalLength < MinHeaderLength)
            throw new ArgumentOutOfRangeException(nameof(totalLength), totalLength, "IPv4 total length must be 20..65535");
        var h = buffer[..MinHeaderLength];
        h[0] = 0x45;
        h[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], dontFragment ? (ushort)0x4000 : (ushort)0);
        h[8] = ttl;
        h[9] = protocol;
        h[10] = 0;
        h[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(h[12..], source.Value);
        BinaryPrimitives.WriteUInt32BigEndian(h[16..], destination.Value);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], InternetChecksum.Compute(h));
        return MinHeaderLength;
    }
}
