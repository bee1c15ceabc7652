using System.Collections;
using System.Reflection;
using Akka.Actor;
using Akka.TestKit;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// Drives Akka's TestScheduler exactly. TestScheduler.Advance(d) moves the clock to now+d first and then fires
/// what is due, so a timer that a timer starts is measured from the end of the step. To keep every timer exact,
/// time is moved from one due time to the next (read from the scheduler's table of scheduled work).
/// </summary>
internal sealed class VirtualTime
{
    private static readonly FieldInfo? WorkField =
        typeof(TestScheduler).GetField("_scheduledWork", BindingFlags.Instance | BindingFlags.NonPublic);

    private readonly TestScheduler _scheduler;
    private readonly IDictionary _work;

    public VirtualTime(IScheduler scheduler)
    {
        _scheduler = scheduler as TestScheduler
            ?? throw new InvalidOperationException($"the actor system's scheduler is {scheduler.GetType()}, not Akka.TestKit.TestScheduler");
        _work = WorkField?.GetValue(_scheduler) as IDictionary
            ?? throw new InvalidOperationException("Akka.TestKit.TestScheduler has no '_scheduledWork' table (Akka version changed?): cannot step exactly");
        Origin = _scheduler.Now;
    }

    public DateTimeOffset Origin { get; }

    /// <summary>Virtual time since the script's start.</summary>
    public TimeSpan Now => _scheduler.Now - Origin;

    /// <summary>The earliest due time of anything scheduled (cancelled items included: stepping to them is harmless).</summary>
    private TimeSpan? NextDue()
    {
        long? min = null;
        foreach (var key in _work.Keys)
        {
            long ticks = (long)key;
            if (min is null || ticks < min) min = ticks;
        }
        return min is null ? null : new DateTimeOffset(min.Value, TimeSpan.Zero) - Origin;
    }

    /// <summary>
    /// Moves time forward to <paramref name="target"/>, firing every timer at its own due time, and calls
    /// <paramref name="afterStep"/> after each step; stops early (returns true) when it returns true.
    /// </summary>
    public bool RunUntil(TimeSpan target, Func<bool> afterStep)
    {
        if (afterStep()) return true;
        for (int guard = 0; ; guard++)
        {
            if (guard > 5_000_000)
                throw new InvalidOperationException($"more than 5,000,000 timer steps before {target}: a timer loop?");
            var next = NextDue();
            var now = Now;
            if (next is null || next.Value > target)
            {
                if (target > now)
                    _scheduler.Advance(target - now);
                return afterStep();
            }
            _scheduler.Advance(next.Value > now ? next.Value - now : TimeSpan.Zero);
            if (afterStep()) return true;
        }
    }

    /// <summary>True when nothing at all is scheduled (so waiting longer cannot change anything).</summary>
    public bool Idle => _work.Count == 0;
}
