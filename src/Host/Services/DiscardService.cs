using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>Discard (RFC 863, port 9): everything received is thrown away.</summary>
public sealed class DiscardService(IActorRef connection) : UntypedActor
{
    public const ushort Port = 9;

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new DiscardService(connection));

    protected override void PreStart() => Context.Watch(connection);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PeerClosed:
                connection.Tell(Close.Instance);
                break;
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
