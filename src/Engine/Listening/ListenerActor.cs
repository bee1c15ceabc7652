using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Connection;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Listening;

/// <summary>
/// LISTEN (RFC 9293 3.10.7.2) for one bound port: answers segments that belong to no connection, creates a
/// connection actor for each acceptable SYN and supervises it, and enforces the backlog (SYN queue and accept
/// queue; on overflow the SYN is dropped and counted). Unbind stops accepting; accepted connections go on.
/// </summary>
internal sealed class ListenerActor : UntypedActor
{
    private readonly StackContext _stack;
    private readonly Bind _bind;
    private readonly IActorRef _commander;
    private readonly Backlog _backlog;
    /// <summary>Connections not yet accepted by the application (segments may still reach them through us, and the backlog counts them).</summary>
    private readonly Dictionary<FourTuple, IActorRef> _children = new();
    /// <summary>Connections alive (our children), accepted or not: after Unbind we stop when the last is gone.</summary>
    private int _live;
    private bool _unbound;

    public ListenerActor(StackContext stack, Bind bind, IActorRef commander)
    {
        _stack = stack;
        _bind = bind;
        _commander = commander;
        _backlog = new Backlog(stack.Settings.SynQueue, bind.Backlog ?? stack.Settings.AcceptQueue);
    }

    public static Props Props(StackContext stack, Bind bind, IActorRef commander) =>
        Akka.Actor.Props.Create(() => new ListenerActor(stack, bind, commander)).WithDispatcher(stack.Settings.Dispatcher);

    protected override void PreStart() => _commander.Tell(new Bound(_stack.LocalAddress, _bind.Port), Self);

    /// <summary>A listener stopped from outside (the stack restarted after a link failure) tells its handler it is unbound.</summary>
    protected override void PostStop()
    {
        if (!_unbound)
            _commander.Tell(Unbound.Instance, Self);
    }

    /// <summary>
    /// A connection that throws is stopped (its PostStop resets the peer, tells its application and tells us
    /// <see cref="ConnectionGone"/>); the rest go on. A connection whose constructor threw has no PostStop: it is forgotten here.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException { Actor: { } child, InnerException: ConnectionNotCreatedException })
        {
            foreach (var (tuple, connection) in _children.Where(kv => kv.Value.Equals(child)).ToList())
            {
                _stack.Io.Tell(new ConnectionGone(tuple), connection);
                Forget(tuple, connection);
            }
        }
        return Directive.Stop;
    });

    /// <summary>A connection of ours stopped: it leaves the table and the backlog if it was not yet accepted.</summary>
    private void Forget(FourTuple tuple, IActorRef connection)
    {
        _live--;
        if (_children.TryGetValue(tuple, out var current) && current.Equals(connection))
        {
            _children.Remove(tuple);
            _backlog.Gone(tuple);
        }
        if (_unbound && _live == 0)
            Context.Stop(Self);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                if (_children.TryGetValue(m.Tuple, out var child))
                {
                    child.Forward(m);   // the connection releases its buffer
                }
                else
                {
                    Listen(m);
                    m.Release();
                }
                break;
            case ConnectionEstablished e:
                _backlog.Established(e.Tuple);
                break;
            case ConnectionAccepted a:
                _backlog.Accepted(a.Tuple);
                // Segments go straight to it from the I/O actor now (any sent through us before are ahead in our mailbox).
                if (_children.TryGetValue(a.Tuple, out var accepted) && accepted.Equals(Sender))
                    _children.Remove(a.Tuple);
                break;
            case ConnectionGone g:
                Forget(g.Tuple, Sender);
                break;
            case Unbind:
                _unbound = true;
                _stack.Io.Tell(new ListenerUnbound(_bind.Port));
                Sender.Tell(Unbound.Instance);
                if (_live == 0)
                    Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>SEGMENT ARRIVES in LISTEN (RFC 9293 3.10.7.2).</summary>
    private void Listen(SegmentArrived m)
    {
        var seg = m.Segment;
        var counters = _stack.Counters;
        // first: an incoming RST is ignored
        if (seg.Rst)
        {
            counters.Add(TcpCounter.SegmentsDiscarded);
            return;
        }
        // second: any ACK is bad: <SEQ=SEG.ACK><CTL=RST>
        if (seg.Ack)
        {
            SendReset(m.Tuple, seg);
            return;
        }
        // third: SYN
        if (!seg.Syn || _unbound)
        {
            counters.Add(TcpCounter.SegmentsDiscarded);
            return;
        }
        if (seg.Fin)
        {
            counters.Add(TcpCounter.SegmentsDiscarded);   // SYN+FIN: dropped, like Linux
            return;
        }
        if (!_backlog.TryAdmit(m.Tuple))
        {
            counters.Add(TcpCounter.ListenOverflows);
            counters.Add(TcpCounter.ListenDrops);
            return;
        }
        if (m.Payload.Length > 0)
            counters.Add(TcpCounter.SynDataDiscarded);
        var p = new ConnectionParams(_stack, m.Tuple, _bind.Options ?? ConnectionOptions.Default, null, null, Self, _bind.Handler, seg, m.Ecn);
        var connection = Context.ActorOf(ConnectionActor.Props(p));
        _children[m.Tuple] = connection;   // not watched: it tells us ConnectionGone as it stops
        _live++;
        _stack.Io.Tell(new ConnectionCreated(m.Tuple, connection));
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
}
