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
        bool handled = Handle(message);
        if (message is Received r)
            r.Release();   // pooled data (Register.PooledData) goes back to the stack; a service copies what it keeps
        if (handled)
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
