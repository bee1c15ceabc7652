using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>Discard (RFC 863, port 9): everything received is thrown away.</summary>
public sealed class DiscardService(IActorRef connection) : ServiceHandler(connection)
{
    public const ushort Port = 9;

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new DiscardService(connection));

    protected override bool Handle(object message)
    {
        if (message is not PeerClosed)
            return false;
        Connection.Tell(Close.Instance);
        return true;
    }
}
