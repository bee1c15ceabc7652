using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Support;

/// <summary>
/// A TestKit whose scheduler is Akka's TestScheduler (virtual time) and whose stack actors run on the
/// calling-thread dispatcher: injecting a packet or advancing the clock runs the whole stack to rest on the
/// test's thread, so every assertion about what was sent, and when, is exact and deterministic.
/// </summary>
public abstract class StackTestKit : Akka.TestKit.Xunit2.TestKit
{
    public static readonly Config VirtualTimeConfig = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        tcp-actors.dispatcher = "akka.test.calling-thread-dispatcher"
        """);

    protected StackTestKit(string? extraConfig = null)
        : base(extraConfig is null ? VirtualTimeConfig : ConfigurationFactory.ParseString(extraConfig).WithFallback(VirtualTimeConfig))
    {
        Origin = Scheduler.Now;
    }

    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>Virtual time at the test's start.</summary>
    protected DateTimeOffset Origin { get; }

    /// <summary>Virtual time elapsed since the test's start.</summary>
    protected TimeSpan Elapsed => Scheduler.Now - Origin;

    /// <summary>Advances virtual time to exactly <paramref name="t"/> after the test's start.</summary>
    protected void AdvanceTo(TimeSpan t)
    {
        var d = t - Elapsed;
        if (d < TimeSpan.Zero)
            throw new InvalidOperationException($"virtual time is already at {Elapsed}, past {t}");
        Scheduler.Advance(d);
    }

    /// <summary>Advances in steps so that timers scheduled by timers also fire (TestScheduler fires what was due at the start of each Advance).</summary>
    protected void AdvanceBy(TimeSpan total, TimeSpan step)
    {
        var end = Elapsed + total;
        while (Elapsed + step <= end)
            Scheduler.Advance(step);
        if (Elapsed < end)
            AdvanceTo(end);
    }

    protected TcpSettings Settings => TcpSettings.Create(Sys.Settings.Config);
}
