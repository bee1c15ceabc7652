using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>FIN-WAIT-2: our FIN is acknowledged; waiting for the peer's FIN (data may still arrive).</summary>
internal sealed partial class ConnectionActor
{
    private bool FinWait2(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write or Close or ConfirmedClose:
                RefuseClosing((ITcpCommand)message);
                return true;
            case Abort:
                OnAbort();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
