using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>SYN-RECEIVED: a SYN arrived (at a listener, or in a simultaneous open); our SYN-ACK waits for its ACK.</summary>
internal sealed partial class ConnectionActor
{
    /// <summary>
    /// LISTEN, SYN arrives (RFC 9293 3.10.7.2 third): RCV.NXT=SEG.SEQ+1, IRS=SEG.SEQ, choose ISS,
    /// send &lt;SEQ=ISS&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=SYN,ACK&gt;, SND.UNA=ISS, SND.NXT=ISS+1, enter SYN-RECEIVED.
    /// Data on the SYN is not kept (like Linux without TCP Fast Open): it is not acknowledged, so the peer resends it.
    /// <paramref name="synEcn"/> is the ECN field of the SYN's IP header (RFC 3168 6.1.1).
    /// </summary>
    private void OpenPassive(TcpSegment syn, byte synEcn)
    {
        Counters.Add(TcpCounter.PassiveOpens);
        _rcv.Initialize(syn.Sequence);
        SetSendMss(Math.Min(syn.Options.Mss ?? _stack.Settings.DefaultMss, _stack.Mss));
        NegotiateFromSyn(syn);
        NegotiateEcnFromSyn(syn, synEcn, simultaneousOpen: false);
        _snd.Initialize(_stack.Isn.Next(_tuple, Now));
        _snd.Nxt = _snd.Iss + 1;
        _snd.SetWindow(syn.Sequence, _snd.Iss, syn.Window);   // a SYN's window is never scaled (RFC 7323 2.2)
        Enter(TcpState.SynReceived);
        _rtt.StartTiming(_snd.Nxt, Now);
        StartRetransmissionTimer();
        SendSynAck();
    }

    private bool SynReceived(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write w:
                OnWrite(w);   // queued until ESTABLISHED
                return true;
            case Close or ConfirmedClose:
                // RFC 9293 3.10.4: queued for processing after entering ESTABLISHED (the FIN follows the SYN's ACK).
                QueueFin((ITcpCommand)message);
                _closeAfterEstablished = true;
                return true;
            case Abort:
                OnAbort();
                return true;
            default:
                return HandleCommon(message);
        }
    }

    private bool _closeAfterEstablished;
}
