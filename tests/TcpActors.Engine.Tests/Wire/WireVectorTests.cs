using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>Exact byte layouts: hand-written packets (checksums computed independently) parsed and built.</summary>
public class WireVectorTests
{
    // 198.18.0.1:40000 -> 198.18.0.2:7, SYN seq 0x01020304, win 64240, IP id 0x1234 DF ttl 64,
    // options as Linux writes them: mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7.
    internal const string SynHex =
        "4500003c1234400040069c60c6120001c6120002" +
        "9c4000070102030400000000a002faf020360000" +
        "020405b40402080a000000640000000001030307";

    // 198.18.0.2:7 -> 198.18.0.1:40000, PSH|ACK seq 0xFFFFFFF0 ack 0x01020305 win 502,
    // options nop,nop,TS val 0xAABBCCDD ecr 0x11223344,nop,nop,sack 1000:2000 3000:4000; data "hello".
    internal const string DataHex =
        "4500004d000040004006ae83c6120002c6120001" +
        "00079c40fffffff001020305d01801f6cb490000" +
        "0101080aaabbccdd1122334401010512000003e8000007d000000bb800000fa0" +
        "68656c6c6f";

    // ICMP echo request 198.18.0.1 -> 198.18.0.2, id 1234 seq 1, data "abcdefgh", and its reply.
    internal const string EchoRequestHex = "45000024000700004001eeaac6120001c61200020800619704d200016162636465666768";
    internal const string EchoReplyHex = "45000024000700004001eeaac6120002c61200010000699704d200016162636465666768";

    internal static readonly Ipv4Address A = Ipv4Address.Parse("198.18.0.1");
    internal static readonly Ipv4Address B = Ipv4Address.Parse("198.18.0.2");

    [Fact]
    public void Syn_with_Linux_options_parses_field_by_field_RFC9293_3_1()
    {
        byte[] p = Convert.FromHexString(SynHex);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(A, ip.Source);
        Assert.Equal(B, ip.Destination);
        Assert.Equal(IpProtocol.Tcp, ip.Protocol);
        Assert.Equal(20, ip.HeaderLength);
        Assert.Equal(60, ip.TotalLength);
        Assert.Equal(0x1234, ip.Identification);
        Assert.True(ip.DontFragment);
        Assert.False(ip.IsFragment);
        Assert.Equal(64, ip.TimeToLive);

        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal(40000, tcp.SourcePort);
        Assert.Equal(7, tcp.DestinationPort);
        Assert.Equal(0x01020304u, tcp.Sequence.Value);
        Assert.Equal(0u, tcp.Acknowledgment.Value);
        Assert.Equal(TcpFlags.Syn, tcp.Flags);
        Assert.Equal(64240, tcp.Window);
        Assert.Equal(40, tcp.HeaderLength);
        Assert.Equal(0, tcp.PayloadLength);
        Assert.Equal(1, tcp.SegmentLength);
        Assert.Equal((ushort)1460, tcp.Options.Mss);
        Assert.True(tcp.Options.SackPermitted);
        Assert.True(tcp.Options.HasTimestamps);
        Assert.Equal(100u, tcp.Options.TsVal);
        Assert.Equal(0u, tcp.Options.TsEcr);
        Assert.Equal((byte)7, tcp.Options.WindowScale);
        Assert.Equal(0, tcp.Options.SackCount);
        Assert.Equal("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7", tcp.Options.ToString());
    }

    [Fact]
    public void Syn_is_built_byte_for_byte_in_Linux_option_order()
    {
        var tcp = new TcpSegment
        {
            SourcePort = 40000,
            DestinationPort = 7,
            Sequence = 0x01020304,
            Flags = TcpFlags.Syn,
            Window = 64240,
        };
        tcp.Options.Mss = 1460;
        tcp.Options.SackPermitted = true;
        tcp.Options.SetTimestamps(100, 0);
        tcp.Options.WindowScale = 7;
        var buf = new byte[100];
        int n = tcp.WritePacket(buf, A, B, default, identification: 0x1234);
        Assert.Equal(SynHex, Convert.ToHexString(buf, 0, n), ignoreCase: true);
    }

    [Fact]
    public void Data_segment_with_timestamps_and_SACK_blocks_parses_and_rebuilds_RFC2018_RFC7323()
    {
        byte[] p = Convert.FromHexString(DataHex);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal(TcpFlags.Psh | TcpFlags.Ack, tcp.Flags);
        Assert.Equal(0xFFFFFFF0u, tcp.Sequence.Value);
        Assert.Equal(0x01020305u, tcp.Acknowledgment.Value);
        Assert.Equal(502, tcp.Window);
        Assert.Equal(52, tcp.HeaderLength);
        Assert.Equal(5, tcp.PayloadLength);
        Assert.Equal("hello"u8.ToArray(), ip.Payload(p).Slice(tcp.PayloadOffset, tcp.PayloadLength).ToArray());
        Assert.Equal(0xAABBCCDDu, tcp.Options.TsVal);
        Assert.Equal(0x11223344u, tcp.Options.TsEcr);
        Assert.Equal(2, tcp.Options.SackCount);
        Assert.Equal(new SackBlock(1000, 2000), tcp.Options.Sack(0));
        Assert.Equal(new SackBlock(3000, 4000), tcp.Options.Sack(1));
        Assert.Null(tcp.Options.Mss);

        var buf = new byte[200];
        int n = tcp.WritePacket(buf, ip.Source, ip.Destination, "hello"u8, ip.Identification, ip.TimeToLive);
        Assert.Equal(DataHex, Convert.ToHexString(buf, 0, n), ignoreCase: true);
    }

    [Fact]
    public void Sequence_space_arithmetic_wraps_in_a_segment_that_crosses_2_to_the_32()
    {
        byte[] p = Convert.FromHexString(DataHex);
        Ipv4Packet.TryParse(p, out var ip);
        TcpSegment.TryParse(p, ip, out var tcp);
        SeqNum end = tcp.Sequence + tcp.SegmentLength;
        Assert.Equal(0xFFFFFFF5u, end.Value);
        Assert.True(tcp.Sequence < end);
        Assert.True(new SeqNum(0xFFFFFFFF) < new SeqNum(4));
    }

    [Fact]
    public void Echo_request_gets_an_echo_reply_with_the_same_id_sequence_and_data_RFC792_RFC1122_3_2_2_6()
    {
        byte[] req = Convert.FromHexString(EchoRequestHex);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(req, out var ip));
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(req, ip, out var icmp));
        Assert.Equal(IcmpType.EchoRequest, icmp.Type);
        Assert.Equal(1234, icmp.Identifier);
        Assert.Equal(1, icmp.SequenceNumber);

        var reply = new byte[100];
        int n = Icmpv4Message.WriteEchoReply(req, ip, reply);
        Assert.Equal(EchoReplyHex, Convert.ToHexString(reply, 0, n), ignoreCase: true);
    }

    [Fact]
    public void Echo_reply_is_not_answered()
    {
        byte[] rep = Convert.FromHexString(EchoReplyHex);
        Ipv4Packet.TryParse(rep, out var ip);
        Assert.Equal(0, Icmpv4Message.WriteEchoReply(rep, ip, new byte[100]));
    }

    [Fact]
    public void Port_unreachable_quotes_the_offending_packet_and_validates_RFC792()
    {
        byte[] syn = Convert.FromHexString(SynHex);
        var buf = new byte[600];
        int n = Icmpv4Message.WriteDestinationUnreachable(buf, B, A, UnreachableCode.Port, syn);
        Assert.Equal(20 + 8 + syn.Length, n);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(buf.AsSpan(0, n), out var ip));
        Assert.Equal(B, ip.Source);
        Assert.Equal(A, ip.Destination);
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(buf.AsSpan(0, n), ip, out var icmp));
        Assert.Equal(IcmpType.DestinationUnreachable, icmp.Type);
        Assert.Equal((byte)UnreachableCode.Port, icmp.Code);
        Assert.Equal(syn, buf.AsSpan(28, syn.Length).ToArray());
    }

    [Fact]
    public void Unreachable_quote_is_capped_so_the_error_fits_576_bytes_RFC1812_4_3_2_3()
    {
        byte[] big = new byte[1500];
        Ipv4Packet.WriteHeader(big, A, B, IpProtocol.Tcp, 1500);
        var buf = new byte[2000];
        int n = Icmpv4Message.WriteDestinationUnreachable(buf, B, A, UnreachableCode.Port, big);
        Assert.Equal(576, n);
    }

    [Fact]
    public void Trailing_link_padding_beyond_the_IP_total_length_is_ignored()
    {
        byte[] p = Convert.FromHexString(DataHex + "000000000000");
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(77, ip.TotalLength);
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal(5, tcp.PayloadLength);
    }

    [Fact]
    public void IP_options_are_skipped_and_TCP_is_found_after_them_RFC791()
    {
        // The SYN with a 4-byte IP option (NOP NOP NOP EOL): IHL 6.
        byte[] syn = Convert.FromHexString(SynHex);
        var p = new byte[syn.Length + 4];
        syn.AsSpan(0, 20).CopyTo(p);
        p[20] = 1; p[21] = 1; p[22] = 1; p[23] = 0;
        syn.AsSpan(20).CopyTo(p.AsSpan(24));
        p[0] = 0x46;
        p[2] = 0; p[3] = (byte)p.Length;
        p[10] = 0; p[11] = 0;
        ushort c = InternetChecksum.Compute(p.AsSpan(0, 24));
        p[10] = (byte)(c >> 8); p[11] = (byte)c;
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(24, ip.HeaderLength);
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal(0x01020304u, tcp.Sequence.Value);
    }

    [Fact]
    public void Options_with_more_SACK_blocks_than_fit_are_capped_at_40_bytes_RFC2018_3()
    {
        var o = new TcpOptions();
        o.SetTimestamps(1, 2);
        for (uint i = 0; i < 4; i++)
            Assert.True(o.AddSack(new SackBlock(i * 10, i * 10 + 5)));
        Assert.False(o.AddSack(new SackBlock(100, 200)));
        Assert.Equal(12 + 4 + 3 * 8, o.Length);
        var buf = new byte[40];
        Assert.Equal(40, o.Write(buf));
        Assert.Equal(DropReason.None, TcpOptions.TryParse(buf, out var back));
        Assert.Equal(3, back.SackCount);
        Assert.Equal(new SackBlock(20, 25), back.Sack(2));
    }

    [Theory]
    [InlineData("020405b4", "mss 1460")]
    [InlineData("01010402", "sackOK")]
    [InlineData("01030308", "nop,wscale 8")]
    [InlineData("0101080a0000000100000002", "TS val 1 ecr 2")]
    [InlineData("020405b40101040201030307", "mss 1460,sackOK,nop,wscale 7")]
    public void Options_round_trip_in_Linux_layout(string hex, string text)
    {
        byte[] area = Convert.FromHexString(hex);
        Assert.Equal(DropReason.None, TcpOptions.TryParse(area, out var o));
        Assert.Equal(text, o.ToString());
        Assert.Equal(area.Length, o.Length);
        var buf = new byte[40];
        int n = o.Write(buf);
        Assert.Equal(hex, Convert.ToHexString(buf, 0, n), ignoreCase: true);
    }

    [Fact]
    public void Internet_checksum_matches_the_RFC1071_worked_example()
    {
        // RFC 1071 section 3: the words 0x0001 0xf203 0xf4f5 0xf6f7 sum to 0xddf2 (one's complement).
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2u, InternetChecksum.Accumulate(data));
        Assert.Equal((ushort)0x220d, InternetChecksum.Compute(data));
    }

    [Fact]
    public void Ipv4_address_parses_and_prints_dotted_quads()
    {
        Assert.Equal(0xC6120001u, A.Value);
        Assert.Equal("198.18.0.1", A.ToString());
        Assert.False(Ipv4Address.TryParse("198.18.0", out _));
        Assert.True(Ipv4Address.Parse("224.0.0.1").IsInvalidSource);
        Assert.False(A.IsInvalidSource);
    }
}
