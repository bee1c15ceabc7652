namespace TcpActors.Engine.Wire;

/// <summary>
/// Why a packet from the wire was not accepted. The codec returns one of these for every packet and
/// never throws on wire input; the I/O layer counts drops by reason. <see cref="None"/> means accepted.
/// </summary>
public enum DropReason : byte
{
    None = 0,

    // IPv4 (RFC 791, RFC 1122 section 3.2.1)
    /// <summary>Shorter than the fixed header it claims to hold (IPv4, TCP, ICMP).</summary>
    Truncated,
    /// <summary>The version field is not 4.</summary>
    NotIpv4,
    /// <summary>IHL below 5 or beyond the buffer.</summary>
    BadIpHeaderLength,
    /// <summary>Total length below the header length or beyond the buffer.</summary>
    BadIpTotalLength,
    BadIpChecksum,
    /// <summary>MF set or fragment offset non-zero: fragments are not reassembled.</summary>
    Fragment,
    /// <summary>A protocol the endpoint does not speak (neither TCP nor ICMP).</summary>
    UnsupportedProtocol,
    /// <summary>Source is broadcast, multicast, loopback or unspecified (RFC 1122 section 3.2.1.3).</summary>
    BadSourceAddress,

    // TCP (RFC 9293 section 3.1)
    /// <summary>Data offset below 5 or beyond the segment.</summary>
    BadDataOffset,
    BadTcpChecksum,
    /// <summary>An option whose length is below 2, runs past the header, or is wrong for its kind.</summary>
    BadOption,
    /// <summary>Source or destination port 0.</summary>
    BadPort,

    // ICMP (RFC 792)
    BadIcmpChecksum,
    /// <summary>An ICMP type the endpoint does not act on.</summary>
    UnsupportedIcmp,

    // virtio_net_hdr of a TUN device with offloads (IFF_VNET_HDR)
    /// <summary>Unknown flags or GSO type, or a GSO type without a segment size.</summary>
    BadVirtioHeader,
    /// <summary>NEEDS_CSUM or TCPV4 GSO on a packet that is not TCP/IPv4, or csum_start/csum_offset not at its TCP checksum field.</summary>
    BadChecksumOffload,
}
