using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace TcpActors.Engine.Connection;

/// <summary>
/// The mailbox of connection actors (<c>tcp-actors.connection-mailbox</c>). Akka's default queue is a
/// <c>ConcurrentQueue</c> whose first segment alone is ~1 KB and stays allocated for the actor's life; an idle
/// connection holds it for nothing. This one holds a single message inline and an array only while two or more
/// wait, so an idle connection's queue is one small object, and a request/response exchange (one message at a
/// time) allocates nothing. Many producers, one consumer (the mailbox run), under a lock.
/// </summary>
public sealed class ConnectionMailbox(Settings settings, Config config) : MailboxType(settings, config)
{
    /// <summary>Its configuration path: <c>Props.WithMailbox(ConnectionMailbox.ConfigPath)</c> suits any per-connection actor.</summary>
    public const string ConfigPath = "tcp-actors.connection-mailbox";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue();
}

/// <summary>An unbounded FIFO of envelopes: inline for one, a ring array (released when drained) for more.</summary>
public sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private const int FirstRingSize = 4;
    private Envelope _single;
    private Envelope[]? _ring;
    private int _head;
    private int _count;

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Volatile.Read(ref _count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0)
            {
                _single = envelope;
                _count = 1;
                return;
            }
            if (_ring is null)
            {
                // The second message: the ring takes over, the inline one first.
                _ring = new Envelope[FirstRingSize];
                _ring[0] = _single;
                _single = default;
                _head = 0;
            }
            else if (_count == _ring.Length)
            {
                var bigger = new Envelope[_ring.Length * 2];
                int first = _ring.Length - _head;
                Array.Copy(_ring, _head, bigger, 0, first);
                Array.Copy(_ring, 0, bigger, first, _head);
                _ring = bigger;
                _head = 0;
            }
            _ring[(_head + _count) % _ring.Length] = envelope;
            _count++;
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (_count == 0)
            {
                envelope = default;
                return false;
            }
            if (_ring is null)
            {
                envelope = _single;
                _single = default;
                _count = 0;
                return true;
            }
            envelope = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            if (--_count == 0)
            {
                _ring = null;   // drained: an idle connection keeps no array
                _head = 0;
            }
            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
            deadletters.Enqueue(owner, envelope);
    }
}
