using System.Diagnostics;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>Two TcpActors stacks joined by an in-memory wire with seeded impairments, in virtual time.</summary>
public class TwoStacksOverMemoryWireTests(ITestOutputHelper output) : StackTestKit
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");

    private (TcpStack client, TcpStack server, MemoryWire wire) TwoStacks(ImpairmentSettings impairment, string? config, int gsoMaxSize = 0)
    {
        var wire = new MemoryWire(Sys.Scheduler, 1500, impairment, impairment with { Seed = impairment.Seed + 1 }, gsoMaxSize);
        var settings = config is null ? null
            : Engine.Configuration.TcpSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString(config).WithFallback(Sys.Settings.Config));
        var client = TcpStack.Start(Sys, wire.A, ClientAddress, settings);
        var server = TcpStack.Start(Sys, wire.B, ServerAddress, settings);
        return (client, server, wire);
    }

    /// <summary>Advances virtual time in 1 ms steps until <paramref name="done"/> or the limit.</summary>
    private TimeSpan RunUntil(Func<bool> done, TimeSpan limit)
    {
        var start = Elapsed;
        while (!done())
        {
            if (Elapsed - start > limit)
                throw new Xunit.Sdk.XunitException($"not done after {limit} of virtual time");
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        }
        return Elapsed - start;
    }

    [Theory]
    [InlineData(1_000_000, 0.0, 0.0, 0.0, null)]
    [InlineData(10_000_000, 0.10, 0.05, 0.05, null)]
    [InlineData(10_000_000, 0.10, 0.05, 0.05, "tcp-actors { congestion-control = newreno, sack = off, timestamps = off, window-scaling = off, receive-window = 65535 }")]
    // Segmentation offload: super-segments of up to 64 KB cross the wire whole (and are lost, duplicated or reordered whole).
    [InlineData(10_000_000, 0.0, 0.0, 0.0, null, 65535)]
    [InlineData(10_000_000, 0.10, 0.05, 0.05, null, 65535)]
    public void Bulk_transfer_both_ways_arrives_byte_exact_and_both_ends_reach_CLOSED(int bytes, double loss, double dup, double reorder, string? config, int gso = 0)
    {
        var impairment = new ImpairmentSettings(Loss: loss, Duplication: dup, Reordering: reorder,
            ReorderDelay: TimeSpan.FromMilliseconds(10), ReorderJitter: TimeSpan.FromMilliseconds(5),
            Delay: TimeSpan.FromMilliseconds(1), Seed: 42);
        var (client, server, wire) = TwoStacks(impairment, config, gso);
        var serverLog = new TransferLog();
        var clientLog = new TransferLog();
        var serverPump = Sys.ActorOf(Pump.Props(serverLog, bytes, seed: 2));
        var clientPump = Sys.ActorOf(Pump.Props(clientLog, bytes, seed: 1));

        server.Manager.Tell(new Bind(serverPump, 9), TestActor);
        ExpectMsg<Bound>();
        client.Manager.Tell(new Connect(ServerAddress, 9), clientPump);

        var wall = Stopwatch.StartNew();
        TimeSpan took, dataDone = default;
        try
        {
            dataDone = RunUntil(() => serverLog.BytesReceived == bytes && clientLog.BytesReceived == bytes, TimeSpan.FromHours(24));
            took = dataDone + RunUntil(() => serverLog.Terminated && clientLog.Terminated, TimeSpan.FromHours(24));
        }
        catch
        {
            foreach (var (name, log) in new[] { ("client", clientLog), ("server", serverLog) })
            {
                output.WriteLine($"{name}: sent {log.BytesSent} received {log.BytesReceived} peerClosed {log.PeerClosed} closed {log.Closed} error {log.Error} terminated {log.Terminated}");
                if (!log.Terminated && log.Connection is { } c)
                {
                    c.Tell(GetStatus.Instance, TestActor);
                    output.WriteLine($"  {ExpectMsg<ConnectionStatus>()}");
                }
            }
            output.WriteLine("client counters: " + string.Join(", ", client.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
            output.WriteLine("server counters: " + string.Join(", ", server.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
            throw;
        }
        output.WriteLine($"{bytes} bytes each way, loss {loss} dup {dup} reorder {reorder}, {config ?? "defaults"}: data in {dataDone}, closed in {took} virtual, {wall.Elapsed} wall");
        output.WriteLine($"wire A->B {wire.AToBCounters.Packets} packets, {wire.AToBCounters.Lost} lost, {wire.AToBCounters.Duplicated} duplicated, {wire.AToBCounters.Reordered} reordered");
        output.WriteLine($"client retransmits {client.Counters[TcpCounter.RetransSegs]}, server {server.Counters[TcpCounter.RetransSegs]}");
        foreach (var (name, stack) in new[] { ("client", client), ("server", server) })
            output.WriteLine($"{name}: timeouts {stack.Counters[TcpCounter.Timeouts]}, fast retransmits {stack.Counters[TcpCounter.FastRetransmits]}, " +
                $"SACK retransmits {stack.Counters[TcpCounter.SackRetransmits]}, lost retransmits {stack.Counters[TcpCounter.LostRetransmits]}, D-SACKs sent {stack.Counters[TcpCounter.DsacksSent]}, PAWS drops {stack.Counters[TcpCounter.PawsDrops]}");

        output.WriteLine($"super-segments sent: client {client.Counters[TcpCounter.SuperSegmentsOut]}, server {server.Counters[TcpCounter.SuperSegmentsOut]}");
        output.WriteLine($"client events: {string.Join(", ", clientLog.Events)}; server events: {string.Join(", ", serverLog.Events)}");
        Assert.Null(clientLog.Error);
        Assert.Null(serverLog.Error);
        Assert.Equal(bytes, clientLog.BytesReceived);
        Assert.Equal(bytes, serverLog.BytesReceived);
        Assert.Equal(SeededStream.Hash(2, bytes), clientLog.ReceivedHash());
        Assert.Equal(SeededStream.Hash(1, bytes), serverLog.ReceivedHash());
        Assert.True(clientLog.PeerClosed && serverLog.PeerClosed);
        Assert.True(clientLog.Closed && serverLog.Closed);
        if (gso > 0)
            Assert.True(client.Counters[TcpCounter.SuperSegmentsOut] > 0 && server.Counters[TcpCounter.SuperSegmentsOut] > 0);
        else
            Assert.Equal(0, client.Counters[TcpCounter.SuperSegmentsOut] + server.Counters[TcpCounter.SuperSegmentsOut]);
        if (loss > 0)
        {
            Assert.True(wire.AToBCounters.Lost > 0 && wire.AToBCounters.Duplicated > 0 && wire.AToBCounters.Reordered > 0);
            Assert.True(client.Counters[TcpCounter.RetransSegs] > 0);
        }
        // Both connection actors are gone: nothing is left in either table.
        client.Manager.Tell(GetTableSize.Instance, TestActor);
        Assert.Equal(0, ExpectMsg<TableSize>().Connections);
        server.Manager.Tell(GetTableSize.Instance, TestActor);
        Assert.Equal(1, ExpectMsg<TableSize>() is { Connections: 0, Listeners: var l } ? l : -1);
    }
}
