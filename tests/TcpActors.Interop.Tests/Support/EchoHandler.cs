using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// Bind handler that echoes every connection: registers itself, writes back what it receives (one write in
/// flight per connection, the rest queued until its ack), and closes when the peer closes.
/// </summary>
public sealed class EchoHandler : ReceiveActor
{
    private sealed record Ack;

    private readonly Dictionary<IActorRef, Queue<ReadOnlyMemory<byte>>> _pending = new();

    public EchoHandler(IActorRef? observer = null)
    {
        Receive<Connected>(_ =>
        {
            _pending[Sender] = new Queue<ReadOnlyMemory<byte>>();
            Sender.Tell(new Register(Self));
            observer?.Tell("connected");
        });
        Receive<Received>(r =>
        {
            if (!_pending.TryGetValue(Sender, out var queue))
                return;
            queue.Enqueue(r.Data);
            if (queue.Count == 1)
                Sender.Tell(new Write(r.Data, new Ack()));
        });
        Receive<Ack>(_ =>
        {
            if (!_pending.TryGetValue(Sender, out var queue))
                return;
            queue.Dequeue();
            if (queue.TryPeek(out var next))
                Sender.Tell(new Write(next, new Ack()));
        });
        Receive<Bound>(_ => observer?.Tell("bound"));
        Receive<ITcpEvent>(e =>
        {
            if (e is PeerClosed or Closed or ConfirmedClosed or Aborted or ErrorClosed)
                _pending.Remove(Sender);
            observer?.Tell(e);
        });
    }

    public static Props Props(IActorRef? observer = null) => Akka.Actor.Props.Create(() => new EchoHandler(observer));
}
