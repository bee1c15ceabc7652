using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>struct virtio_net_hdr as a TUN device with IFF_VNET_HDR reads and writes it: 10 bytes, little-endian.</summary>
public class VirtioNetHeaderTests
{
    [Fact]
    public void A_TSO4_header_is_written_as_the_10_little_endian_bytes_of_struct_virtio_net_hdr()
    {
        var h = new VirtioNetHeader(VirtioNetFlags.NeedsCsum, VirtioGsoType.TcpV4, HdrLen: 52, GsoSize: 1448, CsumStart: 20, CsumOffset: 16);
        var bytes = new byte[10];
        Assert.Equal(10, h.Write(bytes));
        Assert.Equal("01013400A80514001000", Convert.ToHexString(bytes));
    }

    [Fact]
    public void The_header_of_a_packet_that_needs_nothing_is_ten_zero_bytes()
    {
        var bytes = Enumerable.Repeat((byte)0xEE, 12).ToArray();
        default(VirtioNetHeader).Write(bytes);
        Assert.Equal("00000000000000000000EEEE", Convert.ToHexString(bytes));
    }

    [Fact]
    public void What_the_kernel_hands_over_for_a_GSO_super_segment_parses_field_by_field()
    {
        // flags NEEDS_CSUM, gso TCPV4|ECN, hdr_len 66, gso_size 1448, csum_start 20, csum_offset 16.
        byte[] bytes = Convert.FromHexString("01814200A80514001000");
        Assert.Equal(DropReason.None, VirtioNetHeader.TryParse(bytes, out var h));
        Assert.Equal(VirtioNetFlags.NeedsCsum, h.Flags);
        Assert.Equal(VirtioGsoType.TcpV4 | VirtioGsoType.Ecn, h.GsoType);
        Assert.Equal(VirtioGsoType.TcpV4, h.BaseGsoType);
        Assert.True(h.IsGso);
        Assert.True(h.NeedsCsum);
        Assert.Equal(66, h.HdrLen);
        Assert.Equal(1448, h.GsoSize);
        Assert.Equal(20, h.CsumStart);
        Assert.Equal(16, h.CsumOffset);
    }

    [Fact]
    public void Write_then_parse_gives_the_same_header()
    {
        var h = new VirtioNetHeader(VirtioNetFlags.NeedsCsum | VirtioNetFlags.DataValid, VirtioGsoType.TcpV4, 0x1234, 0xABCD, 0x0102, 0xFFFF);
        var bytes = new byte[10];
        h.Write(bytes);
        Assert.Equal("03013412CDAB0201FFFF", Convert.ToHexString(bytes));
        Assert.Equal(DropReason.None, VirtioNetHeader.TryParse(bytes, out var back));
        Assert.Equal(h, back);
    }

    [Theory]
    [InlineData("", DropReason.Truncated)]
    [InlineData("000000000000000000", DropReason.Truncated)]              // 9 bytes
    [InlineData("04000000000000000000", DropReason.BadVirtioHeader)]      // flag 4 (RSC_INFO) is not ours
    [InlineData("00030000000000000000", DropReason.BadVirtioHeader)]      // GSO UDP
    [InlineData("00040000A80500000000", DropReason.BadVirtioHeader)]      // GSO TCPV6 was not asked for
    [InlineData("00800000000000000000", DropReason.BadVirtioHeader)]      // ECN without a GSO type
    [InlineData("01010000000014001000", DropReason.BadVirtioHeader)]      // TCPV4 with gso_size 0
    [InlineData("00000000000000000000", DropReason.None)]
    [InlineData("02000000000000000000", DropReason.None)]                 // DATA_VALID
    public void Malformed_headers_are_refused_with_a_reason(string hex, DropReason expected)
    {
        Assert.Equal(expected, VirtioNetHeader.TryParse(Convert.FromHexString(hex), out var h));
        if (expected != DropReason.None)
            Assert.Equal(default, h);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new Random(6);
        var buffer = new byte[12];
        for (int i = 0; i < 20_000; i++)
        {
            rng.NextBytes(buffer);
            var reason = VirtioNetHeader.TryParse(buffer.AsSpan(0, rng.Next(0, 13)), out _);
            Assert.True(Enum.IsDefined(reason));
        }
    }
}
