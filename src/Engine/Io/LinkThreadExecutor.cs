using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace TcpActors.Engine.Io;

/// <summary>
/// Which thread is a link's read loop (<see cref="Link.TunLink"/> marks its own), and how deep the mailbox runs
/// that <see cref="LinkThreadExecutor"/> started on it are nested.
/// </summary>
public static class LinkThread
{
    [ThreadStatic] private static bool t_isLinkThread;
    [ThreadStatic] private static int t_depth;

    /// <summary>True on a link's read thread.</summary>
    public static bool IsCurrent => t_isLinkThread;

    /// <summary>Marks the calling thread as a link's read thread, for the rest of its life.</summary>
    public static void MarkCurrent() => t_isLinkThread = true;

    internal static bool TryEnter(int maxDepth)
    {
        if (!t_isLinkThread || t_depth >= maxDepth)
            return false;
        t_depth++;
        return true;
    }

    internal static void Exit() => t_depth--;
}

/// <summary>
/// The executor of the stack's dispatcher when it runs actors on the link's read thread (<c>executor =
/// "TcpActors.Engine.Io.LinkThreadExecutorConfigurator, TcpActors.Engine"</c>). A mailbox scheduled from the read
/// thread (the <see cref="Demultiplexer"/> telling a connection its segment, and whatever that connection tells the
/// stack's other actors) runs there and then, before the next packet is read: a segment is parsed, processed and
/// answered (the ACK, new data, the echo) on one thread, without waking another (lwIP's model). Work scheduled from
/// any other thread (the application's writes, timers) goes to <c>link-thread-executor.fallback</c>: the .NET thread
/// pool (<c>thread-pool</c>, the default: no allocation, never run inline) or Akka's channel executor
/// (<c>channel-executor</c>; its channel runs continuations synchronously, so the scheduling thread may end up running
/// the work itself). Akka's mailbox keeps one thread at a time in an actor, whichever thread schedules it. Runs nested
/// deeper than <c>link-thread-executor.max-depth</c> (an actor telling another on the read thread from inside its own
/// run) go to the fallback too, which bounds the read thread's stack.
/// </summary>
public sealed class LinkThreadExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id)
    {
        int maxDepth = Config.GetInt("link-thread-executor.max-depth", 4);
        string fallback = Config.GetString("link-thread-executor.fallback", null);
        if (string.IsNullOrEmpty(fallback))
            fallback = "thread-pool";
        TaskScheduler? scheduler = fallback switch
        {
            "channel-executor" => ChannelTaskScheduler.Get(Prerequisites.Settings.System).GetScheduler(TaskSchedulerPriority.Normal),
            "thread-pool" => null,
            _ => throw new ConfigurationException($"{id}.link-thread-executor.fallback: '{fallback}' is not channel-executor or thread-pool"),
        };
        return new LinkThreadExecutor(id, scheduler, maxDepth, Prerequisites.EventStream);
    }
}

internal sealed class LinkThreadExecutor(string id, TaskScheduler? fallback, int maxDepth, EventStream events) : ExecutorService(id)
{
    private static readonly Action<object?> RunIt = static r => ((IRunnable)r!).Run();

    public override void Execute(IRunnable run)
    {
        if (!LinkThread.TryEnter(maxDepth))
        {
            if (fallback is null)
                ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: false);
            else
                Task.Factory.StartNew(RunIt, run, CancellationToken.None, TaskCreationOptions.None, fallback);
            return;
        }
        try
        {
            run.Run();
        }
        catch (Exception e)
        {
            // A mailbox run handles an actor's failures itself (supervision); anything else must not end the read loop.
            events.Publish(new Error(e, nameof(LinkThreadExecutor), typeof(LinkThreadExecutor), $"a run on the link's read thread failed: {e.Message}"));
        }
        finally
        {
            LinkThread.Exit();
        }
    }

    public override void Shutdown()
    {
    }
}
