using System.Buffers.Binary;
using System.Net;
using PacketDotNet;
using PacketDotNet.Tcp;
using PacketDotNet.Utils;
using TcpActors.Engine.Wire;
using static TcpActors.Engine.Tests.Wire.WireTestSupport;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// Property tests of the wire codec against an independent implementation, PacketDotNet 1.4.8, and of the
/// vectorized checksum against the textbook loop. Seeded: a failure names the seed, case and packet hex.
/// </summary>
public class PacketDotNetOracleTests
{
    private const int Cases = 600;

    /// <summary>What a random packet was built from, to compare a parse against.</summary>
    private sealed record Expected(
        Ipv4Address Source, Ipv4Address Destination, ushort Identification, byte Ttl, byte Tos, bool DontFragment,
        ushort SourcePort, ushort DestinationPort, uint Seq, uint Ack, TcpFlags Flags, byte Reserved, ushort Window, ushort Urgent,
        ushort? Mss, byte? WindowScale, bool SackPermitted, (uint Val, uint Ecr)? Timestamps, SackBlock[] Sack, byte[] Payload);

    private static Expected RandomExpected(Random rng)
    {
        var payload = new byte[rng.Next(4) == 0 ? 0 : rng.Next(0, 1461)];
        rng.NextBytes(payload);
        var sack = new SackBlock[rng.Next(3) == 0 ? rng.Next(1, 5) : 0];
        for (int i = 0; i < sack.Length; i++)
            sack[i] = new SackBlock((uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32));
        return new Expected(
            RandomValidSource(rng), new Ipv4Address((uint)rng.NextInt64(0, 1L << 32)),
            (ushort)rng.Next(0, 65536), (byte)rng.Next(1, 256), (byte)rng.Next(0, 256), rng.Next(2) == 0,
            (ushort)rng.Next(1, 65536), (ushort)rng.Next(1, 65536), (uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32),
            (TcpFlags)rng.Next(0, 256), (byte)rng.Next(0, 16), (ushort)rng.Next(0, 65536), (ushort)rng.Next(0, 65536),
            rng.Next(2) == 0 ? (ushort)rng.Next(0, 65536) : null,
            rng.Next(2) == 0 ? (byte)rng.Next(0, 15) : null,
            rng.Next(2) == 0,
            rng.Next(2) == 0 ? ((uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32)) : null,
            sack, payload);
    }

    private static TcpSegment ToSegment(Expected e)
    {
        var tcp = new TcpSegment
        {
            SourcePort = e.SourcePort,
            DestinationPort = e.DestinationPort,
            Sequence = e.Seq,
            Acknowledgment = e.Ack,
            Flags = e.Flags,
            Reserved = e.Reserved,
            Window = e.Window,
            UrgentPointer = e.Urgent,
        };
        tcp.Options.Mss = e.Mss;
        tcp.Options.WindowScale = e.WindowScale;
        tcp.Options.SackPermitted = e.SackPermitted;
        if (e.Timestamps is var (val, ecr))
            tcp.Options.SetTimestamps(val, ecr);
        foreach (var b in e.Sack)
            tcp.Options.AddSack(b);
        return tcp;
    }

    private static byte[] WriteWithCodec(Expected e, out TcpSegment tcp)
    {
        tcp = ToSegment(e);
        var buffer = new byte[20 + 60 + 1460];
        int n = tcp.WritePacket(buffer, e.Source, e.Destination, e.Payload, e.Identification, e.Ttl, e.Tos, e.DontFragment);
        return buffer[..n];
    }

    private static Ipv4Address FromIp(IPAddress a) => Ipv4Address.FromIPAddress(a);

    [Fact]
    public void Packets_written_by_the_codec_parse_identically_in_PacketDotNet_RFC791_RFC9293_3_1()
    {
        const int seed = 791;
        var rng = new Random(seed);
        for (int i = 0; i < Cases; i++)
        {
            var e = RandomExpected(rng);
            var bytes = WriteWithCodec(e, out var written);
            Case(seed, i, bytes, () =>
            {
                var ip = Packet.ParsePacket(LinkLayers.Raw, (byte[])bytes.Clone()).Extract<IPv4Packet>();
                Assert.NotNull(ip);
                Assert.Equal(IPVersion.IPv4, ip.Version);
                Assert.Equal(5, ip.HeaderLength);
                Assert.Equal(bytes.Length, ip.TotalLength);
                Assert.Equal(e.Identification, ip.Id);
                Assert.Equal(e.Ttl, ip.TimeToLive);
                Assert.Equal(e.Tos, ip.TypeOfService);
                Assert.Equal(e.DontFragment ? 0b010 : 0, ip.FragmentFlags);
                Assert.Equal(0, ip.FragmentOffset);
                Assert.Equal(ProtocolType.Tcp, ip.Protocol);
                Assert.Equal(e.Source, FromIp(ip.SourceAddress));
                Assert.Equal(e.Destination, FromIp(ip.DestinationAddress));
                Assert.True(ip.ValidIPChecksum);
                Assert.Equal(ip.Checksum, ip.CalculateIPChecksum());

                var tcp = ip.Extract<TcpPacket>();
                Assert.NotNull(tcp);
                Assert.Equal(e.SourcePort, tcp.SourcePort);
                Assert.Equal(e.DestinationPort, tcp.DestinationPort);
                Assert.Equal(e.Seq, tcp.SequenceNumber);
                Assert.Equal(e.Ack, tcp.AcknowledgmentNumber);
                Assert.Equal(written.WrittenHeaderLength, tcp.DataOffset * 4);
                Assert.Equal((int)e.Flags, tcp.Flags & 0xFF);
                Assert.Equal((e.Reserved & 1) != 0, tcp.NonceSum);
                Assert.Equal(e.Reserved, bytes[20 + 12] & 0x0F);
                Assert.Equal(e.Window, tcp.WindowSize);
                Assert.Equal(e.Urgent, (ushort)tcp.UrgentPointer);
                Assert.True(tcp.ValidTcpChecksum);
                Assert.True(tcp.ValidChecksum);
                Assert.Equal(tcp.Checksum, tcp.CalculateTcpChecksum());
                Assert.Equal(e.Payload, tcp.PayloadData ?? []);

                // PacketDotNet refuses to show options while URG is set; read them from a copy without it.
                var copy = (byte[])bytes.Clone();
                copy[20 + 13] &= unchecked((byte)~TcpFlags.Urg);
                var options = Packet.ParsePacket(LinkLayers.Raw, copy).Extract<TcpPacket>().OptionsCollection ?? [];
                Assert.Equal(e.Mss, options.OfType<MaximumSegmentSizeOption>().Select(o => (ushort?)o.Value).SingleOrDefault());
                Assert.Equal(e.WindowScale, options.OfType<WindowScaleFactorOption>().Select(o => (byte?)o.ScaleFactor).SingleOrDefault());
                Assert.Equal(e.SackPermitted, options.OfType<SelectiveAcknowledgmentPermittedOption>().Count() == 1);
                Assert.Equal(e.Timestamps, options.OfType<TimeStampOption>().Select(o => ((uint, uint)?)(o.Value, o.EchoReply)).SingleOrDefault());
                // SACK edges are decoded as 16-bit values by PacketDotNet 1.4.8: check only the option's length.
                var sack = options.OfType<SelectiveAcknowledgmentOption>().SingleOrDefault();
                int sackBlocksWritten = written.Options.Length - OptionsLengthWithoutSack(e);
                Assert.Equal(sackBlocksWritten == 0 ? null : (int?)(sackBlocksWritten - 2), sack is null ? null : (int?)sack.Length);
                Assert.All(options, o => Assert.True(o.Kind is OptionTypes.NoOperation or OptionTypes.MaximumSegmentSize
                    or OptionTypes.WindowScaleFactor or OptionTypes.SelectiveAcknowledgmentPermitted or OptionTypes.Timestamp
                    or OptionTypes.SelectiveAcknowledgment, $"unexpected option {o.Kind}"));

                // And the codec reads back what it wrote, SACK blocks included.
                Assert.Equal(DropReason.None, Ipv4Packet.TryParse(bytes, out var ours));
                Assert.Equal(DropReason.None, TcpSegment.TryParse(bytes, ours, out var seg));
                AssertSegment(e, seg, sackBlocksExpected: sackBlocksWritten == 0 ? 0 : (sackBlocksWritten - 4) / 8);
            });
        }
    }

    /// <summary>Bytes the codec writes for everything but SACK blocks (Linux layout).</summary>
    private static int OptionsLengthWithoutSack(Expected e) =>
        (e.Mss.HasValue ? 4 : 0) + (e.Timestamps.HasValue ? 12 : e.SackPermitted ? 4 : 0) + (e.WindowScale.HasValue ? 4 : 0);

    private static void AssertSegment(Expected e, TcpSegment seg, int sackBlocksExpected)
    {
        Assert.Equal(e.SourcePort, seg.SourcePort);
        Assert.Equal(e.DestinationPort, seg.DestinationPort);
        Assert.Equal(e.Seq, seg.Sequence.Value);
        Assert.Equal(e.Ack, seg.Acknowledgment.Value);
        Assert.Equal(e.Flags, seg.Flags);
        Assert.Equal(e.Reserved, seg.Reserved);
        Assert.Equal(e.Window, seg.Window);
        Assert.Equal(e.Urgent, seg.UrgentPointer);
        Assert.Equal(e.Payload.Length, seg.PayloadLength);
        Assert.Equal(e.Mss, seg.Options.Mss);
        Assert.Equal(e.WindowScale, seg.Options.WindowScale);
        Assert.Equal(e.SackPermitted, seg.Options.SackPermitted);
        Assert.Equal(e.Timestamps.HasValue, seg.Options.HasTimestamps);
        if (e.Timestamps is var (val, ecr))
        {
            Assert.Equal(val, seg.Options.TsVal);
            Assert.Equal(ecr, seg.Options.TsEcr);
        }
        Assert.Equal(e.Sack.Take(sackBlocksExpected).ToArray(), seg.Options.SackBlocks.ToArray());
    }

    [Fact]
    public void Options_are_written_in_Linux_order_RFC9293_3_2_RFC7323_RFC2018()
    {
        // The exact sequence of kinds PacketDotNet sees, NOPs included, for each combination.
        var tcp = new TcpSegment { SourcePort = 1, DestinationPort = 2, Flags = TcpFlags.Syn };
        tcp.Options.Mss = 1460;
        tcp.Options.SackPermitted = true;
        tcp.Options.SetTimestamps(1, 0);
        tcp.Options.WindowScale = 7;
        Assert.Equal([2, 4, 8, 1, 3], Kinds(tcp));
        Assert.Equal("020405B4" + "0402" + "080A0000000100000000" + "01030307", Hex(OptionBytes(tcp)));

        tcp.Options.SackPermitted = false;
        Assert.Equal([2, 1, 1, 8, 1, 3], Kinds(tcp));

        tcp.Options = default;
        tcp.Options.Mss = 536;
        tcp.Options.SackPermitted = true;
        tcp.Options.WindowScale = 0;
        Assert.Equal([2, 1, 1, 4, 1, 3], Kinds(tcp));

        tcp.Options = default;
        tcp.Options.SetTimestamps(5, 6);
        tcp.Options.AddSack(new SackBlock(100, 200));
        tcp.Options.AddSack(new SackBlock(300, 400));
        tcp.Options.AddSack(new SackBlock(500, 600));
        tcp.Options.AddSack(new SackBlock(700, 800));
        // TS leaves room for three of the four blocks in 40 bytes.
        Assert.Equal([1, 1, 8, 1, 1, 5], Kinds(tcp));
        Assert.Equal(40, tcp.Options.Length);
        Assert.Equal("0101080A0000000500000006" + "0101051A" + "00000064000000C8" + "0000012C00000190" + "000001F400000258",
            Hex(OptionBytes(tcp)));
    }

    private static byte[] OptionBytes(TcpSegment tcp)
    {
        var b = new byte[tcp.Options.Length];
        tcp.Options.Write(b);
        return b;
    }

    private static int[] Kinds(TcpSegment tcp)
    {
        var buffer = new byte[200];
        int n = tcp.WritePacket(buffer, Client, Server, []);
        var parsed = Packet.ParsePacket(LinkLayers.Raw, buffer[..n]).Extract<TcpPacket>();
        return (parsed.OptionsCollection ?? []).Select(o => (int)o.Kind).ToArray();
    }

    /// <summary>
    /// A random but valid options area: the chosen options in random order, NOPs sprinkled between them,
    /// unknown kinds (to be skipped by their length), then EOL padding to a multiple of 4.
    /// </summary>
    private static byte[] RandomOptionsArea(Random rng, Expected e, out int sackBlocks)
    {
        var parts = new List<byte[]>();
        if (e.Mss is ushort mss) parts.Add([2, 4, (byte)(mss >> 8), (byte)mss]);
        if (e.WindowScale is byte ws) parts.Add([3, 3, ws]);
        if (e.SackPermitted) parts.Add([4, 2]);
        if (e.Timestamps is var (val, ecr))
        {
            var ts = new byte[10];
            ts[0] = 8;
            ts[1] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(2), val);
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(6), ecr);
            parts.Add(ts);
        }
        if (rng.Next(3) == 0)
            parts.Add([(byte)rng.Next(30, 254), 4, (byte)rng.Next(256), (byte)rng.Next(256)]); // unknown kind
        int used = parts.Sum(p => p.Length);
        sackBlocks = Math.Min(e.Sack.Length, Math.Max(0, (40 - used - 2) / 8));
        if (sackBlocks > 0)
        {
            var s = new byte[2 + 8 * sackBlocks];
            s[0] = 5;
            s[1] = (byte)s.Length;
            for (int b = 0; b < sackBlocks; b++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(2 + 8 * b), e.Sack[b].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(6 + 8 * b), e.Sack[b].Right.Value);
            }
            parts.Add(s);
        }
        var area = new List<byte>();
        int nops = 0;
        used = parts.Sum(p => p.Length);
        foreach (var p in parts.OrderBy(_ => rng.Next()))
        {
            if ((used + nops + 1 + 3) / 4 * 4 <= TcpOptions.MaxLength && rng.Next(3) == 0)
            {
                area.Add(1); // NOP, only while the padded area still fits in 40 bytes
                nops++;
            }
            area.AddRange(p);
        }
        while (area.Count % 4 != 0)
            area.Add(0); // EOL and padding
        return area.ToArray();
    }

    private static Expected WithoutMissingSack(Expected e, int sackBlocks) => e with { Sack = e.Sack[..sackBlocks] };

    [Fact]
    public void Packets_built_by_PacketDotNet_parse_identically_in_the_codec_RFC791_RFC9293_3_1()
    {
        const int seed = 9293;
        var rng = new Random(seed);
        for (int i = 0; i < Cases; i++)
        {
            var e = RandomExpected(rng);
            var optionsArea = RandomOptionsArea(rng, e, out int sackBlocks);
            e = WithoutMissingSack(e, sackBlocks);

            int headerLength = 20 + optionsArea.Length;
            Assert.InRange(optionsArea.Length, 0, TcpOptions.MaxLength);
            var tcpBytes = new byte[headerLength + e.Payload.Length];
            tcpBytes[12] = (byte)(headerLength / 4 << 4);
            e.Payload.CopyTo(tcpBytes, headerLength);
            var tcp = new TcpPacket(new ByteArraySegment(tcpBytes))
            {
                SourcePort = e.SourcePort,
                DestinationPort = e.DestinationPort,
                SequenceNumber = e.Seq,
                AcknowledgmentNumber = e.Ack,
                Flags = (ushort)((int)e.Flags | (e.Reserved & 1) << 8),
                WindowSize = e.Window,
                UrgentPointer = e.Urgent,
                Options = optionsArea,
            };
            // The three reserved bits above NS have no PacketDotNet setter.
            tcpBytes[12] |= (byte)(e.Reserved & 0x0E);
            var ip = new IPv4Packet(e.Source.ToIPAddress(), e.Destination.ToIPAddress())
            {
                Id = e.Identification,
                TimeToLive = e.Ttl,
                TypeOfService = e.Tos,
                FragmentFlags = e.DontFragment ? 0b010 : 0,
                Protocol = ProtocolType.Tcp,
                PayloadPacket = tcp,
            };
            ip.UpdateCalculatedValues();
            tcp.UpdateTcpChecksum();
            ip.UpdateIPChecksum();
            var bytes = ip.Bytes;

            Case(seed, i, bytes, () =>
            {
                Assert.Equal(20 + headerLength + e.Payload.Length, bytes.Length);
                Assert.Equal(DropReason.None, Ipv4Packet.TryParse(bytes, out var ours));
                Assert.Equal(e.Source, ours.Source);
                Assert.Equal(e.Destination, ours.Destination);
                Assert.Equal(IpProtocol.Tcp, ours.Protocol);
                Assert.Equal(20, ours.HeaderLength);
                Assert.Equal(bytes.Length, ours.TotalLength);
                Assert.Equal(e.Identification, ours.Identification);
                Assert.Equal(e.Ttl, ours.TimeToLive);
                Assert.Equal(e.Tos, ours.TypeOfService);
                Assert.Equal(e.DontFragment, ours.DontFragment);
                Assert.False(ours.MoreFragments);
                Assert.Equal(0, ours.FragmentOffset);

                Assert.Equal(DropReason.None, TcpSegment.TryParse(bytes, ours, out var seg));
                Assert.Equal(headerLength, seg.HeaderLength);
                Assert.Equal(tcp.Checksum, seg.Checksum);
                AssertSegment(e, seg, sackBlocks);
                Assert.Equal(e.Payload, ours.Payload(bytes).Slice(seg.PayloadOffset, seg.PayloadLength).ToArray());
            });
        }
    }

    // ---- The Internet checksum (RFC 1071, RFC 1624) ----

    [Fact]
    public void Vectorized_checksum_equals_the_textbook_loop_for_any_length_and_alignment_RFC1071()
    {
        const int seed = 1071;
        var rng = new Random(seed);
        var big = new byte[9000 + 64];
        for (int i = 0; i < Cases * 2; i++)
        {
            int length = i < 200 ? i : rng.Next(0, 9001); // every short length, then random ones
            int offset = rng.Next(0, 64);
            // Mostly random bytes; sometimes all 0xFF or all zero, the extremes of the one's complement sum.
            byte fill = (byte)(rng.Next(8) switch { 0 => 0xFF, 1 => 0x00, _ => 0x5A });
            if (fill == 0x5A) rng.NextBytes(big);
            else Array.Fill(big, fill);
            uint partial = (uint)rng.Next(0, 0x10000);
            var data = big.AsSpan(offset, length);
            string hex = length <= 64 ? Hex(data) : $"len {length} offset {offset} fill {fill:X2}";
            var copy = data.ToArray();
            Case(seed, i, hex, () =>
            {
                Assert.Equal(InternetChecksum.AccumulateReference(copy), InternetChecksum.Accumulate(copy.AsSpan()));
                Assert.Equal(InternetChecksum.AccumulateReference(copy), InternetChecksum.Accumulate(big.AsSpan(offset, length)));
                Assert.Equal(InternetChecksum.AccumulateReference(copy, partial), InternetChecksum.Accumulate(big.AsSpan(offset, length), partial));
            });
        }
    }

    [Fact]
    public void Checksum_accumulated_piece_by_piece_in_even_lengths_equals_the_whole_RFC1071_2()
    {
        const int seed = 10712;
        var rng = new Random(seed);
        var data = new byte[9000];
        for (int i = 0; i < Cases; i++)
        {
            int length = rng.Next(0, 9001);
            rng.NextBytes(data);
            var whole = data.AsSpan(0, length);
            uint expected = InternetChecksum.Accumulate(whole);
            uint partial = 0;
            int at = 0;
            var cuts = new List<int>();
            while (at < length)
            {
                int piece = Math.Min(length - at, rng.Next(0, 800) * 2); // even, except the last may be odd
                cuts.Add(piece);
                partial = InternetChecksum.Accumulate(whole.Slice(at, piece), partial);
                at += piece;
            }
            uint got = partial;
            Case(seed, i, $"len {length} pieces [{string.Join(',', cuts)}]", () =>
            {
                Assert.Equal(expected, got);
                Assert.Equal(InternetChecksum.AccumulateReference(data.AsSpan(0, length)), got);
            });
        }
    }

    [Fact]
    public void Incremental_update_equals_a_full_recompute_after_changing_a_word_RFC1624_3()
    {
        const int seed = 1624;
        var rng = new Random(seed);
        for (int i = 0; i < Cases * 4; i++)
        {
            // An IPv4-header-like buffer: the first word is never zero, so the sum is never +0 (RFC 1624 section 3:
            // the all-zero case where -0 and +0 differ cannot arise for a real header).
            var data = new byte[rng.Next(1, 40) * 2];
            rng.NextBytes(data);
            if (rng.Next(4) == 0) Array.Fill(data, (byte)0xFF);
            data[0] = 0x45;
            ushort before = InternetChecksum.Compute(data);
            int at = rng.Next(0, data.Length / 2) * 2;
            ushort oldWord = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
            ushort newWord = (ushort)(rng.Next(4) switch { 0 => 0x0000, 1 => 0xFFFF, 2 => oldWord, _ => rng.Next(0, 65536) });
            if (at == 0) newWord |= 0x4000;
            var original = Hex(data);
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at), newWord);
            Case(seed, i, $"{original} word@{at} {oldWord:X4}->{newWord:X4}", () =>
                Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Update(before, oldWord, newWord)));
        }
    }

    [Fact]
    public void Incremental_update_equals_a_full_recompute_after_changing_a_32_bit_field_RFC1624_3()
    {
        const int seed = 16242;
        var rng = new Random(seed);
        for (int i = 0; i < Cases * 4; i++)
        {
            var data = new byte[rng.Next(3, 40) * 2];
            rng.NextBytes(data);
            data[0] = 0x45;
            ushort before = InternetChecksum.Compute(data);
            int at = rng.Next(1, data.Length / 2 - 1) * 2; // any even offset past the first word, not only 4-aligned
            uint oldValue = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            uint newValue = rng.Next(4) switch { 0 => 0u, 1 => 0xFFFFFFFFu, 2 => oldValue + 1, _ => (uint)rng.NextInt64(0, 1L << 32) };
            var original = Hex(data);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), newValue);
            Case(seed, i, $"{original} u32@{at} {oldValue:X8}->{newValue:X8}", () =>
                Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Update(before, oldValue, newValue)));
        }
    }
}
