using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Io;

/// <summary>
/// Register.PooledData: in-order data in the stack's packet buffers, released by the handler; every buffer goes back
/// (the PacketBuffersInUse gauge returns to 0), also for data held while reading is suspended and then dropped.
/// </summary>
public class PooledDataTests(ITestOutputHelper output) : StackTestKit
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private const string Ctd = "akka.test.calling-thread-dispatcher";

    /// <summary>Echo with pooled data: copies what it writes back (the write is processed later), then releases.</summary>
    private sealed class PooledEcho : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    Sender.Tell(new Register(Self, PooledData: true));
                    break;
                case Received r:
                    Assert.True(r.IsPooled);
                    Sender.Tell(new Write(r.Data.ToArray()));
                    r.Release();
                    break;
            }
        }
    }

    public sealed class Stats
    {
        public int Completed, Failed;
    }

    /// <summary>Writes 100 bytes, closes once they are echoed.</summary>
    private sealed class Client(Stats stats) : UntypedActor
    {
        private readonly Dictionary<IActorRef, int> _received = new();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    Sender.Tell(new Register(Self));
                    Sender.Tell(new Write(new byte[100]));
                    _received[Sender] = 0;
                    break;
                case Received r:
                    if ((_received[Sender] += r.Data.Length) == 100)
                        Sender.Tell(Close.Instance);
                    break;
                case Closed:
                    stats.Completed++;
                    break;
                case ErrorClosed or CommandFailed:
                    stats.Failed++;
                    break;
            }
        }
    }

    private (TcpStack client, TcpStack server) TwoStacks()
    {
        var wire = new MemoryWire(Sys.Scheduler, 1500,
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)), new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)));
        var client = TcpStack.Start(Sys, wire.A, ClientAddress);
        var server = TcpStack.Start(Sys, wire.B, ServerAddress);
        return (client, server);
    }

    [Fact]
    public void A_thousand_connections_through_a_pooled_data_handler_give_every_packet_buffer_back()
    {
        const int total = 1000, concurrent = 50;
        var (client, server) = TwoStacks();
        var echo = Sys.ActorOf(Props.Create(() => new PooledEcho()).WithDispatcher(Ctd));
        server.Manager.Tell(new Bind(echo, 7), TestActor);
        ExpectMsg<Bound>();
        var stats = new Stats();
        var handler = Sys.ActorOf(Props.Create(() => new Client(stats)).WithDispatcher(Ctd));
        int started = 0;
        while (stats.Completed + stats.Failed < total)
        {
            while (started < total && started - stats.Completed - stats.Failed < concurrent)
            {
                client.Manager.Tell(new Connect(ServerAddress, 7), handler);
                started++;
            }
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(Elapsed < TimeSpan.FromMinutes(10), $"not done: {stats.Completed} completed");
        }
        AdvanceBy(2 * Settings.Msl + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        output.WriteLine("server: " + string.Join(", ", server.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(0, stats.Failed);
        Assert.Equal(total, stats.Completed);
        Assert.Equal(0, server.Counters[TcpCounter.ConnectionActors]);
        Assert.Equal(0, client.Counters[TcpCounter.ConnectionActors]);
        Assert.Equal(0, server.Counters[TcpCounter.PacketBuffersInUse]);
        Assert.Equal(0, client.Counters[TcpCounter.PacketBuffersInUse]);
    }

    /// <summary>Registers for pooled data with reading suspended, so that the data is held in the connection.</summary>
    private sealed class Holder(IActorRef test) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Connected)
            {
                Sender.Tell(new Register(Self, PooledData: true));
                Sender.Tell(SuspendReading.Instance);
                test.Tell(Sender);
            }
        }
    }

    [Fact]
    public void Pooled_data_held_while_reading_is_suspended_goes_back_when_the_connection_is_aborted()
    {
        var (client, server) = TwoStacks();
        var holder = Sys.ActorOf(Props.Create(() => new Holder(TestActor)).WithDispatcher(Ctd));
        server.Manager.Tell(new Bind(holder, 9), TestActor);
        ExpectMsg<Bound>();
        var writer = CreateTestProbe();
        // TCP_NODELAY: each 1,000-byte write its own segment (Nagle would hold the short ones and coalesce them).
        client.Manager.Tell(new Connect(ServerAddress, 9, Options: new ConnectionOptions { NoDelay = true }), writer.Ref);
        AdvanceBy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1));
        var serverConnection = ExpectMsg<IActorRef>();
        writer.ExpectMsg<Connected>();
        var clientConnection = writer.LastSender;
        clientConnection.Tell(new Register(writer.Ref), writer.Ref);
        for (int i = 0; i < 5; i++)
            clientConnection.Tell(new Write(new byte[1000]), writer.Ref);
        AdvanceBy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1));

        Assert.Equal(5, server.Counters[TcpCounter.PacketBuffersInUse]);   // five segments' data, held for the handler
        serverConnection.Tell(Abort.Instance, TestActor);
        ExpectMsg<Aborted>();
        Assert.Equal(0, server.Counters[TcpCounter.PacketBuffersInUse]);
    }

    /// <summary>Echo that recycles its Received messages: copies what it writes back, releases, counts the messages it saw.</summary>
    private sealed class RecyclingEcho(HashSet<Received> seen, int[] count) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    Sender.Tell(new Register(Self, RecycleReceived: true));
                    break;
                case Received r:
                    Assert.True(r.IsPooled);
                    seen.Add(r);
                    count[0]++;
                    Sender.Tell(new Write(r.Data.ToArray()));
                    r.Release();
                    break;
            }
        }
    }

    [Fact]
    public void A_handler_that_recycles_Received_gets_every_byte_in_order_from_a_few_reused_messages()
    {
        var (client, server) = TwoStacks();
        var seen = new HashSet<Received>(ReferenceEqualityComparer.Instance);
        int[] count = [0];
        var echo = Sys.ActorOf(Props.Create(() => new RecyclingEcho(seen, count)).WithDispatcher(Ctd));
        server.Manager.Tell(new Bind(echo, 7), TestActor);
        ExpectMsg<Bound>();
        var writer = CreateTestProbe();
        client.Manager.Tell(new Connect(ServerAddress, 7), writer.Ref);
        AdvanceBy(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1));
        writer.ExpectMsg<Connected>();
        var connection = writer.LastSender;
        connection.Tell(new Register(writer.Ref), writer.Ref);
        var sent = new byte[256 * 1024];
        for (int i = 0; i < sent.Length; i++)
            sent[i] = (byte)(i * 7 + i / 251);
        connection.Tell(new Write(sent), writer.Ref);
        var echoed = new List<byte>();
        for (int ms = 0; echoed.Count < sent.Length && ms < 10_000; ms++)
        {
            AdvanceBy(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
            while (writer.HasMessages)
            {
                if (writer.ReceiveOne(TimeSpan.Zero) is Received r)
                    echoed.AddRange(r.Data.ToArray());
            }
        }

        Assert.Equal(sent, echoed.ToArray());   // the echo read each segment before its message was reused
        output.WriteLine($"{count[0]} Received messages from {seen.Count} objects, {server.ReceivedMessages.Created} made by the pool");
        Assert.True(count[0] >= sent.Length / 1460, $"{count[0]} messages");
        Assert.True(seen.Count <= 4, $"{seen.Count} distinct Received objects for {count[0]} segments");   // one in use at a time here
        Assert.Equal(seen.Count, server.ReceivedMessages.Created);
        Assert.Equal(0, server.Counters[TcpCounter.PacketBuffersInUse]);
    }
}
