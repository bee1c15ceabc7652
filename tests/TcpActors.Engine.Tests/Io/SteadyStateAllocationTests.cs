using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Io;

/// <summary>
/// What the stack allocates per segment on its steady-state path: a bulk transfer between two stacks over an
/// unimpaired in-memory wire, in virtual time, on the calling-thread dispatcher, so that every actor, the link's
/// delivery and the timers run on the test's thread and <see cref="GC.GetAllocatedBytesForCurrentThread"/> sees all
/// of it (the test checks that both samples were taken on that thread).
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))]
public class SteadyStateAllocationTests(ITestOutputHelper output) : StackTestKit
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private const int Block = 64 * 1024;
    private static readonly byte[] Data = new byte[Block];

    /// <summary>What the receiver measured between the end of the warm-up and the end of the transfer.</summary>
    private sealed class Sample
    {
        public long Received;
        public long StartBytes, EndBytes;
        public long StartSegments, EndSegments, StartPackets, EndPackets;
        public bool Done;
        public int StartThread, EndThread;
        public int WrongKind;
    }

    /// <summary>Writes <c>total</c> bytes from one static block, one write at a time (the next on the ack).</summary>
    private sealed class Sender(long total) : UntypedActor
    {
        private sealed class Ack
        {
            public static readonly Ack Instance = new();
        }

        private long _written;
        private IActorRef? _connection;
        private Write? _write;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    _connection = Sender;
                    _write = new Write(Data, Ack.Instance);   // one message, reused: the application's side allocates nothing
                    _connection.Tell(new Register(Self));
                    WriteNext();
                    break;
                case Ack:
                    WriteNext();
                    break;
            }
        }

        private void WriteNext()
        {
            if (_written >= total)
                return;
            _written += Block;
            _connection!.Tell(_write!);
        }
    }

    /// <summary>Counts what arrives; samples the thread's allocated bytes and the stacks' counters at two points.</summary>
    /// <summary>How the receiver takes its data: its own copies, packet buffers (Register.PooledData), or recycled messages too.</summary>
    public enum Delivery { Copied, Pooled, Recycled }

    private sealed class Receiver(Sample sample, long warmUp, long total, TcpCounters server, TcpCounters client, Delivery delivery) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    Sender.Tell(new Register(Self, PooledData: delivery == Delivery.Pooled, RecycleReceived: delivery == Delivery.Recycled));
                    break;
                case Received r:
                    if (r.IsPooled != (delivery != Delivery.Copied))
                        sample.WrongKind++;
                    long before = sample.Received;
                    sample.Received += r.Data.Length;
                    r.Release();   // after reading its length: a recycled Received must not be touched after Release
                    if (before < warmUp && sample.Received >= warmUp)
                    {
                        sample.StartBytes = GC.GetAllocatedBytesForCurrentThread();
                        sample.StartThread = Environment.CurrentManagedThreadId;
                        sample.StartSegments = server[TcpCounter.InSegs];
                        sample.StartPackets = server[TcpCounter.PacketsIn] + client[TcpCounter.PacketsIn];
                    }
                    else if (before < total && sample.Received >= total)
                    {
                        sample.EndBytes = GC.GetAllocatedBytesForCurrentThread();
                        sample.EndThread = Environment.CurrentManagedThreadId;
                        sample.EndSegments = server[TcpCounter.InSegs];
                        sample.EndPackets = server[TcpCounter.PacketsIn] + client[TcpCounter.PacketsIn];
                        sample.Done = true;
                    }
                    break;
            }
        }
    }

    [Theory]
    [InlineData(Delivery.Copied)]
    [InlineData(Delivery.Pooled)]
    [InlineData(Delivery.Recycled)]
    public void A_bulk_transfer_allocates_per_data_segment_at_most_the_messages_and_the_copy_the_application_owns(Delivery delivery)
    {
        const long warmUp = 4L << 20, total = 36L << 20;   // 32 MiB measured after 4 MiB of warm-up
        var wire = new MemoryWire(Sys.Scheduler, 1500);
        var client = TcpStack.Start(Sys, wire.A, ClientAddress);
        var server = TcpStack.Start(Sys, wire.B, ServerAddress);
        var sample = new Sample();
        var receiver = Sys.ActorOf(Props.Create(() => new Receiver(sample, warmUp, total, server.Counters, client.Counters, delivery))
            .WithDispatcher("akka.test.calling-thread-dispatcher"));
        var sender = Sys.ActorOf(Props.Create(() => new Sender(total)).WithDispatcher("akka.test.calling-thread-dispatcher"));
        // Creating a top-level actor is asynchronous even on the calling-thread dispatcher (the guardian's thread runs its
        // start): once each has answered Identify, everything runs on this thread.
        foreach (var actor in new[] { client.Manager, server.Manager, receiver, sender })
        {
            actor.Tell(new Identify(null), TestActor);
            ExpectMsg<ActorIdentity>();
        }
        server.Manager.Tell(new Bind(receiver, 9), TestActor);
        ExpectMsg<Bound>();

        client.Manager.Tell(new Connect(ServerAddress, 9), sender);
        for (int ms = 0; !sample.Done && ms < 60_000; ms++)
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(sample.Done, $"only {sample.Received} of {total} bytes arrived");
        Assert.Equal(0, sample.WrongKind);
        // Both samples on the test's own thread, where the calling-thread dispatcher ran the whole transfer.
        Assert.Equal(Environment.CurrentManagedThreadId, sample.StartThread);
        Assert.Equal(Environment.CurrentManagedThreadId, sample.EndThread);
        long bytes = sample.EndBytes - sample.StartBytes;
        long segments = sample.EndSegments - sample.StartSegments;
        long packets = sample.EndPackets - sample.StartPackets;
        double perSegment = (double)bytes / segments;
        double perPacket = (double)bytes / packets;
        int mss = 1500 - 40;
        output.WriteLine($"{delivery}: {bytes:N0} B allocated for {segments:N0} data segments ({packets:N0} packets both ways): " +
            $"{perSegment:N0} B per data segment, {perPacket:N0} B per packet; the payload copy is {mss + 24} B of it");
        output.WriteLine("server: " + string.Join(", ", server.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
        output.WriteLine("client: " + string.Join(", ", client.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.True(segments >= (total - warmUp) / mss, $"{segments} segments");
        // What is left per data segment: for a handler that did not ask for pooled data, the copy of the payload it owns
        // (1,448 + 24 B with timestamps) and its Received (48 B); with pooled data the Received alone; with recycled
        // Received messages nothing. The SegmentArrived messages are reused (before that: 276 B per data segment; before
        // IoActor's ToArray, PacketArrived, SendPacket and a delayed-ACK timer restart every other segment went: 3,186 B).
        double bound = delivery switch { Delivery.Copied => mss + 24 + 64, Delivery.Pooled => 64, _ => 1 };
        Assert.True(perSegment < bound, $"{perSegment:N1} B per data segment");
        if (delivery == Delivery.Recycled)
        {
            output.WriteLine($"Received messages made by the server's pool: {server.ReceivedMessages.Created}");
            Assert.InRange(server.ReceivedMessages.Created, 1, 256);
        }
        // The segment messages of 23k data segments and their ACKs came from a handful of objects, reused.
        long created = server.Arrivals.Created + client.Arrivals.Created;
        output.WriteLine($"segment messages made by the pools: {created}");
        Assert.InRange(created, 1, 256);
        // Every packet buffer went back: the ones the receiver's Received owned as well.
        Assert.Equal(0, server.Counters[TcpCounter.PacketBuffersInUse]);
        Assert.Equal(0, client.Counters[TcpCounter.PacketBuffersInUse]);
    }
}

/// <summary>The allocation figure is taken while no other test runs.</summary>
[CollectionDefinition(nameof(SteadyStateAllocationTests), DisableParallelization = true)]
public sealed class SteadyStateAllocationCollection;
