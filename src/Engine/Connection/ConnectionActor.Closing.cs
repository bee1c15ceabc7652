namespace TcpActors.Engine.Connection;

/// <summary>CLOSING: both sides closed at once (simultaneous close); our FIN waits for its ACK.</summary>
internal sealed partial class ConnectionActor
{
    /// <summary>SEGMENT ARRIVES, SEND and CLOSE (refused: "connection closing") and ABORT ("ok") as in every state after both CLOSEs.</summary>
    private bool Closing(object message) => AfterBothClosed(message);
}
