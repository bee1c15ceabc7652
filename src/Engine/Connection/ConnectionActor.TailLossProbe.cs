using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// Tail loss probe (RFC 8985 section 7; <see cref="TailLossProbe"/> holds the state and the arithmetic). Outside
/// loss recovery, on a connection with SACK, each transmission of new data and each ACK (re)schedule the probe
/// timeout; when it expires one segment goes out beyond cwnd (new data, else the last segment again) to draw an ACK
/// that starts fast recovery, instead of waiting for the RTO. Like the retransmission timer, the Akka timer is not
/// restarted on every ACK (that allocates): only the deadline moves, and a timer that fires early is re-armed for the
/// rest.
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>Made when the connection first has data in flight: an idle connection carries none.</summary>
    private TailLossProbe? _tlp;

    private bool TlpAllowed =>
        _sackOk && _stack.Settings.TailLossProbe && _snd.InFlight > 0 && _snd.Wnd > 0 && SendsData
        && (_recover is null || RecoveryProbeAllowed);

    /// <summary>
    /// tail-loss-probe.in-recovery (off by default: RFC 8985 7.2 and Linux probe only outside recovery): one probe per
    /// fast recovery when no ACK came for a PTO, for a recovery whose last ACK was lost (nothing else is in flight to
    /// draw one, and the RTO would collapse cwnd to one segment).
    /// </summary>
    private bool RecoveryProbeAllowed =>
        _stack.Settings.TailLossProbeInRecovery && CcInRecovery && !_rtoRecovery && _tlp is not { ProbedInRecovery: true };

    /// <summary>RFC 8985 7.2: after new data went out or an ACK arrived, the probe is due one PTO from now.</summary>
    private void ScheduleLossProbe()
    {
        if (!TlpAllowed)
            return;
        var tlp = _tlp ??= new TailLossProbe(_stack.Settings.TailLossProbeSlack, _stack.Settings.TailLossProbeDelayedAck);
        if (tlp.Outstanding)
            return;
        var now = Now;
        TimeSpan? rtoLeft = _rtoDeadline == Disarmed ? null : _rtoDeadline - now;
        TimeSpan pto = tlp.ProbeTimeout(_rtt.SmoothedRtt, _snd.InFlight <= Smss, rtoLeft);
        tlp.Deadline = now + pto;
        tlp.TimerFiresAt = ArmTimerBy(TimerKeys.LossProbe, LossProbeTimeout.Instance, tlp.Deadline, tlp.TimerFiresAt);
    }

    /// <summary>
    /// The retransmission timer expired when the probe timeout is due too (the PTO is capped at the RTO, RFC 8985
    /// 7.2): the probe goes out instead of the timeout's retransmission, and restarts the RTO (7.3). Which Akka timer
    /// fires first at the same instant is not defined: this makes the probe win either way.
    /// </summary>
    private bool LossProbeTakesOverTimeout() => _tlp is { } tlp && tlp.Deadline <= Now && OnLossProbeTimeout();

    /// <summary>The probe timer fired: true when a probe or a recovery went out.</summary>
    private bool OnLossProbeTimeout()
    {
        if (_tlp is not { } tlp || tlp.Deadline == Disarmed)
            return false;
        if (tlp.Deadline > Now)
        {
            tlp.TimerFiresAt = ArmTimerBy(TimerKeys.LossProbe, LossProbeTimeout.Instance, tlp.Deadline, tlp.TimerFiresAt);
            return false;
        }
        tlp.Deadline = Disarmed;
        if (!TlpAllowed || tlp.Outstanding)
            return false;
        if (_recover is null && _scoreboard is { HighSacked: { } high } && _snd.Una < high)
        {
            // SACKed octets lie above a hole that fast retransmit's DupThresh did not call lost. RACK's rule (RFC 8985
            // 6.2) has: the hole was sent before the SACKed segment, whose ACK came RACK.rtt after it, and the PTO
            // (2 * SRTT, at least the reordering window) has passed since that ACK: the hole is lost.
            EnterRackRecovery(high);
            return true;
        }
        return SendLossProbe(tlp);
    }

    /// <summary>
    /// The segment being sent is a loss probe: it carries PSH. A Linux receiver acknowledges pushed data as soon as its
    /// application reads it; without PSH a probe that is the only unacknowledged segment waits for the receiver's
    /// delayed-ACK timer (40 ms), as a chargen-loss capture showed (bench/README.md, round 7).
    /// </summary>
    private bool _probePush;

    /// <summary>
    /// TLP_send_probe (RFC 8985 7.3): the lowest unsent segment of at most SMSS if there is one and the peer's window
    /// allows it (whatever cwnd says), else the highest segment sent again. Then the RTO is restarted.
    /// </summary>
    private bool SendLossProbe(TailLossProbe tlp)
    {
        bool retransmission = false;
        SeqNum start = _snd.Nxt;
        _probePush = true;   // the probe is there to elicit an ACK
        try
        {
            if (_finSent || !SendNewSegment(Smss))
            {
                SeqNum dataEnd = _snd.Nxt - (_finSent ? 1 : 0);
                start = SeqNum.Max(_snd.Una, dataEnd - Smss);
                if (!RetransmitAt(start, Smss))
                    return false;
                retransmission = true;
            }
        }
        finally
        {
            _probePush = false;
        }
        Counters.Add(TcpCounter.LossProbes);
        tlp.ProbeSent(start, _snd.Nxt, retransmission);
        if (_recover is not null)
            tlp.ProbedInRecovery = true;
        RestartRetransmissionTimer();
        return true;
    }

    /// <summary>
    /// TLP_process_ack (RFC 8985 7.4), with the ACK's SND.UNA already applied: if the probe repaired a loss, cwnd is
    /// reduced as for one (ssthresh as for a loss, cwnd = ssthresh), without a recovery.
    /// </summary>
    private void LossProbeAcked(in TcpSegment seg, SeqNum ack, bool unaAdvanced, bool newSack, int flightBefore)
    {
        if (_tlp is not { Outstanding: true } tlp)
            return;
        if (tlp.HoleBelowDeliveredProbe(_snd.Una, _scoreboard?.HighSacked))
        {
            if (_recover is null)
            {
                EnterRackRecovery(tlp.StartSeq);
                return;
            }
            // A probe in recovery: the holes below it are lost (the same rule); cwnd was reduced already.
            tlp.LostBelow = tlp.LostBelow is { } l ? SeqNum.Max(l, tlp.StartSeq) : tlp.StartSeq;
            tlp.Reset();
            return;
        }
        bool dsack = seg.Options.SackCount > 0 && TailLossProbe.HasDsack(ack, seg.Options.SackBlocks);
        if (tlp.OnAck(ack, unaAdvanced, dsack, newSack) == ProbeOutcome.LossRepaired && !CcInRecovery)
        {
            Counters.Add(TcpCounter.LossProbeRecoveries);
            Cc.ReduceWindow(flightBefore, Now);
        }
    }

    /// <summary>Fast recovery or the retransmission timer takes over from an outstanding probe.</summary>
    private void ResetLossProbe()
    {
        if (_tlp is { } tlp)
        {
            tlp.Deadline = Disarmed;
            tlp.RecoveryEnded();
            tlp.Reset();
        }
    }
}
