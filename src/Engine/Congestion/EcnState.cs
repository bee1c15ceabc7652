using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Congestion;

/// <summary>The ECN field of the IP header (RFC 3168 section 5): the two low bits of the TOS octet.</summary>
public static class EcnCodepoint
{
    public const byte NotEct = 0b00;
    public const byte Ect1 = 0b01;
    public const byte Ect0 = 0b10;
    /// <summary>Congestion Experienced: a router marked the packet instead of dropping it.</summary>
    public const byte Ce = 0b11;
}

/// <summary>
/// Explicit Congestion Notification for one connection (RFC 3168 section 6.1), as Linux does it: the negotiation
/// (6.1.1: a SYN with ECE and CWR asks, a SYN-ACK with ECE and without CWR agrees), the receiver's echo (6.1.3: after
/// a CE-marked data packet, ECE on every segment until a segment with CWR arrives), and the sender's reaction (6.1.2:
/// an ECE reduces cwnd at most once per window of data, and the next new data segment carries CWR; only new data is
/// sent ECN-capable, 6.1.5). The connection applies the reduction; this class only decides. Pure, not thread-safe.
/// </summary>
public sealed class EcnState(EcnMode mode)
{
    /// <summary>SND.NXT when cwnd was last reduced: ECE until SND.UNA passes it is the same congestion (Linux CA_CWR's high_seq).</summary>
    private SeqNum? _reducedUntil;

    public EcnMode Mode { get; } = mode;

    /// <summary>The handshake agreed on ECN: this is an ECN-capable connection.</summary>
    public bool Enabled { get; private set; }

    /// <summary>Receiver: a CE mark arrived and no CWR since; every segment we send carries ECE (6.1.3).</summary>
    public bool EchoingCongestion { get; private set; }

    /// <summary>Sender: cwnd was reduced; the next new data segment carries CWR (6.1.2).</summary>
    public bool CwrQueued { get; private set; }

    /// <summary>
    /// The ECN bits of our SYN: ECE and CWR when the mode is <see cref="EcnMode.On"/>. A retransmitted SYN does not ask
    /// (Linux tcp_ecn_fallback): a path that drops ECN-setup SYNs (RFC 3168 6.1.1.1) still lets the connection open.
    /// </summary>
    public TcpFlags SynFlags(bool retransmission) =>
        Mode == EcnMode.On && !retransmission ? TcpFlags.Ece | TcpFlags.Cwr : TcpFlags.None;

    /// <summary>
    /// A SYN arrived: at a listener (<paramref name="simultaneousOpen"/> false; accepted unless the mode is Off) or in
    /// SYN-SENT (accepted when our SYN asked). It asks with ECE and CWR both (6.1.1). Like Linux
    /// (tcp_ecn_create_request), a SYN that is itself ECN-capable in IP is refused ECN (RFC 3168 6.1.1 forbids it).
    /// </summary>
    public void OnSyn(TcpFlags flags, byte ipEcn, bool simultaneousOpen)
    {
        bool willing = simultaneousOpen ? Mode == EcnMode.On : Mode != EcnMode.Off;
        Enabled = willing && (flags & (TcpFlags.Ece | TcpFlags.Cwr)) == (TcpFlags.Ece | TcpFlags.Cwr)
            && (simultaneousOpen || ipEcn == EcnCodepoint.NotEct);
    }

    /// <summary>The ECN bits of our SYN-ACK: ECE when we agreed (6.1.1), never CWR.</summary>
    public TcpFlags SynAckFlags => Enabled ? TcpFlags.Ece : TcpFlags.None;

    /// <summary>Our SYN asked and the SYN-ACK arrived: it agrees with ECE set and CWR clear (6.1.1; Linux tcp_ecn_rcv_synack).</summary>
    public void OnSynAck(TcpFlags flags) =>
        Enabled = Mode == EcnMode.On && (flags & (TcpFlags.Ece | TcpFlags.Cwr)) == TcpFlags.Ece;

    /// <summary>
    /// A data segment arrived in the window with <paramref name="ipEcn"/> in its IP header. A CWR ends the echo
    /// (6.1.3); a CE mark starts it (again). Returns how many ACKs to send at once rather than delayed, as Linux:
    /// 2 when the echo starts (tcp_ecn_check_ce: "sender can have a very low cwnd"), 1 for a CWR (tcp_ecn_accept_cwr).
    /// </summary>
    public int OnDataArrived(TcpFlags flags, byte ipEcn)
    {
        if (!Enabled)
            return 0;
        int quickAcks = 0;
        if ((flags & TcpFlags.Cwr) != 0)
        {
            EchoingCongestion = false;
            quickAcks = 1;
        }
        if (ipEcn == EcnCodepoint.Ce && !EchoingCongestion)
        {
            EchoingCongestion = true;
            quickAcks = 2;
        }
        return quickAcks;
    }

    /// <summary>
    /// An acceptable ACK arrived (after SND.UNA moved to <paramref name="sndUna"/>). True when it is an ECN-Echo that
    /// must reduce cwnd now (6.1.2): not during loss recovery (cwnd is being reduced already) and not before SND.UNA
    /// passes the window of the last reduction. The caller reduces cwnd and calls <see cref="OnWindowReduced"/>.
    /// "Passes" is strict, as in Linux (tcp_fastretrans_alert: "CWR is to be held something *above* high_seq is
    /// ACKed for CWR bit to reach receiver"): the segment that carried CWR starts at the old SND.NXT, and ACKs up to
    /// it still echo the congestion that was answered.
    /// </summary>
    public bool OnAck(TcpFlags flags, SeqNum sndUna, bool inLossRecovery)
    {
        if (!Enabled || (flags & (TcpFlags.Ece | TcpFlags.Syn)) != TcpFlags.Ece || inLossRecovery)
            return false;
        return !InReducedWindow(sndUna);
    }

    /// <summary>
    /// cwnd was reduced (by an ECE, a fast retransmit or a timeout) with SND.NXT at <paramref name="sndNxt"/>: the next
    /// new data carries CWR, and ECEs until SND.UNA passes <paramref name="sndNxt"/> are the same congestion
    /// (Linux tcp_init_cwnd_reduction queues CWR for every reduction).
    /// </summary>
    public void OnWindowReduced(SeqNum sndNxt)
    {
        if (!Enabled)
            return;
        CwrQueued = true;
        _reducedUntil = sndNxt;
    }

    /// <summary>In the window of data after a reduction (SND.UNA not past the SND.NXT of then): cwnd does not grow (6.1.2; Linux CA_CWR).</summary>
    public bool InReducedWindow(SeqNum sndUna)
    {
        if (_reducedUntil is { } end && sndUna <= end)
            return true;
        _reducedUntil = null;
        return false;
    }

    /// <summary>
    /// The ECN marks of a segment we send (not a SYN: see <see cref="SynFlags"/>; not a RST): ECE while echoing
    /// (6.1.3); on new data (never a retransmission, a pure ACK or a window probe: 6.1.5, 6.1.6) ECT(0) in
    /// <paramref name="ipEcn"/> and the queued CWR (6.1.2).
    /// </summary>
    public TcpFlags Outgoing(TcpFlags flags, bool newData, out byte ipEcn)
    {
        ipEcn = EcnCodepoint.NotEct;
        if (!Enabled || (flags & (TcpFlags.Syn | TcpFlags.Rst)) != 0)
            return flags;
        if (newData)
        {
            ipEcn = EcnCodepoint.Ect0;
            if (CwrQueued)
            {
                CwrQueued = false;
                flags |= TcpFlags.Cwr;
            }
        }
        if (EchoingCongestion)
            flags |= TcpFlags.Ece;
        return flags;
    }
}
