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
    private readonly Dictionary<FourTuple, IActorRef> _children = new();
    private readonly Dictionary<IActorRef, FourTuple> _tupleOf = new();
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

    /// <summary>A connection that throws is stopped (its PostStop resets the peer and tells its application); the rest go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

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
                break;
            case Terminated t:
                if (_tupleOf.Remove(t.ActorRef, out var tuple))
                {
                    _children.Remove(tuple);
                    _backlog.Gone(tuple);
                }
                if (_unbound && _children.Count == 0)
                    Context.Stop(Self);
                break;
            case Unbind:
                _unbound = true;
                _stack.Io.Tell(new ListenerUnbound(_bind.Port));
                Sender.Tell(Unbound.Instance);
                if (_children.Count == 0)
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
        var p = new ConnectionParams(_stack, m.Tuple, _bind.Options ?? ConnectionOptions.Default, null, null, Self, _bind.Handler, seg);
        var connection = Context.ActorOf(ConnectionActor.Props(p));
        _children[m.Tuple] = connection;
        _tupleOf[connection] = m.Tuple;
        Context.Watch(connection);
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
