using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>FIN-WAIT-1: we closed; our FIN (after any queued data) waits for its ACK.</summary>
internal sealed partial class ConnectionActor
{
    private bool FinWait1(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write or Close or ConfirmedClose:
                RefuseClosing((ITcpCommand)message);   // "error: connection closing"
                return true;
            case Abort:
                OnAbort();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
