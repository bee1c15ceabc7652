using System.Collections;
using System.Reflection;
using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>Many short connections over the in-memory wire, in virtual time: nothing may be left behind.</summary>
public class ManyConnectionsTests(ITestOutputHelper output) : StackTestKit
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private const int MessageLength = 100;

    /// <summary>Server side: registers every accepted connection with itself and echoes what it receives.</summary>
    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    Sender.Tell(new Register(Self));
                    break;
                case Received r:
                    Sender.Tell(new Write(r.Data));
                    break;
            }
        }
    }

    public sealed class ClientStats
    {
        public int Connected, Completed, Failed;
    }

    /// <summary>Client side: on Connected writes 100 bytes, and once they are echoed, closes.</summary>
    private sealed class Client(ClientStats stats) : UntypedActor
    {
        private readonly Dictionary<IActorRef, int> _received = new();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Connected:
                    stats.Connected++;
                    Sender.Tell(new Register(Self));
                    Sender.Tell(new Write(new byte[MessageLength]));
                    _received[Sender] = 0;
                    break;
                case Received r:
                    if ((_received[Sender] += r.Data.Length) == MessageLength)
                        Sender.Tell(Close.Instance);
                    break;
                case Closed:
                    stats.Completed++;
                    _received.Remove(Sender);
                    break;
                case ErrorClosed or CommandFailed:
                    stats.Failed++;
                    break;
            }
        }
    }

    /// <summary>Work items TestScheduler still holds (cancelled timers stay until their due time).</summary>
    private int PendingScheduledItems()
    {
        int n = 0;
        foreach (var f in typeof(TestScheduler).GetFields(BindingFlags.Instance | BindingFlags.NonPublic))
        {
            if (f.GetValue(Scheduler) is IDictionary dict)
                foreach (var v in dict.Values)
                    n += v is ICollection c ? c.Count : 1;
        }
        return n;
    }

    [Fact]
    public void Ten_thousand_connections_opened_used_and_closed_leave_no_actor_timer_table_entry_or_buffer()
    {
        const int total = 10_000, concurrent = 100;
        var wire = new MemoryWire(Sys.Scheduler, 1500,
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)), new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)));
        var client = TcpStack.Start(Sys, wire.A, ClientAddress);
        var server = TcpStack.Start(Sys, wire.B, ServerAddress);
        var echo = Sys.ActorOf(Props.Create(() => new Echo()).WithDispatcher("akka.test.calling-thread-dispatcher"));
        server.Manager.Tell(new Bind(echo, 7), TestActor);
        ExpectMsg<Bound>();
        int baselineTimers = PendingScheduledItems();

        var stats = new ClientStats();
        var clientHandler = Sys.ActorOf(Props.Create(() => new Client(stats)).WithDispatcher("akka.test.calling-thread-dispatcher"));
        int started = 0;
        var limit = TimeSpan.FromHours(1);
        while (stats.Completed + stats.Failed < total)
        {
            while (started < total && started - stats.Completed - stats.Failed < concurrent)
            {
                client.Manager.Tell(new Connect(ServerAddress, 7), clientHandler);
                started++;
            }
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(Elapsed < limit, $"not done after {limit}: {stats.Completed} completed");
        }
        output.WriteLine($"{total} connections in {Elapsed} virtual");
        Assert.Equal(0, stats.Failed);
        Assert.Equal(total, stats.Connected);
        Assert.Equal(total, stats.Completed);
        Assert.Equal(total, client.Counters[TcpCounter.ActiveOpens]);
        Assert.Equal(total, server.Counters[TcpCounter.PassiveOpens]);

        // The clients closed first, so they hold TIME-WAIT for 2 MSL; then everything must be gone.
        Assert.True(client.Counters[TcpCounter.ConnectionActors] > 0);
        AdvanceBy(2 * Settings.Msl + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        foreach (var (name, stack, listeners) in new[] { ("client", client, 0), ("server", server, 1) })
        {
            stack.Manager.Tell(GetTableSize.Instance, TestActor);
            var table = ExpectMsg<TableSize>();
            output.WriteLine($"{name}: {string.Join(", ", stack.Counters.Snapshot().Select(kv => $"{kv.Key}={kv.Value}"))}");
            Assert.Equal(0, table.Connections);
            Assert.Equal(listeners, table.Listeners);
            Assert.Equal(0, stack.Counters[TcpCounter.ConnectionActors]);
            Assert.Equal(0, stack.Counters[TcpCounter.CurrEstab]);
            Assert.Equal(0, stack.Counters[TcpCounter.PacketBuffersInUse]);
        }
        // Every timer of every connection has been cancelled or has fired.
        Scheduler.Advance(TimeSpan.FromHours(3));
        Assert.Equal(baselineTimers, PendingScheduledItems());
    }
}
