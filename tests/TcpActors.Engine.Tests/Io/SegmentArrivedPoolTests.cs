using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Io;

public class SegmentArrivedPoolTests
{
    private static readonly FourTuple Tuple = new(Ipv4Address.Parse("198.18.0.2"), 80, Ipv4Address.Parse("198.18.0.1"), 40000);

    private static TcpSegment Segment(uint seq) => new() { Sequence = new SeqNum(seq), Flags = TcpFlags.Ack, PayloadLength = 3 };

    [Fact]
    public void A_recycled_message_is_the_next_one_rented_and_carries_the_new_segment()
    {
        var pool = new SegmentArrivedPool();
        var counters = new TcpCounters();
        byte[] buffer = PacketBuffers.Rent(counters, 3);
        var first = pool.Rent(Tuple, Segment(1000), buffer.AsMemory(0, 3), buffer, counters, ecn: 2);
        Assert.True(first.IsRented);
        Assert.Equal(1000u, first.Segment.Sequence.Value);
        Assert.Equal(2, first.Ecn);

        first.Recycle();
        Assert.False(first.IsRented);
        Assert.Equal(0, counters[TcpCounter.PacketBuffersInUse]);   // recycling releases the packet buffer
        Assert.True(first.Payload.IsEmpty);

        var second = pool.Rent(Tuple, Segment(2000), ReadOnlyMemory<byte>.Empty, null, counters, ecn: 0);
        Assert.Same(first, second);
        Assert.Equal(2000u, second.Segment.Sequence.Value);
        Assert.Equal(0, second.Ecn);
        Assert.Null(second.TakeBuffer());
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public void Recycling_twice_gives_the_message_back_once_so_two_renters_never_share_it()
    {
        var pool = new SegmentArrivedPool();
        var m = pool.Rent(Tuple, Segment(1), ReadOnlyMemory<byte>.Empty, null, null, 0);
        m.Recycle();
        m.Recycle();
        var a = pool.Rent(Tuple, Segment(2), ReadOnlyMemory<byte>.Empty, null, null, 0);
        var b = pool.Rent(Tuple, Segment(3), ReadOnlyMemory<byte>.Empty, null, null, 0);
        Assert.NotSame(a, b);
        Assert.Equal(2, pool.Created);
    }

    [Fact]
    public void A_message_of_its_own_is_only_released_when_recycled()
    {
        var counters = new TcpCounters();
        byte[] buffer = PacketBuffers.Rent(counters, 3);
        var m = new SegmentArrived(Tuple, Segment(1), buffer.AsMemory(0, 3), buffer, counters);
        m.Recycle();
        Assert.Equal(0, counters[TcpCounter.PacketBuffersInUse]);
        Assert.False(m.IsRented);
        Assert.Equal(3, m.Payload.Length);   // untouched: nobody reuses it
    }
}
