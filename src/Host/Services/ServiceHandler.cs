using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// What every service handler shares: it watches its connection and stops with it; events it has no use for
/// are ignored. A service overrides <see cref="Handle"/> for the messages it acts on.
/// </summary>
public abstract class ServiceHandler(IActorRef connection) : UntypedActor
{
    protected IActorRef Connection { get; } = connection;

    protected override void PreStart() => Context.Watch(Connection);

    /// <summary>True when the message was handled.</summary>
    protected abstract bool Handle(object message);

    protected sealed override void OnReceive(object message)
    {
        if (Handle(message))
            return;
        switch (message)
        {
            case Terminated:
                Context.Stop(Self);
                break;
            case ITcpEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
