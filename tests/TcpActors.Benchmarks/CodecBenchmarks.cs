using BenchmarkDotNet.Attributes;
using TcpActors.Engine.Wire;

namespace TcpActors.Benchmarks;

/// <summary>
/// A full-sized data segment as a bulk transfer sends it: 1500 bytes = 20 (IPv4, no options)
/// + 32 (TCP: 20 + NOP NOP TS) + 1448 bytes of data, flags ACK|PSH.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[BytesPerOperation(PacketLength)]
public class CodecBenchmarks
{
    public const int PacketLength = 1500;
    public const int PayloadLength = 1448;

    private static readonly Ipv4Address Source = new(0xC6120001);      // 198.18.0.1
    private static readonly Ipv4Address Destination = new(0xC6120002); // 198.18.0.2

    private readonly byte[] _packet = new byte[PacketLength];
    private readonly byte[] _buildBuffer = new byte[PacketLength];
    private readonly byte[] _payload = new byte[PayloadLength];
    private TcpSegment _segment;

    [GlobalSetup]
    public void Setup()
    {
        new Random(9293).NextBytes(_payload);
        _segment = new TcpSegment
        {
            SourcePort = 443,
            DestinationPort = 51234,
            Sequence = 0x1A2B3C4D,
            Acknowledgment = 0x55667788,
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            Window = 501,
        };
        _segment.Options.SetTimestamps(0x01020304, 0x0A0B0C0D);
        if (_segment.WrittenHeaderLength != 32)
            throw new InvalidOperationException($"TCP header is {_segment.WrittenHeaderLength} bytes, expected 32");

        int n = _segment.WritePacket(_packet, Source, Destination, _payload, identification: 0x1234);
        if (n != PacketLength)
            throw new InvalidOperationException($"packet is {n} bytes, expected {PacketLength}");
        // The in-place build buffer already holds the payload at its place.
        _payload.CopyTo(_buildBuffer.AsSpan(20 + 32));

        if (ParseAndValidate() != PayloadLength)
            throw new InvalidOperationException("the packet does not parse");
        if (Build() != PacketLength || !_buildBuffer.AsSpan().SequenceEqual(_packet))
            throw new InvalidOperationException("the in-place build differs from the reference packet");
    }

    /// <summary>IPv4 header checks and checksum, TCP checks, options and checksum over pseudo-header + 1480 bytes.</summary>
    [Benchmark]
    public int ParseAndValidate()
    {
        ReadOnlySpan<byte> packet = _packet;
        if (Ipv4Packet.TryParse(packet, out var ip) != DropReason.None)
            return -1;
        if (TcpSegment.TryParse(packet, ip, out var tcp) != DropReason.None)
            return -2;
        return tcp.PayloadLength + (int)tcp.Options.TsVal - 0x01020304;
    }

    /// <summary>Both headers, options and both checksums; the payload already lies at its place in the buffer.</summary>
    [Benchmark]
    public int Build()
    {
        Span<byte> buffer = _buildBuffer;
        return _segment.WritePacket(buffer, Source, Destination, buffer.Slice(52, PayloadLength), identification: 0x1234);
    }

    /// <summary>As <see cref="Build"/>, but the 1448 payload bytes are copied in from a separate array.</summary>
    [Benchmark]
    public int BuildWithCopy() =>
        _segment.WritePacket(_buildBuffer, Source, Destination, _payload, identification: 0x1234);
}
