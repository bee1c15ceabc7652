using System.Buffers.Binary;

namespace TcpActors.Engine.Wire;

/// <summary>
/// Checksum and segmentation offload for TCP/IPv4 behind a <see cref="VirtioNetHeader"/>, as the Linux kernel's
/// virtio_net_hdr_from_skb/virtio_net_hdr_to_skb mean it:
/// <list type="bullet">
/// <item>arriving (<see cref="CompleteArriving"/>): with NEEDS_CSUM the TCP checksum field holds only the folded
/// pseudo-header sum (CHECKSUM_PARTIAL); the sum from csum_start to the end of the packet, folded and
/// complemented, goes into the field at csum_start + csum_offset. A GSO super-segment (TCPV4) is one large TCP
/// segment with a correct IPv4 header: the stack takes it as it is.</item>
/// <item>leaving (<see cref="ForSending"/>): a packet within the MTU carries its full checksum and a header with
/// flags 0, GSO NONE; a TCP packet larger than the MTU becomes a TCPV4 super-segment cut by the kernel into
/// segments of MTU - headers payload (gso_size), with NEEDS_CSUM and the pseudo-header sum (over the whole TCP
/// length) in its checksum field, which the kernel adjusts per segment (tcp_gso_segment).</item>
/// </list>
/// Pure functions over spans; malformed input gives a <see cref="DropReason"/>, never an exception.
/// </summary>
public static class TcpOffload
{
    private const int TcpChecksumField = VirtioNetHeader.TcpChecksumOffset;

    /// <summary>
    /// Checks an arriving packet against its header and, with NEEDS_CSUM, completes the TCP checksum in place.
    /// NEEDS_CSUM and GSO TCPV4 are only accepted on an IPv4 TCP packet whose csum_start is the IPv4 header length
    /// and csum_offset 16 (the TCP checksum field), with the whole TCP header in the packet. Everything else
    /// (validation of the IPv4 and TCP headers, the completed checksum) is left to the codec.
    /// </summary>
    public static DropReason CompleteArriving(Span<byte> packet, in VirtioNetHeader header)
    {
        if (!header.NeedsCsum && !header.IsGso)
            return DropReason.None;
        if (!TryTcpHeaders(packet, out int ipHeaderLength, out _))
            return DropReason.BadChecksumOffload;
        if (!header.NeedsCsum)
            return DropReason.None;   // a super-segment with a full checksum: the codec checks it
        if (header.CsumStart != ipHeaderLength || header.CsumOffset != TcpChecksumField)
            return DropReason.BadChecksumOffload;
        // The field holds the pseudo-header sum: summing it with the rest gives the full sum.
        Span<byte> tcp = packet[ipHeaderLength..];
        ushort checksum = InternetChecksum.Finish(InternetChecksum.Accumulate(tcp));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpChecksumField..], checksum);
        return DropReason.None;
    }

    /// <summary>
    /// The header for a packet the stack sends, and for a super-segment the value its checksum field must hold
    /// instead of the full checksum (<paramref name="partialChecksum"/>, big-endian order as on the wire, at
    /// <paramref name="checksumAt"/>; -1 when the packet goes unchanged). False for a packet larger than
    /// <paramref name="mtu"/> that is not a TCP/IPv4 segment with a payload (nothing can cut it).
    /// </summary>
    public static bool ForSending(ReadOnlySpan<byte> packet, int mtu, out VirtioNetHeader header,
        out int checksumAt, out ushort partialChecksum)
    {
        header = default;
        checksumAt = -1;
        partialChecksum = 0;
        if (packet.Length <= mtu)
            return true;
        if (!TryTcpHeaders(packet, out int ipHeaderLength, out int tcpHeaderLength))
            return false;
        int headers = ipHeaderLength + tcpHeaderLength;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        int segmentSize = mtu - headers;
        if (totalLength != packet.Length || segmentSize <= 0 || packet.Length - headers <= segmentSize)
            return false;
        var flags = (TcpFlags)packet[ipHeaderLength + 13];
        var gso = VirtioGsoType.TcpV4 | ((flags & TcpFlags.Cwr) != 0 ? VirtioGsoType.Ecn : VirtioGsoType.None);
        header = new VirtioNetHeader(VirtioNetFlags.NeedsCsum, gso, (ushort)headers, (ushort)segmentSize,
            (ushort)ipHeaderLength, TcpChecksumField);
        uint source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        // What Linux's __tcp_v4_send_check leaves for CHECKSUM_PARTIAL: ~csum_tcpudp_magic(..., len, TCP, 0).
        partialChecksum = (ushort)InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, packet.Length - ipHeaderLength);
        checksumAt = ipHeaderLength + TcpChecksumField;
        return true;
    }

    /// <summary>An IPv4 packet (not a fragment) carrying TCP, with both headers inside it.</summary>
    private static bool TryTcpHeaders(ReadOnlySpan<byte> packet, out int ipHeaderLength, out int tcpHeaderLength)
    {
        ipHeaderLength = tcpHeaderLength = 0;
        if (packet.Length < Ipv4Packet.MinHeaderLength || packet[0] >> 4 != 4 || packet[9] != IpProtocol.Tcp)
            return false;
        ipHeaderLength = (packet[0] & 0x0F) * 4;
        if (ipHeaderLength < Ipv4Packet.MinHeaderLength || packet.Length < ipHeaderLength + TcpSegment.MinHeaderLength)
            return false;
        tcpHeaderLength = (packet[ipHeaderLength + 12] >> 4) * 4;
        return tcpHeaderLength >= TcpSegment.MinHeaderLength && packet.Length >= ipHeaderLength + tcpHeaderLength;
    }
}
