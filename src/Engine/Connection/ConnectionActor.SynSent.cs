using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>SYN-SENT: OPEN (active) sent our SYN; waiting for a matching SYN (RFC 9293 3.10.1, 3.10.7.3).</summary>
internal sealed partial class ConnectionActor
{
    /// <summary>OPEN, active (3.10.1): choose an ISS, send &lt;SEQ=ISS&gt;&lt;CTL=SYN&gt;, SND.UNA=ISS, SND.NXT=ISS+1, enter SYN-SENT.</summary>
    private void OpenActive()
    {
        Counters.Add(TcpCounter.ActiveOpens);
        _snd.Initialize(_stack.Isn.Next(_tuple, Now));
        _snd.Nxt = _snd.Iss + 1;
        _tsOffset = _stack.Isn.TimestampOffset(_tuple);
        Enter(TcpState.SynSent);
        _rtt.StartTiming(_snd.Nxt, Now);
        StartRetransmissionTimer();
        SendSyn();
    }

    private bool SynSent(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SynSentSegmentArrives(m);
                return true;
            case Write w:
                OnWrite(w);   // SEND in SYN-SENT: queued for transmission after ESTABLISHED
                return true;
            case Close or ConfirmedClose:
                // CLOSE in SYN-SENT: delete the TCB; the open fails.
                Sender.Tell(message is Close ? Closed.Instance : ConfirmedClosed.Instance);
                if (_commander is { } c && !c.Equals(Sender))
                    c.Tell(new CommandFailed(_connectCommand!, new TcpException("closed before the connection was established")));
                EnterClosed();
                return true;
            case Abort:
                // ABORT in SYN-SENT: delete the TCB, no RST.
                Sender.Tell(Aborted.Instance);
                if (_commander is { } c2 && !c2.Equals(Sender))
                    c2.Tell(new CommandFailed(_connectCommand!, new TcpException("aborted before the connection was established")));
                EnterClosed();
                return true;
            default:
                return HandleCommon(message);
        }
    }

    /// <summary>SEGMENT ARRIVES in SYN-SENT (RFC 9293 3.10.7.3).</summary>
    private void SynSentSegmentArrives(SegmentArrived m)
    {
        TcpSegment seg = m.Segment;
        // first: check the ACK bit
        bool ackAcceptable = false;
        if (seg.Ack)
        {
            // SEG.ACK =< ISS or SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST> (unless RST), discard.
            if (!seg.Acknowledgment.InRangeExclusiveInclusive(_snd.Iss, _snd.Nxt))
            {
                Counters.Add(TcpCounter.SegmentsDiscarded);
                if (!seg.Rst)
                    SendReset(seg.Acknowledgment);
                return;
            }
            ackAcceptable = _snd.AcksNewData(seg.Acknowledgment);
        }
        // second: check the RST bit (RFC 5961 3.2: acceptable only if it acknowledges the SYN)
        if (seg.Rst)
        {
            Counters.Add(TcpCounter.InRsts);
            if (ackAcceptable)
                FailOpen(new TcpException("connection refused"));
            else
                Counters.Add(TcpCounter.SegmentsDiscarded);
            return;
        }
        // third: security (not used)
        // fourth: check the SYN bit
        if (!seg.Syn)
        {
            Counters.Add(TcpCounter.SegmentsDiscarded);
            return;
        }
        _rcv.Initialize(seg.Sequence);
        SetSendMss(Math.Min(seg.Options.Mss ?? _stack.Settings.DefaultMss, _stack.Mss));
        if (ackAcceptable)
        {
            NegotiateFromSynAck(seg);
            NegotiateEcnFromSynAck(seg);
            _snd.Una = seg.Acknowledgment;
            _snd.SetWindow(seg.Sequence, seg.Acknowledgment, seg.Window);
            _rtt.OnAck(seg.Acknowledgment, Now);
            _retries = 0;
            Timers.Cancel(TimerKeys.Retransmission);
            ApplyRfc6298Rule57();
            Enter(TcpState.Established);
            SendAck();   // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            AnnounceConnected();
            RestartKeepalive();
            // Data or FIN that came with the SYN-ACK: the sixth and later steps (RFC 9293 3.10.7.3 fourth).
            if (m.Payload.Length > 0 || seg.Fin)
            {
                var rest = seg;
                rest.Flags &= ~TcpFlags.Syn;
                rest.Sequence = seg.Sequence + 1;
                var restArrived = new SegmentArrived(m.Tuple, rest, m.Payload, m.TakeBuffer(), m.Counters, m.Ecn);
                try
                {
                    SegmentArrives(restArrived);
                }
                finally
                {
                    restArrived.Release();
                }
            }
            else
            {
                TrySend();
            }
            return;
        }
        // Simultaneous open (Figure 7): enter SYN-RECEIVED and send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        NegotiateFromSyn(seg);
        NegotiateEcnFromSyn(seg, m.Ecn, simultaneousOpen: true);
        _snd.SetWindow(seg.Sequence, _snd.Iss, seg.Window);
        Enter(TcpState.SynReceived);
        _retries = 0;
        StartRetransmissionTimer();
        SendSynAck();
    }
}
