using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// Explicit Congestion Notification (RFC 3168 section 6.1): where the connection asks <see cref="EcnState"/> and
/// acts on its answers: the ECN bits of the SYNs, the echo of CE marks, and the cwnd reduction on an ECN-Echo.
/// </summary>
internal sealed partial class ConnectionActor
{
    private EcnState? _ecn;

    private EcnState Ecn => _ecn ??= new EcnState(_options.Ecn ?? _stack.Settings.Ecn);

    /// <summary>ECE|CWR on our first SYN when ECN is on; none on a retransmitted SYN (Linux tcp_ecn_fallback).</summary>
    private TcpFlags EcnSynFlags => Ecn.SynFlags(retransmission: _retries > 0);

    private void NegotiateEcnFromSyn(in TcpSegment syn, byte ipEcn, bool simultaneousOpen)
    {
        Ecn.OnSyn(syn.Flags, ipEcn, simultaneousOpen);
        if (Ecn.Enabled)
            Counters.Add(TcpCounter.EcnConnections);
    }

    private void NegotiateEcnFromSynAck(in TcpSegment synAck)
    {
        Ecn.OnSynAck(synAck.Flags);
        if (Ecn.Enabled)
            Counters.Add(TcpCounter.EcnConnections);
    }

    /// <summary>Data arrived in the window (the seventh step): count a CE mark, start or end the echo, ACK at once if asked.</summary>
    private void EcnDataArrived(TcpFlags flags, byte ipEcn)
    {
        if (_ecn is not { Enabled: true } ecn)
            return;
        if (ipEcn == EcnCodepoint.Ce)
            Counters.Add(TcpCounter.EcnCeReceived);
        int quick = ecn.OnDataArrived(flags, ipEcn);
        if (quick > _quickAcks)
            _quickAcks = quick;
    }

    /// <summary>The fifth step, after the ACK moved SND.UNA and loss detection ran: an ECN-Echo reduces cwnd (6.1.2).</summary>
    private void EcnEchoArrived(in TcpSegment seg)
    {
        if (_ecn is not { Enabled: true } ecn || !ecn.OnAck(seg.Flags, _snd.Una, _recover is not null || CcInRecovery))
            return;
        Cc.ReduceWindow(_snd.InFlight, Now);
        Counters.Add(TcpCounter.EcnCwndReductions);
        ecn.OnWindowReduced(_snd.Nxt);
    }

    /// <summary>A loss reduced cwnd (fast retransmit, timeout): the next new data carries CWR too (Linux tcp_init_cwnd_reduction).</summary>
    private void EcnNoteLossReduction() => _ecn?.OnWindowReduced(_snd.Nxt);

    /// <summary>In the window after an ECN reduction cwnd does not grow (RFC 3168 6.1.2; Linux's CWR state).</summary>
    private bool EcnHoldsCwnd => _ecn is { Enabled: true } ecn && ecn.InReducedWindow(_snd.Una);
}
