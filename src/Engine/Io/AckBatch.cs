using Akka.Actor;

namespace TcpActors.Engine.Io;

/// <summary>
/// ACK coalescing at the end of a read batch (what Linux's GRO gives a receiver: one ACK for the segments that
/// arrived together). While the link's read thread still has packets to hand over, a connection that owes the ACK
/// of every second segment (RFC 5681 4.2, a SHOULD) may leave it for the end of the batch, up to
/// <c>tcp-actors.ack-coalescing</c> segments; the <see cref="Demultiplexer"/> then tells each waiting connection
/// <see cref="BatchEnded"/>, and each sends one ACK for all of them. Only a link that signals the ends of its batches
/// (<see cref="Link.ILinkReceiver.OnBatchEnd"/>: TunLink) turns it on, and only a connection running on that link's
/// read thread joins (the list is that thread's alone). One per stack.
/// </summary>
internal sealed class AckBatch
{
    private readonly List<IActorRef> _waiting = [];

    /// <summary>The link has signalled the end of a batch at least once: its batches end with <see cref="Flush"/>.</summary>
    public bool Active { get; private set; }

    /// <summary>Whether a connection handling a segment now may leave its ACK for the end of the batch.</summary>
    public bool CanWait => Active && LinkThread.IsCurrent;

    /// <summary>A connection on the read thread waits for the end of the batch (once per batch: it keeps a flag).</summary>
    public void Add(IActorRef connection) => _waiting.Add(connection);

    /// <summary>The batch ended (on the read thread): every waiting connection is told, in the order they joined.</summary>
    public void Flush()
    {
        Active = true;
        for (int i = 0; i < _waiting.Count; i++)
            _waiting[i].Tell(BatchEnded.Instance, ActorRefs.NoSender);
        _waiting.Clear();
    }
}

/// <summary>To a connection that left its ACK for the end of the link's read batch: the batch ended.</summary>
internal sealed class BatchEnded : Akka.Event.IDeadLetterSuppression
{
    public static readonly BatchEnded Instance = new();
    private BatchEnded() { }
}
