using System.Buffers;
using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;
using TcpActors.Engine.Connection;
using TcpActors.Engine.Link;
using TcpActors.Engine.Listening;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// The I/O actor: owns the link, validates every arriving packet with the codec (counting every drop by
/// reason), answers ICMP echo, and demultiplexes TCP segments by 4-tuple to the connection that owns it,
/// else to the listener of the port, else answers with a RST (RFC 9293 3.10.7.1). Connections and listeners
/// hand it the packets they send. It is also the stack's manager: Bind and Connect go to it.
/// </summary>
internal sealed class IoActor : UntypedActor
{
    private readonly Func<ILink> _linkFactory;
    private ILink _link = null!;
    private readonly StackContext _stack;
    private readonly EphemeralPorts _ports;
    private readonly Dictionary<FourTuple, IActorRef> _connections = new();
    private readonly Dictionary<ushort, IActorRef> _listeners = new();
    private readonly Dictionary<IActorRef, ushort> _portOf = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();

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
        _link.Start(new Receiver(Self, _stack.Counters));
    }

    protected override void PostStop() => _link?.Dispose();

    /// <summary>
    /// A connection or listener that throws is stopped; its PostStop resets the peer (and tells us <see cref="ConnectionGone"/>).
    /// Nothing else is touched. A connection that could not be made has no PostStop: its entry goes here.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException { Actor: { } child, InnerException: ConnectionNotCreatedException })
            foreach (var (tuple, connection) in _connections.Where(kv => kv.Value.Equals(child)).ToList())
                Forget(tuple, connection);
        return Directive.Stop;
    });

    /// <summary>The connection of <paramref name="tuple"/> stopped: its entry goes, if it is still that connection's.</summary>
    private void Forget(FourTuple tuple, IActorRef connection)
    {
        if (_connections.TryGetValue(tuple, out var current) && current.Equals(connection))
        {
            _connections.Remove(tuple);
            _inTimeWait.Remove(tuple);
        }
        if (_shutdownReplyTo is not null && _connections.Count == 0)
            FinishShutdown();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PacketArrived p:
                try
                {
                    OnPacket(p.Buffer.AsSpan(0, p.Length));
                }
                finally
                {
                    PacketBuffers.Return(_stack.Counters, p.Buffer);
                }
                break;
            case SendPacket s:
                _link.Send(s.Buffer.AsSpan(0, s.Length));
                _stack.Counters.Add(TcpCounter.PacketsOut);
                PacketBuffers.Return(_stack.Counters, s.Buffer);
                break;
            case ConnectionCreated c:
                _connections[c.Tuple] = c.Connection;
                break;
            case ConnectionGone g:
                Forget(g.Tuple, Sender);
                break;
            case Terminated t:
                if (_portOf.Remove(t.ActorRef, out var port))
                    _listeners.Remove(port);
                if (_shutdownReplyTo is not null && _connections.Count == 0)
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
                Sender.Tell(new TableSize(_connections.Count, _listeners.Count));
                break;
            case ConnectionInTimeWait tw:
                _inTimeWait.Add(tw.Tuple);
                if (_shutdownReplyTo is not null && _inTimeWait.Count >= _connections.Count)
                    OnShutdownDeadline();
                break;
            case ListConnections:
                Sender.Tell(new ConnectionList(_connections.Select(kv => (kv.Key, kv.Value)).ToList()));
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

    private void OnPacket(ReadOnlySpan<byte> packet)
    {
        var counters = _stack.Counters;
        counters.Add(TcpCounter.PacketsIn);
        var reason = Ipv4Packet.TryParse(packet, out var ip);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        if (ip.Destination != _stack.LocalAddress)
        {
            counters.Add(TcpCounter.NotForUs);
            return;
        }
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp:
                OnTcp(packet, ip);
                break;
            case IpProtocol.Icmp:
                OnIcmp(packet, ip);
                break;
            default:
                Drop(DropReason.UnsupportedProtocol);
                break;
        }
    }

    private void Drop(DropReason reason)
    {
        _stack.Counters.Drop(reason);
        if (_log.IsDebugEnabled)
            _log.Debug("dropped a packet: {0}", reason);
    }

    private void OnIcmp(ReadOnlySpan<byte> packet, in Ipv4Packet ip)
    {
        var reason = Icmpv4Message.TryParse(packet, ip, out var icmp);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        _stack.Counters.Add(TcpCounter.IcmpIn);
        if (icmp.Type != IcmpType.EchoRequest)
        {
            Drop(DropReason.UnsupportedIcmp);
            return;
        }
        byte[] reply = ArrayPool<byte>.Shared.Rent(ip.TotalLength);
        int n = Icmpv4Message.WriteEchoReply(packet, ip, reply);
        if (n > 0)
        {
            _link.Send(reply.AsSpan(0, n));
            _stack.Counters.Add(TcpCounter.IcmpEchoReplies);
            _stack.Counters.Add(TcpCounter.PacketsOut);
        }
        ArrayPool<byte>.Shared.Return(reply);
    }

    private void OnTcp(ReadOnlySpan<byte> packet, in Ipv4Packet ip)
    {
        var reason = TcpSegment.TryParse(packet, ip, out var seg);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        _stack.Counters.Add(TcpCounter.InSegs);
        var tuple = FourTuple.OfArriving(ip, seg);
        ReadOnlyMemory<byte> payload = seg.PayloadLength == 0
            ? ReadOnlyMemory<byte>.Empty
            : ip.Payload(packet).Slice(seg.PayloadOffset, seg.PayloadLength).ToArray();
        if (_connections.TryGetValue(tuple, out var connection))
        {
            connection.Tell(new SegmentArrived(tuple, seg, payload, ip.Ecn));
            return;
        }
        if (_listeners.TryGetValue(tuple.LocalPort, out var listener) || _listeners.TryGetValue(0, out listener))
        {
            listener.Tell(new SegmentArrived(tuple, seg, payload, ip.Ecn));
            return;
        }
        // CLOSED (RFC 9293 3.10.7.1): no connection and no listener: RST unless the segment is a RST.
        _stack.Counters.Add(TcpCounter.NoPort);
        SendReset(tuple, seg);
    }

    private void SendReset(in FourTuple tuple, in TcpSegment seg)
    {
        Span<byte> rst = stackalloc byte[Resets.MaxLength];
        int n = Resets.WriteReply(tuple, seg, rst);
        if (n == 0)
            return;
        _link.Send(rst[..n]);
        _stack.Counters.Add(TcpCounter.OutRsts);
        _stack.Counters.Add(TcpCounter.OutSegs);
        _stack.Counters.Add(TcpCounter.PacketsOut);
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
        _shutdownClosing = _connections.Count;
        foreach (var connection in _connections.Values)
            connection.Tell(Close.Instance);
        if (_connections.Count == _inTimeWait.Count)
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
        foreach (var (tuple, connection) in _connections)
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
            if (port == 0 || _connections.ContainsKey(new FourTuple(_stack.LocalAddress, port, c.RemoteAddress, c.RemotePort)))
            {
                Sender.Tell(new CommandFailed(c, new TcpException($"local port {port} is in use for {c.RemoteAddress}:{c.RemotePort}")));
                return;
            }
        }
        else if (!_ports.TryAllocate(_stack.LocalAddress, c.RemoteAddress, c.RemotePort,
                     p => _connections.ContainsKey(new FourTuple(_stack.LocalAddress, p, c.RemoteAddress, c.RemotePort)), out port))
        {
            Sender.Tell(new CommandFailed(c, new TcpException($"no ephemeral port is free for {c.RemoteAddress}:{c.RemotePort}")));
            return;
        }
        var tuple = new FourTuple(_stack.LocalAddress, port, c.RemoteAddress, c.RemotePort);
        var p = new ConnectionParams(_stack, tuple, c.Options ?? ConnectionOptions.Default, Sender, c, null, null, null);
        var connection = Context.ActorOf(ConnectionActor.Props(p));
        _connections[tuple] = connection;   // not watched: it tells us ConnectionGone as it stops
    }

    /// <summary>Runs on the link's thread: copies the packet off the link's buffer and hands it to the actor.</summary>
    private sealed class Receiver(IActorRef io, TcpCounters counters) : ILinkReceiver
    {
        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            byte[] copy = PacketBuffers.Rent(counters, packet.Length);
            packet.CopyTo(copy);
            io.Tell(new PacketArrived(copy, packet.Length));
        }

        public void OnLinkFailed(Exception cause) => io.Tell(new LinkFailed(cause));
    }
}

/// <summary>The link under the I/O actor failed.</summary>
public sealed class LinkFailureException(Exception cause) : Exception($"link failed: {cause.Message}", cause);

/// <summary>From a listener to the I/O actor: stop sending new segments for this port to me.</summary>
internal sealed record ListenerUnbound(ushort Port);
