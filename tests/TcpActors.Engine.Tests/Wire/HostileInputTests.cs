using System.Buffers.Binary;
using System.Text;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;
using static TcpActors.Engine.Tests.Wire.WireTestSupport;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// The codec never throws on wire input and names a reason for every packet it drops (RFC 9293 section 3.1,
/// RFC 1122 section 1.2.2: be liberal, but robust against malformed input). Hostile variants are made from
/// valid hand-built packets; checksums are fixed up wherever the test means to reach a later check.
/// </summary>
public class HostileInputTests(ITestOutputHelper output)
{
    // ---- Valid packets to start from ----

    /// <summary>A Linux SYN: mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7.</summary>
    private static byte[] Syn() => HandBuiltTcp(Convert.FromHexString("020405B4" + "0402080A0000000100000000" + "01030307"), [],
        flags: TcpFlags.Syn, seq: 0xFFFFFF00, ack: 0);

    /// <summary>A data segment with TS and three SACK blocks (40 bytes of options) and 100 bytes of text.</summary>
    private static byte[] Data() => HandBuiltTcp(
        Convert.FromHexString("0101080A0000000500000006" + "0101051A" + "00000064000000C8" + "0000012C00000190" + "000001F400000258"),
        DataPayload, flags: TcpFlags.Ack | TcpFlags.Psh);

    private static readonly byte[] DataPayload =
        Encoding.ASCII.GetBytes("GET /index.html HTTP/1.1\r\nHost: example.test\r\nUser-Agent: hostile-input-tests/1.0\r\nAccept: */*\r\n\r\n");

    /// <summary>A ping: echo request with 56 bytes of data 0x10, 0x11, ...</summary>
    private static byte[] Echo() => HandBuiltEchoRequest(0x1234, 7, Enumerable.Range(0x10, 56).Select(b => (byte)b).ToArray());

    private static byte[] Valid(string name) => name switch
    {
        "syn" => Syn(),
        "data" => Data(),
        "echo" => Echo(),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> ValidPackets => new() { "syn", "data", "echo" };

    private static int TransportHeaderLength(byte[] p) => p[9] == IpProtocol.Tcp ? (p[20 + 12] >> 4) * 4 : Icmpv4Message.HeaderLength;

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void The_valid_starting_packets_are_accepted_RFC791_RFC9293_3_1_RFC792(string name)
    {
        var p = Valid(name);
        Assert.Equal(DropReason.None, ParseAll(p));
        Assert.True(Revalidates(p));
    }

    // ---- a. Truncation ----

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Every_prefix_shorter_than_the_IP_total_length_is_dropped_with_a_reason_RFC791_3_1(string name)
    {
        var p = Valid(name);
        for (int n = 0; n < p.Length; n++)
        {
            var prefix = p[..n];
            var expected = n < Ipv4Packet.MinHeaderLength ? DropReason.Truncated : DropReason.BadIpTotalLength;
            Case(0, n, prefix, () =>
            {
                Assert.Equal(expected, Ipv4Packet.TryParse(prefix, out _));
                Assert.Equal(expected, ParseAll(prefix));
            });
        }
    }

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Every_truncation_behind_a_consistent_IP_header_is_dropped_by_the_transport_RFC9293_3_1_RFC792(string name)
    {
        // The IP total length and checksum are rewritten to the cut, so the IP layer accepts the packet and
        // the TCP or ICMP checks must catch the truncation.
        var p = Valid(name);
        bool tcp = p[9] == IpProtocol.Tcp;
        int header = TransportHeaderLength(p);
        for (int n = Ipv4Packet.MinHeaderLength; n < p.Length; n++)
        {
            var cut = p[..n];
            BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)n);
            FixIpChecksum(cut);
            int transportLength = n - Ipv4Packet.MinHeaderLength;
            var expected = tcp
                ? transportLength < TcpSegment.MinHeaderLength ? DropReason.Truncated
                    : transportLength < header ? DropReason.BadDataOffset
                    : DropReason.BadTcpChecksum
                : transportLength < Icmpv4Message.HeaderLength ? DropReason.Truncated
                    : DropReason.BadIcmpChecksum;
            Case(0, n, cut, () =>
            {
                Assert.Equal(DropReason.None, Ipv4Packet.TryParse(cut, out var ip));
                Assert.Equal(expected, tcp ? TcpSegment.TryParse(cut, ip, out _) : Icmpv4Message.TryParse(cut, ip, out _));
            });
        }
    }

    // ---- b. Random input and bit flips ----

    /// <summary>
    /// An independent check that a packet the codec accepted really is valid: IPv4 fields and both
    /// checksums recomputed with the textbook loop.
    /// </summary>
    private static bool Revalidates(ReadOnlySpan<byte> p)
    {
        if (p.Length < 20 || p[0] >> 4 != 4) return false;
        int ihl = (p[0] & 0xF) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (ihl < 20 || ihl > p.Length || total < ihl || total > p.Length) return false;
        if (InternetChecksum.AccumulateReference(p[..ihl]) != 0xFFFF) return false;
        if ((BinaryPrimitives.ReadUInt16BigEndian(p[6..]) & 0x3FFF) != 0) return false;
        byte first = p[12];
        if (first == 0 || first == 127 || first >= 224) return false;
        var src = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(p[12..]));
        var dst = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(p[16..]));
        var body = p[ihl..total];
        switch (p[9])
        {
            case IpProtocol.Tcp:
                if (body.Length < 20) return false;
                int doff = (body[12] >> 4) * 4;
                return doff >= 20 && doff <= body.Length && ReferenceTcpSum(body, src, dst) == 0xFFFF
                    && BinaryPrimitives.ReadUInt16BigEndian(body) != 0 && BinaryPrimitives.ReadUInt16BigEndian(body[2..]) != 0;
            case IpProtocol.Icmp:
                return body.Length >= 8 && InternetChecksum.AccumulateReference(body) == 0xFFFF;
            default:
                return false;
        }
    }

    private static void Count(Dictionary<DropReason, int> counts, DropReason r) => counts[r] = counts.GetValueOrDefault(r) + 1;

    private void Report(string title, Dictionary<DropReason, int> counts) =>
        output.WriteLine($"{title}: " + string.Join(", ", counts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));

    [Fact]
    public void Random_bytes_never_throw_and_are_never_accepted_unless_valid_RFC9293_3_1()
    {
        const int seed = 100_000;
        var rng = new Random(seed);
        var counts = new Dictionary<DropReason, int>();
        for (int i = 0; i < 100_000; i++)
        {
            var p = new byte[rng.Next(0, 101)];
            rng.NextBytes(p);
            if (i % 2 == 1 && p.Length >= 1)
                p[0] = (byte)(0x40 | p[0] & 0x0F); // half of them claim IPv4, to get past the version check
            Case(seed, i, p, () =>
            {
                var r = ParseAll(p);
                Count(counts, r);
                if (r == DropReason.None)
                    Assert.True(Revalidates(p), "accepted but does not revalidate");
                // The option parser alone, on any bytes (the TCP path seldom reaches it with random input).
                TcpOptions.TryParse(p.AsSpan(0, Math.Min(p.Length, TcpOptions.MaxLength)), out _);
            });
        }
        Report("random bytes", counts);
        Assert.True(counts.Count > 3, "random input should reach several different checks");
    }

    [Fact]
    public void Random_headers_with_valid_checksums_reach_the_option_parser_and_never_throw_RFC9293_3_1()
    {
        // Structure-aware: a consistent IPv4 header around a TCP header of random bytes (random data offset,
        // random options area) whose checksum is fixed, so most cases reach the option parser.
        const int seed = 3_1;
        var rng = new Random(seed);
        var counts = new Dictionary<DropReason, int>();
        for (int i = 0; i < 100_000; i++)
        {
            int tcpLength = rng.Next(20, 80);
            var p = new byte[20 + tcpLength];
            rng.NextBytes(p);
            p[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), 0x4000);
            p[9] = IpProtocol.Tcp;
            p[12] = (byte)rng.Next(1, 224);
            if (p[12] == 127) p[12] = 128;
            FixIpChecksum(p);
            if (rng.Next(8) != 0)
            {
                // Mostly a data offset that fits, and options drawn from the known kinds with random lengths.
                int room = Math.Min(tcpLength, 60);
                int doff = rng.Next(5, room / 4 + 1);
                p[20 + 12] = (byte)(doff << 4 | p[20 + 12] & 0x0F);
                for (int o = 40; o < 20 + doff * 4; o++)
                    if (rng.Next(3) == 0) p[o] = (byte)rng.Next(0, 9);
            }
            var src = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(12)));
            var dst = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(16)));
            if (rng.Next(16) != 0)
                FixTcpChecksum(p, 20, src, dst);
            Case(seed, i, p, () =>
            {
                var r = ParseAll(p);
                Count(counts, r);
                if (r == DropReason.None)
                    Assert.True(Revalidates(p), "accepted but does not revalidate");
            });
        }
        Report("random TCP headers", counts);
        Assert.True(counts.GetValueOrDefault(DropReason.BadOption) > 1000, "the option parser should be reached and reject often");
        Assert.True(counts.GetValueOrDefault(DropReason.None) > 1000, "some random option areas are valid");
        Assert.True(counts.GetValueOrDefault(DropReason.BadDataOffset) > 0);
        Assert.True(counts.GetValueOrDefault(DropReason.BadTcpChecksum) > 0);
    }

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Every_single_bit_flip_is_detected_RFC1071_RFC9293_3_1(string name)
    {
        // A one's complement sum detects every single-bit error, so no single flip may be accepted; a flip in
        // the transport payload can only be caught by the transport checksum.
        var p = Valid(name);
        int payloadStart = 20 + TransportHeaderLength(p);
        var expectedInPayload = p[9] == IpProtocol.Tcp ? DropReason.BadTcpChecksum : DropReason.BadIcmpChecksum;
        var counts = new Dictionary<DropReason, int>();
        for (int bit = 0; bit < p.Length * 8; bit++)
        {
            var f = (byte[])p.Clone();
            f[bit / 8] ^= (byte)(0x80 >> bit % 8);
            int at = bit / 8;
            Case(0, bit, f, () =>
            {
                var r = ParseAll(f);
                Count(counts, r);
                Assert.NotEqual(DropReason.None, r);
                if (at >= payloadStart)
                    Assert.Equal(expectedInPayload, r);
                else if (at < 20)
                    Assert.Contains(r, new[] { DropReason.NotIpv4, DropReason.BadIpHeaderLength, DropReason.BadIpTotalLength, DropReason.BadIpChecksum });
            });
        }
        Report($"single flips of {name}", counts);
    }

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Random_multi_bit_flips_never_throw_and_are_accepted_only_when_still_valid_RFC9293_3_1(string name)
    {
        int seed = name.Length * 1000 + name[0];
        var rng = new Random(seed);
        var p = Valid(name);
        var counts = new Dictionary<DropReason, int>();
        for (int i = 0; i < 35_000; i++)
        {
            var f = (byte[])p.Clone();
            int flips = rng.Next(1, 9);
            for (int k = 0; k < flips; k++)
            {
                int bit = rng.Next(0, f.Length * 8);
                f[bit / 8] ^= (byte)(0x80 >> bit % 8);
            }
            Case(seed, i, f, () =>
            {
                var r = ParseAll(f);
                Count(counts, r);
                if (r == DropReason.None)
                    Assert.True(Revalidates(f), "accepted but does not revalidate");
            });
        }
        Report($"1..8 flips of {name}", counts);
        Assert.True(counts.GetValueOrDefault(DropReason.None) < 35_000 / 100, "accepted flips must be rare");
    }

    [Fact]
    public void Bit_flips_in_the_TCP_payload_are_dropped_for_a_bad_checksum_RFC9293_3_1()
    {
        const int seed = 793;
        var rng = new Random(seed);
        var p = Data();
        int payloadStart = p.Length - DataPayload.Length;
        var counts = new Dictionary<DropReason, int>();
        const int n = 20_000;
        for (int i = 0; i < n; i++)
        {
            var f = (byte[])p.Clone();
            int flips = rng.Next(1, 9);
            for (int k = 0; k < flips; k++)
            {
                int bit = rng.Next(payloadStart * 8, f.Length * 8);
                f[bit / 8] ^= (byte)(0x80 >> bit % 8);
            }
            Case(seed, i, f, () =>
            {
                var r = ParseAll(f);
                Count(counts, r);
                Assert.Contains(r, new[] { DropReason.BadTcpChecksum, DropReason.None });
                if (r == DropReason.None)
                    Assert.True(Revalidates(f), "accepted but does not revalidate");
            });
        }
        Report("1..8 flips in the TCP payload", counts);
        Assert.True(counts.GetValueOrDefault(DropReason.BadTcpChecksum) > n * 95 / 100, "bad checksum must dominate");
    }

    // ---- c. Absurd lengths and out-of-range fields ----

    private static byte[] WithIpOptions(byte[] p)
    {
        // IHL 6: four NOP bytes of IP options (RFC 791 option type 1), then the original transport part.
        var q = new byte[p.Length + 4];
        p.AsSpan(0, 20).CopyTo(q);
        q[0] = 0x46;
        q.AsSpan(20, 4).Fill(1);
        p.AsSpan(20).CopyTo(q.AsSpan(24));
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(2), (ushort)q.Length);
        FixIpChecksum(q);
        return q;
    }

    private static byte[] Edit(byte[] p, Action<byte[]> edit, bool fixIp = true, bool fixTransport = false)
    {
        var q = (byte[])p.Clone();
        edit(q);
        if (fixIp && (q[0] & 0x0F) * 4 <= q.Length && (q[0] & 0x0F) >= 5)
            FixIpChecksum(q);
        if (fixTransport)
        {
            int ihl = (q[0] & 0x0F) * 4;
            var src = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(q.AsSpan(12)));
            var dst = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(q.AsSpan(16)));
            FixTcpChecksum(q.AsSpan(0, BinaryPrimitives.ReadUInt16BigEndian(q.AsSpan(2))), ihl, src, dst);
        }
        return q;
    }

    private static void SetTotalLength(byte[] q, int n) => BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(2), (ushort)n);

    private static void SetSource(byte[] q, string a) => BinaryPrimitives.WriteUInt32BigEndian(q.AsSpan(12), Ipv4Address.Parse(a).Value);

    private static byte[] IpCase(string name) => name switch
    {
        "IHL 15 in a 20-byte buffer" => Edit(Syn()[..20], q => { q[0] = 0x4F; SetTotalLength(q, 20); }, fixIp: false),
        "IHL 4" => Edit(Syn(), q => q[0] = 0x44),
        "IHL 0" => Edit(Syn(), q => q[0] = 0x40),
        "total length 65535 in a short buffer" => Edit(Syn(), q => SetTotalLength(q, 65535)),
        "total length 0" => Edit(Syn(), q => SetTotalLength(q, 0)),
        "total length 19" => Edit(Syn(), q => SetTotalLength(q, 19)),
        "total length below IHL 6" => Edit(WithIpOptions(Syn()), q => SetTotalLength(q, 22)),
        "total length one past the buffer" => Edit(Syn(), q => SetTotalLength(q, q.Length + 1)),
        "header checksum off by one" => Edit(Syn(), q => q[11] ^= 1, fixIp: false),
        "version 6" => Edit(Syn(), q => q[0] = 0x65),
        "version 0" => Edit(Syn(), q => q[0] = 0x05),
        "version 15" => Edit(Syn(), q => q[0] = 0xF5),
        "MF set" => Edit(Syn(), q => q[6] |= 0x20),
        "fragment offset 8 bytes" => Edit(Syn(), q => { q[6] = 0x00; q[7] = 0x01; }),
        "last fragment, offset 1480" => Edit(Syn(), q => { q[6] = 0x00; q[7] = 185; }),
        "MF and DF set" => Edit(Syn(), q => q[6] = 0x60),
        "source 224.0.0.1" => Edit(Syn(), q => SetSource(q, "224.0.0.1")),
        "source 127.0.0.1" => Edit(Syn(), q => SetSource(q, "127.0.0.1")),
        "source 0.0.0.0" => Edit(Syn(), q => SetSource(q, "0.0.0.0")),
        "source 255.255.255.255" => Edit(Syn(), q => SetSource(q, "255.255.255.255")),
        "source 240.0.0.1" => Edit(Syn(), q => SetSource(q, "240.0.0.1")),
        "DF set, MF clear, offset 0" => Syn(),
        "DF clear" => Edit(Syn(), q => q[6] = 0),
        "IP options, IHL 6" => WithIpOptions(Syn()),
        "link padding after the total length" => Syn().Concat(new byte[6]).ToArray(),
        "source 198.19.0.1" => Edit(Syn(), q => SetSource(q, "198.19.0.1"), fixTransport: true),
        "source 223.255.255.254" => Edit(Syn(), q => SetSource(q, "223.255.255.254"), fixTransport: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("IHL 15 in a 20-byte buffer", DropReason.BadIpHeaderLength)]
    [InlineData("IHL 4", DropReason.BadIpHeaderLength)]
    [InlineData("IHL 0", DropReason.BadIpHeaderLength)]
    [InlineData("total length 65535 in a short buffer", DropReason.BadIpTotalLength)]
    [InlineData("total length 0", DropReason.BadIpTotalLength)]
    [InlineData("total length 19", DropReason.BadIpTotalLength)]
    [InlineData("total length below IHL 6", DropReason.BadIpTotalLength)]
    [InlineData("total length one past the buffer", DropReason.BadIpTotalLength)]
    [InlineData("header checksum off by one", DropReason.BadIpChecksum)]
    [InlineData("version 6", DropReason.NotIpv4)]
    [InlineData("version 0", DropReason.NotIpv4)]
    [InlineData("version 15", DropReason.NotIpv4)]
    [InlineData("MF set", DropReason.Fragment)]
    [InlineData("fragment offset 8 bytes", DropReason.Fragment)]
    [InlineData("last fragment, offset 1480", DropReason.Fragment)]
    [InlineData("MF and DF set", DropReason.Fragment)]
    [InlineData("source 224.0.0.1", DropReason.BadSourceAddress)]
    [InlineData("source 127.0.0.1", DropReason.BadSourceAddress)]
    [InlineData("source 0.0.0.0", DropReason.BadSourceAddress)]
    [InlineData("source 255.255.255.255", DropReason.BadSourceAddress)]
    [InlineData("source 240.0.0.1", DropReason.BadSourceAddress)]
    [InlineData("DF set, MF clear, offset 0", DropReason.None)]
    [InlineData("DF clear", DropReason.None)]
    [InlineData("IP options, IHL 6", DropReason.None)]
    [InlineData("link padding after the total length", DropReason.None)]
    [InlineData("source 198.19.0.1", DropReason.None)]
    [InlineData("source 223.255.255.254", DropReason.None)]
    public void IPv4_header_fields_out_of_range_give_their_exact_reason_RFC791_RFC1122_3_2_1(string name, DropReason expected)
    {
        var p = IpCase(name);
        Case(0, 0, p, () =>
        {
            Assert.Equal(expected, Ipv4Packet.TryParse(p, out var ip));
            if (expected == DropReason.None)
            {
                // The TCP segment behind an accepted header is found where the header says.
                Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
                Assert.Equal((ushort)1460, tcp.Options.Mss);
                Assert.Equal(ip.TotalLength - ip.HeaderLength, tcp.HeaderLength + tcp.PayloadLength);
            }
        });
    }

    private static byte[] TcpCase(string name) => name switch
    {
        "segment of 19 bytes" => Edit(Syn()[..39], q => SetTotalLength(q, 39)),
        "segment of 0 bytes" => Edit(Syn()[..20], q => SetTotalLength(q, 20)),
        "data offset 15 in a 40-byte segment" => Edit(Syn(), q => q[32] = 0xF0, fixTransport: true),
        "data offset 6 in a 20-byte segment" => Edit(HandBuiltTcp([], []), q => q[32] = 0x60, fixTransport: true),
        "data offset 4" => Edit(Syn(), q => q[32] = 0x40, fixTransport: true),
        "data offset 0" => Edit(Syn(), q => q[32] = 0x00, fixTransport: true),
        "checksum off by one" => Edit(Syn(), q => q[37] ^= 1),
        "source port 0" => Edit(Syn(), q => { q[20] = 0; q[21] = 0; }, fixTransport: true),
        "destination port 0" => Edit(Syn(), q => { q[22] = 0; q[23] = 0; }, fixTransport: true),
        "all reserved bits and flags set" => Edit(Syn(), q => { q[32] |= 0x0F; q[33] = 0xFF; }, fixTransport: true),
        "urgent pointer past the data" => Edit(Syn(), q => { q[33] |= 0x20; q[38] = 0xFF; q[39] = 0xFF; }, fixTransport: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("segment of 19 bytes", DropReason.Truncated)]
    [InlineData("segment of 0 bytes", DropReason.Truncated)]
    [InlineData("data offset 15 in a 40-byte segment", DropReason.BadDataOffset)]
    [InlineData("data offset 6 in a 20-byte segment", DropReason.BadDataOffset)]
    [InlineData("data offset 4", DropReason.BadDataOffset)]
    [InlineData("data offset 0", DropReason.BadDataOffset)]
    [InlineData("checksum off by one", DropReason.BadTcpChecksum)]
    [InlineData("source port 0", DropReason.BadPort)]
    [InlineData("destination port 0", DropReason.BadPort)]
    [InlineData("all reserved bits and flags set", DropReason.None)]
    [InlineData("urgent pointer past the data", DropReason.None)]
    public void TCP_header_fields_out_of_range_give_their_exact_reason_RFC9293_3_1(string name, DropReason expected)
    {
        var p = TcpCase(name);
        Case(0, 0, p, () =>
        {
            Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
            Assert.Equal(expected, TcpSegment.TryParse(p, ip, out _));
        });
    }

    [Theory]
    // Lengths that cannot be (RFC 9293 section 3.1: "be prepared to handle an illegal option length").
    [InlineData("02000000", DropReason.BadOption)] // MSS, length 0
    [InlineData("02010000", DropReason.BadOption)] // MSS, length 1
    [InlineData("02FF0000", DropReason.BadOption)] // MSS, length 255
    [InlineData("1E000000", DropReason.BadOption)] // unknown kind, length 0 (would loop forever if skipped)
    [InlineData("1E010101", DropReason.BadOption)] // unknown kind, length 1
    [InlineData("1E050000", DropReason.BadOption)] // unknown kind running past the header
    [InlineData("01010102", DropReason.BadOption)] // MSS kind in the last byte, no room for its length
    [InlineData("0101011E", DropReason.BadOption)] // unknown kind in the last byte
    [InlineData("080A000000010000", DropReason.BadOption)] // TS running past the header
    [InlineData("0101052A" + "0000000000000000000000000000000000000000000000000000000000000000", DropReason.BadOption)] // SACK length 42
    // Lengths wrong for the kind.
    [InlineData("02030501", DropReason.BadOption)] // MSS length 3
    [InlineData("0205000000000000", DropReason.BadOption)] // MSS length 5
    [InlineData("03020000", DropReason.BadOption)] // wscale length 2
    [InlineData("03040700", DropReason.BadOption)] // wscale length 4
    [InlineData("04030000", DropReason.BadOption)] // sackOK length 3
    [InlineData("0808000000010000", DropReason.BadOption)] // TS length 8
    [InlineData("05020101", DropReason.BadOption)] // SACK with no block
    [InlineData("050B000000010000000201" + "00", DropReason.BadOption)] // SACK length 11
    // Accepted.
    [InlineData("00000000", DropReason.None)] // EOL only
    [InlineData("01010101", DropReason.None)] // NOPs only
    [InlineData("020405B4", DropReason.None)]
    [InlineData("0101050A0000000100000002", DropReason.None)] // SACK, one block
    [InlineData("00FFFFFF", DropReason.None)] // EOL first: the garbage after it is not parsed
    public void Option_lengths_are_checked_against_the_kind_and_the_header_RFC9293_3_1_RFC7323_RFC2018(string optionsHex, DropReason expected)
    {
        var p = HandBuiltTcp(Convert.FromHexString(optionsHex), []);
        Case(0, 0, p, () =>
        {
            Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
            Assert.Equal(expected, TcpSegment.TryParse(p, ip, out _));
            Assert.Equal(expected, TcpOptions.TryParse(Convert.FromHexString(optionsHex), out _));
        });
    }

    [Fact]
    public void Parsing_stops_at_end_of_option_list_even_before_a_malformed_option_RFC9293_3_1()
    {
        var p = HandBuiltTcp(Convert.FromHexString("020405B4" + "00" + "020105" + "1E00FFFF"), []);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal((ushort)1460, tcp.Options.Mss);
        Assert.Null(tcp.Options.WindowScale);
    }

    [Fact]
    public void An_unknown_option_is_skipped_by_its_length_RFC9293_3_1()
    {
        // Kind 30 (MPTCP) of 6 bytes, then NOP wscale 7, then EOL padding; and an unknown option filling the area.
        var p = HandBuiltTcp(Convert.FromHexString("1E06AABBCCDD" + "01030307" + "0000"), []);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal((byte)7, tcp.Options.WindowScale);
        Assert.True(tcp.Options.IsEmpty is false);

        var whole = new byte[40];
        whole[0] = 0xFE;
        whole[1] = 40;
        Assert.Equal(DropReason.None, TcpOptions.TryParse(whole, out var o));
        Assert.True(o.IsEmpty);
    }

    [Fact]
    public void Four_SACK_blocks_are_the_most_an_option_area_holds_and_are_all_kept_RFC2018_3()
    {
        var area = Convert.FromHexString("01010522" + "0000000100000002" + "0000000300000004" + "0000000500000006" + "0000000700000008");
        var p = HandBuiltTcp(area, []);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(p, ip, out var tcp));
        Assert.Equal(4, tcp.Options.SackCount);
        Assert.Equal(new SackBlock(7, 8), tcp.Options.Sack(3));
    }

    [Theory]
    [InlineData("02")] // a kind with no length byte
    [InlineData("0204")] // MSS cut after its length
    [InlineData("020405")]
    [InlineData("0101080A00000001")] // TS cut
    [InlineData("05")]
    public void An_option_area_that_ends_inside_an_option_is_rejected_RFC9293_3_1(string hex)
    {
        Assert.Equal(DropReason.BadOption, TcpOptions.TryParse(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void A_UDP_packet_handed_to_the_TCP_or_ICMP_parser_is_an_unsupported_protocol_RFC791()
    {
        var p = Edit(Syn(), q => q[9] = IpProtocol.Udp);
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(p, out var ip));
        Assert.Equal(DropReason.UnsupportedProtocol, TcpSegment.TryParse(p, ip, out _));
        Assert.Equal(DropReason.UnsupportedProtocol, Icmpv4Message.TryParse(p, ip, out _));

        var echo = Echo();
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(echo, out var icmpIp));
        Assert.Equal(DropReason.UnsupportedProtocol, TcpSegment.TryParse(echo, icmpIp, out _));
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(echo, icmpIp, out var icmp));
        Assert.Equal(IcmpType.EchoRequest, icmp.Type);
        Assert.Equal((ushort)0x1234, icmp.Identifier);
        Assert.Equal((ushort)7, icmp.SequenceNumber);
    }

    [Fact]
    public void ICMP_shorter_than_its_header_or_with_a_bad_checksum_is_dropped_RFC792()
    {
        var shortIcmp = Edit(Echo()[..27], q => SetTotalLength(q, 27));
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(shortIcmp, out var ip));
        Assert.Equal(DropReason.Truncated, Icmpv4Message.TryParse(shortIcmp, ip, out _));

        var bad = Echo();
        bad[^1] ^= 0x01;
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(bad, out ip));
        Assert.Equal(DropReason.BadIcmpChecksum, Icmpv4Message.TryParse(bad, ip, out _));
    }
}
