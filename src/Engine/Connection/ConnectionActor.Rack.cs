using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// RACK's time-based loss detection (RFC 8985 section 6; <see cref="RackLossDetector"/> holds the rule). Each ACK that
/// raises the highest SACKed octet is noted with its time; once it is reo_wnd old, the holes below it are lost. That
/// starts fast recovery before three duplicate ACKs, and in recovery it lets NextSeg retransmit a hole with fewer than
/// DupThresh segments SACKed above it, which RFC 6675's IsLost alone leaves to the RTO when the flight is small.
/// The reordering timer (6.3) looks again when no ACK comes.
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>Made at the first SACK that reports new data; dropped again when recovery leaves it empty.</summary>
    private RackLossDetector? _rack;

    private bool RackOn => _sackOk && _stack.Settings.Rack;

    /// <summary>
    /// RACK.reord (RFC 8985 6.2 step 2): the path has delivered data out of order on this connection (a hole below a
    /// SACK filled while nothing had been retransmitted). Never cleared. A D-SACK alone does not set it (it is as often
    /// a probe's duplicate after lost ACKs; Linux's reord_seen ignores it too).
    /// </summary>
    private bool _reorderingSeen;

    /// <summary>
    /// RACK.reo_wnd: 0 in loss recovery while no reordering has been seen (RFC 8985 6.2 step 4: with sub-millisecond
    /// RTTs this is what lets a second hole be repaired on the ACK that shows it, not a scheduler tick later); else
    /// SRTT / 4, before any RTT sample min-rto / 4.
    /// </summary>
    private TimeSpan ReorderingWindow => RackLossDetector.ReorderingWindow(_rtt.SmoothedRtt, _stack.Settings.MinRto / 4,
        _reorderingSeen, inRecovery: _recover is not null);

    /// <summary>
    /// RFC 8985 6.2 step 2, for an ACK that moves SND.UNA from <paramref name="una"/> to <paramref name="ack"/>
    /// before the scoreboard forgets what it SACKed: octets below the highest SACKed one were delivered by themselves
    /// (outside recovery nothing below it was retransmitted), so the path reorders.
    /// </summary>
    private void NoteReordering(SeqNum una, SeqNum ack)
    {
        if (!_reorderingSeen && _recover is null && ack > una && _scoreboard?.HighSacked is { } high && high > una)
            _reorderingSeen = true;
    }

    /// <summary>What RACK's rule finds lost now: every unSACKed octet below it.</summary>
    private SeqNum? RackLostBelow => RackOn && _rack is { } r ? r.LostBelow(Now, ReorderingWindow) : null;

    /// <summary>SND.UNA is not SACKed and lies below RACK's loss boundary.</summary>
    private bool RackSaysUnaLost =>
        _snd.InFlight > 0 && RackLostBelow is { } b && b > _snd.Una && !Scoreboard.IsSacked(_snd.Una);

    /// <summary>The scoreboard took SACK blocks that raised what is SACKed: note it, and arm the reordering timer.</summary>
    private void RackSacked()
    {
        if (!RackOn || _scoreboard?.HighSacked is not { } high)
            return;
        var rack = _rack ??= new RackLossDetector();
        rack.OnSacked(high, Now);
        var reoWnd = ReorderingWindow;
        if (reoWnd == TimeSpan.Zero)
            rack.LostBelow(Now, reoWnd);   // lost at once: no reordering timer for it
        ArmRackTimer(rack);
    }

    private void ArmRackTimer(RackLossDetector rack)
    {
        if (rack.NextDeadline(ReorderingWindow) is { } due)
            rack.TimerFiresAt = ArmTimerBy(TimerKeys.Rack, RackTimeout.Instance, due, rack.TimerFiresAt);
    }

    /// <summary>
    /// Fast recovery (RFC 6675) on RACK's verdict, from a timer (the reordering timer, or the probe timeout's RACK
    /// check) or a probe's ACK: retransmits what is lost as cwnd - pipe allows and restarts the RTO (RFC 6298 5.3; at a
    /// timeout the probe took over, the timer had stopped). <paramref name="lostBelow"/>: every unSACKed octet below it
    /// is lost too.
    /// </summary>
    private void EnterRackRecovery(SeqNum? lostBelow)
    {
        EnterFastRecovery();
        if (lostBelow is not null)
            _tlp!.LostBelow = lostBelow;
        Counters.Add(TcpCounter.RackFastRecoveries);
        SendInRecovery();
        RestartRetransmissionTimer();
    }

    /// <summary>RFC 8985 6.3: no ACK came since the last SACK; what is lost by now is retransmitted.</summary>
    private void OnRackTimeout()
    {
        if (_rack is null || !RackOn || _snd.InFlight == 0 || !SendsData)
            return;
        if (_recover is null)
        {
            if (RackSaysUnaLost)
                EnterRackRecovery(lostBelow: null);
        }
        else if (PipeRecovery)
        {
            SendInRecovery();
        }
        if (_rack is { } still)
            ArmRackTimer(still);
    }
}
