using Akka.Actor;
using Akka.IO;
using TcpActors.Engine.Wire;
using Api = TcpActors.Engine.Api;

namespace TcpActors.Engine.AkkaIo;

/// <summary>
/// Akka.IO's Tcp manager for one TcpActors stack: it takes Akka.IO's own <see cref="Tcp.Bind"/> and
/// <see cref="Tcp.Connect"/> and answers with Akka.IO's own events, so that an Akka.IO handler runs unchanged; the
/// only change is to send to this actor instead of <c>Context.System.Tcp()</c>. Each connection gets an adapter
/// (<see cref="AkkaIoConnection"/>, the Sender of Connected and of every event after it) between the user's handler
/// and the stack's connection actor; each listener a facade (<see cref="AkkaIoListener"/>, the Sender of Bound).
/// <para>
/// The manager is the handler of every listener it binds on the stack: accepted connections come here, are matched
/// to their listener by port and, in pull mode, wait for ResumeAccepting. An accepted connection whose listener has
/// gone is aborted. Because the manager lives as long as the stack, nothing the stack sends can land on a stopped
/// listener as a dead letter.
/// </para>
/// </summary>
public sealed class AkkaIoManager : UntypedActor
{
    private readonly TcpStack _stack;
    private readonly AkkaIoSettings _settings;
    private readonly Dictionary<ushort, ListenerEntry> _listeners = new();

    private sealed class ListenerEntry(Tcp.Bind bind, IActorRef commander, IActorRef facade, ushort port, Api.ConnectionOptions options)
    {
        public Tcp.Bind Bind { get; } = bind;
        public IActorRef Commander { get; } = commander;
        public IActorRef Facade { get; } = facade;
        public ushort Port { get; } = port;
        public Api.ConnectionOptions Options { get; } = options;
        public IActorRef? EngineListener { get; set; }
        public IActorRef? UnbindCommander { get; set; }
        public int Credit { get; set; }
        public Queue<(IActorRef Connection, Api.Connected Connected)> Waiting { get; } = new();
    }

    public AkkaIoManager(TcpStack stack, AkkaIoSettings settings)
    {
        _stack = stack;
        _settings = settings;
    }

    public static Props Props(TcpStack stack, AkkaIoSettings settings) =>
        Akka.Actor.Props.Create(() => new AkkaIoManager(stack, settings)).WithDispatcher(stack.Settings.Dispatcher);

    /// <summary>An adapter that throws is stopped (its PostStop aborts the stack's connection); the others go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Bind b:
                OnBind(b);
                break;
            case Tcp.Connect c:
                OnConnect(c);
                break;
            case Api.Bound b:
                OnEngineBound(b);
                break;
            case Api.CommandFailed { Command: Api.Bind bind } f:
                OnEngineBindFailed(bind, f.Cause);
                break;
            case Api.Connected c:
                OnAccepted(c);
                break;
            case Api.Unbound:
                OnEngineUnbound();
                break;
            case AkkaIoListener.FromUser u:
                OnListenerCommand(u.Port, u.Command);
                break;
            case Api.Aborted:
                break;   // an accepted connection we aborted (no listener left for it)
            case Tcp.Command cmd:
                Sender.Tell(Translate.Failed(cmd, $"{cmd.GetType().Name} goes to a connection or listener actor, not to the Tcp manager"));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnBind(Tcp.Bind b)
    {
        var options = Api.ConnectionOptions.Default;
        string? error = Translate.Local(b.LocalAddress, _stack.Address, out ushort port)
                        ?? (b.LocalAddress is null ? "Bind needs a local address" : null)
                        ?? (port == 0 ? "port 0 (an ephemeral port chosen by the stack) is not supported for Bind: name the port" : null)
                        ?? Translate.Options(b.Options, b.PullMode, out options);
        if (error is null && _listeners.ContainsKey(port))
            error = $"port {port} is already bound";
        if (error is not null)
        {
            Sender.Tell(Translate.Failed(b, error));
            return;
        }
        var facade = Context.ActorOf(AkkaIoListener.Props(port, _stack.Settings.Dispatcher));
        _listeners[port] = new ListenerEntry(b, Sender, facade, port, options);
        _stack.Manager.Tell(new Api.Bind(Self, port, b.Backlog > 0 ? b.Backlog : null, options), Self);
    }

    private void OnEngineBound(Api.Bound b)
    {
        if (!_listeners.TryGetValue(b.Port, out var l))
        {
            Sender.Tell(Api.Unbind.Instance);
            return;
        }
        l.EngineListener = Sender;
        var local = l.Bind.LocalAddress is System.Net.IPEndPoint ep ? ep.Address : _stack.Address.ToIPAddress();
        l.Commander.Tell(new Tcp.Bound(new System.Net.IPEndPoint(local, b.Port)), l.Facade);
    }

    private void OnEngineBindFailed(Api.Bind bind, Exception cause)
    {
        if (!_listeners.Remove(bind.Port, out var l))
            return;
        l.Commander.Tell(Translate.Failed(l.Bind, cause));
        Context.Stop(l.Facade);
    }

    /// <summary>Unbind and ResumeAccepting, sent by the user to the listener facade.</summary>
    private void OnListenerCommand(ushort port, object command)
    {
        if (!_listeners.TryGetValue(port, out var l) || l.UnbindCommander is not null || l.EngineListener is null)
        {
            if (command is Tcp.Command c)
                Sender.Tell(Translate.Failed(c, l?.UnbindCommander is not null ? "the listener is unbinding" : "the listener is not bound"));
            return;
        }
        switch (command)
        {
            case Tcp.Unbind:
                l.UnbindCommander = Sender;
                l.EngineListener.Tell(Api.Unbind.Instance, Self);
                break;
            case Tcp.ResumeAccepting r:
                if (r.BatchSize < 1)
                {
                    Sender.Tell(Translate.Failed(r, $"batch size {r.BatchSize} must be at least 1"));
                    return;
                }
                l.Credit += r.BatchSize;
                while (l.Credit > 0 && l.Waiting.TryDequeue(out var w))
                {
                    l.Credit--;
                    Accept(l, w.Connection, w.Connected);
                }
                break;
            case Tcp.Command c:
                Sender.Tell(Translate.Failed(c, $"{c.GetType().Name} is not a listener command (Unbind, ResumeAccepting)"));
                break;
        }
    }

    private void OnEngineUnbound()
    {
        var l = _listeners.Values.FirstOrDefault(e => Sender.Equals(e.EngineListener));
        if (l is null)
            return;
        _listeners.Remove(l.Port);
        // Accepted by the stack but never handed to the user (pull mode): like closing a listening socket, reset them.
        while (l.Waiting.TryDequeue(out var w))
            w.Connection.Tell(Api.Abort.Instance, Self);
        l.UnbindCommander!.Tell(Tcp.Unbound.Instance, l.Facade);
        Context.Stop(l.Facade);
    }

    /// <summary>A connection reached ESTABLISHED on one of our listeners (Sender is the stack's connection actor).</summary>
    private void OnAccepted(Api.Connected c)
    {
        if (!_listeners.TryGetValue(c.LocalPort, out var l) || l.UnbindCommander is not null)
        {
            Sender.Tell(Api.Abort.Instance, Self);
            return;
        }
        if (l.Bind.PullMode)
        {
            if (l.Credit == 0)
            {
                l.Waiting.Enqueue((Sender, c));
                return;
            }
            l.Credit--;
        }
        Accept(l, Sender, c);
    }

    private void Accept(ListenerEntry l, IActorRef connection, Api.Connected c) =>
        Context.ActorOf(AkkaIoConnection.PropsIncoming(_stack, _settings, connection, c, l.Bind.Handler));

    private void OnConnect(Tcp.Connect c)
    {
        var options = Api.ConnectionOptions.Default;
        ushort localPort = 0;
        string? error = Translate.Remote(c.RemoteAddress, out var remote, out ushort remotePort)
                        ?? Translate.Local(c.LocalAddress, _stack.Address, out localPort)
                        ?? Translate.Options(c.Options, c.PullMode, out options);
        if (error is null && c.Timeout is { } t && t <= TimeSpan.Zero)
            error = $"connect timeout {t} must be positive";
        if (error is not null)
        {
            Sender.Tell(Translate.Failed(c, error));
            return;
        }
        var engineConnect = new Api.Connect(remote, remotePort, localPort == 0 ? null : localPort, options);
        Context.ActorOf(AkkaIoConnection.PropsOutgoing(_stack, _settings, c, engineConnect, Sender));
    }
}
