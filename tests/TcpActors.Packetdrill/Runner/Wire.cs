using System.Buffers.Binary;
using TcpActors.Engine.Wire;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>A packet the stack sent, parsed, with its raw option list (NOPs kept) and virtual send time.</summary>
internal sealed record OutPacket(TimeSpan At, Ipv4Address Source, Ipv4Address Destination, ushort SourcePort, ushort DestinationPort,
    TcpFlags Flags, uint Seq, uint Ack, ushort Window, int Length, IReadOnlyList<PacketOption> Options, string? ParseError, byte IpEcn = 0)
{
    public bool Syn => (Flags & TcpFlags.Syn) != 0;
    public bool Fin => (Flags & TcpFlags.Fin) != 0;
}

/// <summary>Building the script's inbound packets and reading the stack's outbound ones.</summary>
internal static class Wire
{
    public static OutPacket Parse(byte[] packet, TimeSpan at)
    {
        var ipReason = Ipv4Packet.TryParse(packet, out var ip);
        if (ipReason != DropReason.None)
            return Broken(at, $"IPv4 header: {ipReason}");
        var reason = TcpSegment.TryParse(packet, ip, out var tcp);
        if (reason != DropReason.None)
            return Broken(at, $"TCP segment: {reason}");
        var seg = ip.Payload(packet);
        var options = RawOptions(seg[TcpSegment.MinHeaderLength..tcp.HeaderLength]);
        return new OutPacket(at, ip.Source, ip.Destination, tcp.SourcePort, tcp.DestinationPort, tcp.Flags, tcp.Sequence.Value,
            tcp.Acknowledgment.Value, tcp.Window, tcp.PayloadLength, options, null, ip.Ecn);
    }

    private static OutPacket Broken(TimeSpan at, string why) =>
        new(at, default, default, 0, 0, TcpFlags.None, 0, 0, 0, 0, [], why);

    /// <summary>The options as they lie in the header, NOPs and EOL included (padding after EOL is not listed).</summary>
    public static List<PacketOption> RawOptions(ReadOnlySpan<byte> area)
    {
        var list = new List<PacketOption>();
        int i = 0;
        while (i < area.Length)
        {
            byte kind = area[i];
            if (kind == 0) { list.Add(new PacketOption(OptionKind.Eol, [])); break; }
            if (kind == 1) { list.Add(new PacketOption(OptionKind.Nop, [])); i++; continue; }
            int len = i + 1 < area.Length ? area[i + 1] : 0;
            if (len < 2 || i + len > area.Length) break;
            var body = area.Slice(i + 2, len - 2);
            switch (kind)
            {
                case 2 when len == 4: list.Add(new PacketOption(OptionKind.Mss, [BinaryPrimitives.ReadUInt16BigEndian(body)])); break;
                case 3 when len == 3: list.Add(new PacketOption(OptionKind.WindowScale, [body[0]])); break;
                case 4 when len == 2: list.Add(new PacketOption(OptionKind.SackOk, [])); break;
                case 8 when len == 10:
                    list.Add(new PacketOption(OptionKind.Timestamp, [BinaryPrimitives.ReadUInt32BigEndian(body), BinaryPrimitives.ReadUInt32BigEndian(body[4..])]));
                    break;
                case 5:
                {
                    var v = new List<uint>();
                    for (int b = 0; b + 8 <= body.Length; b += 8)
                    {
                        v.Add(BinaryPrimitives.ReadUInt32BigEndian(body[b..]));
                        v.Add(BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..]));
                    }
                    list.Add(new PacketOption(OptionKind.Sack, v));
                    break;
                }
                case 34: list.Add(new PacketOption(OptionKind.FastOpen, [])); break;
                default: list.Add(new PacketOption(OptionKind.Experimental, [kind])); break;
            }
            i += len;
        }
        return list;
    }

    /// <summary>Writes options in the script's order; the area is padded to a multiple of 4 with EOL (zero) bytes.</summary>
    public static byte[] WriteOptions(IReadOnlyList<PacketOption> options)
    {
        var bytes = new List<byte>();
        foreach (var o in options)
        {
            switch (o.Kind)
            {
                case OptionKind.Nop: bytes.Add(1); break;
                case OptionKind.Eol: bytes.Add(0); break;
                case OptionKind.Mss: bytes.AddRange([2, 4, (byte)(o.Values[0] >> 8), (byte)o.Values[0]]); break;
                case OptionKind.WindowScale: bytes.AddRange([3, 3, (byte)o.Values[0]]); break;
                case OptionKind.SackOk: bytes.AddRange([4, 2]); break;
                case OptionKind.Timestamp:
                    bytes.AddRange([8, 10]);
                    AddU32(bytes, o.Values[0]);
                    AddU32(bytes, o.Values[1]);
                    break;
                case OptionKind.Sack:
                    bytes.AddRange([5, (byte)(2 + 4 * o.Values.Count)]);
                    foreach (var v in o.Values) AddU32(bytes, v);
                    break;
                default:
                    throw new UnsupportedException($"the runner cannot build inbound option '{o}'");
            }
        }
        while (bytes.Count % 4 != 0) bytes.Add(0);
        if (bytes.Count > 40) throw new UnsupportedException($"inbound options take {bytes.Count} bytes, more than 40");
        return bytes.ToArray();
    }

    private static void AddU32(List<byte> b, uint v) => b.AddRange([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

    /// <summary>
    /// The ECN field (RFC 3168 section 5) a script's <c>[noecn]</c>, <c>[ect1]</c>, <c>[ect0]</c>, <c>[ce]</c> stands for;
    /// <c>[ect01]</c> (either ECT) is -1.
    /// </summary>
    public static int EcnCodepoint(string name) => name switch
    {
        "noecn" => 0,
        "ect1" => 1,
        "ect0" => 2,
        "ce" => 3,
        "ect01" => -1,
        _ => throw new UnsupportedException($"unknown ECN codepoint '{name}'"),
    };

    /// <summary>packetdrill's name of an ECN field.</summary>
    public static string EcnName(byte ecn) => ecn switch { 0 => "noecn", 1 => "ect1", 2 => "ect0", _ => "ce" };

    /// <summary>A whole IPv4 packet: 20-byte IP header (<paramref name="ipEcn"/> in its TOS octet), TCP header with the given option bytes, zero payload.</summary>
    public static byte[] Build(Ipv4Address src, Ipv4Address dst, ushort sport, ushort dport, TcpFlags flags, uint seq, uint ack,
        ushort window, byte[] options, int payloadLength, byte ipEcn = 0)
    {
        int tcpLen = 20 + options.Length + payloadLength;
        var packet = new byte[20 + tcpLen];
        var t = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(t, sport);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)(((20 + options.Length) / 4) << 4);
        t[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        options.CopyTo(t[20..]);
        uint pseudo = InternetChecksum.PseudoHeader(src.Value, dst.Value, IpProtocol.Tcp, tcpLen);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], InternetChecksum.Finish(InternetChecksum.Accumulate(t[..tcpLen], pseudo)));
        Ipv4Packet.WriteHeader(packet, src, dst, IpProtocol.Tcp, packet.Length, 0, 64, ipEcn, true);
        return packet;
    }

    public static TcpFlags ParseFlags(string text)
    {
        var f = TcpFlags.None;
        foreach (char c in text)
        {
            f |= c switch
            {
                'S' => TcpFlags.Syn,
                'F' => TcpFlags.Fin,
                'R' => TcpFlags.Rst,
                'P' => TcpFlags.Psh,
                '.' => TcpFlags.Ack,
                'E' => TcpFlags.Ece,
                'W' => TcpFlags.Cwr,
                'U' => TcpFlags.Urg,
                _ => TcpFlags.None,
            };
        }
        return f;
    }

    public static string FlagString(TcpFlags f)
    {
        string s = f.ToShortString();
        return s.Length == 0 ? "-" : s;
    }
}
