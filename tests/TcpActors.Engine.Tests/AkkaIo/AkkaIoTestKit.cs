using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.AkkaIo;

/// <summary>
/// Two TcpActors stacks ("client" 198.18.0.1 and "server" 198.18.0.2) made by the extension, joined by a memory
/// wire with 1 ms of delay, in virtual time. Stacks, adapters and the test's handlers all run on the calling-thread
/// dispatcher (handlers through deployment: /h, /h/* and /h/*/*). Every dead letter and unhandled message is collected.
/// </summary>
public abstract class AkkaIoTestKit : StackTestKit
{
    public const string HandlerConfig = """
        # A 64 KB receive window (scaling shift 0), so that the back-pressure tests fill and close it quickly.
        tcp-actors.receive-window = 65535
        akka.actor.deployment {
          "/h" { dispatcher = "akka.test.calling-thread-dispatcher" }
          "/h/*" { dispatcher = "akka.test.calling-thread-dispatcher" }
          "/h/*/*" { dispatcher = "akka.test.calling-thread-dispatcher" }
          "/c" { dispatcher = "akka.test.calling-thread-dispatcher" }
          "/c/*" { dispatcher = "akka.test.calling-thread-dispatcher" }
        }
        """;

    public static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    public static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");

    protected AkkaIoTestKit(string? extraConfig = null)
        : base(extraConfig is null ? HandlerConfig : extraConfig + "\n" + HandlerConfig)
    {
        Wire = new MemoryWire(Sys.Scheduler, 1500,
            ImpairmentSettings.None with { Delay = TimeSpan.FromMilliseconds(1) },
            ImpairmentSettings.None with { Delay = TimeSpan.FromMilliseconds(1), Seed = 2 });
        var tcp = Sys.TcpActors();
        Client = tcp.AddStack(Wire.A, ClientAddress, "client");
        Server = tcp.AddStack(Wire.B, ServerAddress, "server");
        var collector = Sys.ActorOf(Props.Create(() => new Collector(DeadLetters)).WithDispatcher("akka.test.calling-thread-dispatcher"));
        Sys.EventStream.Subscribe(collector, typeof(DeadLetter));
        Sys.EventStream.Subscribe(collector, typeof(UnhandledMessage));
        Sys.EventStream.Subscribe(collector, typeof(Dropped));
    }

    protected MemoryWire Wire { get; }
    protected TcpActorsStack Client { get; }
    protected TcpActorsStack Server { get; }

    /// <summary>Dead letters, unhandled and dropped messages seen on the event stream.</summary>
    protected ConcurrentQueue<AllDeadLetters> DeadLetters { get; } = new();

    protected void AssertNoDeadLetters() =>
        Assert.True(DeadLetters.IsEmpty, "dead letters: " + string.Join("; ", DeadLetters.Select(d => $"{d.GetType().Name} {d.Message} from {d.Sender} to {d.Recipient}")));

    /// <summary>Advances virtual time in 1 ms steps until <paramref name="done"/> or the limit.</summary>
    protected TimeSpan RunUntil(Func<bool> done, TimeSpan limit)
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

    /// <summary>
    /// Creates a top-level actor and waits until it has started: its constructor may run on another thread, and
    /// what it sends then runs the calling-thread actors there; after this round trip everything runs on the test's thread.
    /// </summary>
    protected IActorRef Start(Props props, string name)
    {
        var actor = Sys.ActorOf(props, name);
        actor.Tell(new Identify(name), TestActor);
        ExpectMsg<ActorIdentity>(i => Equals(i.MessageId, name));
        return actor;
    }

    /// <summary>Lets the protocol run for a while (ACKs, delayed ACKs, FIN exchanges).</summary>
    protected void Run(TimeSpan t) => AdvanceBy(t, TimeSpan.FromMilliseconds(1));

    private sealed class Collector(ConcurrentQueue<AllDeadLetters> sink) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is AllDeadLetters d)
                sink.Enqueue(d);
        }
    }
}
