using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>Echo (RFC 862, port 7): every byte received is sent back.</summary>
public sealed class EchoService : UntypedActor
{
    public const ushort Port = 7;
    private const int QueueLimit = 4 << 20;
    private readonly IActorRef _connection;
    private readonly WriteQueue _writes;
    private bool _peerClosed;

    public EchoService(IActorRef connection)
    {
        _connection = connection;
        _writes = new WriteQueue(connection, Self, QueueLimit);
    }

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new EchoService(connection));

    protected override void PreStart() => Context.Watch(_connection);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Received r:
                if (!_writes.Enqueue(r.Data))
                {
                    Context.GetLogger().Warning("echo: the peer sends faster than it reads ({0} bytes queued); aborting", _writes.QueuedBytes);
                    _connection.Tell(Abort.Instance);
                }
                break;
            case WriteQueue.Ack:
                _writes.OnAck();
                if (_peerClosed && _writes.Idle)
                    _connection.Tell(Close.Instance);
                break;
            case PeerClosed:
                _peerClosed = true;
                if (_writes.Idle)
                    _connection.Tell(Close.Instance);
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
