using Akka.TestKit;
using Akka.TestKit.Configs;
using TcpActors.Engine.Link;

namespace TcpActors.Engine.Tests.Link;

public class ImpairedLinkTests : Akka.TestKit.Xunit2.TestKit
{
    public ImpairedLinkTests() : base(TestConfigs.TestSchedulerConfig)
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    /// <summary>An inner link that records what is sent through it and lets the test make packets arrive.</summary>
    private sealed class FakeLink(int mtu = 1400) : ILink
    {
        public List<byte[]> Sent { get; } = [];
        public ILinkReceiver? Receiver { get; private set; }
        public bool Disposed { get; private set; }

        public int Mtu => mtu;

        public void Send(ReadOnlySpan<byte> packet) => Sent.Add(packet.ToArray());

        public void Start(ILinkReceiver receiver) => Receiver = receiver;

        public void Arrive(ReadOnlySpan<byte> packet) => Receiver!.OnPacket(packet);

        public void Dispose() => Disposed = true;
    }

    private (ImpairedLink Link, FakeLink Inner, CollectingReceiver Receiver) Started(ImpairmentSettings outbound, ImpairmentSettings inbound)
    {
        var inner = new FakeLink();
        var link = new ImpairedLink(inner, Sys.Scheduler, outbound, inbound);
        var receiver = new CollectingReceiver();
        link.Start(receiver);
        return (link, inner, receiver);
    }

    [Fact]
    public void Without_impairment_packets_pass_both_ways_synchronously_and_intact()
    {
        var (link, inner, receiver) = Started(ImpairmentSettings.None, ImpairmentSettings.None);
        byte[] outgoing = TestPackets.Make(1), incoming = TestPackets.Make(2);

        link.Send(outgoing);
        inner.Arrive(incoming);

        Assert.Equal([outgoing], inner.Sent);
        Assert.Equal([incoming], receiver.Packets);
        Assert.Equal(1400, link.Mtu);
        Assert.NotNull(inner.Receiver);
    }

    [Fact]
    public void Both_directions_are_delayed_in_virtual_time_each_by_its_own_settings()
    {
        var (link, inner, receiver) = Started(
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(10)),
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(20)));

        link.Send(TestPackets.Make(1));
        inner.Arrive(TestPackets.Make(2));
        Scheduler.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Empty(inner.Sent);
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Single(inner.Sent);
        Assert.Empty(receiver.Packets);
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Single(receiver.Packets);
    }

    [Fact]
    public void Outbound_loss_and_inbound_duplication_apply_to_their_own_direction_only()
    {
        var (link, inner, receiver) = Started(new ImpairmentSettings(Loss: 1), new ImpairmentSettings(Duplication: 1));

        link.Send(TestPackets.Make(1));
        inner.Arrive(TestPackets.Make(2));

        Assert.Empty(inner.Sent);
        Assert.Equal([2, 2], receiver.Packets.Select(p => (int)p[0]));
        Assert.Equal(1, link.OutboundCounters.Lost);
        Assert.Equal(1, link.InboundCounters.Duplicated);
        Assert.Equal(2, link.InboundCounters.Delivered);
    }

    [Fact]
    public void Corruption_flips_one_bit_in_each_direction()
    {
        var (link, inner, receiver) = Started(new ImpairmentSettings(Corruption: 1, Seed: 1), new ImpairmentSettings(Corruption: 1, Seed: 2));
        byte[] outgoing = TestPackets.Make(1, 300), incoming = TestPackets.Make(2, 300);
        byte[] outgoingCopy = (byte[])outgoing.Clone(), incomingCopy = (byte[])incoming.Clone();

        link.Send(outgoing);
        inner.Arrive(incoming);

        Assert.Single(TestPackets.DifferingBits(outgoingCopy, Assert.Single(inner.Sent)));
        Assert.Single(TestPackets.DifferingBits(incomingCopy, Assert.Single(receiver.Packets)));
        Assert.Equal(outgoingCopy, outgoing);
        Assert.Equal(incomingCopy, incoming);
    }

    [Fact]
    public void Inbound_reordering_changes_the_arrival_order_of_a_burst()
    {
        var (_, inner, receiver) = Started(ImpairmentSettings.None, new ImpairmentSettings(Reordering: 0.3,
            ReorderDelay: TimeSpan.FromMilliseconds(5), ReorderJitter: TimeSpan.FromMilliseconds(4), Seed: 4));
        for (int i = 0; i < 40; i++)
            inner.Arrive(TestPackets.Make(i));
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));

        List<int> order = receiver.Packets.Select(p => (int)p[0]).ToList();
        Assert.Equal(Enumerable.Range(0, 40), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 40), order);
    }

    [Fact]
    public void Link_failures_pass_straight_through()
    {
        var (_, inner, receiver) = Started(ImpairmentSettings.None, new ImpairmentSettings(Loss: 1));
        var cause = new IOException("device gone");

        inner.Receiver!.OnLinkFailed(cause);

        Assert.Same(cause, Assert.Single(receiver.Failures));
    }

    [Fact]
    public void After_dispose_nothing_in_flight_is_sent_or_delivered_and_the_inner_link_is_disposed()
    {
        var (link, inner, receiver) = Started(
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(5)),
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(5)));

        link.Send(TestPackets.Make(1));
        inner.Arrive(TestPackets.Make(2));
        link.Dispose();
        link.Send(TestPackets.Make(3));
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));

        Assert.True(inner.Disposed);
        Assert.Empty(inner.Sent);
        Assert.Empty(receiver.Packets);
        Assert.Equal(1, link.OutboundCounters.DroppedClosed);
        Assert.Equal(1, link.InboundCounters.DroppedClosed);
    }

    [Fact]
    public void The_link_is_started_once()
    {
        var (link, _, _) = Started(ImpairmentSettings.None, ImpairmentSettings.None);
        Assert.Throws<InvalidOperationException>(() => link.Start(new CollectingReceiver()));
    }
}
