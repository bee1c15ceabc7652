using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Tests.Io;

/// <summary>
/// Received and <see cref="ReceivedPool"/>: what Release gives back, for a pooled Received, a recycled one
/// (Register.RecycleReceived) and a <c>with</c> copy.
/// </summary>
public class ReceivedRecyclingTests
{
    private readonly TcpCounters _counters = new();

    [Fact]
    public void Releasing_a_recycled_Received_gives_back_its_buffer_and_the_next_segment_gets_the_same_message()
    {
        var pool = new ReceivedPool();
        var first = PacketBuffers.Rent(_counters, 1500);
        var a = pool.Rent(first.AsMemory(0, 100), first, _counters);
        Assert.True(a.IsPooled);
        Assert.Equal(100, a.Data.Length);
        Assert.Equal(1, _counters[TcpCounter.PacketBuffersInUse]);

        a.Release();
        Assert.False(a.IsPooled);
        Assert.True(a.Data.IsEmpty);   // what the holder may still (wrongly) look at is gone, not another segment's bytes yet
        Assert.Equal(0, _counters[TcpCounter.PacketBuffersInUse]);

        var second = PacketBuffers.Rent(_counters, 1500);
        var b = pool.Rent(second.AsMemory(0, 200), second, _counters);
        Assert.Same(a, b);
        Assert.Equal(200, b.Data.Length);
        Assert.True(b.IsPooled);
        Assert.Equal(1, pool.Created);
        b.Release();
        Assert.Equal(0, _counters[TcpCounter.PacketBuffersInUse]);
    }

    [Fact]
    public void A_recycled_Received_released_twice_throws_and_gives_nothing_back_twice()
    {
        var pool = new ReceivedPool();
        var buffer = PacketBuffers.Rent(_counters, 1500);
        var r = pool.Rent(buffer.AsMemory(0, 10), buffer, _counters);
        r.Release();
        var e = Assert.Throws<InvalidOperationException>(r.Release);
        Assert.Contains("released already", e.Message);
        Assert.Equal(0, _counters[TcpCounter.PacketBuffersInUse]);
        // The message went back to the pool once: two rents get two different messages.
        var x = PacketBuffers.Rent(_counters, 1500);
        var y = PacketBuffers.Rent(_counters, 1500);
        Assert.NotSame(pool.Rent(x, x, _counters), pool.Rent(y, y, _counters));
        Assert.Equal(2, pool.Created);
    }

    [Fact]
    public void A_pooled_Received_that_is_not_recycled_may_be_released_again_and_nothing_happens()
    {
        var buffer = PacketBuffers.Rent(_counters, 1500);
        var r = new Received(buffer.AsMemory(0, 10), buffer, _counters);
        r.Release();
        r.Release();
        Assert.Equal(0, _counters[TcpCounter.PacketBuffersInUse]);
        Assert.Equal(10, r.Data.Length);   // as before recycling existed: the memory stays referenced, only the ownership ends
        new Received(new byte[3]).Release();   // not pooled: nothing to give back
    }

    [Fact]
    public void A_with_copy_of_a_pooled_Received_shows_the_same_bytes_and_owns_nothing()
    {
        var pool = new ReceivedPool();
        var buffer = PacketBuffers.Rent(_counters, 1500);
        buffer[0] = 42;
        var original = pool.Rent(buffer.AsMemory(0, 10), buffer, _counters);
        var copy = original with { };
        Assert.False(copy.IsPooled);
        Assert.Equal(42, copy.Data.Span[0]);
        copy.Release();   // a copy gives nothing back and does not throw
        copy.Release();
        Assert.True(original.IsPooled);
        Assert.Equal(1, _counters[TcpCounter.PacketBuffersInUse]);
        original.Release();
        Assert.Equal(0, _counters[TcpCounter.PacketBuffersInUse]);
        var shorter = new Received(new byte[5]) with { Data = new byte[2] };
        Assert.Equal(2, shorter.Data.Length);
    }
}
