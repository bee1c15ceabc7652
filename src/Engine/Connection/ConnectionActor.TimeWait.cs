namespace TcpActors.Engine.Connection;

/// <summary>TIME-WAIT: both FINs are done; the tuple is held for 2 MSL so old duplicates die (RFC 9293 3.4.2).</summary>
internal sealed partial class ConnectionActor
{
    /// <summary>SEGMENT ARRIVES, SEND and CLOSE (refused: "connection closing") and ABORT ("ok") as in every state after both CLOSEs.</summary>
    private bool TimeWait(object message) => AfterBothClosed(message);
}
