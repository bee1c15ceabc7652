namespace TcpActors.Engine.Connection;

/// <summary>LAST-ACK: the peer closed first, then we did; our FIN waits for its ACK.</summary>
internal sealed partial class ConnectionActor
{
    /// <summary>SEGMENT ARRIVES, SEND and CLOSE (refused: "connection closing") and ABORT ("ok") as in every state after both CLOSEs.</summary>
    private bool LastAck(object message) => AfterBothClosed(message);
}
