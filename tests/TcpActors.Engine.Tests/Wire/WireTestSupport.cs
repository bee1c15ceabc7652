using System.Buffers.Binary;
using TcpActors.Engine.Wire;
using Xunit.Sdk;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// Helpers shared by the wire tests: hand-built packets whose checksums are fixed with the textbook
/// checksum loop (not the vectorized code under test), and failure messages that name the case.
/// </summary>
internal static class WireTestSupport
{
    public static readonly Ipv4Address Client = Ipv4Address.Parse("198.18.0.1");
    public static readonly Ipv4Address Server = Ipv4Address.Parse("198.18.0.2");

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>Runs one property case; any failure or exception is rethrown with the seed, case index and packet hex.</summary>
    public static void Case(int seed, int index, ReadOnlySpan<byte> packet, Action check) => Case(seed, index, Hex(packet), check);

    public static void Case(int seed, int index, string packetHex, Action check)
    {
        try
        {
            check();
        }
        catch (Exception e)
        {
            throw new XunitException($"seed {seed} case {index} packet {packetHex}: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>A random unicast source that the codec must accept (first octet 1..223, not 127).</summary>
    public static Ipv4Address RandomValidSource(Random rng)
    {
        int first;
        do first = rng.Next(1, 224); while (first == 127);
        return new Ipv4Address((uint)first << 24 | (uint)rng.Next(0, 1 << 24));
    }

    /// <summary>Recomputes the IPv4 header checksum of <paramref name="packet"/> with the reference loop.</summary>
    public static void FixIpChecksum(Span<byte> packet)
    {
        int ihl = (packet[0] & 0x0F) * 4;
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], (ushort)~InternetChecksum.AccumulateReference(packet[..ihl]));
    }

    /// <summary>
    /// Recomputes the TCP checksum of the segment at <paramref name="offset"/> spanning to the end of
    /// <paramref name="packet"/>, with the reference loop and a pseudo-header summed by hand.
    /// </summary>
    public static void FixTcpChecksum(Span<byte> packet, int offset, Ipv4Address source, Ipv4Address destination)
    {
        var seg = packet[offset..];
        seg[16] = 0;
        seg[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(seg[16..], (ushort)~ReferenceTcpSum(seg, source, destination));
    }

    /// <summary>The one's complement sum of pseudo-header and segment with the reference loop: 0xFFFF when intact.</summary>
    public static uint ReferenceTcpSum(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        Span<byte> pseudo = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(pseudo, source.Value);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[4..], destination.Value);
        pseudo[8] = 0;
        pseudo[9] = IpProtocol.Tcp;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segment.Length);
        return InternetChecksum.AccumulateReference(segment, InternetChecksum.AccumulateReference(pseudo));
    }

    /// <summary>
    /// A TCP/IPv4 packet built by hand (no codec writer involved): 20-byte IP header, a TCP header with
    /// the given raw options area (its length must be a multiple of 4) and payload, both checksums set.
    /// </summary>
    public static byte[] HandBuiltTcp(ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload,
        Ipv4Address? source = null, Ipv4Address? destination = null, TcpFlags flags = TcpFlags.Ack,
        ushort sourcePort = 40000, ushort destinationPort = 80, uint seq = 1000, uint ack = 2000, ushort window = 65535)
    {
        if (options.Length % 4 != 0 || options.Length > 40)
            throw new ArgumentException("options area must be a multiple of 4, at most 40", nameof(options));
        var src = source ?? Client;
        var dst = destination ?? Server;
        int tcpLen = 20 + options.Length + payload.Length;
        var p = new byte[20 + tcpLen];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 0x1234);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = IpProtocol.Tcp;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src.Value);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst.Value);
        FixIpChecksum(p);
        var t = p.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(t, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)((20 + options.Length) / 4 << 4);
        t[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        options.CopyTo(t[20..]);
        payload.CopyTo(t[(20 + options.Length)..]);
        FixTcpChecksum(p, 20, src, dst);
        return p;
    }

    /// <summary>An ICMP echo request built by hand: identifier, sequence and data, both checksums set.</summary>
    public static byte[] HandBuiltEchoRequest(ushort identifier, ushort sequence, ReadOnlySpan<byte> data,
        Ipv4Address? source = null, Ipv4Address? destination = null)
    {
        var src = source ?? Client;
        var dst = destination ?? Server;
        var p = new byte[20 + 8 + data.Length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 0x4321);
        p[8] = 64;
        p[9] = IpProtocol.Icmp;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src.Value);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst.Value);
        FixIpChecksum(p);
        var m = p.AsSpan(20);
        m[0] = IcmpType.EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], sequence);
        data.CopyTo(m[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], (ushort)~InternetChecksum.AccumulateReference(m));
        return p;
    }

    /// <summary>Parses IPv4 and then TCP or ICMP by protocol (any other protocol through TCP); the first non-None reason.</summary>
    public static DropReason ParseAll(ReadOnlySpan<byte> packet)
    {
        var reason = Ipv4Packet.TryParse(packet, out var ip);
        if (reason != DropReason.None)
            return reason;
        return ip.Protocol == IpProtocol.Icmp
            ? Icmpv4Message.TryParse(packet, ip, out _)
            : TcpSegment.TryParse(packet, ip, out _);
    }
}
