using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// Loss recovery. Duplicate ACKs (RFC 5681 section 2; with SACK, any ACK that SACKs new data, RFC 6675
/// section 2) lead to fast retransmit. Without SACK, recovery is NewReno's (RFC 6582: window inflation, a
/// partial ACK retransmits the next hole). With SACK it is RFC 6675's: the scoreboard says which octets are
/// lost, pipe estimates what is in flight, and while cwnd - pipe >= SMSS NextSeg picks a lost hole, new
/// data, or another hole below the highest SACKed octet. After a retransmission timeout every octet below the
/// recovery point counts as lost and is resent as cwnd grows in slow start (go-back-N, skipping SACKed
/// octets), until SND.UNA passes the recovery point. In SACK-based fast recovery, Proportional Rate Reduction
/// (RFC 9937, as Linux) sets the cwnd that send loop goes by on each ACK (<see cref="ProportionalRateReduction"/>).
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>HighRxt: one past the highest octet retransmitted in this recovery (RFC 6675 section 3).</summary>
    private SeqNum _highRxt;
    /// <summary>In recovery after a retransmission timeout, until SND.UNA reaches <see cref="_recover"/>.</summary>
    private bool _rtoRecovery;
    /// <summary>This recovery's retransmissions, to find those lost again (SACK only).</summary>
    private RetransmitLog? _rxtLog;
    /// <summary>Retransmissions found lost: sent again before anything else (made on first use).</summary>
    private List<(SeqNum Start, SeqNum End)>? _relost;
    /// <summary>PRR's state in the current SACK-based fast recovery; null outside one, or with PRR off.</summary>
    private ProportionalRateReduction? _prr;
    /// <summary>Octets the ACK being processed SACKed for the first time (0 outside ACK processing).</summary>
    private long _newlySacked;

    private void ResetRecoveryLog()
    {
        _rxtLog = null;   // made again by the next recovery that needs it: an idle connection keeps none of them
        _relost = null;
        if (_scoreboard is { IsEmpty: true })
            _scoreboard = null;
        if (_rack is { IsEmpty: true })
            _rack = null;
    }

    /// <summary>After the scoreboard took an ACK's SACK blocks: which retransmissions of this recovery are lost again.</summary>
    private int DetectLostRetransmissions()
    {
        if (!_sackOk || !PipeRecovery || _rxtLog is not { Count: > 0 } log)
            return 0;
        int lost = log.DetectLost(_snd.Una, Scoreboard, _relost ??= []);
        if (lost > 0)
            Counters.Add(TcpCounter.LostRetransmits, lost);
        return lost;
    }

    /// <summary>Recovery by pipe and NextSeg: RFC 6675 fast recovery, or the go-back-N after a timeout.</summary>
    private bool PipeRecovery => _rtoRecovery || (_sackOk && CcInRecovery);

    /// <summary>Octets after a timeout are lost up to the recovery point; otherwise below what RACK's rule found lost (RFC 8985 6.2).</summary>
    private SeqNum? LostBelow
    {
        get
        {
            SeqNum? lost = _rtoRecovery ? _recover : _tlp?.LostBelow;
            if (RackLostBelow is { } rack)
                lost = lost is { } l ? SeqNum.Max(l, rack) : rack;
            return lost;
        }
    }

    /// <summary>
    /// The fifth step's ACK processing for loss recovery, after SND.UNA and the scoreboard were updated.
    /// <paramref name="duplicate"/>: the ACK is a duplicate by RFC 5681 or carries new SACK information.
    /// </summary>
    private void OnDuplicateAck(bool duplicate)
    {
        if (!duplicate)
            return;
        if (CcInRecovery)
        {
            if (!_sackOk)
                Cc.OnDupAck();   // RFC 5681 3.2 step 4: window inflation (with SACK, pipe does this)
            return;
        }
        if (_recover is not null)
            return;   // RFC 6582 / RFC 6675 5.1: no new recovery before SND.UNA passes the recovery point
        _dupAcks++;
        bool lost = _dupAcks >= 3 || (_sackOk && _scoreboard is { } sb && sb.IsLost(_snd.Una, Smss));
        if (lost)
        {
            EnterFastRecovery();
        }
        else if (RackSaysUnaLost)
        {
            EnterFastRecovery();
            Counters.Add(TcpCounter.RackFastRecoveries);
        }
    }

    /// <summary>RFC 5681 3.2 steps 2-3, RFC 6675 section 5 step 4.</summary>
    private void EnterFastRecovery()
    {
        _recover = _snd.Nxt;                                          // RecoveryPoint = HighData
        ResetLossProbe();                                             // recovery takes over from a probe
        Counters.Add(TcpCounter.FastRetransmits);
        Cc.EnterRecovery(_snd.InFlight - _limitedTransmitBytes, Now);  // ssthresh, cwnd = ssthresh
        EcnNoteLossReduction();
        // RFC 9937 section 4: RecoverFS is the flight less what was SACKed before this ACK (it is not delivered again).
        _prr = _sackOk && _stack.Settings.ProportionalRateReduction
            ? new ProportionalRateReduction(_snd.InFlight - (Scoreboard.SackedBytes - _newlySacked), Cc.Ssthresh, Smss, Cc.Cwnd)
            : null;
        if (!_sackOk)
            for (int i = 0; i < 3; i++)
                Cc.OnDupAck();                                       // cwnd = ssthresh + 3*SMSS
        _highRxt = _snd.Una;
        ResetRecoveryLog();
        RetransmitAt(_snd.Una, Smss);                                 // the segment at HighACK + 1
    }

    /// <summary>SND.UNA advanced to <paramref name="ack"/> by <paramref name="dataAcked"/> octets of data.</summary>
    private void OnCumulativeAck(SeqNum ack, int dataAcked)
    {
        _highRxt = SeqNum.Max(_highRxt, ack);
        if (_recover is { } recover && ack < recover)
        {
            if (CcInRecovery)
            {
                if (!_sackOk)
                {
                    // RFC 6582 3.2 step 5: retransmit the next hole, deflate cwnd by what was acknowledged.
                    Cc.OnPartialAck(dataAcked);
                    RetransmitAt(_snd.Una, Smss);
                }
            }
            else
            {
                Cc.OnAck(dataAcked, _rtt.SmoothedRtt, Now);   // after a timeout: slow start goes on
            }
            return;
        }
        if (_recover is not null)
        {
            // RFC 9937 section 4: after PRR, cwnd = ssthresh (as Linux's tcp_end_cwnd_reduction; see ExitRecovery);
            // else RFC 6582 3.2 step 6, min(ssthresh, FlightSize + SMSS).
            int exitFlight = _prr is not null ? int.MaxValue : _snd.InFlight;
            _recover = null;
            _rtoRecovery = false;
            _prr = null;   // the ACK that ends recovery is not counted
            _tlp?.RecoveryEnded();
            ResetRecoveryLog();
            if (CcInRecovery)
            {
                Cc.ExitRecovery(exitFlight, Now);
                return;
            }
        }
        if (!EcnHoldsCwnd && dataAcked > 0)   // an ACK of the SYN alone grows nothing (and makes no state)
            Cc.OnAck(dataAcked, _rtt.SmoothedRtt, Now);
    }

    /// <summary>RFC 6298 5.4 and RFC 5681 3.1 on a timeout: the loss window, then go-back-N from SND.UNA.</summary>
    private void EnterTimeoutRecovery()
    {
        Cc.OnRetransmissionTimeout(_snd.InFlight, alreadyRetransmitted: _retries > 0, Now);
        EcnNoteLossReduction();
        _recover = _snd.Nxt;
        _rtoRecovery = true;
        _prr = null;   // slow start from the loss window, not a reduction
        ResetLossProbe();
        _dupAcks = 0;
        // RFC 2018 section 8 has the sender ignore SACK information after a timeout, lest the receiver reneged.
        // RFC 6675 5.1 notes it may be kept with a test for reneging: it is kept after the first timeout (the
        // go-back-N skips SACKed octets) and dropped when the same segment times out again.
        if (_retries > 0)
        {
            _scoreboard?.Clear();
            _rack?.Clear();
        }
        _highRxt = _snd.Una;
        ResetRecoveryLog();
        RetransmitAt(_snd.Una, Smss);
    }

    /// <summary>
    /// RFC 6675 section 5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg names. With PRR, cwnd is the one
    /// it set at the last ACK, and any room at all lets a whole segment out (as Linux counts in segments, so PRR's
    /// fractional shares round up rather than wait for the next ACK).
    /// </summary>
    private void SendInRecovery()
    {
        var sb = Scoreboard;
        int smss = Smss;
        while (true)
        {
            SeqNum una = _snd.Una, nxt = _snd.Nxt;
            long pipe = sb.Pipe(una, nxt, _highRxt, smss, LostBelow);
            long room = (_prr?.Cwnd ?? CcCwnd) - pipe;
            if (_prr is not null && room > 0)
                room = Math.Max(room, smss);
            if (room < smss)
                return;
            // A retransmission found lost is sent again first.
            if (ResendLost(una, nxt, smss))
                continue;
            SeqNum from = SeqNum.Max(_highRxt, una);
            // Rule 1: the first lost octet above HighRxt.
            SeqNum lossEnd = sb.LossEnd(una, nxt, smss, LostBelow);
            if (sb.NextHole(from, lossEnd, nxt, smss, out var start, out int len))
            {
                RetransmitAt(start, len);
                continue;
            }
            // Rule 2: new data, if the peer's window allows.
            if (!_finSent && SendNewSegment((int)Math.Min(int.MaxValue, room)))
                continue;
            // Rule 3: an unSACKed octet below the highest SACKed one.
            if (sb.HighSacked is { } high && sb.NextHole(from, high, nxt, smss, out start, out len))
            {
                RetransmitAt(start, len);
                continue;
            }
            return;
        }
    }

    private bool ResendLost(SeqNum una, SeqNum nxt, int smss)
    {
        while (_relost is { Count: > 0 } relost)
        {
            var (start, end) = relost[0];
            if (Scoreboard.NextHole(SeqNum.Max(start, una), end, nxt, smss, out var s, out int len) && RetransmitAt(s, len))
            {
                SeqNum sent = s + len;
                if (sent < end)
                    relost[0] = (sent, end);
                else
                    relost.RemoveAt(0);
                return true;
            }
            relost.RemoveAt(0);
        }
        return false;
    }

    /// <summary>
    /// Retransmits up to <paramref name="maxLength"/> sequence numbers from <paramref name="start"/> (data, and the
    /// FIN when the data reaches it). Moves HighRxt. Returns false when there is nothing there.
    /// </summary>
    private bool RetransmitAt(SeqNum start, int maxLength)
    {
        int offset = start - _snd.Una;
        int dataInFlight = _snd.InFlight - (_finSent ? 1 : 0);
        if (offset < 0 || offset > dataInFlight)
            return false;
        var options = SegmentOptions(TcpFlags.Ack);
        int len = Math.Min(Math.Min(maxLength, PayloadRoom(options)), dataInFlight - offset);
        bool fin = _finSent && offset + len == dataInFlight;
        if (len == 0 && !fin)
            return false;
        // PSH as when it was first sent (TrySend): on the segment that carries the last byte queued (RFC 9293 3.9.1);
        // and on a loss probe.
        bool push = len > 0 && (offset + len == _sendBuffer.Count || _probePush);
        var flags = TcpFlags.Ack | (push ? TcpFlags.Psh : 0) | (fin ? TcpFlags.Fin : 0);
        Emit(flags, start, _rcv.Nxt, offset, len, options);
        SeqNum end = start + len + (fin ? 1 : 0);
        _prr?.OnSent(end - start);
        _rtt.OnRetransmit(start, end);
        _retransmittedHigh = _retransmittedHigh is { } h ? SeqNum.Max(h, end) : end;
        _highRxt = SeqNum.Max(_highRxt, end);
        if (_sackOk && PipeRecovery)
            (_rxtLog ??= new RetransmitLog()).Add(start, end, _snd.Nxt);
        _totalRetransmits++;
        Counters.Add(TcpCounter.RetransSegs);
        if (_sackOk && (CcInRecovery || _rtoRecovery))
            Counters.Add(TcpCounter.SackRetransmits);
        return true;
    }

    /// <summary>
    /// RFC 9937 section 4, on every ACK of a SACK-based fast recovery but the one that ends it: DeliveredData is the
    /// change in SND.UNA plus the change in SACKed octets since the ACK's processing began; the ACK is safe when it
    /// advanced SND.UNA and showed no further loss (no retransmission found lost, the loss boundary not moved up).
    /// </summary>
    private void ProportionalRateReductionAck(SeqNum unaAtStart, long sackedAtStart, SeqNum? lossEndAtStart, bool unaAdvanced, int lostRetransmits)
    {
        if (_prr is not { } prr)
            return;
        var sb = Scoreboard;
        SeqNum una = _snd.Una, nxt = _snd.Nxt;
        int smss = Smss;
        long delivered = (una - unaAtStart) + (sb.SackedBytes - sackedAtStart);
        SeqNum lossEnd = sb.LossEnd(una, nxt, smss, LostBelow);
        bool newLoss = lostRetransmits > 0 || (lossEndAtStart is { } before && lossEnd > SeqNum.Max(before, una));
        prr.OnAck(delivered, sb.Pipe(una, nxt, _highRxt, smss, LostBelow), safeAck: unaAdvanced && !newLoss);
    }
}
