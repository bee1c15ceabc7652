using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>RFC 9293 section 3.4: sequence numbers are compared modulo 2^32.</summary>
public class SeqNumTests
{
    [Fact]
    public void A_number_just_below_the_wrap_is_less_than_one_just_above_it_RFC9293_3_4()
    {
        SeqNum a = 0xFFFFFFF0u, b = 0x10u;
        Assert.True(a < b);
        Assert.True(a <= b);
        Assert.False(a > b);
        Assert.False(a >= b);
        Assert.True(b > a);
        Assert.Equal(-1, a.CompareTo(b));
        Assert.Equal(1, b.CompareTo(a));
        Assert.Equal(b, SeqNum.Max(a, b));
        Assert.Equal(a, SeqNum.Min(a, b));
    }

    [Fact]
    public void Subtraction_gives_the_signed_distance_across_the_wrap_RFC9293_3_4()
    {
        SeqNum a = 0xFFFFFFF0u, b = 0x10u;
        Assert.Equal(0x20, b - a);
        Assert.Equal(-0x20, a - b);
        Assert.Equal(0, a - a);
        Assert.Equal(int.MaxValue, (SeqNum)0x7FFFFFFFu - (SeqNum)0u);
        Assert.Equal(-int.MaxValue, (SeqNum)0u - (SeqNum)0x7FFFFFFFu);
    }

    [Fact]
    public void Addition_wraps_modulo_2_32_RFC9293_3_4()
    {
        Assert.Equal(0x10u, ((SeqNum)0xFFFFFFF0u + 0x20).Value);
        Assert.Equal(0xFFFFFFF0u, ((SeqNum)0x10u - 0x20).Value);
        Assert.Equal(0xFFFFFFF0u, ((SeqNum)0x10u + -0x20).Value);
        Assert.Equal(0u, ((SeqNum)0xFFFFFFFFu + 1u).Value);
    }

    [Fact]
    public void Equal_numbers_compare_equal_and_neither_less_nor_greater_RFC9293_3_4()
    {
        SeqNum a = 0xDEADBEEFu, b = 0xDEADBEEFu;
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.False(a < b);
        Assert.False(a > b);
        Assert.True(a <= b);
        Assert.True(a >= b);
        Assert.Equal(0, a.CompareTo(b));
    }

    [Theory]
    // lo <= x < hi: both edges, no wrap
    [InlineData(100u, 100u, 200u, true)]
    [InlineData(199u, 100u, 200u, true)]
    [InlineData(200u, 100u, 200u, false)]
    [InlineData(99u, 100u, 200u, false)]
    // across the wrap
    [InlineData(0xFFFFFFF0u, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0xFFFFFFFFu, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0u, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0xFu, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0x10u, 0xFFFFFFF0u, 0x10u, false)]
    [InlineData(0xFFFFFFEFu, 0xFFFFFFF0u, 0x10u, false)]
    // an empty window holds nothing
    [InlineData(5u, 5u, 5u, false)]
    [InlineData(0u, 0u, 0u, false)]
    public void InRange_is_lo_inclusive_hi_exclusive_modulo_2_32_RFC9293_3_4(uint x, uint lo, uint hi, bool expected)
    {
        Assert.Equal(expected, ((SeqNum)x).InRange(lo, hi));
    }

    [Theory]
    // lo < x <= hi (SND.UNA < SEG.ACK =< SND.NXT): both edges, no wrap
    [InlineData(100u, 100u, 200u, false)]
    [InlineData(101u, 100u, 200u, true)]
    [InlineData(200u, 100u, 200u, true)]
    [InlineData(201u, 100u, 200u, false)]
    // across the wrap
    [InlineData(0xFFFFFFF0u, 0xFFFFFFF0u, 0x10u, false)]
    [InlineData(0xFFFFFFF1u, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0u, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0x10u, 0xFFFFFFF0u, 0x10u, true)]
    [InlineData(0x11u, 0xFFFFFFF0u, 0x10u, false)]
    // lo at the top of the space: lo + 1 wraps to 0
    [InlineData(0u, 0xFFFFFFFFu, 0u, true)]
    [InlineData(0xFFFFFFFFu, 0xFFFFFFFFu, 0u, false)]
    // an empty window (nothing outstanding) accepts no ACK
    [InlineData(5u, 5u, 5u, false)]
    [InlineData(6u, 5u, 5u, false)]
    public void InRangeExclusiveInclusive_is_lo_exclusive_hi_inclusive_modulo_2_32_RFC9293_3_4(uint x, uint lo, uint hi, bool expected)
    {
        Assert.Equal(expected, ((SeqNum)x).InRangeExclusiveInclusive(lo, hi));
    }

    private static uint Wrap(long v) => (uint)(v & 0xFFFFFFFFL);

    /// <summary>A random distance in -(2^31-1) .. 2^31-1, biased towards small and extreme values.</summary>
    private static long RandomDistance(Random rng)
    {
        const long max = int.MaxValue;
        return rng.Next(4) switch
        {
            0 => rng.NextInt64(-1000, 1001),
            1 => rng.NextInt64(max - 1000, max + 1) * (rng.Next(2) == 0 ? 1 : -1),
            _ => rng.NextInt64(-max, max + 1),
        };
    }

    private static uint RandomBase(Random rng) => rng.Next(3) switch
    {
        0 => Wrap(0xFFFFFFFFL - rng.Next(0, 2000)),
        1 => (uint)rng.Next(0, 2000),
        _ => (uint)rng.NextInt64(0, 1L << 32),
    };

    [Fact]
    public void Comparison_and_subtraction_agree_with_unwrapped_arithmetic_for_distances_below_2_31_RFC9293_3_4()
    {
        const int seed = 9293;
        var rng = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            uint av = RandomBase(rng);
            long d = RandomDistance(rng);
            SeqNum a = av, b = Wrap(av + d);
            WireTestSupport.Case(seed, i, $"a={av:X8} d={d}", () =>
            {
                Assert.Equal(d, b - a);
                Assert.Equal(-d, a - b);
                Assert.Equal(d > 0, a < b);
                Assert.Equal(d >= 0, a <= b);
                Assert.Equal(d < 0, a > b);
                Assert.Equal(d <= 0, a >= b);
                Assert.Equal(Math.Sign(d), b.CompareTo(a));
                Assert.Equal(b, a + (int)d);
                Assert.Equal(a, b - (int)d);
                Assert.Equal(d >= 0 ? b : a, SeqNum.Max(a, b));
            });
        }
    }

    [Fact]
    public void Window_tests_agree_with_unwrapped_arithmetic_RFC9293_3_4()
    {
        const int seed = 3004;
        var rng = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            // An unwrapped window [lo, lo + w) and a point lo + k, reduced modulo 2^32 afterwards. With
            // w < 2^31 and |k| < 2^31 + 2 the point cannot alias back into the window modulo 2^32.
            long lo = RandomBase(rng);
            long w = rng.Next(3) switch { 0 => rng.Next(0, 3), 1 => rng.Next(0, 70000), _ => rng.NextInt64(0, 1L << 31) };
            long k = rng.Next(3) switch
            {
                0 => rng.NextInt64(-2, 3),
                1 => w + rng.NextInt64(-2, 3),
                _ => rng.NextInt64(-(1L << 31) + 1, 1L << 31),
            };
            SeqNum sLo = Wrap(lo), sHi = Wrap(lo + w), x = Wrap(lo + k);
            WireTestSupport.Case(seed, i, $"lo={lo:X8} w={w} k={k}", () =>
            {
                Assert.Equal(0 <= k && k < w, x.InRange(sLo, sHi));
                Assert.Equal(0 < k && k <= w, x.InRangeExclusiveInclusive(sLo, sHi));
            });
        }
    }
}
