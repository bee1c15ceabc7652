using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Congestion;

/// <summary>What an ACK said about an outstanding tail loss probe (RFC 8985 section 7.4).</summary>
public enum ProbeOutcome
{
    /// <summary>No probe is outstanding, the ACK does not cover it yet, or it cannot tell (wait for the next ACK).</summary>
    Pending,
    /// <summary>The probe's episode is over without a loss: new data delivered, or original and probe both arrived.</summary>
    NoLoss,
    /// <summary>The probe's retransmission repaired a loss: congestion control must reduce the window.</summary>
    LossRepaired,
}

/// <summary>
/// Tail Loss Probe (RFC 8985 section 7), the probe's state and arithmetic; the connection owns the timer and sends.
/// When the last segments of a flight, or all their ACKs, are lost, no ACK comes back to start fast recovery and the
/// sender would wait for the RTO (at least 200 ms). Instead, a probe timeout (PTO) of about two round trips after
/// the last transmission or ACK sends one segment: new data if there is any and the peer's window allows, else the
/// last segment again. Its ACK (with SACK) starts fast recovery, or shows that nothing was lost.
/// Pure: time is passed in, never read. Not thread-safe.
/// </summary>
public sealed class TailLossProbe(TimeSpan slack, TimeSpan delayedAckAllowance)
{
    /// <summary>The PTO when there is no RTT sample yet (RFC 8985 7.2).</summary>
    public static readonly TimeSpan NoRttTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Added to 2 * SRTT for a flight of more than one segment (Linux: TCP_TIMEOUT_MIN, 2 ms).</summary>
    public TimeSpan Slack { get; } = slack;

    /// <summary>WCDelAckT: added for a flight of one segment, whose ACK the peer may delay (RFC 8985 7.2: 200 ms).</summary>
    public TimeSpan DelayedAckAllowance { get; } = delayedAckAllowance;

    /// <summary>TLP.end_seq: SND.NXT when the probe went out; null when no probe is outstanding.</summary>
    public SeqNum? EndSeq { get; private set; }

    /// <summary>The probe's first octet: everything below it was sent before the probe, at least a PTO earlier.</summary>
    public SeqNum StartSeq { get; private set; }

    /// <summary>
    /// The recovery this probe's ACK started: every octet below it that is not SACKed is lost (RACK's rule, see
    /// <see cref="HoleBelowDeliveredProbe"/>). Null outside such a recovery.
    /// </summary>
    public SeqNum? LostBelow { get; set; }

    /// <summary>A probe went out during the current fast recovery (at most one per recovery, when allowed at all).</summary>
    public bool ProbedInRecovery { get; set; }

    /// <summary>TLP.is_retrans: the probe was a retransmission (no new data could be sent).</summary>
    public bool IsRetransmission { get; private set; }

    /// <summary>At most one probe is outstanding (RFC 8985 7.2: the PTO is scheduled only when TLP.end_seq is null).</summary>
    public bool Outstanding => EndSeq is not null;

    /// <summary>When the probe timeout expires (connection time); <see cref="TimeSpan.MaxValue"/> when none is armed.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.MaxValue;

    /// <summary>When the timer behind <see cref="Deadline"/> fires (never later than it, re-armed for the rest when early).</summary>
    public TimeSpan TimerFiresAt { get; set; }

    /// <summary>
    /// TLP_calc_PTO (RFC 8985 7.2): 2 * SRTT, plus <see cref="DelayedAckAllowance"/> when one segment is in flight
    /// (else <see cref="Slack"/>); 1 s without an RTT sample; never later than the RTO (<paramref name="rtoLeft"/>:
    /// how long until the retransmission timer expires, null when it is not running).
    /// </summary>
    public TimeSpan ProbeTimeout(TimeSpan? srtt, bool oneSegmentInFlight, TimeSpan? rtoLeft)
    {
        TimeSpan pto = srtt is { } s ? 2 * s + (oneSegmentInFlight ? DelayedAckAllowance : Slack) : NoRttTimeout;
        if (rtoLeft is { } left && left < pto)
            pto = left < TimeSpan.Zero ? TimeSpan.Zero : left;
        return pto;
    }

    /// <summary>
    /// TLP_send_probe (RFC 8985 7.3): the probe went out from <paramref name="start"/>; <paramref name="sndNxt"/> is
    /// SND.NXT after it.
    /// </summary>
    public void ProbeSent(SeqNum start, SeqNum sndNxt, bool retransmission)
    {
        StartSeq = start;
        EndSeq = sndNxt;
        IsRetransmission = retransmission;
    }

    /// <summary>Loss recovery or the retransmission timer took over: the probe's episode ends without a verdict.</summary>
    public void Reset() => EndSeq = null;

    /// <summary>
    /// The recovery ended (or another took over): its loss boundary goes, and a probe sent during it is forgotten (its
    /// verdict belonged to that recovery).
    /// </summary>
    public void RecoveryEnded()
    {
        LostBelow = null;
        if (ProbedInRecovery)
            Reset();
        ProbedInRecovery = false;
    }

    /// <summary>
    /// TLP_process_ack (RFC 8985 7.4), as Linux's tcp_process_tlp_ack decides the ambiguous case. Once an ACK
    /// reaches TLP.end_seq: a probe of new data was delivered (no loss); for a retransmitted probe, a D-SACK says
    /// the original arrived too (no loss), an ACK beyond TLP.end_seq says the probe repaired a loss, and a pure
    /// duplicate ACK says both copies arrived. An ACK that only advances SND.UNA to TLP.end_seq may be for the
    /// original or for the probe: the next ACK decides.
    /// </summary>
    /// <param name="ack">SEG.ACK.</param>
    /// <param name="unaAdvanced">The ACK moved SND.UNA.</param>
    /// <param name="dsack">The ACK carries a D-SACK block (RFC 2883).</param>
    /// <param name="newSack">The ACK SACKs octets not SACKed before.</param>
    public ProbeOutcome OnAck(SeqNum ack, bool unaAdvanced, bool dsack, bool newSack)
    {
        if (EndSeq is not { } end || ack < end)
            return ProbeOutcome.Pending;
        if (!IsRetransmission || dsack)
        {
            EndSeq = null;
            return ProbeOutcome.NoLoss;
        }
        if (ack > end)
        {
            EndSeq = null;
            return ProbeOutcome.LossRepaired;
        }
        if (!unaAdvanced && !newSack)
        {
            EndSeq = null;
            return ProbeOutcome.NoLoss;
        }
        return ProbeOutcome.Pending;
    }

    /// <summary>
    /// RACK's loss rule (RFC 8985 6.2) for the probe's delivery: a segment is lost when one sent after it was delivered
    /// and RACK.rtt + RACK.reo_wnd have passed since it was sent. Everything below <see cref="StartSeq"/> was sent at
    /// least a PTO (2 * SRTT) before the probe, and the ACK of the probe comes RACK.rtt after it; reo_wnd is at most
    /// SRTT (6.2 step 4). So once the probe (or anything above it) is SACKed, every octet below it that is not SACKed
    /// is lost: true when the ACK left such a hole (SND.UNA below the probe, SACKed octets above its start).
    /// </summary>
    public bool HoleBelowDeliveredProbe(SeqNum una, SeqNum? highSacked) =>
        Outstanding && una < StartSeq && highSacked is { } high && high > StartSeq;

    /// <summary>
    /// RFC 2883 section 4: the first SACK block of an ACK reports a duplicate when it lies below the cumulative ACK,
    /// or within the second block.
    /// </summary>
    public static bool HasDsack(SeqNum ack, ReadOnlySpan<SackBlock> blocks)
    {
        if (blocks.IsEmpty)
            return false;
        var first = blocks[0];
        if (first.Right <= ack)
            return true;
        return blocks.Length > 1 && blocks[1].Left <= first.Left && first.Right <= blocks[1].Right;
    }
}
