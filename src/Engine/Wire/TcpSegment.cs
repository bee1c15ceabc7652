using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace TcpActors.Engine.Wire;

/// <summary>
/// A TCP header (RFC 9293 section 3.1) with its options, and where the segment's data lies.
/// The same type describes a parsed segment and one to build. Holds no reference to the buffer.
/// </summary>
public struct TcpSegment
{
    public const int MinHeaderLength = 20;

    public ushort SourcePort;
    public ushort DestinationPort;
    public SeqNum Sequence;
    public SeqNum Acknowledgment;
    public TcpFlags Flags;
    /// <summary>The four bits between the data offset and the flags (reserved; the lowest is AccECN's AE).</summary>
    public byte Reserved;
    /// <summary>The window field as sent, before any window scaling.</summary>
    public ushort Window;
    public ushort Checksum;
    public ushort UrgentPointer;
    public TcpOptions Options;

    /// <summary>Header length in bytes (data offset * 4), options included.</summary>
    public int HeaderLength;
    /// <summary>Offset of the data from the start of the TCP header.</summary>
    public readonly int PayloadOffset => HeaderLength;
    public int PayloadLength;

    public readonly bool Has(TcpFlags f) => (Flags & f) == f;
    public readonly bool Syn => (Flags & TcpFlags.Syn) != 0;
    public readonly bool Fin => (Flags & TcpFlags.Fin) != 0;
    public readonly bool Rst => (Flags & TcpFlags.Rst) != 0;
    public readonly bool Ack => (Flags & TcpFlags.Ack) != 0;

    /// <summary>SEG.LEN: the octets of data plus one for SYN and one for FIN (RFC 9293 section 3.4).</summary>
    public readonly int SegmentLength => PayloadLength + (Syn ? 1 : 0) + (Fin ? 1 : 0);

    /// <summary>
    /// Parses and validates the TCP segment that is the payload of <paramref name="ip"/> within
    /// <paramref name="packet"/>. Checks the protocol, data offset, ports, options and the checksum over
    /// the pseudo-header. Never throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DropReason TryParse(ReadOnlySpan<byte> packet, in Ipv4Packet ip, out TcpSegment tcp)
    {
        if (ip.Protocol != IpProtocol.Tcp)
        {
            tcp = default;
            return DropReason.UnsupportedProtocol;
        }
        return TryParse(ip.Payload(packet), ip.Source, ip.Destination, out tcp);
    }

    /// <summary>Parses and validates a TCP segment (header and data) sent from source to destination.</summary>
    public static DropReason TryParse(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination, out TcpSegment tcp)
    {
        tcp = default;
        if (segment.Length < MinHeaderLength)
            return DropReason.Truncated;
        int headerLength = (segment[12] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > segment.Length)
            return DropReason.BadDataOffset;
        uint pseudo = InternetChecksum.PseudoHeader(source.Value, destination.Value, IpProtocol.Tcp, segment.Length);
        if (!InternetChecksum.IsValid(segment, pseudo))
            return DropReason.BadTcpChecksum;

        tcp.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
        tcp.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
        if (tcp.SourcePort == 0 || tcp.DestinationPort == 0)
            return DropReason.BadPort;
        tcp.Sequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]);
        tcp.Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(segment[8..]);
        tcp.Reserved = (byte)(segment[12] & 0x0F);
        tcp.Flags = (TcpFlags)segment[13];
        tcp.Window = BinaryPrimitives.ReadUInt16BigEndian(segment[14..]);
        tcp.Checksum = BinaryPrimitives.ReadUInt16BigEndian(segment[16..]);
        tcp.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(segment[18..]);
        tcp.HeaderLength = headerLength;
        tcp.PayloadLength = segment.Length - headerLength;
        if (headerLength > MinHeaderLength)
        {
            var reason = TcpOptions.TryParse(segment[MinHeaderLength..headerLength], out tcp.Options);
            if (reason != DropReason.None)
                return reason;
        }
        return DropReason.None;
    }

    /// <summary>Bytes the header will take when written: 20 plus the options' length.</summary>
    public readonly int WrittenHeaderLength => MinHeaderLength + Options.Length;

    /// <summary>
    /// Writes this header, its options and <paramref name="payload"/> at the start of
    /// <paramref name="segment"/>, with the checksum over the pseudo-header. Sets nothing in this struct.
    /// The payload may already lie at its place in the buffer (the copy is then a no-op move).
    /// Returns the segment's length.
    /// </summary>
    public readonly int Write(Span<byte> segment, Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload)
    {
        int headerLength = WrittenHeaderLength;
        int length = headerLength + payload.Length;
        if (segment.Length < length)
            throw new ArgumentException($"segment needs {length} bytes, the buffer has {segment.Length}", nameof(segment));
        payload.CopyTo(segment[headerLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], Sequence.Value);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], Acknowledgment.Value);
        segment[12] = (byte)((headerLength / 4) << 4 | (Reserved & 0x0F));
        segment[13] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], Window);
        segment[16] = 0;
        segment[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(segment[18..], UrgentPointer);
        Options.Write(segment[MinHeaderLength..headerLength]);
        uint pseudo = InternetChecksum.PseudoHeader(source.Value, destination.Value, IpProtocol.Tcp, length);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Finish(InternetChecksum.Accumulate(segment[..length], pseudo)));
        return length;
    }

    /// <summary>
    /// Writes a whole IPv4 packet carrying this segment into <paramref name="packet"/>: a 20-byte IPv4
    /// header and the segment, both checksums set. Returns the packet's length.
    /// </summary>
    public readonly int WritePacket(Span<byte> packet, Ipv4Address source, Ipv4Address destination, ReadOnlySpan<byte> payload,
        ushort identification = 0, byte ttl = 64, byte typeOfService = 0, bool dontFragment = true)
    {
        int length = Write(packet[Ipv4Packet.MinHeaderLength..], source, destination, payload);
        Ipv4Packet.WriteHeader(packet, source, destination, IpProtocol.Tcp, Ipv4Packet.MinHeaderLength + length,
            identification, ttl, typeOfService, dontFragment);
        return Ipv4Packet.MinHeaderLength + length;
    }

    /// <summary>packetdrill style: "S. 0:0(0) ack 1 win 65535 &lt;mss 1460,...&gt;".</summary>
    public override readonly string ToString()
    {
        string s = $"{SourcePort} > {DestinationPort} {Flags.ToShortString()} {Sequence.Value}:{(Sequence + PayloadLength).Value}({PayloadLength})";
        if (Ack) s += $" ack {Acknowledgment.Value}";
        s += $" win {Window}";
        if (!Options.IsEmpty) s += $" <{Options}>";
        return s;
    }
}
