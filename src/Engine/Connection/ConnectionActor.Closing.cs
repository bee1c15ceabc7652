using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>CLOSING: both sides closed at once (simultaneous close); our FIN waits for its ACK.</summary>
internal sealed partial class ConnectionActor
{
    private bool Closing(object message)
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
                Sender.Tell(Aborted.Instance);   // ABORT in CLOSING: "ok", delete the TCB
                EnterClosed();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
