using System.Net;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;

namespace TcpActors.Engine.Streams;

/// <summary>
/// Passive OPEN for code outside actors: a port of the stack whose connections are taken with <see cref="AcceptAsync"/>.
/// Established connections wait for the application in a queue of <c>backlog</c> entries (each already reading into its
/// input pipe up to the pause threshold); a connection that finds the queue full is reset. Disposing unbinds the port;
/// connections not yet accepted are reset, accepted ones go on (their adapters are children of the listener's actor,
/// which stops after the last of them).
/// </summary>
public sealed class TcpActorsListener : IAsyncDisposable
{
    private readonly Channel<TcpActorsConnection> _accepted;
    private readonly IActorRef _actor;
    private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private TcpActorsListener(TcpStack stack, ushort port, int backlog, IActorRef actor, Channel<TcpActorsConnection> accepted)
    {
        _actor = actor;
        _accepted = accepted;
        LocalEndPoint = new IPEndPoint(stack.Address.ToIPAddress(), port);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Binds <paramref name="port"/> of <paramref name="stack"/>. Fails with <see cref="TcpActorsConnectionException"/>
    /// when the stack refuses (the port is taken).
    /// </summary>
    public static async Task<TcpActorsListener> BindAsync(TcpStack stack, ushort port, int backlog = 128, TcpActorsStreamOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        if (port == 0)
            throw new ArgumentOutOfRangeException(nameof(port), "name the port to listen on");
        options ??= TcpActorsStreamOptions.Default;
        options.Validate();
        var accepted = Channel.CreateBounded<TcpActorsConnection>(new BoundedChannelOptions(backlog)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var bound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TcpActorsListener? listener = null;
        var actor = stack.System.ActorOf(Props.Create(() => new ListenerAdapter(stack, port, backlog, options, accepted.Writer, bound, () => listener))
            .WithDispatcher(stack.Settings.Dispatcher));
        listener = new TcpActorsListener(stack, port, backlog, actor, accepted);
        try
        {
            await bound.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return listener;
    }

    /// <summary>
    /// The next established connection. Throws <see cref="ObjectDisposedException"/> once the listener is stopped
    /// (disposed, or unbound by the stack after a restart), <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public async ValueTask<TcpActorsConnection> AcceptAsync(CancellationToken cancellationToken = default) =>
        await TryAcceptAsync(cancellationToken).ConfigureAwait(false)
        ?? throw new ObjectDisposedException(nameof(TcpActorsListener), $"the listener on {LocalEndPoint} is stopped");

    /// <summary>Like <see cref="AcceptAsync"/>, but null once the listener is stopped.</summary>
    public async ValueTask<TcpActorsConnection?> TryAcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_accepted.Reader.TryRead(out var c))
                return c;
        }
        return null;
    }

    /// <summary>Completes when the port is unbound (after <see cref="DisposeAsync"/>, or when the stack unbound it).</summary>
    public Task Unbound => _unbound.Task;

    internal void OnUnbound() => _unbound.TrySetResult();

    /// <summary>Unbinds the port and waits for the stack to confirm (at most 5 s); connections not yet accepted are reset.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _unbound.Task.ConfigureAwait(false);
            return;
        }
        _actor.Tell(ListenerAdapter.Stop.Instance, ActorRefs.NoSender);
        await _unbound.Task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>The stack's Bind handler: makes a <see cref="TcpActorsConnection"/> and its adapter for each connection.</summary>
    private sealed class ListenerAdapter : UntypedActor
    {
        internal sealed class Stop : IDeadLetterSuppression
        {
            public static readonly Stop Instance = new();
        }

        private readonly TcpStack _stack;
        private readonly ushort _port;
        private readonly int _backlog;
        private readonly TcpActorsStreamOptions _options;
        private readonly ChannelWriter<TcpActorsConnection> _accepted;
        private readonly TaskCompletionSource _bound;
        private readonly Func<TcpActorsListener?> _listener;
        private IActorRef? _engineListener;
        private bool _stopping;
        private bool _unbound;

        /// <summary>An adapter that throws is stopped (it aborts its connection); the others go on.</summary>
        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

        public ListenerAdapter(TcpStack stack, ushort port, int backlog, TcpActorsStreamOptions options, ChannelWriter<TcpActorsConnection> accepted,
            TaskCompletionSource bound, Func<TcpActorsListener?> listener)
        {
            _stack = stack;
            _port = port;
            _backlog = backlog;
            _options = options;
            _accepted = accepted;
            _bound = bound;
            _listener = listener;
        }

        protected override void PreStart() => _stack.Manager.Tell(new Bind(Self, _port, _backlog, _options.ConnectionOptions), Self);

        protected override void PostStop()
        {
            _accepted.TryComplete();
            _bound.TrySetException(new TcpActorsConnectionException($"the listener on port {_port} stopped before it was bound"));
            _listener()?.OnUnbound();
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Bound:
                    _engineListener = Sender;
                    if (_stopping)
                        _engineListener.Tell(Unbind.Instance, Self);
                    else
                        _bound.TrySetResult();
                    break;
                case CommandFailed { Command: Bind } f:
                    _bound.TrySetException(new TcpActorsConnectionException($"bind of port {_port} failed: {f.Cause.Message}", f.Cause));
                    Context.Stop(Self);
                    break;
                case Connected c:
                    if (_stopping)
                    {
                        Sender.Tell(Api.Abort.Instance, Self);
                        break;
                    }
                    var conn = new TcpActorsConnection(c.Tuple, _options);
                    conn.Adapter = Context.ActorOf(ConnectionAdapter.PropsIncoming(_stack, _options, Sender, conn));
                    Context.Watch(conn.Adapter);
                    if (!_accepted.TryWrite(conn))
                    {
                        Context.GetLogger().Warning("port {0}: {1} connections wait to be accepted; resetting {2}", _port, _backlog, conn);
                        conn.Abort("the accept queue is full");
                    }
                    break;
                case Stop:
                    _stopping = true;
                    _accepted.TryComplete();
                    while (TryDrain(out var waiting))
                        waiting.Abort("the listener stopped before the connection was accepted");
                    if (_engineListener is not null)
                        _engineListener.Tell(Unbind.Instance, Self);
                    else if (_bound.Task.IsCompleted)
                        Context.Stop(Self);
                    break;
                case Api.Unbound:
                    // The port is free; the accepted connections (children) go on, and this actor with them.
                    _unbound = true;
                    _accepted.TryComplete();
                    _listener()?.OnUnbound();
                    if (!Context.GetChildren().Any())
                        Context.Stop(Self);
                    break;
                case Terminated:
                    if (_unbound && !Context.GetChildren().Any())
                        Context.Stop(Self);
                    break;
                case Aborted:
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        private bool TryDrain(out TcpActorsConnection waiting)
        {
            waiting = null!;
            var listener = _listener();
            return listener is not null && listener._accepted.Reader.TryRead(out waiting!);
        }
    }
}
