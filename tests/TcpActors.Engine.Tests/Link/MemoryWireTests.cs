using Akka.TestKit;
using Akka.TestKit.Configs;
using TcpActors.Engine.Link;

namespace TcpActors.Engine.Tests.Link;

public class MemoryWireTests : Akka.TestKit.Xunit2.TestKit
{
    public MemoryWireTests() : base(TestConfigs.TestSchedulerConfig)
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (MemoryWire Wire, CollectingReceiver AtA, CollectingReceiver AtB) Started(
        ImpairmentSettings? aToB = null, ImpairmentSettings? bToA = null, int mtu = 1500)
    {
        var wire = new MemoryWire(Sys.Scheduler, mtu, aToB, bToA);
        var atA = new CollectingReceiver();
        var atB = new CollectingReceiver();
        wire.A.Start(atA);
        wire.B.Start(atB);
        return (wire, atA, atB);
    }

    [Fact]
    public void A_packet_crosses_intact_in_both_directions_synchronously_on_the_sending_thread()
    {
        var (wire, atA, atB) = Started();
        byte[] one = TestPackets.Make(1), two = TestPackets.Make(2, 1500);

        wire.A.Send(one);
        Assert.Equal([one], atB.Packets);
        Assert.Equal([Environment.CurrentManagedThreadId], atB.Threads);
        Assert.Empty(atA.Packets);

        wire.B.Send(two);
        Assert.Equal([two], atA.Packets);
        Assert.Equal(1, wire.AToBCounters.Delivered);
        Assert.Equal(1, wire.BToACounters.Delivered);
        Assert.Equal(1500, wire.A.Mtu);
    }

    [Fact]
    public void The_sender_may_reuse_its_buffer_as_soon_as_send_returns()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)));
        byte[] buffer = TestPackets.Make(1);
        byte[] original = (byte[])buffer.Clone();

        wire.A.Send(buffer);
        Array.Fill(buffer, (byte)0xEE);
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal([original], atB.Packets);
    }

    [Fact]
    public void A_delayed_packet_arrives_only_when_virtual_time_reaches_the_delay()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(10)));
        byte[] packet = TestPackets.Make(1);

        wire.A.Send(packet);
        Assert.Empty(atB.Packets);
        Scheduler.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Empty(atB.Packets);
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([packet], atB.Packets);
    }

    [Fact]
    public void Each_direction_has_its_own_impairment()
    {
        var (wire, atA, atB) = Started(aToB: new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(10)));

        wire.B.Send(TestPackets.Make(2));
        Assert.Single(atA.Packets);

        wire.A.Send(TestPackets.Make(1));
        Assert.Empty(atB.Packets);
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Single(atB.Packets);
    }

    [Fact]
    public void Certain_loss_drops_everything()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Loss: 1));
        for (int i = 0; i < 100; i++)
            wire.A.Send(TestPackets.Make(i));
        Scheduler.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(atB.Packets);
        Assert.Equal(100, wire.AToBCounters.Lost);
        Assert.Equal(0, wire.AToBCounters.Delivered);
    }

    [Fact]
    public void Certain_duplication_delivers_every_packet_twice()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Duplication: 1));
        byte[] one = TestPackets.Make(1), two = TestPackets.Make(2);

        wire.A.Send(one);
        wire.A.Send(two);

        Assert.Equal([one, one, two, two], atB.Packets);
        Assert.Equal(2, wire.AToBCounters.Duplicated);
        Assert.Equal(4, wire.AToBCounters.Delivered);
    }

    [Fact]
    public void Corruption_flips_exactly_one_bit_of_the_delivered_copy_and_none_of_the_senders_buffer()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Corruption: 1, Seed: 5));
        var flipped = new HashSet<int>();
        for (int i = 0; i < 50; i++)
        {
            byte[] packet = TestPackets.Make(i, 64);
            byte[] original = (byte[])packet.Clone();
            wire.A.Send(packet);

            Assert.Equal(original, packet);
            List<int> bits = TestPackets.DifferingBits(original, atB.Packets[i]);
            Assert.Single(bits);
            flipped.Add(bits[0]);
        }

        Assert.True(flipped.Count > 30, "the flipped bit should vary from packet to packet");
        Assert.Equal(50, wire.AToBCounters.Corrupted);
    }

    [Fact]
    public void A_delayed_corrupted_packet_also_has_exactly_one_bit_flipped()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Corruption: 1, Delay: TimeSpan.FromMilliseconds(2)));
        byte[] packet = TestPackets.Make(9, 200);

        wire.A.Send(packet);
        Scheduler.Advance(TimeSpan.FromMilliseconds(2));

        Assert.Single(TestPackets.DifferingBits(packet, Assert.Single(atB.Packets)));
    }

    [Fact]
    public void Reordering_changes_the_arrival_order_of_a_burst()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Reordering: 0.3,
            ReorderDelay: TimeSpan.FromMilliseconds(5), ReorderJitter: TimeSpan.FromMilliseconds(4), Seed: 11));
        for (int i = 0; i < 40; i++)
            wire.A.Send(TestPackets.Make(i));

        int immediate = atB.Packets.Count;
        Assert.InRange(immediate, 1, 39);
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));

        List<int> order = atB.Packets.Select(p => (int)p[0]).ToList();
        Assert.Equal(Enumerable.Range(0, 40), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 40), order);
        Assert.Equal(40 - immediate, wire.AToBCounters.Reordered);
    }

    [Fact]
    public void Reordered_packets_arrive_in_the_order_of_their_delays()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Reordering: 1,
            ReorderDelay: TimeSpan.FromMilliseconds(5), ReorderJitter: TimeSpan.FromMilliseconds(4), Seed: 2));
        for (int i = 0; i < 20; i++)
            wire.A.Send(TestPackets.Make(i));

        // Reproduce the decisions: same seed, same lengths.
        var model = new ImpairmentModel(new ImpairmentSettings(Reordering: 1,
            ReorderDelay: TimeSpan.FromMilliseconds(5), ReorderJitter: TimeSpan.FromMilliseconds(4), Seed: 2));
        var due = new List<(TimeSpan Delay, int Id)>();
        var d = new Delivery[2];
        for (int i = 0; i < 20; i++)
        {
            model.Decide(100, d);
            due.Add((d[0].Delay, i));
        }

        // Step through virtual time a millisecond at a time: each packet arrives in the step its delay falls in.
        for (int ms = 1; ms <= 10; ms++)
        {
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            var expected = due.Where(x => x.Delay <= TimeSpan.FromMilliseconds(ms)).Select(x => x.Id).Order();
            Assert.Equal(expected, atB.Packets.Select(p => (int)p[0]).Order());
        }
    }

    [Fact]
    public void A_packet_larger_than_the_mtu_is_dropped_and_counted()
    {
        var (wire, _, atB) = Started(mtu: 576);

        wire.A.Send(TestPackets.Make(1, 577));
        wire.A.Send(TestPackets.Make(2, 576));

        Assert.Equal([2], atB.Packets.Select(p => (int)p[0]));
        Assert.Equal(1, wire.AToBCounters.DroppedOversize);
        Assert.Equal(1, wire.AToBCounters.Packets);
    }

    [Fact]
    public void A_packet_sent_before_the_far_side_started_is_dropped_and_counted()
    {
        var wire = new MemoryWire(Sys.Scheduler);
        var atB = new CollectingReceiver();

        wire.A.Send(TestPackets.Make(1));
        wire.B.Start(atB);
        wire.A.Send(TestPackets.Make(2));

        Assert.Equal([2], atB.Packets.Select(p => (int)p[0]));
        Assert.Equal(1, wire.AToBCounters.DroppedNotStarted);
    }

    [Fact]
    public void Nothing_is_delivered_to_a_disposed_endpoint_not_even_packets_already_in_flight()
    {
        var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(10)));

        wire.A.Send(TestPackets.Make(1));
        wire.B.Dispose();
        wire.A.Send(TestPackets.Make(2));
        Scheduler.Advance(TimeSpan.FromMilliseconds(20));

        Assert.Empty(atB.Packets);
        Assert.Equal(2, wire.AToBCounters.DroppedClosed);
        Assert.Equal(0, wire.AToBCounters.Delivered);
    }

    [Fact]
    public void A_disposed_endpoint_sends_nothing()
    {
        var (wire, _, atB) = Started();
        wire.A.Dispose();
        wire.A.Send(TestPackets.Make(1));
        Assert.Empty(atB.Packets);
    }

    [Fact]
    public void An_endpoint_is_started_once()
    {
        var (wire, _, _) = Started();
        Assert.Throws<InvalidOperationException>(() => wire.A.Start(new CollectingReceiver()));
    }

    [Fact]
    public void The_same_seed_gives_the_same_arrivals()
    {
        List<byte[]> Run()
        {
            var (wire, _, atB) = Started(aToB: new ImpairmentSettings(Loss: 0.2, Duplication: 0.2, Reordering: 0.2,
                ReorderDelay: TimeSpan.FromMilliseconds(3), ReorderJitter: TimeSpan.FromMilliseconds(2), Corruption: 0.2, Seed: 99));
            for (int i = 0; i < 200; i++)
            {
                wire.A.Send(TestPackets.Make(i % 256, 50));
                Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            }

            Scheduler.Advance(TimeSpan.FromMilliseconds(10));
            return atB.Packets;
        }

        Assert.Equal(Run(), Run());
    }
}
