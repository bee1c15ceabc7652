using BenchmarkDotNet.Attributes;
using TcpActors.Engine.Wire;

namespace TcpActors.Benchmarks;

/// <summary>
/// The Internet checksum (one's complement sum) over a buffer of <see cref="Size"/> bytes:
/// the vectorized <see cref="InternetChecksum.Accumulate"/> against the textbook 16-bit loop
/// <see cref="InternetChecksum.AccumulateReference"/> (the baseline, so the Ratio column is scalar/vectorized time).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ChecksumBenchmarks
{
    private byte[] _data = [];

    /// <summary>64: a bare ACK-sized packet; 1480: an Ethernet MTU's IP payload; 9000: jumbo; 65000: a TSO/GRO super-segment.</summary>
    [Params(64, 1480, 9000, 65000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1071).NextBytes(_data);
        if (InternetChecksum.Accumulate(_data) != InternetChecksum.AccumulateReference(_data))
            throw new InvalidOperationException("vectorized and reference checksums disagree");
    }

    [Benchmark(Baseline = true)]
    public uint Scalar() => InternetChecksum.AccumulateReference(_data);

    [Benchmark]
    public uint Vectorized() => InternetChecksum.Accumulate(_data);
}
