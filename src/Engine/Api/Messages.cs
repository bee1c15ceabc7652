using Akka.Actor;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Api;

// The application protocol, shaped like Akka.IO's TCP messages so that it grows into the Akka-facing API.
// Commands go to the stack (Bind, Connect) or to a connection (Register, Write, Close, ...); events come back.

/// <summary>A request to the stack or to one connection.</summary>
public interface ITcpCommand;

/// <summary>Something the stack tells the application.</summary>
public interface ITcpEvent;

/// <summary>Per-connection options (socket options), given at Connect or Bind.</summary>
public sealed record ConnectionOptions
{
    public static readonly ConnectionOptions Default = new();

    /// <summary>SO_KEEPALIVE; null takes tcp-actors.keepalive.enabled.</summary>
    public bool? Keepalive { get; init; }
    public TimeSpan? KeepaliveIdle { get; init; }
    public TimeSpan? KeepaliveInterval { get; init; }
    public int? KeepaliveProbes { get; init; }
    /// <summary>TCP_CONGESTION; null takes tcp-actors.congestion-control.</summary>
    public Congestion.CongestionAlgorithm? CongestionControl { get; init; }

    /// <summary>
    /// TCP_NODELAY; null takes tcp-actors.no-delay (off, as in Linux). Off: the Nagle algorithm (RFC 9293 3.7.4, in
    /// Linux's form) holds a segment shorter than a full one while an earlier short one is unacknowledged; a FIN or a
    /// <see cref="Push"/> is never held. On: short segments go as soon as the window allows. Reported in
    /// <see cref="ConnectionStatus"/>.
    /// </summary>
    public bool? NoDelay { get; init; }

    /// <summary>ECN (RFC 3168) for this connection; null takes tcp-actors.ecn.</summary>
    public Congestion.EcnMode? Ecn { get; init; }

    /// <summary>
    /// SO_RCVBUF: the receive window this connection offers (above 65535 only with window scaling), fixed: like a
    /// SO_RCVBUF in Linux, it turns receive-window auto-tuning off. null: tcp-actors.receive-window, auto-tuned when
    /// tcp-actors.receive-window-auto-tuning is on.
    /// </summary>
    public int? ReceiveBufferSize { get; init; }

    /// <summary>SO_SNDBUF: bytes the application may queue for sending; null takes tcp-actors.send-buffer.</summary>
    public int? SendBufferSize { get; init; }

    /// <summary>
    /// Pull mode (Akka.IO's pullMode): the connection starts with reading suspended, and each <see cref="ResumeReading"/>
    /// delivers at most one <see cref="Received"/> before reading is suspended again. Undelivered bytes close the window.
    /// </summary>
    public bool PullMode { get; init; }
}

/// <summary>Passive OPEN: listen on <paramref name="Port"/>; <paramref name="Handler"/> is told <see cref="Connected"/> for each accepted connection. Port 0 accepts any port (for proxies).</summary>
public sealed record Bind(IActorRef Handler, ushort Port, int? Backlog = null, ConnectionOptions? Options = null) : ITcpCommand;

/// <summary>The listener is up. Sent by the listener actor (Sender), which takes <see cref="Unbind"/>.</summary>
public sealed record Bound(Ipv4Address Address, ushort Port) : ITcpEvent;

public sealed class Unbind : ITcpCommand
{
    public static readonly Unbind Instance = new();
    private Unbind() { }
}

public sealed class Unbound : ITcpEvent
{
    public static readonly Unbound Instance = new();
    private Unbound() { }
}

/// <summary>Active OPEN to a remote endpoint; LocalPort null picks an ephemeral port (RFC 6056).</summary>
public sealed record Connect(Ipv4Address RemoteAddress, ushort RemotePort, ushort? LocalPort = null, ConnectionOptions? Options = null) : ITcpCommand;

/// <summary>A connection reached ESTABLISHED (Sender is the connection actor). Reply with <see cref="Register"/>.</summary>
public sealed record Connected(FourTuple Tuple) : ITcpEvent
{
    public Ipv4Address RemoteAddress => Tuple.RemoteAddress;
    public ushort RemotePort => Tuple.RemotePort;
    public Ipv4Address LocalAddress => Tuple.LocalAddress;
    public ushort LocalPort => Tuple.LocalPort;
}

/// <summary>
/// Names the actor that receives this connection's events. Data that arrives before it is held.
/// <paramref name="PooledData"/>: each <see cref="Received"/> lies in the stack's packet buffer, to be released (see there).
/// <paramref name="RecycleReceived"/> (implies PooledData): Release gives the Received itself back as well, and the stack
/// reuses it, so that a data segment allocates nothing on its way to the handler; the handler must not touch a
/// Received after releasing it.
/// </summary>
public sealed record Register(IActorRef Handler, bool KeepOpenOnPeerClosed = false, bool PooledData = false, bool RecycleReceived = false) : ITcpCommand;

/// <summary>
/// SEND: queue bytes; <paramref name="Ack"/> (if not null) is told to the sender once they are in the send buffer.
/// <paramref name="More"/> (Linux MSG_MORE): more data follows soon, so a last partial segment waits for it (at most
/// 200 ms, or until <see cref="Push"/>) and carries no PSH.
/// </summary>
public sealed record Write(ReadOnlyMemory<byte> Data, object? Ack = null, bool More = false) : ITcpCommand
{
    public static Write Create(byte[] data, object? ack = null) => new(data, ack);
}

/// <summary>
/// Stop delivering <see cref="Received"/>: arriving bytes are kept, and the window we advertise shrinks by what is
/// kept until it is zero, so the peer stops sending (back-pressure instead of unbounded buffering).
/// </summary>
public sealed class SuspendReading : ITcpCommand
{
    public static readonly SuspendReading Instance = new();
    private SuspendReading() { }
}

/// <summary>
/// Deliver what was kept and go on delivering (in pull mode: deliver one <see cref="Received"/>, then suspend again).
/// A window update is sent when the window reopens noticeably.
/// </summary>
public sealed class ResumeReading : ITcpCommand
{
    public static readonly ResumeReading Instance = new();
    private ResumeReading() { }
}

/// <summary>
/// The application is going away: the connection tells it nothing more (it goes on with the protocol on its own, and
/// data that still arrives is acknowledged and dropped). Answered with <see cref="Detached"/>. Sent to a connection
/// that has already stopped, it is a suppressed dead letter, so a caller can send it without knowing.
/// </summary>
public sealed class Detach : ITcpCommand, Akka.Event.IDeadLetterSuppression
{
    public static readonly Detach Instance = new();
    private Detach() { }
}

public sealed class Detached : ITcpEvent
{
    public static readonly Detached Instance = new();
    private Detached() { }
}

/// <summary>
/// Corking (Linux TCP_CORK): while on, data that does not fill a segment waits for more instead of going out, for at
/// most 200 ms (tcp(7)'s ceiling); full segments go as usual. Turning it off sends what waits.
/// </summary>
public sealed record Cork(bool On) : ITcpCommand;

/// <summary>
/// TCP_NODELAY on an open connection (Linux allows it at any time): on sends what the Nagle algorithm holds and turns
/// it off from now on; off turns it back on. At open, <see cref="ConnectionOptions.NoDelay"/> says the same.
/// </summary>
public sealed record NoDelay(bool On) : ITcpCommand;

/// <summary>
/// Sends at once the data that corking, <see cref="Write.More"/> or the Nagle algorithm holds back (Linux: setting
/// TCP_NODELAY pushes pending frames).
/// </summary>
public sealed class Push : ITcpCommand
{
    public static readonly Push Instance = new();
    private Push() { }
}

/// <summary>
/// In-order bytes from the peer. By default <see cref="Data"/> is the application's own (a fresh array). A handler that
/// registered with <see cref="Register.PooledData"/> gets data that lies in one of the stack's packet buffers instead
/// (no copy, nothing allocated for it): it must copy what it keeps and call <see cref="Release"/> once it is done,
/// after which <see cref="Data"/> must not be read (a Received that is never released is only garbage-collected, and
/// the <c>PacketBuffersInUse</c> gauge stays up by one). A copy made with <c>with</c> shows the same bytes but owns
/// nothing: it is valid only while the original is not released.
/// <para>
/// With <see cref="Register.RecycleReceived"/> the Received itself goes back to the stack on <see cref="Release"/>
/// too, and the stack reuses it for a later segment, as an array given back to an <c>ArrayPool</c>: after Release
/// the handler must not read it, keep it, or release it again. A second Release that comes before the stack has
/// reused it throws <see cref="InvalidOperationException"/>; one that comes later would release another segment's
/// buffer, and nothing can tell it apart.
/// </para>
/// </summary>
public sealed record Received(ReadOnlyMemory<byte> Data) : ITcpEvent
{
    private ReadOnlyMemory<byte> _data = Data;
    private byte[]? _pooled;
    private Io.TcpCounters? _counters;
    private readonly Io.ReceivedPool? _recycler;

    /// <summary>The bytes (for a pooled Received, valid until <see cref="Release"/>).</summary>
    public ReadOnlyMemory<byte> Data
    {
        get => _data;
        init => _data = value;
    }

    /// <summary>Data that lies in <paramref name="pooled"/>, a packet buffer: the Received owns it until released.</summary>
    internal Received(ReadOnlyMemory<byte> data, byte[] pooled, Io.TcpCounters counters) : this(data)
    {
        _pooled = pooled;
        _counters = counters;
    }

    /// <summary>A message of <paramref name="recycler"/>, empty until <see cref="Lease"/>.</summary>
    internal Received(Io.ReceivedPool recycler) : this(ReadOnlyMemory<byte>.Empty) => _recycler = recycler;

    /// <summary>A <c>with</c> copy: the same bytes, owning no buffer (so that the two cannot both give it back).</summary>
    private Received(Received original) => _data = original._data;

    /// <summary>A recycled message takes over <paramref name="buffer"/> for its next holder.</summary>
    internal void Lease(ReadOnlyMemory<byte> data, byte[] buffer, Io.TcpCounters counters)
    {
        _data = data;
        _counters = counters;
        Volatile.Write(ref _pooled, buffer);
    }

    /// <summary>The data lies in a pooled packet buffer not yet released.</summary>
    public bool IsPooled => Volatile.Read(ref _pooled) is not null;

    /// <summary>
    /// Gives a pooled buffer back to the stack, and with <see cref="Register.RecycleReceived"/> this message too. For
    /// a Received that is not recycled, later calls and calls on one that is not pooled do nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A recycled Received released twice (before the stack reused it).</exception>
    public void Release()
    {
        if (Interlocked.Exchange(ref _pooled, null) is { } buffer)
        {
            Io.PacketBuffers.Return(_counters!, buffer);
            if (_recycler is { } pool)
            {
                _data = default;
                pool.Return(this);
            }
        }
        else if (_recycler is not null)
        {
            throw new InvalidOperationException(
                "This Received was released already: with Register.RecycleReceived, Release gives it back to the stack, which reuses it; do not use or release it again");
        }
    }
}

/// <summary>CLOSE: send the queued data, then FIN; <see cref="Closed"/> once our FIN is acknowledged.</summary>
public sealed class Close : ITcpCommand
{
    public static readonly Close Instance = new();
    private Close() { }
}

/// <summary>CLOSE and wait for the peer's FIN too; then <see cref="ConfirmedClosed"/>.</summary>
public sealed class ConfirmedClose : ITcpCommand
{
    public static readonly ConfirmedClose Instance = new();
    private ConfirmedClose() { }
}

/// <summary>ABORT: send RST, drop everything queued; then <see cref="Aborted"/>.</summary>
public sealed class Abort : ITcpCommand
{
    public static readonly Abort Instance = new();
    private Abort() { }
}

/// <summary>STATUS (RFC 9293 3.10.6): answered with <see cref="ConnectionStatus"/>.</summary>
public sealed class GetStatus : ITcpCommand
{
    public static readonly GetStatus Instance = new();
    private GetStatus() { }
}

public sealed class Closed : ITcpEvent
{
    public static readonly Closed Instance = new();
    private Closed() { }
}

public sealed class ConfirmedClosed : ITcpEvent
{
    public static readonly ConfirmedClosed Instance = new();
    private ConfirmedClosed() { }
}

public sealed class Aborted : ITcpEvent
{
    public static readonly Aborted Instance = new();
    private Aborted() { }
}

/// <summary>The peer sent FIN. Unless Register asked to keep it open, the connection then closes its side too.</summary>
public sealed class PeerClosed : ITcpEvent
{
    public static readonly PeerClosed Instance = new();
    private PeerClosed() { }
}

/// <summary>The connection ended abnormally: reset by the peer, timed out, or failed.</summary>
public sealed record ErrorClosed(string Cause) : ITcpEvent;

/// <summary>A command could not be carried out; <paramref name="Cause"/> says why.</summary>
public sealed record CommandFailed(ITcpCommand Command, Exception Cause) : ITcpEvent;

/// <summary>Why a connection ended or a command failed, as the application sees it.</summary>
public sealed class TcpException(string message) : Exception(message);

/// <summary>The answer to STATUS: the TCB as `ss -tin` would show it.</summary>
public sealed record ConnectionStatus(
    FourTuple Tuple,
    TcpState State,
    uint SndUna,
    uint SndNxt,
    uint SndWnd,
    uint RcvNxt,
    uint RcvWnd,
    int SendQueue,
    int ReceiveQueue,
    TimeSpan Rto,
    TimeSpan? SmoothedRtt,
    int Retransmits,
    long BytesSent,
    long BytesReceived,
    /// <summary>The congestion window and slow-start threshold in bytes (ssthresh int.MaxValue before the first loss).</summary>
    int Cwnd,
    int Ssthresh,
    string CongestionControl,
    /// <summary>Snd.Wind.Shift and Rcv.Wind.Shift (RFC 7323 2.3); 0 without window scaling.</summary>
    int SndWindowShift,
    int RcvWindowShift,
    /// <summary>Options negotiated in the handshake (RFC 7323, RFC 2018).</summary>
    bool WindowScaling,
    bool Timestamps,
    bool Sack,
    /// <summary>Bytes received in order but not yet delivered (no handler yet, or reading suspended).</summary>
    int Undelivered = 0,
    bool ReadingSuspended = false,
    bool NoDelay = false,
    int SendBufferCapacity = 0,

    /// <summary>The largest data segment we send (the peer's MSS less the timestamps option): Linux's TCP_MAXSEG, tcpi_snd_mss.</summary>
    int SendMss = 0,
    /// <summary>How long ago the last data segment arrived (since ESTABLISHED when none has): Linux's tcpi_last_data_recv.</summary>
    TimeSpan LastDataReceived = default) : ITcpEvent;

/// <summary>The RFC 9293 connection states (Figure 5).</summary>
public enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

/// <summary>To the stack's manager: stop accepting, close every connection with FIN, and after
/// <paramref name="Grace"/> reset what is still open. Answered with <see cref="ShutdownComplete"/>.</summary>
public sealed record Shutdown(TimeSpan Grace) : ITcpCommand;

/// <summary>The stack has shut down: how many connections closed in time, and how many were reset.</summary>
public sealed record ShutdownComplete(int Closed, int Reset) : ITcpEvent;

/// <summary>To the stack's manager: list the connection table; answered with <see cref="ConnectionList"/>.</summary>
public sealed class ListConnections : ITcpCommand
{
    public static readonly ListConnections Instance = new();
    private ListConnections() { }
}

/// <summary>Every connection of the stack (each answers <see cref="GetStatus"/>).</summary>
public sealed record ConnectionList(IReadOnlyList<(FourTuple Tuple, IActorRef Connection)> Connections) : ITcpEvent;
