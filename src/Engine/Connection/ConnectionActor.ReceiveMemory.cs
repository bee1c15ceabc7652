using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// What the receive side may hold: out-of-order bytes charged against the stack's reassembly budget
/// (tcp-actors.reassembly-limit-total) besides the connection's own reassembly-limit, and the receive window grown by
/// auto-tuning (<see cref="ReceiveWindowTuner"/>) as the application reads.
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>Bytes of the stack's reassembly budget this connection holds: the reassembler's BufferedBytes after each sync.</summary>
    private int _reassemblyCharged;
    /// <summary>The receive window is auto-tuned (not a fixed SO_RCVBUF, tuning on).</summary>
    private bool _autoTuneWindow;
    /// <summary>Auto-tuning's state, made when the application is first told data (an idle connection does without it).</summary>
    private ReceiveWindowTuner? _windowTuner;
    /// <summary>Bytes told to the application (Received), as Linux's copied_seq counts what the application read.</summary>
    private long _bytesDelivered;

    /// <summary>The receive window a new connection starts with, and its tuner when it is auto-tuned (a fixed SO_RCVBUF turns tuning off, as in Linux).</summary>
    private int InitialReceiveWindow(ConnectionParams p)
    {
        var s = p.Stack.Settings;
        if (p.Options.ReceiveBufferSize is { } fixedSize)
            return Math.Max(1, fixedSize);
        if (!s.ReceiveWindowAutoTuning)
            return s.ReceiveWindow;
        _autoTuneWindow = true;
        return NewWindowTuner().Window;
    }

    private ReceiveWindowTuner NewWindowTuner() =>
        new(_stack.Settings.ReceiveWindowInitial, _stack.Settings.ReceiveWindow, _stack.Mss);

    /// <summary>
    /// The seventh step, out of order: holds the segment's octets if the stack's budget has room for them
    /// (else it is dropped and counted; the sender retransmits it) and the connection's reassembly-limit allows.
    /// </summary>
    private void HoldOutOfOrder(SeqNum start, ReadOnlySpan<byte> data)
    {
        if (!_stack.ReassemblyBudget.TryReserve(data.Length))
        {
            Counters.Add(TcpCounter.ReassemblyBudgetDrops);
            return;
        }
        _reassemblyCharged += data.Length;
        if (Reassembly.Add(_rcv.Nxt, start, data) < data.Length)
            Counters.Add(TcpCounter.ReassemblyDrops);
        SyncReassemblyCharge();
    }

    /// <summary>Gives back to the stack's budget what the reassembler no longer holds (delivered, pruned, cleared).</summary>
    private void SyncReassemblyCharge()
    {
        int held = _reassembler?.BufferedBytes ?? 0;
        if (held >= _reassemblyCharged)
            return;
        _stack.ReassemblyBudget.Release(_reassemblyCharged - held);
        _reassemblyCharged = held;
    }

    /// <summary>
    /// <paramref name="bytes"/> were told to the application. Once per round trip auto-tuning may grow the window
    /// (Linux calls tcp_rcv_space_adjust as the application reads); the larger window goes out with the next ACK,
    /// its right edge beyond the one advertised before (the window never shrinks).
    /// </summary>
    private void NoteDelivered(int bytes)
    {
        _bytesDelivered += bytes;
        if (!_autoTuneWindow)
            return;
        var tuner = _windowTuner ??= NewWindowTuner();
        if (!tuner.OnCopied(_bytesDelivered, Now, RttForTuning))
            return;
        _receiveWindow = tuner.Window;
        _rcv.Wnd = (uint)Math.Max(0, ReceiveWindowLimit - _heldBytes);
    }

    /// <summary>
    /// The round trip auto-tuning measures over: the smoothed RTT (the handshake gives one), at least 1 ms, the
    /// timestamp clock's tick (a sample of 0 ms would make every delivery a measure of its own).
    /// </summary>
    private TimeSpan? RttForTuning => _rtt.SmoothedRtt is { } srtt ? (srtt < OneMs ? OneMs : srtt) : null;

    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);
}
