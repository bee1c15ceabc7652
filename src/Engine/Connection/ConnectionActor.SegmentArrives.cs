using Akka.Actor;
using System.Buffers;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states (RFC 9293 section 3.10.7.4), in the RFC's
/// order: first the sequence number, second RST, (third security), fourth SYN, fifth ACK, sixth URG,
/// seventh the segment text, eighth FIN. RFC 5961 replaces the RST and SYN handling with challenge ACKs.
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>Scratch for what comes out of the reassembler (copied before it is told): one per thread, none per connection.</summary>
    private static ArrayBufferWriter<byte> _reassembled => t_reassembled ??= new();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_reassembled;

    private void SegmentArrives(SegmentArrived m)
    {
        TcpSegment seg = m.Segment;
        // The payload lies in the segment's packet buffer: in-order data goes to the application as a copy, or in
        // that buffer itself for a handler that asked for pooled data (DeliverData); it is released after this.
        ReadOnlyMemory<byte> data = m.Payload;

        // Linux: a retransmission of the SYN that opened this connection is answered with the SYN-ACK again.
        if (_state == TcpState.SynReceived && IsPassive && seg.Syn && !seg.Ack && !seg.Rst && seg.Sequence == _rcv.Irs)
        {
            SendSynAck();
            OnSynRetransmitted();
            return;
        }
        // Simultaneous open, RFC 9293 Figure 7 line 6: the peer's SYN-ACK repeats its SYN (SEG.SEQ = IRS) and
        // acknowledges ours; the figure enters ESTABLISHED on it, though the first check alone would only ACK it
        // as a duplicate. Like Linux (tcp_validate_incoming): accept it as the ACK of our SYN and ACK it.
        if (_state == TcpState.SynReceived && !IsPassive && seg.Syn && seg.Ack && !seg.Rst && !seg.Fin
            && m.Payload.IsEmpty && seg.Sequence == _rcv.Irs && seg.Acknowledgment == _snd.Nxt)
        {
            EstablishFromSynReceived(seg);
            SendAck();
            TrySendAfterAck();
            return;
        }
        // TIME-WAIT: a retransmission of the remote FIN is acknowledged and restarts the 2 MSL timeout (3.10.7.4 eighth).
        if (_state == TcpState.TimeWait && seg.Fin && !seg.Rst && !seg.Syn && seg.Sequence + seg.SegmentLength == _rcv.Nxt)
        {
            SendAck();
            StartTimeWait();
            return;
        }

        // RFC 7323 5.3 R1: PAWS drops an old duplicate (with an ACK) before the sequence number check.
        if (PawsRejects(seg))
            return;

        // first: check the sequence number
        int segLen = seg.SegmentLength;
        bool acceptable = _rcv.IsAcceptable(seg.Sequence, segLen);
        bool zeroWindowProbe = false;
        if (!acceptable && _rcv.Wnd == 0 && seg.Sequence == _rcv.Nxt)
        {
            // RCV.WND = 0: special allowance for valid ACKs, URGs and RSTs; the text and FIN are dropped, and the
            // segment (a zero-window probe) is answered with an ACK that repeats the closed window (RFC 9293 3.8.6.1).
            zeroWindowProbe = !data.IsEmpty || seg.Fin;
            data = default;
            seg.Flags &= ~TcpFlags.Fin;
            acceptable = true;
        }
        if (!acceptable)
        {
            Counters.Add(TcpCounter.SegmentsDiscarded);
            if (!seg.Rst && data.Length > 0 && seg.Sequence + segLen <= _rcv.Nxt)
                NoteDuplicate(seg.Sequence, seg.Sequence + data.Length);   // RFC 2883: report the duplicate
            if (!seg.Rst)
                SendAck();
            return;
        }
        UpdateTsRecent(seg);   // RFC 7323 5.3 R3
        RestartKeepalive();

        // Trim to the window: octets before RCV.NXT are old, octets beyond RCV.NXT+RCV.WND are not yet allowed.
        SeqNum start = seg.Sequence + (seg.Syn ? 1 : 0);
        int skip = Math.Max(0, _rcv.Nxt - start);
        if (skip > 0)
        {
            if (data.Length > 0)
                NoteDuplicate(start, start + Math.Min(skip, data.Length));
            data = skip >= data.Length ? default : data[skip..];
            start = _rcv.Nxt;
        }
        bool fin = seg.Fin;
        int room = (_rcv.Nxt + _rcv.Wnd) - start;
        if (data.Length > room)
        {
            data = data[..Math.Max(0, room)];
            fin = false;
        }

        // second: check the RST bit (RFC 5961 section 3.2)
        if (seg.Rst)
        {
            if (seg.Sequence != _rcv.Nxt)
            {
                SendChallengeAck();
                return;
            }
            if (_state == TcpState.SynReceived)
            {
                Counters.Add(TcpCounter.InRsts);
                if (IsPassive)
                    EnterClosed();   // return to LISTEN: the listener never left it; the user need not be informed
                else
                    FailOpen(new TcpException("connection refused"));
                return;
            }
            ResetByPeer();
            return;
        }

        // third: security and precedence (not used, RFC 9293 3.10.7.4 third)

        // fourth: check the SYN bit
        if (seg.Syn)
        {
            if (_state == TcpState.SynReceived && IsPassive)
            {
                EnterClosed();   // return to LISTEN
                return;
            }
            SendChallengeAck();  // RFC 5961 section 4.2
            return;
        }

        // fifth: check the ACK field
        if (!seg.Ack)
        {
            Counters.Add(TcpCounter.SegmentsDiscarded);
            return;
        }
        SeqNum ack = seg.Acknowledgment;
        if (_state == TcpState.SynReceived)
        {
            if (!_snd.AcksNewData(ack))
            {
                SendReset(ack);  // <SEQ=SEG.ACK><CTL=RST>
                return;
            }
            EstablishFromSynReceived(seg);
        }
        if (!AckArrives(seg, ack, data.Length))
            return;
        if (zeroWindowProbe)
            SendAck();

        // sixth: check the URG bit
        if ((seg.Flags & TcpFlags.Urg) != 0 && _state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
            _rcv.Up = SeqNum.Max(_rcv.Up, seg.Sequence + seg.UrgentPointer);

        // seventh: process the segment text
        bool inOrder = start == _rcv.Nxt;
        bool acceptsText = _state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2;
        bool finReached = false;
        if (acceptsText && data.Length > 0)
            EcnDataArrived(seg.Flags, m.Ecn);
        if (acceptsText && (data.Length > 0 || fin))
        {
            if (!inOrder)
            {
                if (data.Length > 0)
                    HoldOutOfOrder(start, data.Span);
                if (fin)
                {
                    Reassembly.AddFin(start + data.Length);
                    SyncReassemblyCharge();
                }
                SendAck();   // RFC 5681 4.2: an out-of-order segment is acknowledged at once (a duplicate ACK)
                TrySendAfterAck();
                return;
            }
            bool hadHoles = _reassembler is { SegmentCount: > 0 };
            if (data.Length > 0)
            {
                DeliverData(data, m);
                _rcv.Nxt += data.Length;
            }
            if (hadHoles)
            {
                _reassembled.ResetWrittenCount();
                SeqNum nxt = _rcv.Nxt;
                _reassembler!.TakeContiguous(ref nxt, _reassembled, out finReached);
                SyncReassemblyCharge();
                _rcv.Nxt = nxt;
                if (_reassembled.WrittenCount > 0)
                    DeliverData(new Received(_reassembled.WrittenSpan.ToArray()));   // _reassembled is reused: the application gets a copy
            }
            if (data.Length > 0)
                NoteDataArrived();
            // With the FIN in order, step eight acknowledges data and FIN in one ACK.
            if ((data.Length > 0 || hadHoles) && !fin && !finReached)
            {
                if (hadHoles || _quickAcks > 0 || data.Length > _stack.Mss || _stack.Settings.DelayedAck == TimeSpan.Zero)
                    SendAck();   // at once when a gap is filled, in quick-ACK mode, for a super-segment from a link with offloads, or when delayed ACK is off
                else if (++_segmentsSinceAck >= 2 && !AckWaitsForBatchEnd())
                    SendAck();   // at least every second segment
                else
                    StartDelayedAckTimer();
            }
        }

        // eighth: check the FIN bit
        if ((fin && inOrder) || finReached)
        {
            if (_state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.SynReceived)
                FinArrives();
            else
                SendAck();   // CLOSE-WAIT, CLOSING, LAST-ACK: remain; the FIN was already acknowledged
            return;
        }
        TrySendAfterAck();
    }

    /// <summary>
    /// In-order data arrived. Quick-ACK mode (Linux tcp_event_data_recv): the first data of the connection, and data
    /// after a pause longer than the RTO (the sender is likely restarting from a small window), give the next
    /// quick-acks ACKs at once instead of delayed.
    /// </summary>
    private void NoteDataArrived()
    {
        var now = Now;
        if (!_dataReceived || now - _lastDataAt > _rtt.Rto)
            _quickAcks = Math.Max(_quickAcks, _stack.Settings.QuickAcks);
        _dataReceived = true;
        _lastDataAt = now;
    }

    /// <summary>
    /// The fifth step for the synchronized states. Returns false when the segment is to be dropped here.
    /// </summary>
    private bool AckArrives(in TcpSegment seg, SeqNum ack, int dataLength)
    {
        if (_windowProbeOut && ack == _snd.Nxt + 1)
        {
            // RFC 9293 3.8.6.1: the receiver took the zero-window probe's octet (its window opened and the update
            // was lost). The octet was sent: SND.NXT covers it, so this ACK is acceptable and carries the new window.
            _windowProbeOut = false;
            _snd.Nxt += 1;
            _bytesSent += 1;
        }
        if (!_snd.IsAckAcceptable(ack))
        {
            // RFC 5961 5.2 / RFC 9293: an ACK of something not yet sent, or far too old: ACK and drop.
            Counters.Add(TcpCounter.SegmentsDiscarded);
            SendAck();
            return false;
        }
        uint window = ScaledWindow(seg);
        // RFC 5681 section 2: a duplicate ACK.
        bool duplicate = ack == _snd.Una && dataLength == 0 && !seg.Fin && window == _snd.Wnd && _snd.InFlight > 0;
        int flightBefore = _snd.InFlight;
        // What PRR counts as delivered by this ACK, and whether it shows a new loss (RFC 9937 section 4).
        SeqNum unaAtStart = _snd.Una;
        long sackedAtStart = _scoreboard?.SackedBytes ?? 0;
        SeqNum? lossEndAtStart = _prr is not null ? Scoreboard.LossEnd(_snd.Una, _snd.Nxt, Smss, LostBelow) : null;
        bool unaAdvanced = _snd.AcksNewData(ack);
        if (unaAdvanced)
        {
            NoteReordering(_snd.Una, ack);
            NewDataAcknowledged(seg, ack);
        }
        // RFC 6675 section 2: with SACK, an ACK that SACKs new data counts as a duplicate too.
        long sackedBeforeUpdate = _scoreboard?.SackedBytes ?? 0;
        bool newSack = _sackOk && seg.Options.SackCount > 0 && Scoreboard.Update(_snd.Una, _snd.Nxt, seg.Options.SackBlocks);
        if (newSack)
        {
            duplicate = true;
            RackSacked();
            _newlySacked = Scoreboard.SackedBytes - sackedBeforeUpdate;
        }
        int lostRetransmits = DetectLostRetransmissions();
        if (_sackOk)
            LossProbeAcked(seg, ack, unaAdvanced, newSack, flightBefore);
        OnDuplicateAck(duplicate);
        ProportionalRateReductionAck(unaAtStart, sackedAtStart, lossEndAtStart, unaAdvanced, lostRetransmits);
        _newlySacked = 0;
        EcnEchoArrived(seg);
        if (_snd.UpdateWindow(seg.Sequence, ack, window) && _snd.Wnd > 0)
            Timers.Cancel(TimerKeys.Persist);
        ScheduleLossProbe();   // RFC 8985 7.2: on each ACK

        bool finAcked = _finSent && _snd.Una == _snd.Nxt;
        switch (_state)
        {
            case TcpState.FinWait1 when finAcked:
                Enter(TcpState.FinWait2);
                if (_closeCommand is Close)
                    Timers.StartSingleTimer(TimerKeys.FinWait2, FinWait2Timeout.Instance, _stack.Settings.FinTimeout);
                NotifyCloseDone(bothFinsDone: false);
                break;
            case TcpState.Closing:
                if (!finAcked)
                {
                    TrySend();   // data queued before our FIN may still be going out
                    return false;
                }
                Enter(TcpState.TimeWait);
                StartTimeWait();
                NotifyCloseDone(bothFinsDone: true);
                return false;
            case TcpState.LastAck:
                if (finAcked)
                {
                    NotifyCloseDone(bothFinsDone: true);
                    EnterClosed();
                }
                else
                {
                    TrySend();   // data queued before our FIN may still be going out
                }
                return false;
        }
        return true;
    }

    /// <summary>SND.UNA &lt; SEG.ACK =&lt; SND.NXT: drop what is acknowledged from the retransmission queue.</summary>
    private void NewDataAcknowledged(in TcpSegment seg, SeqNum ack)
    {
        int acked = ack - _snd.Una;
        bool finAcked = _finSent && ack == _snd.Nxt;
        int dataAcked = Math.Min(acked - (finAcked ? 1 : 0), _sendBuffer.Count);
        if (dataAcked > 0)
        {
            _sendBuffer.Acknowledge(dataAcked);
            if (_sendBuffer.AutoTuned)
                _sendBuffer.GrowCapacity((int)Math.Min(_stack.Settings.SendBufferMax, 2L * CcCwnd));   // send-buffer auto-tuning
            FillFromPendingWrite();
        }
        if (_tsOk)
        {
            SampleRttFromTimestamp(seg);   // RFC 7323 4.1: valid for retransmitted segments too
            _retransmittedHigh = null;
        }
        else if (_retransmittedHigh is { } high)
        {
            // Karn's algorithm as Linux applies it: an ACK that acknowledges retransmitted octets gives no sample,
            // even for a timed segment beyond them (its ACK waited for the retransmission).
            _rtt.OnRetransmit();
            if (ack >= high)
                _retransmittedHigh = null;
        }
        else
        {
            _rtt.ClearBackoff();   // this ACK covers only octets sent once
        }
        _snd.Una = ack;
        if (!_tsOk)
            _rtt.OnAck(ack, Now);
        _scoreboard?.Acknowledge(ack);
        _rack?.Acknowledge(ack);
        _retries = 0;
        _dupAcks = 0;
        _limitedTransmitBytes = 0;
        _keepaliveProbes = 0;
        OnCumulativeAck(ack, dataAcked);
        if (_snd.InFlight == 0)
            StopRetransmissionTimer();                 // RFC 6298 5.2
        else
            RestartRetransmissionTimer();               // 5.3
    }

    /// <summary>The synchronized states in which our data may still be in flight or go out.</summary>
    private bool SendsData =>
        _state is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.LastAck or TcpState.Closing;

    private void TrySendAfterAck()
    {
        if (SendsData)
            TrySend();
    }

    /// <summary>The eighth step: the peer's FIN is in order. Advance RCV.NXT over it, acknowledge it, tell the user.</summary>
    private void FinArrives()
    {
        _rcv.Nxt += 1;
        TrySendAfterAck();
        SendAck();
        TellApplication(PeerClosed.Instance);
        switch (_state)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                Enter(TcpState.CloseWait);
                if (_handler is not null && !_keepOpenOnPeerClosed && _closeCommand is null)
                    CloseOnBehalfOfApplication();
                break;
            case TcpState.FinWait1:
                if (_finSent && _snd.Una == _snd.Nxt)
                {
                    Enter(TcpState.TimeWait);
                    StartTimeWait();
                    NotifyCloseDone(bothFinsDone: true);
                }
                else
                {
                    Enter(TcpState.Closing);
                }
                break;
            case TcpState.FinWait2:
                Enter(TcpState.TimeWait);
                StartTimeWait();
                NotifyCloseDone(bothFinsDone: true);
                break;
        }
    }

    /// <summary>Akka.IO's default: when the peer closes, close our side too (CLOSE in CLOSE-WAIT).</summary>
    private void CloseOnBehalfOfApplication()
    {
        _closedOnBehalf = true;
        _finQueued = true;
        Enter(TcpState.LastAck);
        TrySend();
    }

    /// <summary>SYN-RECEIVED, fifth step: SND.UNA &lt; SEG.ACK =&lt; SND.NXT, so enter ESTABLISHED.</summary>
    private void EstablishFromSynReceived(in TcpSegment seg)
    {
        _snd.Una = seg.Acknowledgment;
        _snd.SetWindow(seg.Sequence, seg.Acknowledgment, ScaledWindow(seg));
        _rtt.OnAck(seg.Acknowledgment, Now);
        _retries = 0;
        Timers.Cancel(TimerKeys.Retransmission);
        ApplyRfc6298Rule57();
        Enter(TcpState.Established);
        AnnounceConnected();
        RestartKeepalive();
        if (_closeAfterEstablished)
        {
            // RFC 9293 3.10.4: the CLOSE queued in SYN-RECEIVED is processed on entering ESTABLISHED, before the
            // rest of this segment (which may carry the peer's FIN: then FIN-WAIT-1 -> CLOSING, not CLOSE-WAIT).
            _closeAfterEstablished = false;
            Enter(TcpState.FinWait1);
            TrySend();
        }
    }

    /// <summary>RFC 6298 5.7: if the SYN or SYN-ACK was retransmitted, data transmission begins with an RTO of 3 s.</summary>
    private void ApplyRfc6298Rule57()
    {
        if (_synRetransmitted && _rtt.SmoothedRtt is null)
        {
            var s = _stack.Settings;
            var three = TimeSpan.FromSeconds(3);
            _rtt = new RttEstimator(three < s.MaxRto ? (three > s.InitialRto ? three : s.InitialRto) : s.MaxRto, s.MinRto, s.MaxRto);
        }
    }
}
