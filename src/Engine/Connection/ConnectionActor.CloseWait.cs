using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>CLOSE-WAIT: the peer closed; we may still send (half-close) until the application closes.</summary>
internal sealed partial class ConnectionActor
{
    private bool CloseWait(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write w:
                OnWrite(w);
                return true;
            case Close or ConfirmedClose:
                // CLOSE in CLOSE-WAIT (3.10.4): FIN after the queued data, enter LAST-ACK.
                QueueFin((ITcpCommand)message);
                Enter(TcpState.LastAck);
                TrySend();
                return true;
            case Register r:
                OnRegister(r);
                if (!_keepOpenOnPeerClosed && _closeCommand is null && !_finQueued)
                    CloseOnBehalfOfApplication();
                return true;
            case Abort:
                OnAbort();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
