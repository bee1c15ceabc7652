using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Connection;

namespace TcpActors.Host.Services;

/// <summary>
/// The Bind handler of one built-in service: for each accepted connection it starts a handler actor of the
/// service (a child, so a failing handler is contained) and registers it with the connection. Handlers get the
/// stack's compact per-connection mailbox (an idle one holds no queue array).
/// Services that keep nothing per connection (discard) are their own Bind handler instead, one actor for all.
/// </summary>
public sealed class ServiceAcceptor(Func<IActorRef, Props> handlerProps, string dispatcher) : UntypedActor
{
    /// <summary>The acceptor and its handlers run on <paramref name="dispatcher"/> (the stack's, usually).</summary>
    public static Props Props(Func<IActorRef, Props> handlerProps, string dispatcher = "akka.actor.default-dispatcher") =>
        Akka.Actor.Props.Create(() => new ServiceAcceptor(handlerProps, dispatcher)).WithDispatcher(dispatcher);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Connected:
                var handler = Context.ActorOf(handlerProps(Sender).WithDispatcher(dispatcher).WithMailbox(ConnectionMailbox.ConfigPath));
                Sender.Tell(new Register(handler, KeepOpenOnPeerClosed: true));   // the service decides when to close (half-close)
                break;
            case Bound or Unbound:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
