using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Io;

/// <summary>A failing link fails the I/O actor, which restarts with backoff on a new link; its connections are told.</summary>
public class LinkFailureTests : StackTestKit
{
    [Fact]
    public void A_link_failure_tells_connections_and_listeners_and_the_stack_restarts_on_a_new_link_after_the_backoff()
    {
        var wire = CreateTestProbe();
        var links = new List<ProbeLink>();
        var factory = new LinkFactory(() =>
        {
            var l = new ProbeLink(wire.Ref, Sys.Scheduler);
            links.Add(l);
            return l;
        }, 1500);
        var stack = TcpStack.Start(Sys, factory, ProbeStack.StackAddress, restartBackoff: (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        var app = CreateTestProbe();
        stack.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        Assert.Single(links);

        // One connection, established.
        var syn = new TcpSegment { SourcePort = 40000, DestinationPort = 7, Sequence = 100, Flags = TcpFlags.Syn, Window = 65535 };
        var buf = new byte[100];
        links[0].Inject(buf.AsSpan(0, syn.WritePacket(buf, ProbeStack.PeerAddress, ProbeStack.StackAddress, default)));
        var synAck = wire.ExpectMsg<PacketSent>();
        Ipv4Packet.TryParse(synAck.Packet, out var ip);
        TcpSegment.TryParse(synAck.Packet, ip, out var sa);
        var ack = new TcpSegment { SourcePort = 40000, DestinationPort = 7, Sequence = 101, Acknowledgment = sa.Sequence + 1, Flags = TcpFlags.Ack, Window = 65535 };
        links[0].Inject(buf.AsSpan(0, ack.WritePacket(buf, ProbeStack.PeerAddress, ProbeStack.StackAddress, default)));
        app.ExpectMsg<Connected>();
        app.LastSender.Tell(new Register(app.Ref), app.Ref);

        EventFilter.Exception<LinkFailureException>().ExpectOne(() => links[0].Fail(new IOException("device gone")));

        var events = new[] { app.ExpectMsg<object>(), app.ExpectMsg<object>() };
        Assert.Contains(events, e => e is ErrorClosed);
        Assert.Contains(events, e => e is Unbound);
        Assert.Single(links);          // not yet: the backoff runs in virtual time
        Scheduler.Advance(TimeSpan.FromSeconds(2));
        stack.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        Assert.Equal(2, links.Count);   // a new link
    }
}
