using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Connection;

/// <summary>ESTABLISHED: data flows both ways.</summary>
internal sealed partial class ConnectionActor
{
    private bool Established(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write w:
                OnWrite(w);   // SEND (3.10.2)
                return true;
            case Close or ConfirmedClose:
                // CLOSE (3.10.4): queue the FIN after the data, enter FIN-WAIT-1.
                QueueFin((ITcpCommand)message);
                Enter(TcpState.FinWait1);
                TrySend();
                return true;
            case Abort:
                OnAbort();
                return true;
            default:
                return HandleCommon(message);
        }
    }
}
