using System.Buffers;
using Akka.Actor;

namespace TcpActors.Engine.Link;

/// <summary>Where an impaired path hands a packet copy when it comes due.</summary>
internal interface IPacketSink
{
    /// <summary>Delivers the packet (only valid during the call); false if the far side is gone.</summary>
    bool TryDeliver(ReadOnlySpan<byte> packet);
}

/// <summary>
/// One direction of an impaired link: runs each packet through an <see cref="ImpairmentModel"/>, delivers
/// zero-delay copies synchronously on the calling thread and schedules delayed ones on the Akka scheduler
/// (so Akka's TestScheduler releases them on <c>Advance</c>, in virtual time). Corrupted copies have their
/// bit flipped in a private copy; the caller's buffer is never modified.
/// </summary>
internal sealed class ImpairedPath(ImpairmentModel model, IScheduler scheduler, IPacketSink sink)
{
    public ImpairmentModel Model => model;

    public ImpairmentCounters Counters => model.Counters;

    public void Submit(ReadOnlySpan<byte> packet)
    {
        Span<Delivery> deliveries = stackalloc Delivery[2];
        int count = model.Decide(packet.Length, deliveries);
        for (int i = 0; i < count; i++)
        {
            Delivery delivery = deliveries[i];
            if (delivery.Delay <= TimeSpan.Zero)
            {
                if (!delivery.IsCorrupt)
                {
                    Deliver(packet);
                    continue;
                }

                byte[] copy = ArrayPool<byte>.Shared.Rent(packet.Length);
                try
                {
                    Span<byte> span = copy.AsSpan(0, packet.Length);
                    packet.CopyTo(span);
                    delivery.Apply(span);
                    Deliver(span);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(copy);
                }
            }
            else
            {
                // A plain copy: if the scheduler is shut down before it fires, nothing leaks from the pool.
                byte[] copy = packet.ToArray();
                delivery.Apply(copy);
                scheduler.Advanced.ScheduleOnce(delivery.Delay, () => Deliver(copy));
            }
        }
    }

    private void Deliver(ReadOnlySpan<byte> packet)
    {
        if (sink.TryDeliver(packet))
            model.Counters.CountDelivered();
        else
            model.Counters.CountDroppedClosed();
    }
}
