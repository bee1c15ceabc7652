using System.IO.Pipelines;
using System.Net;
using Akka.Actor;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Streams;

/// <summary>
/// One TCP connection of the stack for code outside actors: read and write it as a <see cref="System.IO.Stream"/> or as
/// an <see cref="IDuplexPipe"/> (use one or the other, not both at once). Made by <see cref="TcpActorsClient.ConnectAsync(TcpStack, IPEndPoint, TcpActorsStreamOptions?, CancellationToken)"/>
/// and <see cref="TcpActorsListener.AcceptAsync"/>.
/// <para>
/// An adapter actor sits between the pipes and the stack's connection actor (see <see cref="TcpActorsStreamOptions"/>
/// for the back-pressure in both directions). The end of the input is the peer's FIN; completing the output (or
/// disposing) sends our FIN after every byte written; the peer's RST, a timeout or <see cref="Abort"/> makes reads and
/// writes fail with <see cref="TcpActorsConnectionException"/>. The connection half-closes: after the peer's FIN the
/// application may go on writing.
/// </para>
/// </summary>
public sealed class TcpActorsConnection : IAsyncDisposable
{
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private Stream? _stream;
    private int _disposed;

    internal TcpActorsConnection(FourTuple tuple, TcpActorsStreamOptions options)
    {
        Tuple = tuple;
        Options = options;
        _input = new Pipe(options.InputPipeOptions());
        _output = new Pipe(options.OutputPipeOptions());
        Pipe = new DuplexPipe(_input.Reader, _output.Writer);
        LocalEndPoint = new IPEndPoint(tuple.LocalAddress.ToIPAddress(), tuple.LocalPort);
        RemoteEndPoint = new IPEndPoint(tuple.RemoteAddress.ToIPAddress(), tuple.RemotePort);
    }

    /// <summary>The adapter actor; set before the connection is handed to the application.</summary>
    internal IActorRef Adapter { get; set; } = ActorRefs.Nobody;

    internal TcpActorsStreamOptions Options { get; }

    /// <summary>The adapter's ends of the pipes: it writes what arrives and reads what is to be sent.</summary>
    internal PipeWriter InputWriter => _input.Writer;

    internal PipeReader OutputReader => _output.Reader;

    public FourTuple Tuple { get; }

    public IPEndPoint LocalEndPoint { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The application's ends: Input (what the peer sent) and Output (what to send).</summary>
    public IDuplexPipe Pipe { get; }

    /// <summary>The connection as a stream over <see cref="Pipe"/>; disposing it disposes the connection.</summary>
    public Stream Stream => _stream ??= new DuplexPipeStream(this);

    /// <summary>Cancelled when the connection has ended (both directions closed, reset, or aborted).</summary>
    public CancellationToken ConnectionClosed => _closed.Token;

    /// <summary>Completes when the adapter has finished: faulted with the cause when the connection ended abnormally.</summary>
    public Task Completion => _completion.Task;

    /// <summary>STATUS: the stack's view of the connection (state, windows, RTT, congestion window, bytes).</summary>
    public Task<Api.ConnectionStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        Adapter.Ask<Api.ConnectionStatus>(Api.GetStatus.Instance, TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>ABORT: a RST to the peer, pending data dropped; reads and writes fail from now on.</summary>
    public void Abort(string reason = "aborted by the application") => Adapter.Tell(new ConnectionAdapter.AbortRequest(reason), ActorRefs.NoSender);

    /// <summary>
    /// Graceful close: the input is no longer read (what still arrives is dropped), the output is completed, so our FIN
    /// follows every byte written. Returns at once; <see cref="Completion"/> tells when the connection has finished.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return ValueTask.CompletedTask;
        try
        {
            _input.Reader.Complete();
        }
        catch (InvalidOperationException)
        {
            // a read is in progress on another thread: the adapter's notice below is enough
        }
        try
        {
            _output.Writer.Complete();
        }
        catch (InvalidOperationException)
        {
        }
        Adapter.Tell(ConnectionAdapter.AppDisposed.Instance, ActorRefs.NoSender);
        return ValueTask.CompletedTask;
    }

    /// <summary>Called by the adapter as it stops.</summary>
    internal void Finished(Exception? error)
    {
        if (error is null)
            _completion.TrySetResult();
        else
            _completion.TrySetException(error);
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException)
        {
            // a callback of the application threw; the connection is finished all the same
        }
    }

    public override string ToString() => $"{LocalEndPoint} <-> {RemoteEndPoint}";

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
