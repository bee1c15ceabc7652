using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Writes to a connection one at a time, each waiting for its ack, and queues the rest up to a bound.
/// </summary>
public sealed class WriteQueue(IActorRef connection, IActorRef self, int limitBytes)
{
    /// <summary>The ack a service handler receives and passes to <see cref="OnAck"/>.</summary>
    public sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    private readonly Queue<ReadOnlyMemory<byte>> _queue = new();
    private bool _writing;

    public int QueuedBytes { get; private set; }
    public bool Idle => !_writing && _queue.Count == 0;

    /// <summary>Queues data; false when the bound would be exceeded (nothing is queued then).</summary>
    public bool Enqueue(ReadOnlyMemory<byte> data)
    {
        if (QueuedBytes + data.Length > limitBytes)
            return false;
        _queue.Enqueue(data);
        QueuedBytes += data.Length;
        if (!_writing)
            WriteNext();
        return true;
    }

    public void OnAck()
    {
        _writing = false;
        WriteNext();
    }

    private void WriteNext()
    {
        if (_queue.Count == 0)
            return;
        var data = _queue.Dequeue();
        QueuedBytes -= data.Length;
        _writing = true;
        connection.Tell(new Write(data, Ack.Instance), self);
    }
}
