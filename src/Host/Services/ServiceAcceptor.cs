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
public sealed class ServiceAcceptor(Func<IActorRef, Props> handlerProps, string dispatcher, bool pooledData = false) : UntypedActor
{
    /// <summary>
    /// The acceptor and its handlers run on <paramref name="dispatcher"/> (the stack's, usually). With
    /// <paramref name="pooledData"/> the handlers get their data in the stack's packet buffers (Register.PooledData), for a
    /// service that keeps none of it: <see cref="ServiceHandler"/> releases each Received once the service has handled it.
    /// </summary>
    public static Props Props(Func<IActorRef, Props> handlerProps, string dispatcher = "akka.actor.default-dispatcher", bool pooledData = false) =>
        Akka.Actor.Props.Create(() => new ServiceAcceptor(handlerProps, dispatcher, pooledData)).WithDispatcher(dispatcher);

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Connected:
                var handler = Context.ActorOf(handlerProps(Sender).WithDispatcher(dispatcher).WithMailbox(ConnectionMailbox.ConfigPath));
                Sender.Tell(new Register(handler, KeepOpenOnPeerClosed: true, PooledData: pooledData));   // the service decides when to close (half-close)
                break;
            case Bound or Unbound:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
