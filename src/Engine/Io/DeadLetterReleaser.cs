using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;

namespace TcpActors.Engine.Io;

/// <summary>
/// Gives back the packet buffers of segments and pooled data that ended in dead letters: told to a connection, or to
/// a handler, that had stopped (the link's thread can look a connection up just before it stops). The I/O actor starts
/// one (a top-level actor), subscribes it to <see cref="AllDeadLetters"/> at once, and stops it with itself. It runs on the default dispatcher, not the stack's, and is not the
/// I/O actor itself: the event stream watches its subscribers from an actor of its own, and under the tests'
/// calling-thread dispatcher that watch would run a stack actor on the event stream's thread.
/// </summary>
internal sealed class DeadLetterReleaser : UntypedActor
{
    public static Props Props() =>
        Akka.Actor.Props.Create<DeadLetterReleaser>().WithDispatcher("akka.actor.default-dispatcher");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case AllDeadLetters { Message: SegmentArrived lost }:
                lost.Release();
                break;
            case AllDeadLetters { Message: Received undelivered }:
                undelivered.Release();
                break;
            case AllDeadLetters:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
