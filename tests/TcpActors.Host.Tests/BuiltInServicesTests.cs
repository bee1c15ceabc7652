using System.Text;
using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Link;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;
using TcpActors.Host.Services;

namespace TcpActors.Host.Tests;

/// <summary>The built-in services, reached from a second stack over the in-memory wire, in virtual time.</summary>
public class BuiltInServicesTests : StackTestKit
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private readonly TcpStack _client;
    private readonly TcpStack _server;

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public BuiltInServicesTests()
    {
        var wire = new MemoryWire(Sys.Scheduler, 1500, new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)),
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1)));
        _client = TcpStack.Start(Sys, wire.A, ClientAddress);
        _server = TcpStack.Start(Sys, wire.B, ServerAddress);
        BuiltInServices.Bind(Sys, _server, new FixedClock(new DateTimeOffset(2026, 11, 23, 17, 0, 0, TimeSpan.Zero)), TestActor);
        for (int i = 0; i < BuiltInServices.All.Count; i++)
            ExpectMsg<Bound>();
    }

    private (TestProbe app, IActorRef conn) Open(ushort port)
    {
        var app = CreateTestProbe();
        _client.Manager.Tell(new Connect(ServerAddress, port), app.Ref);
        for (int i = 0; i < 5; i++)
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref, KeepOpenOnPeerClosed: true), app.Ref);
        return (app, conn);
    }

    /// <summary>Collects Received data until <paramref name="count"/> bytes or the peer closes.</summary>
    private byte[] Read(TestProbe app, int count, bool untilPeerClosed = false)
    {
        var data = new List<byte>();
        // Service handlers start asynchronously (actor creation), so bound the loop in real time, not in steps.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while ((untilPeerClosed || data.Count < count) && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
            while (app.HasMessages)
            {
                var m = app.ReceiveOne(TimeSpan.Zero);
                if (m is Received r)
                    data.AddRange(r.Data.ToArray());
                else if (m is PeerClosed && untilPeerClosed)
                    return data.ToArray();
            }
        }
        return data.ToArray();
    }

    [Fact]
    public void Echo_sends_back_every_byte_RFC862()
    {
        var (app, conn) = Open(7);
        var payload = new byte[200_000];
        new Random(7).NextBytes(payload);
        conn.Tell(new Write(payload), app.Ref);
        Assert.Equal(payload, Read(app, payload.Length));
    }

    [Fact]
    public void Discard_accepts_and_sends_nothing_RFC863()
    {
        var (app, conn) = Open(9);
        conn.Tell(new Write(new byte[50_000]), app.Ref);
        for (int i = 0; i < 2000; i++)
            Scheduler.Advance(TimeSpan.FromMilliseconds(1));
        while (app.HasMessages)
            Assert.IsNotType<Received>(app.ReceiveOne(TimeSpan.Zero));
        conn.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(0, ExpectMsg<ConnectionStatus>().SendQueue);   // all of it was acknowledged
    }

    [Fact]
    public void Discard_also_serves_the_extra_ports_it_is_given()
    {
        BuiltInServices.Bind(Sys, _server, TimeProvider.System, TestActor, only: [], discardPorts: [9001, 9007]);
        Assert.Equal(9001, ExpectMsg<Bound>().Port);
        Assert.Equal(9007, ExpectMsg<Bound>().Port);
        var (app, conn) = Open(9007);
        conn.Tell(new Write(new byte[20_000]), app.Ref);
        Assert.Empty(Read(app, 1));
        conn.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(0, ExpectMsg<ConnectionStatus>().SendQueue);
    }

    [Fact]
    public void Daytime_sends_one_line_and_closes_RFC867()
    {
        var (app, _) = Open(13);
        var line = Encoding.ASCII.GetString(Read(app, 0, untilPeerClosed: true));
        Assert.Equal("Monday, November 23, 2026 17:00:00 UTC\r\n", line);
    }

    [Fact]
    public void Chargen_sends_the_rotating_72_character_lines_RFC864()
    {
        var (app, conn) = Open(19);
        var data = Read(app, 20_000);
        Assert.True(data.Length >= 20_000);
        Assert.Equal(ChargenService.Expected(data.Length), data);
        conn.Tell(ConfirmedClose.Instance, app.Ref);   // the service closes when we do
        Read(app, 0, untilPeerClosed: true);
    }

    [Fact]
    public void Two_chargen_connections_at_once_each_get_the_whole_stream_from_the_one_shared_write_RFC864()
    {
        var (a, aConn) = Open(19);
        var (b, bConn) = Open(19);
        var fromA = new List<byte>();
        var fromB = new List<byte>();
        // Read both side by side, so that each connection has its write of the shared block out at the same time.
        for (int i = 0; i < 40 && (fromA.Count < 200_000 || fromB.Count < 200_000); i++)
        {
            fromA.AddRange(Read(a, 5_000));
            fromB.AddRange(Read(b, 5_000));
        }
        Assert.True(fromA.Count >= 200_000 && fromB.Count >= 200_000, $"{fromA.Count} and {fromB.Count} bytes");
        Assert.Equal(ChargenService.Expected(fromA.Count), fromA.ToArray());
        Assert.Equal(ChargenService.Expected(fromB.Count), fromB.ToArray());
        aConn.Tell(ConfirmedClose.Instance, a.Ref);
        bConn.Tell(ConfirmedClose.Instance, b.Ref);
        Read(a, 0, untilPeerClosed: true);
        Read(b, 0, untilPeerClosed: true);
    }

    [Fact]
    public void Status_lists_the_connection_table_and_the_counters()
    {
        var (echoApp, echoConn) = Open(7);
        var (app, _) = Open(11);
        var text = Encoding.ASCII.GetString(Read(app, 0, untilPeerClosed: true));
        Assert.Contains("TcpActors at 198.18.0.2", text);
        Assert.Contains("ESTAB", text);
        Assert.Contains("198.18.0.2:7 ", text);   // the echo connection
        Assert.Contains("198.18.0.2:11 ", text);  // and this one
        Assert.Contains("TcpPassiveOpens", text);
        Assert.Contains("rto:", text);
        Assert.Contains("GcAllocatedBytes", text);
    }
}
