using Akka.Actor;
using Akka.Configuration;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Streams;
using TcpActors.Engine.Tests.Io;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Streams;

/// <summary>
/// The Stream API's way in: the adapter copies each segment from its packet buffer into the input pipe and recycles its
/// Received (Register.RecycleReceived), so no copy and no message is made per segment. Real time and real threads
/// (pipes and tasks), so the allocation figure it reports is the process's <see cref="GC.GetTotalAllocatedBytes"/>; the
/// test runs in the allocation tests' collection, alone.
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))]
public sealed class StreamAllocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private readonly ActorSystem _system = ActorSystem.Create("stream-allocation", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public async Task A_stream_reader_gets_its_data_in_recycled_messages_without_a_copy_per_segment()
    {
        const int block = 64 * 1024;
        const long warmUp = 8L << 20, total = 40L << 20;
        var wire = new MemoryWire(_system.Scheduler, 1500);
        var client = TcpStack.Start(_system, wire.A, ClientAddress);
        var server = TcpStack.Start(_system, wire.B, ServerAddress);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var listener = await TcpActorsListener.BindAsync(server, 9, cancellationToken: cts.Token);
        var accepting = listener.AcceptAsync(cts.Token).AsTask();
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 9, cancellationToken: cts.Token);
        await using var s = await accepting;

        var data = new byte[block];
        var writing = Task.Run(async () =>
        {
            for (long sent = 0; sent < total; sent += block)
                await c.Stream.WriteAsync(data, cts.Token);
        });
        var buffer = new byte[block];
        long received = 0, startBytes = 0, startReceived = 0;
        while (received < total)
        {
            int n = await s.Stream.ReadAsync(buffer, cts.Token);
            Assert.True(n > 0, $"the stream ended after {received} bytes");
            if (received < warmUp && received + n >= warmUp)
            {
                startBytes = GC.GetTotalAllocatedBytes(precise: true);
                startReceived = received + n;
            }
            received += n;
        }
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - startBytes;
        await writing;
        // Per 1,448 bytes the reader read (one segment's payload): the server's segment counter runs ahead of the reader
        // by whatever waits in the adapter's mailbox, which is not bounded by the window (delivered data reopens it).
        double perSegment = (double)bytes / ((received - startReceived) / 1448.0);
        output.WriteLine($"{bytes:N0} B allocated in the process while the reader read {received - startReceived:N0} B: " +
            $"{perSegment:N0} B per 1,448 B read (both stacks, both adapters, the pipes, the writer's tasks and Akka's " +
            "dispatch; a copy of each segment's payload would be 1,448 B)");
        long segments = server.Counters[TcpCounter.InSegs];   // all of the connection's, from the SYN to the end
        Assert.True(segments >= total / 1460, $"{segments} segments");
        // The adapter's Received messages are the pool's (without recycling it makes none, and each segment has its own
        // message and copy), and they are reused: the pool makes as many as wait in the adapter's mailbox at once, up to
        // about a 4 MiB window's worth (~2,900) when the reader is behind (1,025-2,942 measured in the full suite), far
        // fewer than the segments. With the pool keeping only 1,024 it once made 12,041: each return beyond that was lost.
        output.WriteLine($"Received messages made by the server's pool: {server.ReceivedMessages.Created}");
        Assert.InRange(server.ReceivedMessages.Created, 1, segments / 2);
        // The process's figure is reported, not asserted: it moves with how many segments wait at once (packet buffers
        // beyond what ArrayPool.Shared keeps are new arrays) and with what else the process runs. Run alone: 1,914 B per
        // segment before the adapter recycled, 884-1,680 B after (bench/README.md, round 7).
        Assert.Equal(0, server.Counters[TcpCounter.PacketBuffersInUse]);
    }
}
