using System.Net;
using System.Text;
using Akka.Actor;
using Akka.IO;

namespace TcpActors.Engine.Tests.AkkaIo;

// Handlers written the way Akka.NET's documentation writes them for Akka.IO (docs "IO / TCP": EchoService,
// EchoConnection, a client that connects, registers and writes with acks). The one line that differs from the
// documentation is where the Tcp manager comes from: documented code uses Context.System.Tcp(); here it is a
// constructor argument, so the same classes run against Akka.IO's manager and against TcpActors' AkkaIoManager.
// Each records the types of the messages it receives, in order (consecutive Received folded into one, since how
// bytes are cut into Received is up to the transport).

/// <summary>What the handlers saw, per actor.</summary>
public sealed class EventLog
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<string>> _seen = new();
    public volatile int Stopped;
    public EndPoint? Bound;
    public string? Failure;

    public void Add(string actor, object message)
    {
        string name = message.GetType().Name;
        lock (_gate)
        {
            if (!_seen.TryGetValue(actor, out var list))
                _seen[actor] = list = new List<string>();
            if (name is nameof(Tcp.Received) && list.Count > 0 && list[^1] == name)
                return;
            list.Add(name);
        }
    }

    public IReadOnlyDictionary<string, string> Sequences()
    {
        lock (_gate)
            return _seen.ToDictionary(kv => kv.Key, kv => string.Join(", ", kv.Value));
    }
}

public sealed class EchoService : ReceiveActor
{
    public EchoService(IActorRef tcpManager, EndPoint endpoint, EventLog log)
    {
        tcpManager.Tell(new Tcp.Bind(Self, endpoint));

        Receive<Tcp.Bound>(bound =>
        {
            log.Add("service", bound);
            log.Bound = bound.LocalAddress;
        });
        Receive<Tcp.CommandFailed>(failed =>
        {
            log.Add("service", failed);
            log.Failure = failed.ToString();
        });
        Receive<Tcp.Connected>(connected =>
        {
            log.Add("service", connected);
            var connection = Sender;
            var handler = Context.ActorOf(Props.Create(() => new EchoConnection(connection, log)));
            connection.Tell(new Tcp.Register(handler));
        });
    }
}

public sealed class EchoConnection : UntypedActor
{
    private readonly IActorRef _connection;
    private readonly EventLog _log;

    public EchoConnection(IActorRef connection, EventLog log)
    {
        _connection = connection;
        _log = log;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received received:
                _log.Add("connection", received);
                _connection.Tell(Tcp.Write.Create(received.Data));
                break;
            case Tcp.ConnectionClosed closed:
                _log.Add("connection", closed);
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

public sealed class EchoClient : UntypedActor
{
    private sealed class Ack : Tcp.Event
    {
        public static readonly Ack Instance = new();
    }

    private readonly IActorRef _tcpManager;
    private readonly EndPoint _remote;
    private readonly string[] _lines;
    private readonly EventLog _log;
    private IActorRef? _connection;
    private int _next;
    private ByteString _echo = ByteString.Empty;

    public EchoClient(IActorRef tcpManager, EndPoint remote, string[] lines, EventLog log)
    {
        _tcpManager = tcpManager;
        _remote = remote;
        _lines = lines;
        _log = log;
    }

    protected override void PreStart() => _tcpManager.Tell(new Tcp.Connect(_remote));

    protected override void OnReceive(object message)
    {
        // Akka.IO sends a write's ack when the OS has taken the bytes; the echo may overtake it, so acks are a
        // stream of their own: the order of the acks, and of everything else, is what Akka.IO guarantees.
        _log.Add(message is Ack ? "client acks" : "client", message);
        switch (message)
        {
            case Tcp.Connected:
                _connection = Sender;
                _connection.Tell(new Tcp.Register(Self));
                WriteNext();
                break;
            case Tcp.CommandFailed failed:
                _log.Failure = failed.ToString();
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            case Ack:
                break;
            case Tcp.Received received:
                _echo = _echo.Concat(received.Data);
                string expected = _lines[_next - 1];
                if (_echo.Count < Encoding.UTF8.GetByteCount(expected))
                    break;
                if (_echo.ToString(Encoding.UTF8) != expected)
                    _log.Failure = $"echo '{_echo.ToString(Encoding.UTF8)}' is not '{expected}'";
                _echo = ByteString.Empty;
                if (_next < _lines.Length)
                    WriteNext();
                else
                    _connection!.Tell(Tcp.Close.Instance);
                break;
            case Tcp.ConnectionClosed:
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void WriteNext() => _connection!.Tell(Tcp.Write.Create(ByteString.FromString(_lines[_next++]), Ack.Instance));
}

/// <summary>
/// Half-close, Akka.IO style: the service keeps connections open on PeerClosed, answers the client's FIN with a last
/// message and closes; the client writes, sends ConfirmedClose and reads until ConfirmedClosed. Both watch the connection.
/// </summary>
public sealed class HalfCloseService : ReceiveActor
{
    public HalfCloseService(IActorRef tcpManager, EndPoint endpoint, EventLog log)
    {
        tcpManager.Tell(new Tcp.Bind(Self, endpoint));
        Receive<Tcp.Bound>(bound =>
        {
            log.Add("service", bound);
            log.Bound = bound.LocalAddress;
        });
        Receive<Tcp.Connected>(connected =>
        {
            log.Add("service", connected);
            var connection = Sender;
            var handler = Context.ActorOf(Props.Create(() => new HalfCloseConnection(connection, log)));
            connection.Tell(new Tcp.Register(handler, keepOpenOnPeerClosed: true));
        });
    }
}

public sealed class HalfCloseConnection : UntypedActor
{
    private sealed class Ack : Tcp.Event
    {
        public static readonly Ack Instance = new();
    }

    private readonly IActorRef _connection;
    private readonly EventLog _log;

    public HalfCloseConnection(IActorRef connection, EventLog log)
    {
        _connection = connection;
        _log = log;
        Context.Watch(connection);
    }

    protected override void OnReceive(object message)
    {
        _log.Add("connection", message);
        switch (message)
        {
            case Tcp.Received:
                break;
            case Tcp.PeerClosed:
                _connection.Tell(Tcp.Write.Create(ByteString.FromString("goodbye"), Ack.Instance));
                break;
            case Ack:
                _connection.Tell(Tcp.Close.Instance);
                break;
            case Tcp.ConnectionClosed:
                break;
            case Terminated:
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

public sealed class HalfCloseClient : UntypedActor
{
    private sealed class Ack : Tcp.Event
    {
        public static readonly Ack Instance = new();
    }

    private readonly IActorRef _tcpManager;
    private readonly EndPoint _remote;
    private readonly EventLog _log;
    private IActorRef? _connection;

    public HalfCloseClient(IActorRef tcpManager, EndPoint remote, EventLog log)
    {
        _tcpManager = tcpManager;
        _remote = remote;
        _log = log;
    }

    protected override void PreStart() => _tcpManager.Tell(new Tcp.Connect(_remote));

    protected override void OnReceive(object message)
    {
        _log.Add("client", message);
        switch (message)
        {
            case Tcp.Connected:
                _connection = Sender;
                Context.Watch(_connection);
                _connection.Tell(new Tcp.Register(Self));
                _connection.Tell(Tcp.Write.Create(ByteString.FromString("hi"), Ack.Instance));
                break;
            case Ack:
                _connection!.Tell(Tcp.ConfirmedClose.Instance);
                break;
            case Tcp.Received received:
                if (received.Data.ToString() != "goodbye")
                    _log.Failure = $"got '{received.Data}'";
                break;
            case Tcp.CommandFailed failed:
                _log.Failure = failed.ToString();
                break;
            case Tcp.ConnectionClosed:
                break;
            case Terminated:
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

/// <summary>Connects, writes, and aborts once the write is acked; watches the connection.</summary>
public sealed class AbortingClient : UntypedActor
{
    private sealed class Ack : Tcp.Event
    {
        public static readonly Ack Instance = new();
    }

    private readonly IActorRef _tcpManager;
    private readonly EndPoint _remote;
    private readonly EventLog _log;

    public AbortingClient(IActorRef tcpManager, EndPoint remote, EventLog log)
    {
        _tcpManager = tcpManager;
        _remote = remote;
        _log = log;
    }

    protected override void PreStart() => _tcpManager.Tell(new Tcp.Connect(_remote));

    protected override void OnReceive(object message)
    {
        _log.Add("client", message);
        switch (message)
        {
            case Tcp.Connected:
                Context.Watch(Sender);
                Sender.Tell(new Tcp.Register(Self));
                Sender.Tell(Tcp.Write.Create(ByteString.FromString("then I go"), Ack.Instance));
                break;
            case Ack:
                Sender.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.ConnectionClosed:
            case Tcp.CommandFailed:
                break;
            case Terminated:
                Interlocked.Increment(ref _log.Stopped);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
