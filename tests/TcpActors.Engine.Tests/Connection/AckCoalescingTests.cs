using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// ACK coalescing at the end of a read batch (tcp-actors.ack-coalescing; Linux's GRO does the same for its
/// receivers): on a link that signals the end of its batches, the ACK that every second full segment owes
/// (RFC 5681 4.2, a SHOULD) waits for the end of the batch, up to the bound, and one ACK covers the batch. The
/// batches are played on a thread marked as the link's read thread, as TunLink's is; the calling-thread dispatcher
/// runs the connection there.
/// </summary>
public class AckCoalescingTests : TimingTestKit
{
    private static readonly byte[] Full = new byte[1460];

    private TcpSettings NoQuickAck => Settings with { QuickAcks = 0 };

    /// <summary>Runs <paramref name="batch"/> on a thread of its own that is marked as a link's read thread.</summary>
    private static void OnLinkThread(Action batch)
    {
        Exception? failure = null;
        var t = new Thread(() =>
        {
            LinkThread.MarkCurrent();
            try
            {
                batch();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "test-link-read" };
        t.Start();
        Assert.True(t.Join(TimeSpan.FromSeconds(10)));
        if (failure is not null)
            throw failure;
    }

    [Fact]
    public void The_full_segments_of_one_read_batch_get_one_ACK_at_its_end()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        OnLinkThread(s.Link.EndBatch);   // the link has shown that it signals its batches
        uint seq = 1001;

        OnLinkThread(() =>
        {
            for (int i = 0; i < 10; i++, seq += (uint)Full.Length)
                c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: Full);
        });
        s.ExpectNothing();   // ten segments, no ACK yet: the batch has not ended
        c.App.ExpectMsg<Received>();

        OnLinkThread(s.Link.EndBatch);
        var ack = s.Next();
        Assert.Equal(seq, ack.Ack);   // one ACK for all ten
        s.ExpectNothing();
        Assert.Equal(1, s.Stack.Counters[TcpCounter.CoalescedAcks]);
    }

    [Fact]
    public void A_batch_longer_than_the_bound_is_ACKed_every_ack_coalescing_segments_and_at_its_end()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck with { AckCoalescing = 8 });
        var c = PassiveOpen(s);
        OnLinkThread(s.Link.EndBatch);
        uint seq = 1001;

        OnLinkThread(() =>
        {
            for (int i = 0; i < 20; i++, seq += (uint)Full.Length)
                c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: Full);
            s.Link.EndBatch();
        });
        var acks = s.Drain();
        Assert.Equal([1001u + 8 * 1460, 1001u + 16 * 1460, 1001u + 20 * 1460], acks.Select(a => a.Ack));
    }

    [Fact]
    public void Off_the_link_thread_or_with_coalescing_off_every_second_segment_is_ACKed_at_once_RFC_5681_4_2()
    {
        // The test's own thread is not a link's read thread: the connection does not wait even though batches end.
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        OnLinkThread(s.Link.EndBatch);
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: Full);
        s.ExpectNothing();
        c.FromPeer(TcpFlags.Ack, 2461, c.Iss + 1, data: Full);
        Assert.Equal(3921u, s.Next().Ack);

        // ack-coalescing = 2: on the link thread too.
        var s2 = new ProbeStack(this, Origin, NoQuickAck with { AckCoalescing = 2 }, wireName: "wire2");
        var c2 = PassiveOpen(s2);
        OnLinkThread(s2.Link.EndBatch);
        OnLinkThread(() =>
        {
            c2.FromPeer(TcpFlags.Ack, 1001, c2.Iss + 1, data: Full);
            c2.FromPeer(TcpFlags.Ack, 2461, c2.Iss + 1, data: Full);
        });
        Assert.Equal(3921u, s2.Next().Ack);
    }

    [Fact]
    public void Before_the_link_has_signalled_a_batch_end_nothing_waits()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        OnLinkThread(() =>
        {
            c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: Full);
            c.FromPeer(TcpFlags.Ack, 2461, c.Iss + 1, data: Full);
        });
        Assert.Equal(3921u, s.Next().Ack);
    }
}
