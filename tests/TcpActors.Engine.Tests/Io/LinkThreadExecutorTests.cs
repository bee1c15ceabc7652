using System.Collections.Concurrent;
using Akka.Actor;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Tests.Io;

/// <summary>
/// The stack dispatcher's executor: a mailbox scheduled from a link's read thread runs on it at once, nested at most
/// max-depth deep; from any other thread, and deeper, it runs on the thread pool (the default fallback). A real actor system (not virtual time): the
/// property under test is which thread runs what.
/// </summary>
public class LinkThreadExecutorTests
{
    private const string Config = """
        akka.loglevel = WARNING
        link-dispatcher {
          type = Dispatcher
          executor = "TcpActors.Engine.Io.LinkThreadExecutorConfigurator, TcpActors.Engine"
          throughput = 64
          link-thread-executor.max-depth = 2
        }
        """;

    /// <summary>Records the thread it ran on; forwards "next" to its successor, if any.</summary>
    private sealed class Recorder(ConcurrentQueue<(string Name, bool OnLinkThread)> log, IActorRef? next) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            log.Enqueue((Self.Path.Name, LinkThread.IsCurrent));   // managed thread ids are reused: ask the thread itself
            next?.Tell(message);
        }
    }

    private static IActorRef Chain(ActorSystem system, ConcurrentQueue<(string, bool)> log, int length)
    {
        IActorRef? next = null;
        for (int i = length; i >= 1; i--)
            next = system.ActorOf(Props.Create(() => new Recorder(log, next)).WithDispatcher("link-dispatcher"), $"a{i}");
        return next!;
    }

    /// <summary>Runs <paramref name="action"/> on a new thread marked as a link's read thread.</summary>
    private static void OnLinkThread(Action action)
    {
        var t = new Thread(() =>
        {
            LinkThread.MarkCurrent();
            action();
        });
        t.Start();
        t.Join();
    }

    private static void WaitFor(ConcurrentQueue<(string, bool)> log, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (log.Count < count && DateTime.UtcNow < deadline)
            Thread.Yield();
        Assert.Equal(count, log.Count);
    }

    [Fact]
    public void A_tell_from_the_link_thread_runs_the_actor_there_before_the_tell_returns()
    {
        using var system = ActorSystem.Create("link-executor", Config);
        var log = new ConcurrentQueue<(string Name, bool OnLinkThread)>();
        var a = Chain(system, log, 1);
        a.Tell("warm-up");   // the actor's creation (its first mailbox run) happens off the link thread
        WaitFor(log, 1);
        log.Clear();
        int countAfterTell = -1;
        OnLinkThread(() =>
        {
            a.Tell("hello");
            countAfterTell = log.Count;   // inline: it already ran
        });
        Assert.Equal(1, countAfterTell);
        Assert.True(log.Single().OnLinkThread);
    }

    [Fact]
    public void Nested_runs_stay_on_the_link_thread_up_to_max_depth_then_go_to_the_pool()
    {
        using var system = ActorSystem.Create("link-executor-depth", Config);
        var log = new ConcurrentQueue<(string Name, bool OnLinkThread)>();
        var first = Chain(system, log, 3);
        first.Tell("warm-up");
        WaitFor(log, 3);
        log.Clear();
        OnLinkThread(() => first.Tell("go"));
        WaitFor(log, 3);
        var byName = log.ToDictionary(x => x.Name, x => x.OnLinkThread);
        Assert.True(byName["a1"]);    // depth 1
        Assert.True(byName["a2"]);    // depth 2 = max-depth
        Assert.False(byName["a3"]);   // deeper: handed to the thread pool
    }

    [Fact]
    public void A_tell_from_any_other_thread_runs_on_the_pool()
    {
        using var system = ActorSystem.Create("link-executor-other", Config);
        var log = new ConcurrentQueue<(string Name, bool OnLinkThread)>();
        var a = Chain(system, log, 1);
        a.Tell("hello");   // from the test's thread, not a link's
        WaitFor(log, 1);
        Assert.False(log.Single().OnLinkThread);
    }
}
