using System.Buffers.Binary;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// Checksum completion for what the kernel hands over with NEEDS_CSUM (CHECKSUM_PARTIAL: the pseudo-header sum in
/// the TCP checksum field), and the header and partial checksum of a super-segment the stack hands the kernel.
/// Expected checksums come from the textbook loop in WireTestSupport, not from the code under test.
/// </summary>
public class TcpOffloadTests
{
    private static readonly Ipv4Address Src = WireTestSupport.Client;
    private static readonly Ipv4Address Dst = WireTestSupport.Server;

    /// <summary>A TCP/IPv4 packet with <paramref name="payload"/> bytes, a 12-byte timestamps option and correct checksums.</summary>
    private static byte[] TcpPacket(int payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh)
    {
        var tcp = new TcpSegment { SourcePort = 40000, DestinationPort = 9, Sequence = 1000, Acknowledgment = 77, Flags = flags, Window = 500 };
        tcp.Options.SetTimestamps(123456, 654321);
        var data = new byte[payload];
        new Random(payload).NextBytes(data);
        var packet = new byte[20 + tcp.WrittenHeaderLength + payload];
        Assert.Equal(packet.Length, tcp.WritePacket(packet, Src, Dst, data));
        WireTestSupport.FixTcpChecksum(packet, 20, Src, Dst);
        return packet;
    }

    /// <summary>What Linux leaves in the field for CHECKSUM_PARTIAL: the folded pseudo-header sum over the TCP length, not complemented.</summary>
    private static ushort KernelPartial(byte[] packet)
    {
        uint sum = (Src.Value >> 16) + (Src.Value & 0xFFFF) + (Dst.Value >> 16) + (Dst.Value & 0xFFFF) + 6u + (uint)(packet.Length - 20);
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    private static readonly VirtioNetHeader NeedsCsum = new(VirtioNetFlags.NeedsCsum, VirtioGsoType.None, 52, 0, 20, 16);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1448)]
    [InlineData(65_483)]   // a 64 KB super-segment: 20 + 32 + 65483 = 65535
    public void A_partial_checksum_is_completed_to_the_one_the_codec_validates(int payload)
    {
        var packet = TcpPacket(payload);
        ushort full = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(36));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), KernelPartial(packet));
        var header = payload > 1448 ? NeedsCsum with { GsoType = VirtioGsoType.TcpV4, GsoSize = 1448 } : NeedsCsum;

        Assert.Equal(DropReason.None, TcpOffload.CompleteArriving(packet, header));

        Assert.Equal(full, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(36)));
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(packet, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(packet, ip, out var seg));
        Assert.Equal(payload, seg.PayloadLength);
    }

    [Fact]
    public void Without_NEEDS_CSUM_the_packet_is_left_alone_and_a_bad_checksum_is_still_caught_by_the_codec()
    {
        var packet = TcpPacket(100);
        packet[^1] ^= 0xFF;
        var before = packet.ToArray();
        Assert.Equal(DropReason.None, TcpOffload.CompleteArriving(packet, default));
        Assert.Equal(before, packet);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(packet, out var ip));
        Assert.Equal(DropReason.BadTcpChecksum, TcpSegment.TryParse(packet, ip, out _));
    }

    [Theory]
    [InlineData(0, 16)]     // csum_start at the IPv4 header
    [InlineData(20, 6)]     // csum_offset of UDP
    [InlineData(24, 16)]
    [InlineData(20, 18)]
    public void NEEDS_CSUM_that_does_not_point_at_the_TCP_checksum_field_is_refused(int start, int offset)
    {
        var packet = TcpPacket(100);
        var before = packet.ToArray();
        var header = NeedsCsum with { CsumStart = (ushort)start, CsumOffset = (ushort)offset };
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving(packet, header));
        Assert.Equal(before, packet);
    }

    [Fact]
    public void NEEDS_CSUM_or_TCPV4_on_what_is_not_a_whole_TCP_IPv4_header_is_refused()
    {
        var udp = TcpPacket(100);
        udp[9] = 17;
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving(udp, NeedsCsum));
        var gsoOnly = new VirtioNetHeader(VirtioNetFlags.None, VirtioGsoType.TcpV4, 52, 1448, 0, 0);
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving(udp, gsoOnly));
        var v6 = TcpPacket(100);
        v6[0] = 0x65;
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving(v6, NeedsCsum));
        var cut = TcpPacket(0).AsSpan(0, 45).ToArray();   // the TCP header (32 bytes) does not fit
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving(cut, NeedsCsum));
        Assert.Equal(DropReason.BadChecksumOffload, TcpOffload.CompleteArriving([], NeedsCsum));
    }

    [Fact]
    public void Random_packets_with_random_headers_never_throw()
    {
        var rng = new Random(66);
        var hdr = new byte[10];
        for (int i = 0; i < 20_000; i++)
        {
            var packet = TcpPacket(rng.Next(0, 64));
            int flips = rng.Next(0, 4);
            for (int f = 0; f < flips; f++)
                packet[rng.Next(packet.Length)] = (byte)rng.Next(256);
            rng.NextBytes(hdr);
            hdr[0] &= 3;
            hdr[1] = (byte)(rng.Next(2) == 0 ? 0 : 1);
            if (VirtioNetHeader.TryParse(hdr, out var h) != DropReason.None)
                continue;
            var reason = TcpOffload.CompleteArriving(packet.AsSpan(0, rng.Next(0, packet.Length + 1)), h);
            Assert.True(reason is DropReason.None or DropReason.BadChecksumOffload);
        }
    }

    [Fact]
    public void A_packet_within_the_MTU_goes_with_its_full_checksum_flags_0_and_GSO_NONE()
    {
        var packet = TcpPacket(1448);
        Assert.Equal(1500, packet.Length);
        Assert.True(TcpOffload.ForSending(packet, 1500, out var header, out int at, out _));
        Assert.Equal(default, header);
        Assert.Equal(-1, at);
    }

    [Fact]
    public void A_super_segment_gets_TCPV4_with_the_MSS_the_MTU_gives_and_the_pseudo_header_sum_in_its_checksum_field()
    {
        var packet = TcpPacket(10 * 1448 + 100);
        Assert.True(TcpOffload.ForSending(packet, 1500, out var header, out int at, out ushort partial));
        Assert.Equal(new VirtioNetHeader(VirtioNetFlags.NeedsCsum, VirtioGsoType.TcpV4, HdrLen: 52, GsoSize: 1448, CsumStart: 20, CsumOffset: 16), header);
        Assert.Equal(36, at);
        Assert.Equal(KernelPartial(packet), partial);

        // What the kernel does with CHECKSUM_PARTIAL: sum from csum_start to the end over the partial value.
        var wire = packet.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(wire.AsSpan(at), partial);
        Assert.Equal(DropReason.None, TcpOffload.CompleteArriving(wire, header));
        Assert.Equal(packet, wire);
    }

    [Fact]
    public void A_super_segment_that_carries_CWR_asks_for_the_ECN_GSO_type()
    {
        var packet = TcpPacket(3000, TcpFlags.Ack | TcpFlags.Cwr);
        Assert.True(TcpOffload.ForSending(packet, 1500, out var header, out _, out _));
        Assert.Equal(VirtioGsoType.TcpV4 | VirtioGsoType.Ecn, header.GsoType);
    }

    [Fact]
    public void A_packet_above_the_MTU_that_is_not_TCP_cannot_be_cut()
    {
        var packet = TcpPacket(3000);
        packet[9] = 1;   // ICMP
        Assert.False(TcpOffload.ForSending(packet, 1500, out _, out _, out _));
        var lying = TcpPacket(3000);
        BinaryPrimitives.WriteUInt16BigEndian(lying.AsSpan(2), 1000);   // total length below the buffer
        Assert.False(TcpOffload.ForSending(lying, 1500, out _, out _, out _));
    }
}
