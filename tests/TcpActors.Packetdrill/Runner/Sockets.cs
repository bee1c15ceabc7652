using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// Collects what the stack tells one socket. Runs on the calling-thread dispatcher like the stack, so a message is
/// in the list as soon as the stack has sent it.
/// </summary>
internal sealed class Sink : UntypedActor
{
    private readonly List<(object Message, IActorRef Sender)> _inbox;

    public Sink(List<(object, IActorRef)> inbox) => _inbox = inbox;

    public static Props Props(List<(object, IActorRef)> inbox) =>
        Akka.Actor.Props.Create(() => new Sink(inbox)).WithDispatcher("akka.test.calling-thread-dispatcher");

    protected override void OnReceive(object message) => _inbox.Add((message, Sender));
}

internal enum SocketKind { Fresh, Listening, Connecting, Connection }

/// <summary>The write acknowledgement token the runner asks the stack for.</summary>
internal sealed record WriteDone(long Id);

/// <summary>
/// A socket as the script sees it (a file descriptor), mapped onto the stack's application protocol: a listener
/// (Bind), or a connection (Connect / an accepted Connected, then Register). Keeps what a kernel socket keeps for
/// the application: unread bytes, EOF, the pending error, shutdown state and socket options.
/// </summary>
internal sealed class PdSocket
{
    public required int Fd { get; init; }
    public required IActorRef Sink { get; init; }
    public required List<(object Message, IActorRef Sender)> Inbox { get; init; }
    public SocketKind Kind { get; set; }
    public bool NonBlocking { get; set; }
    public bool Bound { get; set; }
    public ConnectionOptions Options { get; set; } = ConnectionOptions.Default;
    public bool LingerAbort { get; set; }
    public bool ReuseAddr { get; set; }

    public IActorRef? Listener { get; set; }
    public Queue<(IActorRef Connection, FourTuple Tuple)> AcceptQueue { get; } = new();

    public IActorRef? Connection { get; set; }
    public FourTuple? Tuple { get; set; }
    public bool Established { get; set; }
    public long Unread { get; set; }
    public bool PeerFin { get; set; }
    /// <summary>The connection is gone (reset, timed out, aborted or closed).</summary>
    public bool Dead { get; set; }
    /// <summary>SO_ERROR: reported once by getsockopt or by the next read/write.</summary>
    public string? PendingError { get; set; }
    public bool ShutRd { get; set; }
    public bool ShutWr { get; set; }
    public bool Closed { get; set; }

    public HashSet<long> WritesDone { get; } = [];
    public Dictionary<long, string> WritesFailed { get; } = [];
    public ConnectionStatus? LastStatus { get; set; }
}
