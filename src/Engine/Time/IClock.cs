using Akka.Actor;

namespace TcpActors.Engine.Time;

/// <summary>
/// Protocol time. Always read from the actor system's scheduler, never from the wall clock, so that
/// Akka's TestScheduler drives every timer and every timestamp in virtual time.
/// </summary>
public interface IClock
{
    /// <summary>Time elapsed since the clock's origin (the stack's start).</summary>
    TimeSpan Now { get; }
}

/// <summary>The clock of an actor system's scheduler (<see cref="ITimeProvider.Now"/>), relative to its creation.</summary>
public sealed class SchedulerClock(IScheduler scheduler) : IClock
{
    private readonly DateTimeOffset _origin = scheduler.Now;

    public TimeSpan Now => scheduler.Now - _origin;
}
