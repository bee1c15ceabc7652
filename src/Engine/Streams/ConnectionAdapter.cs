using System.Buffers;
using System.IO.Pipelines;
using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Api;

namespace TcpActors.Engine.Streams;

/// <summary>
/// The actor between a <see cref="TcpActorsConnection"/>'s pipes and the stack's connection actor, whose handler it is
/// (registered with KeepOpenOnPeerClosed, so each direction closes on its own).
/// <list type="bullet">
/// <item>Input: each Received (in the stack's packet buffer, recycled) is written into the input pipe and released,
/// and the pipe is flushed. A flush that does not complete at once (the application is behind by more than the pause
/// threshold) suspends reading at the stack, whose window then closes;
/// data still on its way is kept here (at most what the window allowed) until the flush completes, then written, and
/// reading resumes. PeerClosed completes the pipe after the data.</item>
/// <item>Output: one read of the output pipe at a time; up to MaxWriteSize bytes are copied into a pooled buffer and
/// given to the stack as a Write with an ack; the next read starts when the ack comes (the bytes are in the send buffer).
/// The pipe's completion sends Close (our FIN after the data).</item>
/// <item>It stops when both directions are done (our FIN acknowledged, and the peer's FIN seen or the application gone),
/// after detaching from the stack's connection, or at once when the connection is reset, times out or is aborted.</item>
/// </list>
/// Continuations of pipe operations never touch the actor's state: they tell it what happened.
/// </summary>
internal sealed class ConnectionAdapter : UntypedActor
{
    internal sealed record AbortRequest(string Reason) : IDeadLetterSuppression;

    internal sealed class AppDisposed : IDeadLetterSuppression
    {
        public static readonly AppDisposed Instance = new();
    }

    internal sealed class CancelConnect : IDeadLetterSuppression
    {
        public static readonly CancelConnect Instance = new();
    }

    private sealed record InputFlushed(FlushResult Result, Exception? Error) : IDeadLetterSuppression;

    private sealed record OutputRead(ReadResult Result, Exception? Error) : IDeadLetterSuppression;

    private sealed class WriteAck
    {
        public static readonly WriteAck Instance = new();
    }

    private readonly TcpStack _stack;
    private readonly TcpActorsStreamOptions _options;
    private readonly Connect? _connect;
    private readonly TaskCompletionSource<TcpActorsConnection>? _connected;
    private bool _abandoned;

    private TcpActorsConnection? _conn;
    private IActorRef? _connection;

    // input
    private bool _flushPending;
    private bool _suspended;
    private readonly Queue<ReadOnlyMemory<byte>> _held = new();
    private bool _peerClosed;
    private bool _inputCompleted;
    private bool _appGone;

    // output
    private byte[]? _inFlight;
    private bool _closeSent;
    private bool _closedDone;

    private bool _finishing;
    private Exception? _error;

    /// <summary>Outgoing: sends <paramref name="connect"/> and completes <paramref name="connected"/>.</summary>
    public ConnectionAdapter(TcpStack stack, TcpActorsStreamOptions options, Connect connect, TaskCompletionSource<TcpActorsConnection> connected)
    {
        _stack = stack;
        _options = options;
        _connect = connect;
        _connected = connected;
    }

    /// <summary>Incoming: the stack's connection is established; <paramref name="conn"/> is ready for the application.</summary>
    public ConnectionAdapter(TcpStack stack, TcpActorsStreamOptions options, IActorRef connection, TcpActorsConnection conn)
    {
        _stack = stack;
        _options = options;
        _connection = connection;
        _conn = conn;
    }

    public static Props PropsOutgoing(TcpStack stack, TcpActorsStreamOptions options, Connect connect, TaskCompletionSource<TcpActorsConnection> connected) =>
        Props.Create(() => new ConnectionAdapter(stack, options, connect, connected)).WithDispatcher(stack.Settings.Dispatcher);

    public static Props PropsIncoming(TcpStack stack, TcpActorsStreamOptions options, IActorRef connection, TcpActorsConnection conn) =>
        Props.Create(() => new ConnectionAdapter(stack, options, connection, conn)).WithDispatcher(stack.Settings.Dispatcher);

    protected override void PreStart()
    {
        if (_connect is not null)
            _stack.Manager.Tell(_connect, Self);
        else
            Attach();
    }

    private void Attach()
    {
        Context.Watch(_connection!);
        // The data is copied into the input pipe at once, so it can stay in the stack's packet buffers and the Received
        // messages be the stack's own, reused: nothing is allocated per segment on the way in.
        _connection!.Tell(new Register(Self, KeepOpenOnPeerClosed: true, RecycleReceived: true), Self);
        ReadOutput();
    }

    protected override void PostStop()
    {
        if (_conn is null)
        {
            _connected?.TrySetException(new TcpActorsConnectionException("the connection adapter stopped before the connection was established"));
            return;
        }
        if (!_finishing && _connection is not null)
        {
            // Stopped by a failure of ours while the stack's connection is open: do not leave it behind.
            _connection.Tell(Detach.Instance, ActorRefs.NoSender);
            _connection.Tell(Api.Abort.Instance, ActorRefs.NoSender);
            _error ??= new TcpActorsConnectionException("the connection adapter stopped");
        }
        var error = _error;
        if (!_inputCompleted)
            Try(() => _conn.InputWriter.Complete(error ?? new TcpActorsConnectionException("the connection ended")));
        Try(() => _conn.OutputReader.CancelPendingRead());
        Try(() => _conn.OutputReader.Complete(error));
        _conn.Finished(error);
    }

    private static void Try(Action a)
    {
        try
        {
            a();
        }
        catch (InvalidOperationException)
        {
            // a pipe operation already under way on the application's side; the completion follows with it
        }
    }

    protected override void OnReceive(object message)
    {
        if (_conn is null)
        {
            Connecting(message);
            return;
        }
        switch (message)
        {
            case Received r:
                try
                {
                    OnReceived(r.Data);
                }
                finally
                {
                    r.Release();   // its bytes are in the pipe, or copied into _held
                }
                break;
            case InputFlushed f:
                OnInputFlushed(f);
                break;
            case PeerClosed:
                _peerClosed = true;
                if (!_flushPending)
                    CompleteInput(null);
                MaybeFinish();
                break;
            case OutputRead o:
                OnOutputRead(o);
                break;
            case WriteAck:
                if (_inFlight is { } buffer)
                    ArrayPool<byte>.Shared.Return(buffer);
                _inFlight = null;
                ReadOutput();
                break;
            case CommandFailed { Command: Write or Close } f:
                // The stack refuses to send more (the connection is closing or closed): the application's writes fail.
                _inFlight = null;
                Try(() => _conn.OutputReader.Complete(new TcpActorsConnectionException(f.Cause.Message, f.Cause)));
                _closeSent = true;
                _closedDone = true;
                MaybeFinish();
                break;
            case Closed or ConfirmedClosed:
                _closedDone = true;
                MaybeFinish();
                break;
            case AppDisposed:
                _appGone = true;
                _held.Clear();
                if (_suspended)
                {
                    _suspended = false;
                    _connection!.Tell(ResumeReading.Instance, Self);   // nobody reads: let the window open, the data is dropped
                }
                MaybeFinish();
                break;
            case AbortRequest a:
                if (!_finishing)
                {
                    _error = new TcpActorsConnectionException($"connection aborted: {a.Reason}");
                    _finishing = true;
                    _connection!.Tell(Api.Abort.Instance, Self);
                }
                break;
            case Aborted:
                _error ??= new TcpActorsConnectionException("connection aborted");
                _finishing = true;
                Context.Stop(Self);
                break;
            case ErrorClosed e:
                _error = new TcpActorsConnectionException(e.Cause);
                _finishing = true;
                Context.Stop(Self);
                break;
            case Terminated t when t.ActorRef.Equals(_connection):
                _finishing = true;
                if (!(_closedDone && (_peerClosed || _appGone)))
                    _error ??= new TcpActorsConnectionException("the connection ended");
                Context.Stop(Self);
                break;
            case Detached:
                Context.Stop(Self);
                break;
            case GetStatus:
                _connection!.Forward(message);
                break;
            case Connected or CommandFailed or CancelConnect or ITcpEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---------------------------------------------------------------- connecting (outgoing)

    private void Connecting(object message)
    {
        switch (message)
        {
            case Connected c:
                _connection = Sender;
                if (_abandoned)
                {
                    _connection.Tell(Api.Abort.Instance, Self);   // the caller gave up meanwhile
                    Context.Stop(Self);
                    return;
                }
                _conn = new TcpActorsConnection(c.Tuple, _options) { Adapter = Self };
                Attach();
                _connected!.TrySetResult(_conn);
                break;
            case CommandFailed { Command: Connect } f:
                _connected!.TrySetException(new TcpActorsConnectionException(
                    $"connect to {_connect!.RemoteAddress}:{_connect.RemotePort} failed: {f.Cause.Message}", f.Cause));
                Context.Stop(Self);
                break;
            case CancelConnect:
                // The stack's Connect cannot be withdrawn before it is established; the connection is reset if it is.
                _abandoned = true;
                _connected!.TrySetCanceled();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    // ---------------------------------------------------------------- input: stack -> application

    private void OnReceived(ReadOnlyMemory<byte> data)
    {
        if (_appGone || _inputCompleted)
            return;   // nobody reads any more: dropped (the window stays open)
        if (_flushPending)
        {
            _held.Enqueue(data.ToArray());   // the packet buffer goes back now; only what waits for the flush is copied
            return;
        }
        _conn!.InputWriter.Write(data.Span);
        Flush();
    }

    private void Flush()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _conn!.InputWriter.FlushAsync();
        }
        catch (Exception e)
        {
            OnInputFlushed(new InputFlushed(default, e));
            return;
        }
        if (flush.IsCompletedSuccessfully)
        {
            if (flush.Result.IsCompleted)
                InputReaderGone();
            return;
        }
        _flushPending = true;
        if (!_suspended)
        {
            _suspended = true;
            _connection!.Tell(SuspendReading.Instance, Self);
        }
        AwaitFlush(flush, Self);
    }

    private static async void AwaitFlush(ValueTask<FlushResult> flush, IActorRef self)
    {
        try
        {
            self.Tell(new InputFlushed(await flush.ConfigureAwait(false), null));
        }
        catch (Exception e)
        {
            self.Tell(new InputFlushed(default, e));
        }
    }

    private void OnInputFlushed(InputFlushed f)
    {
        _flushPending = false;
        if (f.Error is not null || f.Result.IsCompleted)
        {
            InputReaderGone();
            return;
        }
        if (_appGone || _inputCompleted)
            return;
        if (_held.Count > 0)
        {
            while (_held.TryDequeue(out var data))
                _conn!.InputWriter.Write(data.Span);
            Flush();
            if (_flushPending)
                return;
        }
        if (_peerClosed)
        {
            CompleteInput(null);
            MaybeFinish();
        }
        else if (_suspended)
        {
            _suspended = false;
            _connection!.Tell(ResumeReading.Instance, Self);
        }
    }

    /// <summary>The application completed its input reader: what arrives from now on is dropped.</summary>
    private void InputReaderGone()
    {
        _held.Clear();
        CompleteInput(null);
        _appGone = true;
        if (_suspended)
        {
            _suspended = false;
            _connection!.Tell(ResumeReading.Instance, Self);
        }
        MaybeFinish();
    }

    private void CompleteInput(Exception? error)
    {
        if (_inputCompleted)
            return;
        _inputCompleted = true;
        Try(() => _conn!.InputWriter.Complete(error));
    }

    // ---------------------------------------------------------------- output: application -> stack

    private void ReadOutput()
    {
        if (_closeSent || _finishing)
            return;
        ValueTask<ReadResult> read;
        try
        {
            read = _conn!.OutputReader.ReadAsync();
        }
        catch (Exception e)
        {
            OnOutputRead(new OutputRead(default, e));
            return;
        }
        if (read.IsCompletedSuccessfully)
            OnOutputRead(new OutputRead(read.Result, null));
        else
            AwaitRead(read, Self);
    }

    private static async void AwaitRead(ValueTask<ReadResult> read, IActorRef self)
    {
        try
        {
            self.Tell(new OutputRead(await read.ConfigureAwait(false), null));
        }
        catch (Exception e)
        {
            self.Tell(new OutputRead(default, e));
        }
    }

    private void OnOutputRead(OutputRead o)
    {
        if (_finishing || _closeSent)
            return;
        if (o.Error is not null)
        {
            // The application completed its output with an error: like a socket closed with data unsent, reset.
            Self.Tell(new AbortRequest($"the application failed: {o.Error.Message}"));
            return;
        }
        var r = o.Result;
        var reader = _conn!.OutputReader;
        var buffer = r.Buffer;
        if (!buffer.IsEmpty)
        {
            int n = (int)Math.Min(buffer.Length, _options.MaxWriteSize);
            var chunk = ArrayPool<byte>.Shared.Rent(n);
            buffer.Slice(0, n).CopyTo(chunk);
            reader.AdvanceTo(buffer.GetPosition(n));
            _inFlight = chunk;
            _connection!.Tell(new Write(chunk.AsMemory(0, n), WriteAck.Instance), Self);
            return;
        }
        reader.AdvanceTo(buffer.End);
        if (r.IsCompleted || r.IsCanceled)
        {
            Try(() => reader.Complete());
            _closeSent = true;
            _connection!.Tell(Close.Instance, Self);   // FIN after every byte written
            return;
        }
        ReadOutput();
    }

    // ---------------------------------------------------------------- the end

    /// <summary>Both directions are done: detach from the stack's connection (it finishes on its own) and stop.</summary>
    private void MaybeFinish()
    {
        if (_finishing || !_closedDone || !(_peerClosed || _appGone))
            return;
        if (_peerClosed && _flushPending)
            return;   // the last data and the end of the input are still on their way to the application
        _finishing = true;
        _connection!.Tell(Detach.Instance, Self);
    }
}
