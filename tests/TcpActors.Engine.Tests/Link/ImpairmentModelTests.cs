using TcpActors.Engine.Link;

namespace TcpActors.Engine.Tests.Link;

public class ImpairmentModelTests
{
    private const int Packets = 100_000;

    private static readonly ImpairmentSettings Bad = new(
        Loss: 0.10, Duplication: 0.05, Reordering: 0.20,
        ReorderDelay: TimeSpan.FromMilliseconds(20), ReorderJitter: TimeSpan.FromMilliseconds(5),
        Delay: TimeSpan.FromMilliseconds(3), Corruption: 0.02, Seed: 42);

    [Fact]
    public void Rates_over_a_hundred_thousand_packets_match_the_settings()
    {
        var model = new ImpairmentModel(Bad);
        Span<Delivery> d = stackalloc Delivery[2];
        long deliveries = 0, reordered = 0, corrupted = 0, lost = 0, duplicated = 0;
        for (int i = 0; i < Packets; i++)
        {
            int n = model.Decide(100, d);
            Assert.InRange(n, 0, 2);
            if (n == 0) lost++;
            if (n == 2) duplicated++;
            for (int j = 0; j < n; j++)
            {
                deliveries++;
                TimeSpan extra = d[j].Delay - Bad.Delay;
                if (extra > TimeSpan.Zero)
                {
                    reordered++;
                    Assert.InRange(extra, TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(25));
                }
                else
                {
                    Assert.Equal(Bad.Delay, d[j].Delay);
                }

                if (d[j].IsCorrupt)
                {
                    corrupted++;
                    Assert.InRange(d[j].CorruptBitIndex, 0, 100 * 8 - 1);
                }
            }
        }

        ImpairmentCounters c = model.Counters;
        Assert.Equal(Packets, c.Packets);
        Assert.Equal(lost, c.Lost);
        Assert.Equal(duplicated, c.Duplicated);
        Assert.Equal(reordered, c.Reordered);
        Assert.Equal(corrupted, c.Corrupted);

        // About five standard deviations either side.
        Assert.InRange(lost / (double)Packets, 0.095, 0.105);
        Assert.InRange(duplicated / (double)(Packets - lost), 0.046, 0.054);
        Assert.InRange(reordered / (double)deliveries, 0.193, 0.207);
        Assert.InRange(corrupted / (double)deliveries, 0.018, 0.022);
    }

    [Fact]
    public void Reorder_jitter_is_spread_uniformly_around_the_reorder_delay()
    {
        var model = new ImpairmentModel(new ImpairmentSettings(Reordering: 1, ReorderDelay: TimeSpan.FromMilliseconds(20),
            ReorderJitter: TimeSpan.FromMilliseconds(5), Seed: 7));
        Span<Delivery> d = stackalloc Delivery[2];
        int below = 0, above = 0;
        double sumMs = 0;
        for (int i = 0; i < Packets; i++)
        {
            Assert.Equal(1, model.Decide(60, d));
            double ms = d[0].Delay.TotalMilliseconds;
            Assert.InRange(ms, 15.0, 25.0);
            sumMs += ms;
            if (ms < 17.5) below++;
            if (ms > 22.5) above++;
        }

        Assert.InRange(sumMs / Packets, 19.95, 20.05);
        Assert.InRange(below / (double)Packets, 0.24, 0.26);
        Assert.InRange(above / (double)Packets, 0.24, 0.26);
    }

    [Fact]
    public void Corrupted_bits_fall_anywhere_in_the_packet()
    {
        var model = new ImpairmentModel(new ImpairmentSettings(Corruption: 1, Seed: 3));
        Span<Delivery> d = stackalloc Delivery[2];
        var hits = new int[4 * 8];
        for (int i = 0; i < 32_000; i++)
        {
            Assert.Equal(1, model.Decide(4, d));
            hits[d[0].CorruptBitIndex]++;
        }

        Assert.All(hits, h => Assert.InRange(h, 800, 1200));
    }

    [Fact]
    public void The_same_seed_gives_the_same_decisions_and_another_seed_different_ones()
    {
        List<Delivery> Run(int seed)
        {
            var model = new ImpairmentModel(Bad with { Seed = seed });
            var all = new List<Delivery>();
            Span<Delivery> d = stackalloc Delivery[2];
            for (int i = 0; i < 10_000; i++)
            {
                int n = model.Decide(40 + i % 1400, d);
                all.Add(new Delivery(TimeSpan.FromDays(1), n)); // a marker carrying the count
                for (int j = 0; j < n; j++)
                    all.Add(d[j]);
            }

            return all;
        }

        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void No_impairment_always_gives_one_immediate_intact_delivery()
    {
        var model = new ImpairmentModel(ImpairmentSettings.None);
        Span<Delivery> d = stackalloc Delivery[2];
        for (int i = 0; i < Packets; i++)
        {
            Assert.Equal(1, model.Decide(i % 1500, d));
            Assert.Equal(new Delivery(TimeSpan.Zero, -1), d[0]);
        }

        Assert.Equal(Packets, model.Counters.Packets);
        Assert.Equal(0, model.Counters.Lost + model.Counters.Duplicated + model.Counters.Reordered + model.Counters.Corrupted);
    }

    [Fact]
    public void Certain_loss_loses_every_packet_and_certain_duplication_doubles_every_packet()
    {
        Span<Delivery> d = stackalloc Delivery[2];
        var lossy = new ImpairmentModel(new ImpairmentSettings(Loss: 1, Duplication: 1));
        var doubled = new ImpairmentModel(new ImpairmentSettings(Duplication: 1));
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(0, lossy.Decide(100, d));
            Assert.Equal(2, doubled.Decide(100, d));
        }
    }

    [Fact]
    public void An_empty_packet_is_never_corrupted()
    {
        var model = new ImpairmentModel(new ImpairmentSettings(Corruption: 1));
        Span<Delivery> d = stackalloc Delivery[2];
        Assert.Equal(1, model.Decide(0, d));
        Assert.False(d[0].IsCorrupt);
    }

    [Theory]
    [InlineData("Loss")]
    [InlineData("Duplication")]
    [InlineData("Reordering")]
    [InlineData("Corruption")]
    [InlineData("Delay")]
    [InlineData("ReorderDelay")]
    [InlineData("ReorderJitter")]
    public void Settings_out_of_range_are_rejected_naming_the_parameter(string parameter)
    {
        ImpairmentSettings[] bad = parameter switch
        {
            "Loss" => [new(Loss: -0.1), new(Loss: 1.1), new(Loss: double.NaN)],
            "Duplication" => [new(Duplication: -0.1), new(Duplication: 1.1)],
            "Reordering" => [new(Reordering: -0.1), new(Reordering: 1.1)],
            "Corruption" => [new(Corruption: -0.1), new(Corruption: double.PositiveInfinity)],
            "Delay" => [new(Delay: TimeSpan.FromTicks(-1))],
            "ReorderDelay" => [new(ReorderDelay: TimeSpan.FromMilliseconds(-1))],
            "ReorderJitter" => [new(ReorderJitter: TimeSpan.FromMilliseconds(-1))],
            _ => throw new ArgumentOutOfRangeException(nameof(parameter)),
        };
        foreach (ImpairmentSettings settings in bad)
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => new ImpairmentModel(settings));
            Assert.Equal(parameter, e.ParamName);
        }
    }

    [Fact]
    public void Decide_needs_room_for_two_deliveries()
    {
        var model = new ImpairmentModel(ImpairmentSettings.None);
        Assert.Throws<ArgumentException>(() => model.Decide(10, new Delivery[1]));
    }
}
