using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Time;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Io;

/// <summary>
/// The receive path on the link's thread (<see cref="Demultiplexer"/>): validation and counting as the I/O actor did
/// it, straight delivery to the connection of a published 4-tuple, the I/O actor for the rest; sends through
/// <see cref="LinkPort"/>; packet buffers that always go back.
/// </summary>
public class DemultiplexerTests : StackTestKit
{
    private static readonly Ipv4Address Local = ProbeStack.StackAddress;
    private static readonly Ipv4Address Remote = ProbeStack.PeerAddress;
    private static readonly FourTuple Tuple = new(Local, 7, Remote, 40000);

    private StackContext Context(IActorRef io)
    {
        var counters = new TcpCounters();
        var clock = new SchedulerClock(Sys.Scheduler);
        return new StackContext
        {
            Settings = Settings,
            Counters = counters,
            Clock = clock,
            Isn = new IsnGenerator(new byte[16]),
            LocalAddress = Local,
            Mss = 1460,
            ChallengeAcks = new ChallengeAckLimiter(clock, 1000),
            ReassemblyBudget = new ReassemblyBudget(Settings.ReassemblyLimitTotal, counters),
            Io = io,
            Link = new LinkPort(counters),
        };
    }

    private static byte[] Segment(byte[] data, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh, ushort localPort = 7)
    {
        var tcp = new TcpSegment
        {
            SourcePort = 40000, DestinationPort = localPort, Sequence = 1000, Acknowledgment = 5000, Flags = flags, Window = 8192,
        };
        var buf = new byte[60 + data.Length];
        int n = tcp.WritePacket(buf, Remote, Local, data);
        return buf[..n];
    }

    /// <summary>Delivers on a thread of its own, as TunLink's read loop does.</summary>
    private static void OnLinkThread(Demultiplexer demux, byte[] packet)
    {
        var t = new Thread(() => demux.OnPacket(packet)) { Name = "test-link-read" };
        t.Start();
        Assert.True(t.Join(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_segment_for_a_published_tuple_goes_from_the_link_thread_straight_to_its_connection_in_a_packet_buffer()
    {
        var io = CreateTestProbe();
        var connection = CreateTestProbe();
        var stack = Context(io.Ref);
        stack.Connections.Publish(Tuple, connection.Ref);
        var demux = new Demultiplexer(stack, io.Ref, Sys.Log);

        OnLinkThread(demux, Segment("hello"u8.ToArray()));

        var m = connection.ExpectMsg<SegmentArrived>();
        io.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(Tuple, m.Tuple);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(m.Payload.Span));
        Assert.Equal(1, stack.Counters[TcpCounter.PacketsIn]);
        Assert.Equal(1, stack.Counters[TcpCounter.InSegs]);
        Assert.Equal(1, stack.Counters[TcpCounter.PacketBuffersInUse]);   // the message owns it until released
        m.Release();
        m.Release();                                                       // idempotent
        Assert.Equal(0, stack.Counters[TcpCounter.PacketBuffersInUse]);
    }

    [Fact]
    public void A_segment_for_no_published_tuple_goes_to_the_io_actor_and_one_without_data_takes_no_buffer()
    {
        var io = CreateTestProbe();
        var connection = CreateTestProbe();
        var stack = Context(io.Ref);
        stack.Connections.Publish(Tuple, connection.Ref);
        var demux = new Demultiplexer(stack, io.Ref, Sys.Log);

        OnLinkThread(demux, Segment([], TcpFlags.Syn, localPort: 9));   // another port: a listener's, or a RST
        var m = io.ExpectMsg<SegmentArrived>();
        Assert.Equal(9, m.Tuple.LocalPort);
        Assert.True(m.Payload.IsEmpty);
        Assert.Equal(0, stack.Counters[TcpCounter.PacketBuffersInUse]);

        stack.Connections.Withdraw(Tuple, connection.Ref);               // the connection terminated
        OnLinkThread(demux, Segment("x"u8.ToArray()));
        io.ExpectMsg<SegmentArrived>().Release();
        connection.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, stack.Counters[TcpCounter.PacketBuffersInUse]);
    }

    [Fact]
    public void Malformed_packets_are_dropped_and_counted_by_reason_on_the_link_thread_and_reach_no_actor()
    {
        var io = CreateTestProbe();
        var connection = CreateTestProbe();
        var stack = Context(io.Ref);
        stack.Connections.Publish(Tuple, connection.Ref);
        var demux = new Demultiplexer(stack, io.Ref, Sys.Log);
        byte[] good = Segment("data"u8.ToArray());

        var badTcp = (byte[])good.Clone();
        badTcp[^1] ^= 0xFF;
        var badIp = (byte[])good.Clone();
        badIp[8] ^= 0x01;   // TTL changed, header checksum not
        var otherAddress = new byte[80];
        int n = new TcpSegment { SourcePort = 40000, DestinationPort = 7, Sequence = 1, Flags = TcpFlags.Ack, Window = 1 }
            .WritePacket(otherAddress, Remote, Ipv4Address.Parse("198.18.0.99"), default);
        foreach (var p in new[] { badTcp, badIp, good[..15], [0x60, 0, 0, 0], new byte[2000], otherAddress[..n] })
            OnLinkThread(demux, p);

        io.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        connection.ExpectNoMsg(TimeSpan.FromMilliseconds(10));
        var c = stack.Counters;
        Assert.Equal(1, c[DropReason.BadTcpChecksum]);
        Assert.Equal(1, c[DropReason.BadIpChecksum]);
        Assert.Equal(2, c[DropReason.Truncated]);
        Assert.Equal(1, c[DropReason.NotIpv4]);
        Assert.Equal(5, c.TotalDrops);
        Assert.Equal(1, c[TcpCounter.NotForUs]);
        Assert.Equal(6, c[TcpCounter.PacketsIn]);
        Assert.Equal(0, c[TcpCounter.InSegs]);
        Assert.Equal(0, c[TcpCounter.PacketBuffersInUse]);
    }

    [Fact]
    public void The_link_port_sends_on_the_attached_link_and_drops_what_is_sent_while_none_is()
    {
        var wire = CreateTestProbe();
        var counters = new TcpCounters();
        var port = new LinkPort(counters);
        byte[] packet = Segment("a"u8.ToArray());

        port.Send(packet);                       // not attached yet
        port.Attach(new ProbeLink(wire.Ref, Sys.Scheduler));
        port.Send(packet);
        port.Detach();                           // the I/O actor stopped (link failure, restart)
        port.Send(packet);

        Assert.Equal(packet, wire.ExpectMsg<PacketSent>().Packet);
        wire.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, counters[TcpCounter.PacketsOut]);
    }

    [Fact]
    public void Packet_buffers_in_dead_letters_go_back_to_the_pool()
    {
        var s = new ProbeStack(this, Origin);
        var counters = s.Stack.Counters;

        byte[] a = PacketBuffers.Rent(counters, 100);
        byte[] b = PacketBuffers.Rent(counters, 100);
        var segment = new SegmentArrived(Tuple, default, a.AsMemory(0, 100), a, counters);
        var received = new Received(b.AsMemory(0, 100), b, counters);
        Assert.Equal(2, counters[TcpCounter.PacketBuffersInUse]);

        // What a connection that stopped leaves: a segment told to it, pooled data told to its gone handler.
        var gone = Sys.ActorOf(Props.Empty);
        Watch(gone);
        Sys.Stop(gone);
        ExpectTerminated(gone);
        gone.Tell(segment);
        gone.Tell(received);

        // The I/O actor's DeadLetterReleaser runs on the default dispatcher (real threads): it gives them back shortly.
        AwaitAssert(() => Assert.Equal(0, counters[TcpCounter.PacketBuffersInUse]), TimeSpan.FromSeconds(5));
        Assert.False(received.IsPooled);
    }
}
