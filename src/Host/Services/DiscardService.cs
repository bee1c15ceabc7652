using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Discard (RFC 863, port 9): everything received is thrown away. It keeps nothing per connection, so one actor
/// serves all of the port's connections: it is the Bind handler and registers each connection with itself (every
/// event comes with its connection as Sender). An idle discard connection costs the stack's connection actor
/// alone, with no handler actor, mailbox or death watch of its own. Its data stays in the stack's packet buffers
/// (Register.PooledData), and the Received messages are the stack's own, reused (Register.RecycleReceived): nothing is
/// copied or allocated per segment, and each Received is released at once, before anything else looks at it.
/// </summary>
public sealed class DiscardService : UntypedActor
{
    public const ushort Port = 9;

    public static Props Props(string dispatcher = "akka.actor.default-dispatcher") =>
        Akka.Actor.Props.Create<DiscardService>().WithDispatcher(dispatcher);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Connected:
                Sender.Tell(new Register(Self, KeepOpenOnPeerClosed: true, RecycleReceived: true));   // half-close: we close after the peer
                break;
            case Received r:
                r.Release();   // discarded: the packet buffer goes back to the stack
                break;
            case PeerClosed:
                Sender.Tell(Close.Instance);
                break;
            case ITcpEvent:
                break;   // Received (discarded), Bound, Closed, ...
            default:
                Unhandled(message);
                break;
        }
    }
}
