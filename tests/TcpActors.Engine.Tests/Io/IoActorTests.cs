using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Io;

/// <summary>The I/O actor: validation with counted drops, ICMP echo, demultiplexing.</summary>
public class IoActorTests : StackTestKit
{
    [Fact]
    public void Echo_request_to_the_stack_is_answered_RFC1122_3_2_2_6()
    {
        var s = new ProbeStack(this, Origin);
        var icmp = new byte[16];
        icmp[0] = IcmpType.EchoRequest;
        icmp[4] = 0x12; icmp[5] = 0x34; icmp[7] = 9;
        "pingdata"u8.CopyTo(icmp.AsSpan(8));
        ushort c = InternetChecksum.Compute(icmp);
        icmp[2] = (byte)(c >> 8); icmp[3] = (byte)c;
        var packet = new byte[36];
        Ipv4Packet.WriteHeader(packet, ProbeStack.PeerAddress, ProbeStack.StackAddress, IpProtocol.Icmp, 36);
        icmp.CopyTo(packet, 20);

        s.InjectRaw(packet);

        var reply = s.NextRaw().Packet;
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(reply, out var ip));
        Assert.Equal(ProbeStack.StackAddress, ip.Source);
        Assert.Equal(ProbeStack.PeerAddress, ip.Destination);
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(reply, ip, out var m));
        Assert.Equal(IcmpType.EchoReply, m.Type);
        Assert.Equal((0x1234, 9), (m.Identifier, m.SequenceNumber));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.IcmpEchoReplies]);
    }

    [Fact]
    public void Malformed_packets_are_dropped_and_counted_by_reason_and_never_answered()
    {
        var s = new ProbeStack(this, Origin);
        byte[] good = Convert.FromHexString(Wire.WireVectorTests.SynHex.Replace("c6120001", "c6120001"));
        // The vector's SYN is addressed to the stack (198.18.0.1 -> 198.18.0.2, port 7).
        var badTcp = (byte[])good.Clone();
        badTcp[^1] ^= 0xFF;
        s.InjectRaw(badTcp);
        var badIp = (byte[])good.Clone();
        badIp[8] ^= 0x01;   // TTL changed, header checksum not
        s.InjectRaw(badIp);
        s.InjectRaw(good[..15]);
        s.InjectRaw([0x60, 0, 0, 0]);
        s.InjectRaw(new byte[2000]);

        s.ExpectNothing();
        var c = s.Stack.Counters;
        Assert.Equal(1, c[DropReason.BadTcpChecksum]);
        Assert.Equal(1, c[DropReason.BadIpChecksum]);
        Assert.Equal(2, c[DropReason.Truncated]);
        Assert.Equal(1, c[DropReason.NotIpv4]);
        Assert.Equal(5, c.TotalDrops);
        Assert.Equal(5, c[TcpCounter.PacketsIn]);
        Assert.Equal(0, c[TcpCounter.PacketsOut]);
    }

    [Fact]
    public void Segments_for_another_address_are_counted_and_ignored()
    {
        var s = new ProbeStack(this, Origin);
        var tcp = new TcpSegment { SourcePort = 40000, DestinationPort = 7, Sequence = 1, Flags = TcpFlags.Syn, Window = 1000 };
        var buf = new byte[60];
        int n = tcp.WritePacket(buf, ProbeStack.PeerAddress, Ipv4Address.Parse("198.18.0.99"), default);
        s.InjectRaw(buf[..n]);
        s.ExpectNothing();
        Assert.Equal(1, s.Stack.Counters[TcpCounter.NotForUs]);
    }

    [Fact]
    public void A_listener_bound_to_port_0_accepts_SYNs_for_any_port_without_its_own_listener()
    {
        var s = new ProbeStack(this, Origin);
        var any = CreateTestProbe();
        var seven = CreateTestProbe();
        s.Manager.Tell(new Bind(any.Ref, 0), any.Ref);
        any.ExpectMsg<Bound>();
        s.Manager.Tell(new Bind(seven.Ref, 7), seven.Ref);
        seven.ExpectMsg<Bound>();

        s.Inject(40000, 8080, TcpFlags.Syn, 500);
        var synAck = s.Next();
        Assert.Equal(8080, synAck.Tcp.SourcePort);
        s.Inject(40000, 8080, TcpFlags.Ack, 501, synAck.Seq + 1);
        Assert.Equal(8080, any.ExpectMsg<Connected>().LocalPort);

        s.Inject(40001, 7, TcpFlags.Syn, 700);
        var synAck7 = s.Next();
        s.Inject(40001, 7, TcpFlags.Ack, 701, synAck7.Seq + 1);
        Assert.Equal(7, seven.ExpectMsg<Connected>().LocalPort);
        any.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void Binding_a_port_twice_fails_with_the_cause()
    {
        var s = new ProbeStack(this, Origin);
        s.Manager.Tell(new Bind(TestActor, 7));
        ExpectMsg<Bound>();
        s.Manager.Tell(new Bind(TestActor, 7));
        var failed = ExpectMsg<CommandFailed>();
        Assert.IsType<Bind>(failed.Command);
        Assert.Contains("already bound", failed.Cause.Message);
    }

    [Fact]
    public void Listen_backlog_overflow_drops_the_SYN_and_counts_it()
    {
        var settings = Settings with { SynQueue = 2 };
        var s = new ProbeStack(this, Origin, settings);
        s.Manager.Tell(new Bind(TestActor, 7));
        ExpectMsg<Bound>();
        s.Inject(40001, 7, TcpFlags.Syn, 1);
        s.Inject(40002, 7, TcpFlags.Syn, 1);
        s.Inject(40003, 7, TcpFlags.Syn, 1);
        Assert.Equal(2, s.Drain().Count(x => x.Flags == (TcpFlags.Syn | TcpFlags.Ack)));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.ListenOverflows]);
    }

    [Fact]
    public void Ephemeral_ports_are_in_the_configured_range_and_distinct_RFC6056()
    {
        var s = new ProbeStack(this, Origin);
        var ports = new HashSet<ushort>();
        for (int i = 0; i < 50; i++)
        {
            s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80), TestActor);
            var syn = s.Next();
            Assert.Equal(TcpFlags.Syn, syn.Flags);
            Assert.InRange(syn.Tcp.SourcePort, Settings.EphemeralMin, Settings.EphemeralMax);
            Assert.True(ports.Add(syn.Tcp.SourcePort));
        }
    }
}

/// <summary>Graceful shutdown of a stack: stop accepting, FIN every connection, RST what is left at the deadline.</summary>
public class ShutdownTests : StackTestKit
{
    [Fact]
    public void Shutdown_sends_FIN_stops_accepting_and_resets_at_the_deadline_a_peer_that_never_answers()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        var (_, iss) = s.Accept(app, 40001);

        s.Manager.Tell(new Shutdown(TimeSpan.FromSeconds(5)), TestActor);
        var fin = s.Next();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(iss + 1, fin.Seq);

        s.Inject(40002, 7, TcpFlags.Syn, 5000);   // no longer accepted: closed port
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, s.Next().Flags);

        AdvanceTo(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        var retransmittedFin = s.Drain();   // the FIN's own retransmissions (RTO 1 s, 3 s)
        Assert.All(retransmittedFin, x => Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, x.Flags));
        AdvanceTo(TimeSpan.FromSeconds(5));
        Assert.Equal(new ShutdownComplete(0, 1), ExpectMsg<ShutdownComplete>());
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(iss + 2, rst.Seq);
    }

    [Fact]
    public void Shutdown_completes_as_soon_as_every_peer_has_closed()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        var (_, iss) = s.Accept(app, 40001);

        s.Manager.Tell(new Shutdown(TimeSpan.FromSeconds(5)), TestActor);
        var fin = s.Next();
        s.Inject(40001, 7, TcpFlags.Fin | TcpFlags.Ack, 1001, iss + 2);   // ACK of our FIN with the peer's FIN
        Assert.Equal(TcpFlags.Ack, s.Next().Flags);
        Assert.Equal(new ShutdownComplete(1, 0), ExpectMsg<ShutdownComplete>());
        Assert.Equal(TimeSpan.Zero, Elapsed);
    }
}
