using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;
using TcpActors.Engine.Connection;
using TcpActors.Engine.Link;
using TcpActors.Engine.Listening;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// The I/O actor: owns the link and the tables. The link's thread validates and demultiplexes arriving packets
/// (<see cref="Demultiplexer"/>) with the 4-tuple table this actor publishes (<see cref="ConnectionTable"/>);
/// segments for no known connection come here and go to the listener of the port, else are answered with a RST
/// (RFC 9293 3.10.7.1). Connections and listeners send on the link themselves (<see cref="LinkPort"/>), which this
/// actor attaches when it starts and detaches when it stops. It is also the stack's manager: Bind and Connect go to it.
/// </summary>
internal sealed class IoActor : UntypedActor
{
    private readonly Func<ILink> _linkFactory;
    private ILink _link = null!;
    private readonly StackContext _stack;
    private readonly EphemeralPorts _ports;
    /// <summary>The connections by 4-tuple: the table the link's thread demultiplexes with (only this actor writes it).</summary>
    private ConnectionTable Connections => _stack.Connections;
    private readonly Dictionary<ushort, IActorRef> _listeners = new();
    private readonly Dictionary<IActorRef, ushort> _portOf = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>Not a child: the tests and the packetdrill runner take the I/O actor's children for connections and listeners.</summary>
    private IActorRef? _deadLetters;

    public IoActor(Func<ILink> linkFactory, Func<IActorRef, StackContext> context)
    {
        _linkFactory = linkFactory;
        _stack = context(Self);
        var s = _stack.Settings;
        _ports = new EphemeralPorts(s.EphemeralMin, s.EphemeralMax);
    }

    /// <summary>The link is made by <paramref name="linkFactory"/> when the actor starts, and again after each restart.</summary>
    public static Props Props(Func<ILink> linkFactory, Func<IActorRef, StackContext> context, string dispatcher) =>
        Akka.Actor.Props.Create(() => new IoActor(linkFactory, context)).WithDispatcher(dispatcher);

    protected override void PreStart()
    {
        _link = _linkFactory();
        _stack.Link.Attach(_link);
#pragma warning disable AK1008 // deliberately not a child: see _deadLetters
        _deadLetters = Context.System.ActorOf(DeadLetterReleaser.Props());
#pragma warning restore AK1008
        Context.System.EventStream.Subscribe(_deadLetters, typeof(AllDeadLetters));   // now: no dead letter is missed
        _link.Start(new Demultiplexer(_stack, Self, _log));
    }

    protected override void PostStop()
    {
        if (_deadLetters is not null)
        {
            Context.System.EventStream.Unsubscribe(_deadLetters);
            Context.System.Stop(_deadLetters);
        }
        _stack.Link.Detach();
        _link?.Dispose();
    }

    /// <summary>
    /// A connection or listener that throws is stopped; its PostStop resets the peer (and tells us <see cref="ConnectionGone"/>).
    /// Nothing else is touched. A connection that could not be made has no PostStop: its entry goes here.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException { Actor: { } child, InnerException: ConnectionNotCreatedException })
            foreach (var (tuple, connection) in Connections.Entries.Where(kv => kv.Value.Equals(child)).ToList())
                Forget(tuple, connection);
        return Directive.Stop;
    });

    /// <summary>The connection of <paramref name="tuple"/> stopped: its entry goes, if it is still that connection's.</summary>
    private void Forget(FourTuple tuple, IActorRef connection)
    {
        if (Connections.Withdraw(tuple, connection))
            _inTimeWait.Remove(tuple);
        if (_shutdownReplyTo is not null && Connections.Count == 0)
            FinishShutdown();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                OnSegment(m);
                break;
            case ConnectionCreated c:
                AddConnection(c.Tuple, c.Connection);
                break;
            case ConnectionGone g:
                Forget(g.Tuple, Sender);
                break;
            case Terminated t:
                if (_portOf.Remove(t.ActorRef, out var port))
                    _listeners.Remove(port);
                if (_shutdownReplyTo is not null && Connections.Count == 0)
                    FinishShutdown();
                break;
            case ListenerUnbound u:
                if (_listeners.TryGetValue(u.Port, out var l) && l.Equals(Sender))
                    _listeners.Remove(u.Port);
                break;
            case Bind b:
                OnBind(b);
                break;
            case Connect c:
                OnConnect(c);
                break;
            case GetTableSize:
                Sender.Tell(new TableSize(Connections.Count, _listeners.Count));
                break;
            case ConnectionInTimeWait tw:
                _inTimeWait.Add(tw.Tuple);
                if (_shutdownReplyTo is not null && _inTimeWait.Count >= Connections.Count)
                    OnShutdownDeadline();
                break;
            case ListConnections:
                Sender.Tell(new ConnectionList(Connections.Entries.Select(kv => (kv.Key, kv.Value)).ToList()));
                break;
            case Shutdown s:
                OnShutdown(s);
                break;
            case ShutdownDeadline:
                OnShutdownDeadline();
                break;
            case ITcpEvent:
                break;   // replies of connections to the Close/Abort of a shutdown
            case LinkFailed f:
                _log.Error(f.Cause, "link failed");
                throw new LinkFailureException(f.Cause);
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// A validated segment that the link's thread found no connection for: a connection created since (or still
    /// being created) gets it, else the listener of the port, else it is answered with a RST (RFC 9293 3.10.7.1).
    /// </summary>
    private void OnSegment(SegmentArrived m)
    {
        var tuple = m.Tuple;
        if (Connections.TryGet(tuple, out var connection))
        {
            connection.Tell(m);
            return;
        }
        if (_listeners.TryGetValue(tuple.LocalPort, out var listener) || _listeners.TryGetValue(0, out listener))
        {
            listener.Tell(m);
            return;
        }
        // CLOSED (RFC 9293 3.10.7.1): no connection and no listener: RST unless the segment is a RST.
        _stack.Counters.Add(TcpCounter.NoPort);
        SendReset(tuple, m.Segment);
        m.Release();
    }

    private void SendReset(in FourTuple tuple, in TcpSegment seg)
    {
        Span<byte> rst = stackalloc byte[Resets.MaxLength];
        int n = Resets.WriteReply(tuple, seg, rst);
        if (n == 0)
            return;
        _stack.Counters.Add(TcpCounter.OutRsts);
        _stack.Counters.Add(TcpCounter.OutSegs);
        _stack.Link.Send(rst[..n]);
    }

    private readonly HashSet<FourTuple> _inTimeWait = new();
    private IActorRef? _shutdownReplyTo;
    private int _shutdownClosing;
    private int _shutdownReset;
    private ICancelable? _shutdownDeadline;

    /// <summary>
    /// Graceful stop: stop accepting (listeners unbind), CLOSE every connection (FIN after its queued data),
    /// and at the deadline ABORT (RST) whatever has not finished. TIME-WAIT entries are dropped then without a RST.
    /// </summary>
    private void OnShutdown(Shutdown s)
    {
        if (_shutdownReplyTo is not null)
        {
            Sender.Tell(new CommandFailed(s, new TcpException("a shutdown is already under way")));
            return;
        }
        _shutdownReplyTo = Sender;
        foreach (var listener in _listeners.Values.ToList())
            listener.Tell(Unbind.Instance);
        _listeners.Clear();
        _shutdownClosing = Connections.Count;
        foreach (var (_, connection) in Connections.Entries.ToList())
            connection.Tell(Close.Instance);
        if (Connections.Count == _inTimeWait.Count)
        {
            OnShutdownDeadline();
            return;
        }
        _shutdownDeadline = Context.System.Scheduler.ScheduleTellOnceCancelable(s.Grace, Self, ShutdownDeadline.Instance, Self);
    }

    private void OnShutdownDeadline()
    {
        if (_shutdownReplyTo is null)
            return;
        foreach (var (tuple, connection) in Connections.Entries.ToList())
        {
            connection.Tell(Abort.Instance);   // RST, except in TIME-WAIT (which has nothing left to say)
            if (!_inTimeWait.Contains(tuple))
                _shutdownReset++;
        }
        FinishShutdown();
    }

    private void FinishShutdown()
    {
        _shutdownDeadline?.Cancel();
        _shutdownReplyTo?.Tell(new ShutdownComplete(_shutdownClosing - _shutdownReset, _shutdownReset));
        _shutdownReplyTo = null;
    }

    private void OnBind(Bind b)
    {
        if (_shutdownReplyTo is not null)
        {
            Sender.Tell(new CommandFailed(b, new TcpException("the stack is shutting down")));
            return;
        }
        if (_listeners.ContainsKey(b.Port))
        {
            Sender.Tell(new CommandFailed(b, new TcpException($"port {b.Port} is already bound")));
            return;
        }
        var listener = Context.ActorOf(ListenerActor.Props(_stack, b, Sender));
        _listeners[b.Port] = listener;
        _portOf[listener] = b.Port;
        Context.Watch(listener);
    }

    private void OnConnect(Connect c)
    {
        if (_shutdownReplyTo is not null)
        {
            Sender.Tell(new CommandFailed(c, new TcpException("the stack is shutting down")));
            return;
        }
        if (c.RemotePort == 0 || c.RemoteAddress.IsInvalidSource)
        {
            Sender.Tell(new CommandFailed(c, new TcpException($"cannot connect to {c.RemoteAddress}:{c.RemotePort}")));
            return;
        }
        ushort port;
        if (c.LocalPort is ushort requested)
        {
            port = requested;
            if (port == 0 || Connections.Contains(new FourTuple(_stack.LocalAddress, port, c.RemoteAddress, c.RemotePort)))
            {
                Sender.Tell(new CommandFailed(c, new TcpException($"local port {port} is in use for {c.RemoteAddress}:{c.RemotePort}")));
                return;
            }
        }
        else if (!_ports.TryAllocate(_stack.LocalAddress, c.RemoteAddress, c.RemotePort,
                     p => Connections.Contains(new FourTuple(_stack.LocalAddress, p, c.RemoteAddress, c.RemotePort)), out port))
        {
            Sender.Tell(new CommandFailed(c, new TcpException($"no ephemeral port is free for {c.RemoteAddress}:{c.RemotePort}")));
            return;
        }
        var tuple = new FourTuple(_stack.LocalAddress, port, c.RemoteAddress, c.RemotePort);
        var p = new ConnectionParams(_stack, tuple, c.Options ?? ConnectionOptions.Default, Sender, c, null, null, null);
        AddConnection(tuple, Context.ActorOf(ConnectionActor.Props(p)));
    }

    /// <summary>A connection owns its tuple from now on: the link's thread hands it its segments directly.</summary>
    /// <summary>Not watched: the connection tells us <see cref="ConnectionGone"/> as it stops (see <see cref="Forget"/>).</summary>
    private void AddConnection(in FourTuple tuple, IActorRef connection)
    {
        Connections.Publish(tuple, connection);
    }
}

/// <summary>The link under the I/O actor failed.</summary>
public sealed class LinkFailureException(Exception cause) : Exception($"link failed: {cause.Message}", cause);

/// <summary>From a listener to the I/O actor: stop sending new segments for this port to me.</summary>
internal sealed record ListenerUnbound(ushort Port);
