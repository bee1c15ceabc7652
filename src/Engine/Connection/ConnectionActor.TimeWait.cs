using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>TIME-WAIT: both FINs are done; the tuple is held for 2 MSL so old duplicates die (RFC 9293 3.4.2).</summary>
internal sealed partial class ConnectionActor
{
    private bool TimeWait(object message)
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
                _heldForHandler = null;
                Sender.Tell(Aborted.Instance);   // ABORT in TIME-WAIT: "ok", delete the TCB
                EnterClosed();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
