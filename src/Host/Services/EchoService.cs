using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>Echo (RFC 862, port 7): every byte received is sent back.</summary>
public sealed class EchoService : ServiceHandler
{
    public const ushort Port = 7;
    private const int QueueLimit = 4 << 20;
    private readonly WriteQueue _writes;
    private bool _peerClosed;
    private bool _aborted;

    public EchoService(IActorRef connection) : base(connection)
    {
        _writes = new WriteQueue(connection, Self, QueueLimit);
    }

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new EchoService(connection));

    protected override bool Handle(object message)
    {
        switch (message)
        {
            case Received r:
                if (_aborted)
                    return true;
                if (!_writes.Enqueue(r.Data))
                {
                    Context.GetLogger().Warning("echo: the peer sends faster than it reads ({0} bytes queued); aborting", _writes.QueuedBytes);
                    _aborted = true;
                    Connection.Tell(Abort.Instance);
                }
                return true;
            case WriteQueue.Ack:
                _writes.OnAck();
                if (_peerClosed && _writes.Idle)
                    Connection.Tell(Close.Instance);
                return true;
            case PeerClosed:
                _peerClosed = true;
                if (_writes.Idle)
                    Connection.Tell(Close.Instance);
                return true;
            default:
                return false;
        }
    }
}
