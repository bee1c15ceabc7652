using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Io;

public class EphemeralPortsTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 16).Select(i => (byte)(0xA0 ^ i)).ToArray();
    private static readonly Ipv4Address Local = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address Remote = Ipv4Address.Parse("198.18.0.2");

    private static ushort Allocate(EphemeralPorts e, Ipv4Address remote, ushort remotePort, Func<ushort, bool>? inUse = null)
    {
        Assert.True(e.TryAllocate(Local, remote, remotePort, inUse ?? (_ => false), out ushort port));
        return port;
    }

    [Fact]
    public void Allocated_ports_stay_within_the_configured_range_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(1000, 1009, Key, new Random(1));
        for (int i = 0; i < 500; i++)
            Assert.InRange(Allocate(e, new Ipv4Address((uint)(0xC6120000 + i)), (ushort)(i % 7)), (ushort)1000, (ushort)1009);
        var d = new EphemeralPorts(secretKey: Key, random: new Random(1));
        for (int i = 0; i < 500; i++)
            Assert.InRange(Allocate(d, new Ipv4Address((uint)(0xC6120000 + i)), 443), (ushort)32768, (ushort)60999);
    }

    [Fact]
    public void A_port_in_use_is_never_returned_and_every_free_port_is_found_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(5000, 5099, Key, new Random(2));
        var used = new HashSet<ushort> { 5000, 5050, 5099 };
        for (int i = 0; i < 97; i++)
        {
            ushort p = Allocate(e, Remote, 80, used.Contains);
            Assert.True(used.Add(p), $"port {p} was already in use");
        }
        Assert.Equal(100, used.Count);
        Assert.False(e.TryAllocate(Local, Remote, 80, used.Contains, out _));
    }

    [Fact]
    public void Exhausted_range_returns_false_after_probing_each_port_once_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(40000, 40255, Key, new Random(3));
        var probed = new List<ushort>();
        bool ok = e.TryAllocate(Local, Remote, 80, p => { probed.Add(p); return true; }, out ushort port);
        Assert.False(ok);
        Assert.Equal(0, port);
        Assert.Equal(256, probed.Count);
        Assert.Equal(256, probed.Distinct().Count());
    }

    [Fact]
    public void Only_the_last_free_port_is_found_wherever_it_is_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(100, 199, Key, new Random(4));
        for (ushort free = 100; free <= 199; free += 33)
            Assert.Equal(free, Allocate(e, Remote, 80, p => p != free));
    }

    [Fact]
    public void Different_destinations_start_at_different_offsets_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(secretKey: Key, random: new Random(5));
        var firsts = new HashSet<ushort>();
        for (uint i = 0; i < 64; i++)
            firsts.Add(Allocate(e, new Ipv4Address(0x0A000000 + i), 443));
        // 64 draws from 28232 ports: a hash-based offset makes nearly all distinct; a shared counter would give 64
        // consecutive ports, so also check they are spread out.
        Assert.True(firsts.Count >= 60, $"only {firsts.Count} distinct first ports");
        var sorted = firsts.Order().ToArray();
        Assert.True(sorted[^1] - sorted[0] > 20000, "first ports are clustered");
        // The remote port is part of the destination too.
        var byPort = new HashSet<ushort>();
        for (ushort rp = 1; rp <= 64; rp++)
            byPort.Add(Allocate(e, Remote, rp));
        Assert.True(byPort.Count >= 60);
    }

    [Fact]
    public void Successive_allocations_to_one_destination_take_the_next_port_RFC6056_3_3_4()
    {
        var e = new EphemeralPorts(1000, 1999, Key, new Random(6));
        ushort first = Allocate(e, Remote, 80);
        ushort second = Allocate(e, Remote, 80);
        Assert.NotEqual(first, second);
        Assert.Equal(1000 + (first - 1000 + 1) % 1000, second);
        // Skipped (in-use) ports are stepped over: the next pick continues after the returned port.
        ushort third = Allocate(e, Remote, 80, p => p == 1000 + (second - 1000 + 1) % 1000);
        Assert.Equal(1000 + (second - 1000 + 2) % 1000, third);
        ushort fourth = Allocate(e, Remote, 80);
        Assert.Equal(1000 + (third - 1000 + 1) % 1000, fourth);
    }

    [Fact]
    public void Fixed_key_and_seed_give_the_same_sequence_RFC6056_3_3_4()
    {
        ushort[] Run(byte[] key, int seed)
        {
            var e = new EphemeralPorts(secretKey: key, random: new Random(seed));
            return Enumerable.Range(0, 20).Select(i => Allocate(e, new Ipv4Address((uint)(0xC6120000 + i % 5)), 80)).ToArray();
        }
        Assert.Equal(Run(Key, 7), Run(Key, 7));
        Assert.NotEqual(Run(Key, 7), Run(Key, 8));
        var otherKey = (byte[])Key.Clone();
        otherKey[0] ^= 1;
        Assert.NotEqual(Run(Key, 7), Run(otherKey, 7));
    }

    [Fact]
    public void Empty_key_draws_a_random_key()
    {
        // Same Random seed, no key: the offsets still differ between instances because the keys differ.
        var a = new EphemeralPorts(random: new Random(9));
        var b = new EphemeralPorts(random: new Random(9));
        bool anyDifferent = false;
        for (uint i = 0; i < 8 && !anyDifferent; i++)
            anyDifferent = Allocate(a, new Ipv4Address(0x0A000000 + i), 80) != Allocate(b, new Ipv4Address(0x0A000000 + i), 80);
        Assert.True(anyDifferent);
    }

    [Fact]
    public void Single_port_range_gives_that_port_until_it_is_taken()
    {
        var e = new EphemeralPorts(50000, 50000, Key, new Random(10));
        Assert.Equal(50000, Allocate(e, Remote, 80));
        Assert.False(e.TryAllocate(Local, Remote, 80, p => p == 50000, out _));
    }

    [Fact]
    public void Invalid_ranges_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new EphemeralPorts(0, 100));
        Assert.Throws<ArgumentException>(() => new EphemeralPorts(2000, 1999));
        _ = new EphemeralPorts(1, 65535);
    }
}
