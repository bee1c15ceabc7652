using Akka.Actor;
using Akka.IO;
using Api = TcpActors.Engine.Api;

namespace TcpActors.Engine.AkkaIo;

/// <summary>
/// One connection as Akka.IO shows it: the Sender of <see cref="Tcp.Connected"/> and of every event after it, and the
/// actor the user's handler sends Register, Write, Close, ... to. It translates between the user's handler and the
/// stack's connection actor, whose handler it is:
/// <list type="bullet">
/// <item>Writes (Write, CompoundWrite, with an ack or NoAck) are queued here and handed to the stack one at a time;
/// each ack goes to the writer once its bytes are in the send buffer. The queue is bounded
/// (tcp-actors.akka-io.write-commands-queue-max-size and write-queue-max-bytes): a write over it gets CommandFailed
/// with the cause. Close and ConfirmedClose wait for the queue; Abort drops it.</item>
/// <item>SuspendReading, ResumeReading and pull mode are the stack's own: undelivered bytes close the receive window.</item>
/// <item>Like Akka.IO's connection actor, it stops after the last event (Closed, ConfirmedClosed, Aborted, ErrorClosed,
/// or PeerClosed unless the handler keeps the connection open), and aborts the connection when the handler dies.
/// Before it stops it detaches from the stack's connection (which may still be finishing, e.g. in TIME-WAIT), so that
/// nothing is sent to it afterwards.</item>
/// </list>
/// </summary>
internal sealed class AkkaIoConnection : UntypedActor, IWithTimers
{
    private enum Phase { Connecting, Open, Finishing }

    private sealed class EngineWriteAck
    {
        public static readonly EngineWriteAck Instance = new();
    }

    private sealed class ConnectTimeout
    {
        public static readonly ConnectTimeout Instance = new();
    }

    private sealed class RegisterTimeout
    {
        public static readonly RegisterTimeout Instance = new();
    }

    private sealed record QueuedWrite(Tcp.Write Write, Tcp.WriteCommand Command, IActorRef Writer);

    private readonly AkkaIoSettings _settings;
    private readonly Tcp.Connect? _connect;
    private readonly Api.Connect? _engineConnect;
    private readonly IActorRef? _commander;
    private readonly IActorRef _stackManager;
    private Phase _phase;
    private bool _abandoned;

    private IActorRef? _connection;
    private Api.Connected? _connected;
    private IActorRef? _handler;
    private bool _registered;
    private bool _keepOpen;

    private readonly Queue<QueuedWrite> _writes = new();
    private long _queuedBytes;
    private QueuedWrite? _inFlight;

    private Tcp.CloseCommand? _closeCommand;
    private IActorRef? _closeCommander;
    private bool _closeSent;
    private IActorRef? _abortCommander;
    private bool _stopping;

    public ITimerScheduler Timers { get; set; } = null!;

    public AkkaIoConnection(TcpStack stack, AkkaIoSettings settings, Tcp.Connect connect, Api.Connect engineConnect, IActorRef commander)
    {
        _settings = settings;
        _stackManager = stack.Manager;
        _connect = connect;
        _engineConnect = engineConnect;
        _commander = commander;
        _phase = Phase.Connecting;
    }

    public AkkaIoConnection(TcpStack stack, AkkaIoSettings settings, IActorRef connection, Api.Connected connected, IActorRef bindHandler)
    {
        _settings = settings;
        _stackManager = stack.Manager;
        _connection = connection;
        _connected = connected;
        _commander = bindHandler;
        _phase = Phase.Open;
    }

    public static Props PropsOutgoing(TcpStack stack, AkkaIoSettings settings, Tcp.Connect connect, Api.Connect engineConnect, IActorRef commander) =>
        Props.Create(() => new AkkaIoConnection(stack, settings, connect, engineConnect, commander)).WithDispatcher(stack.Settings.Dispatcher);

    public static Props PropsIncoming(TcpStack stack, AkkaIoSettings settings, IActorRef connection, Api.Connected connected, IActorRef bindHandler) =>
        Props.Create(() => new AkkaIoConnection(stack, settings, connection, connected, bindHandler)).WithDispatcher(stack.Settings.Dispatcher);

    protected override void PreStart()
    {
        if (_phase == Phase.Connecting)
        {
            _stackManager.Tell(_engineConnect!, Self);
            if (_connect!.Timeout is { } t)
                Timers.StartSingleTimer(ConnectTimeout.Instance, ConnectTimeout.Instance, t);
        }
        else
        {
            Context.Watch(_connection!);
            AnnounceConnected();
        }
    }

    private void AnnounceConnected()
    {
        _commander!.Tell(ToAkka(_connected!), Self);
        if (_settings.RegisterTimeout is { } t)
            Timers.StartSingleTimer(RegisterTimeout.Instance, RegisterTimeout.Instance, t);
    }

    protected override void PostStop()
    {
        // Stopped by a failure while the stack's connection is open: do not leave it behind.
        if (!_stopping && _connection is not null)
        {
            _connection.Tell(Api.Detach.Instance, ActorRefs.Nobody);   // so that nothing more is sent to this stopped actor
            _connection.Tell(Api.Abort.Instance, ActorRefs.Nobody);
        }
    }

    private static Tcp.Connected ToAkka(Api.Connected c) =>
        new(Translate.ToEndPoint(c.RemoteAddress, c.RemotePort), Translate.ToEndPoint(c.LocalAddress, c.LocalPort));

    protected override void OnReceive(object message)
    {
        switch (_phase)
        {
            case Phase.Connecting:
                Connecting(message);
                break;
            case Phase.Open:
                Open(message);
                break;
            default:
                Finishing(message);
                break;
        }
    }

    // ---------------------------------------------------------------- connecting (outgoing)

    private void Connecting(object message)
    {
        switch (message)
        {
            case Api.Connected c:
                _connection = Sender;
                Context.Watch(_connection);
                Timers.Cancel(ConnectTimeout.Instance);
                if (_abandoned)
                {
                    FinishWith(Api.Abort.Instance);   // the user was told the connect timed out
                    return;
                }
                _connected = c;
                _phase = Phase.Open;
                AnnounceConnected();
                break;
            case Api.CommandFailed { Command: Api.Connect } f:
                if (!_abandoned)
                    _commander!.Tell(Translate.Failed(_connect!, f.Cause), Self);
                StopNow();
                break;
            case ConnectTimeout:
                _abandoned = true;
                _commander!.Tell(Translate.Failed(_connect!, $"connect to {_connect!.RemoteAddress} timed out after {_connect.Timeout}"), Self);
                break;
            case Tcp.Command cmd:
                Sender.Tell(Translate.Failed(cmd, _abandoned ? "the connect timed out" : "not connected yet"), Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---------------------------------------------------------------- open

    private void Open(object message)
    {
        switch (message)
        {
            // from the user
            case Tcp.Register r:
                OnRegister(r);
                break;
            case RegisterTimeout:
                // Like Akka.IO (akka.io.tcp.register-timeout): nobody registered in time, the connection is dropped.
                if (!_registered)
                    FinishWith(Api.Abort.Instance);
                break;
            case Tcp.WriteCommand w:
                OnWrite(w);
                break;
            case Tcp.Abort:
                OnAbort();
                break;
            case Tcp.CloseCommand c:
                OnClose(c);
                break;
            case Tcp.ResumeReading:
                _connection!.Tell(Api.ResumeReading.Instance, Self);
                break;
            case Tcp.SuspendReading:
                _connection!.Tell(Api.SuspendReading.Instance, Self);
                break;
            case Tcp.ResumeWriting:
                break;   // Akka.IO 1.5 is ack-based: ResumeWriting changes nothing and is not answered
            case Tcp.Command cmd:
                Sender.Tell(Translate.Failed(cmd, $"{cmd.GetType().Name} is not a connection command"), Self);
                break;
            case Api.GetStatus:
                _connection!.Forward(message);   // the stack's view of the connection (diagnostics)
                break;

            // from the stack's connection
            case Api.Received r:
                _handler?.Tell(new Tcp.Received(Translate.ToByteString(r.Data)), Self);
                break;
            case EngineWriteAck:
                OnWriteAcked();
                break;
            case Api.CommandFailed { Command: Api.Write } f:
                FailWrites(f.Cause);
                break;
            case Api.CommandFailed { Command: Api.Close or Api.ConfirmedClose } f:
                _closeCommander?.Tell(Translate.Failed(_closeCommand!, f.Cause), Self);
                _closeCommand = null;
                _closeCommander = null;
                _closeSent = false;
                break;
            case Api.PeerClosed when _closeCommand is not null:
                break;   // like Akka.IO: while closing, the peer's FIN is reported by Closed or ConfirmedClosed only
            case Api.PeerClosed:
                _handler?.Tell(Tcp.PeerClosed.Instance, Self);
                if (!_keepOpen)
                    FinishWith(Api.Detach.Instance);
                break;
            case Api.Closed:
                TellClosers(Tcp.Closed.Instance, _closeCommander);
                FinishWith(Api.Detach.Instance);
                break;
            case Api.ConfirmedClosed:
                TellClosers(Tcp.ConfirmedClosed.Instance, _closeCommander);
                FinishWith(Api.Detach.Instance);
                break;
            case Api.Aborted:
                TellClosers(Tcp.Aborted.Instance, _abortCommander);
                StopNow();   // the stack's connection has stopped
                break;
            case Api.ErrorClosed e:
                TellClosers(new Tcp.ErrorClosed(e.Cause), _closeCommander ?? _abortCommander);
                StopNow();
                break;
            case Terminated t when t.ActorRef.Equals(_connection):
                _handler?.Tell(new Tcp.ErrorClosed("the connection actor stopped"), Self);
                StopNow();
                break;
            case Terminated t when t.ActorRef.Equals(_handler):
                // Like Akka.IO: when the handler dies, the connection is aborted.
                _handler = null;
                FinishWith(Api.Abort.Instance);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRegister(Tcp.Register r)
    {
        if (_handler is not null && !_handler.Equals(r.Handler))
            Context.Unwatch(_handler);
        _handler = r.Handler;
        if (!_handler.Equals(Self))
            Context.Watch(_handler);
        if (!_registered || _keepOpen != r.KeepOpenOnPeerClosed)
            _connection!.Tell(new Api.Register(Self, r.KeepOpenOnPeerClosed), Self);
        _registered = true;
        _keepOpen = r.KeepOpenOnPeerClosed;
        Timers.Cancel(RegisterTimeout.Instance);
    }

    /// <summary>Closed, ConfirmedClosed, Aborted, ErrorClosed: to the handler and to whoever asked, if someone else.</summary>
    private void TellClosers(Tcp.ConnectionClosed e, IActorRef? commander)
    {
        _handler?.Tell(e, Self);
        if (commander is not null && !commander.Equals(_handler))
            commander.Tell(e, Self);
    }

    // ---------------------------------------------------------------- writes

    private void OnWrite(Tcp.WriteCommand cmd)
    {
        if (_closeCommand is not null || _abortCommander is not null)
        {
            Sender.Tell(Translate.Failed(cmd, $"the connection is closing ({(_closeCommand ?? (Tcp.Command)Tcp.Abort.Instance).GetType().Name} was sent): no more writes"), Self);
            return;
        }
        var parts = new List<Tcp.Write>();
        long bytes = 0;
        foreach (var part in cmd is Tcp.CompoundWrite cw ? (IEnumerable<Tcp.SimpleWriteCommand>)cw : [(Tcp.SimpleWriteCommand)cmd])
        {
            if (part is not Tcp.Write w)
            {
                Sender.Tell(Translate.Failed(cmd, $"{part.GetType().Name} is not supported: only Write"), Self);
                return;
            }
            parts.Add(w);
            bytes += w.Data.Count;
        }
        bool idle = _inFlight is null && _writes.Count == 0;
        if (!idle && _writes.Count + parts.Count > _settings.WriteCommandsQueueMaxSize)
        {
            Sender.Tell(Translate.Failed(cmd, $"write queue full: {_writes.Count} writes are queued and {parts.Count} more would exceed " +
                                              $"tcp-actors.akka-io.write-commands-queue-max-size = {_settings.WriteCommandsQueueMaxSize}: wait for acks"), Self);
            return;
        }
        if (!idle && _queuedBytes + bytes > _settings.WriteQueueMaxBytes)
        {
            Sender.Tell(Translate.Failed(cmd, $"write queue full: {_queuedBytes} bytes are queued and {bytes} more would exceed " +
                                              $"tcp-actors.akka-io.write-queue-max-bytes = {_settings.WriteQueueMaxBytes}: wait for acks"), Self);
            return;
        }
        foreach (var w in parts)
        {
            _writes.Enqueue(new QueuedWrite(w, cmd, Sender));
            _queuedBytes += w.Data.Count;
        }
        PumpWrites();
    }

    /// <summary>Hands the next queued write to the stack (one at a time); sends a waiting Close once all are buffered.</summary>
    private void PumpWrites()
    {
        while (_inFlight is null && _writes.TryDequeue(out var w))
        {
            _queuedBytes -= w.Write.Data.Count;
            if (w.Write.Data.IsEmpty)
            {
                Ack(w);
                continue;
            }
            _inFlight = w;
            _connection!.Tell(new Api.Write(Translate.ToMemory(w.Write.Data), EngineWriteAck.Instance), Self);
        }
        if (_inFlight is null && _closeCommand is not null && !_closeSent)
        {
            _closeSent = true;
            _connection!.Tell(_closeCommand is Tcp.ConfirmedClose ? Api.ConfirmedClose.Instance : Api.Close.Instance, Self);
        }
    }

    private void OnWriteAcked()
    {
        if (_inFlight is not { } w)
            return;
        _inFlight = null;
        Ack(w);
        PumpWrites();
    }

    private void Ack(QueuedWrite w)
    {
        if (w.Write.WantsAck)
            w.Writer.Tell(w.Write.Ack, Self);
    }

    /// <summary>The stack refused the write in flight (the connection is closing): it and every queued write fail, each command once.</summary>
    private void FailWrites(Exception cause)
    {
        var failed = new HashSet<Tcp.WriteCommand>(ReferenceEqualityComparer.Instance);
        if (_inFlight is { } f && failed.Add(f.Command))
            f.Writer.Tell(Translate.Failed(f.Command, cause), Self);
        _inFlight = null;
        while (_writes.TryDequeue(out var w))
        {
            if (failed.Add(w.Command))
                w.Writer.Tell(Translate.Failed(w.Command, cause), Self);
        }
        _queuedBytes = 0;
        PumpWrites();
    }

    // ---------------------------------------------------------------- closing

    private void OnClose(Tcp.CloseCommand c)
    {
        if (_closeCommand is not null || _abortCommander is not null)
        {
            Sender.Tell(Translate.Failed(c, $"the connection is already closing ({(_closeCommand ?? (Tcp.Command)Tcp.Abort.Instance).GetType().Name} was sent)"), Self);
            return;
        }
        _closeCommand = c;
        _closeCommander = Sender;
        PumpWrites();   // Close follows the queued writes
    }

    private void OnAbort()
    {
        if (_abortCommander is not null)
        {
            Sender.Tell(Translate.Failed(Tcp.Abort.Instance, "the connection is already aborting"), Self);
            return;
        }
        _abortCommander = Sender;
        _writes.Clear();   // ABORT drops what is queued; no acks follow
        _queuedBytes = 0;
        _inFlight = null;
        _connection!.Tell(Api.Abort.Instance, Self);
    }

    // ---------------------------------------------------------------- finishing

    /// <summary>
    /// The user has had its last event. Detach from the stack's connection (or abort it) and stop once it has answered
    /// or stopped; until then the stack's messages are dropped and the user's commands refused.
    /// </summary>
    private void FinishWith(Api.ITcpCommand last)
    {
        _phase = Phase.Finishing;
        _connection!.Tell(last, Self);
    }

    private void Finishing(object message)
    {
        switch (message)
        {
            case Api.Detached:
            case Api.Aborted:
            case Terminated t when t.ActorRef.Equals(_connection):
                StopNow();
                break;
            case Tcp.Command cmd:
                Sender.Tell(Translate.Failed(cmd, "the connection is closed"), Self);
                break;
            case Terminated:
            case Api.ITcpEvent:
            case EngineWriteAck:
            case RegisterTimeout:
            case ConnectTimeout:
                break;   // what the stack's connection sent before it saw Detach, and timers already due
            default:
                Unhandled(message);
                break;
        }
    }

    private void StopNow()
    {
        _stopping = true;
        Context.Stop(Self);
    }
}
