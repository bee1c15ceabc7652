using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// The stack-wide bound on out-of-order data (tcp-actors.reassembly-limit-total): connections share one budget; what
/// would go over it is dropped and counted, never held; the bytes come back when delivered, pruned or the connection
/// ends (RFC 9293 3.10.7.4 lets a receiver keep out-of-order segments; it need not keep them all).
/// </summary>
public class ReassemblyBudgetTests : TimingTestKit
{
    private const ushort Port = 7;

    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    /// <summary>A passive open from <paramref name="peerPort"/> (peer ISS 1000) on the listener bound by <paramref name="app"/>.</summary>
    private ScriptedConnection Open(ProbeStack s, Akka.TestKit.TestProbe app, ushort peerPort)
    {
        s.Inject(peerPort, Port, TcpFlags.Syn, 1000, mss: 1460);
        var synAck = s.Next();
        s.Inject(peerPort, Port, TcpFlags.Ack, 1001, synAck.Seq + 1);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        var handler = CreateTestProbe();
        conn.Tell(new Register(handler.Ref), handler.Ref);
        return new ScriptedConnection(s, conn, handler, peerPort, Port, synAck.Seq, 1000);
    }

    private long Held(ProbeStack s) => s.Stack.Counters[TcpCounter.ReassemblyBytesHeld];

    [Fact]
    public void The_default_budget_is_64_MiB_for_the_whole_stack()
    {
        Assert.Equal(64 << 20, Settings.ReassemblyLimitTotal);
        Assert.Equal(4 << 20, Settings.ReassemblyLimit);
    }

    [Fact]
    public void When_one_connection_holds_the_budget_another_ones_out_of_order_data_is_dropped_and_counted_and_the_budget_returns_to_0_after_close()
    {
        var s = new ProbeStack(this, Origin, Settings with { ReassemblyLimitTotal = 3000 });
        var listenerApp = CreateTestProbe();
        s.Manager.Tell(new Bind(listenerApp.Ref, Port), listenerApp.Ref);
        listenerApp.ExpectMsg<Bound>();
        var a = Open(s, listenerApp, 40000);
        var b = Open(s, listenerApp, 40001);

        // A: 2000 octets beyond a hole of 1000 are held (a duplicate ACK asks for the hole).
        a.FromPeer(TcpFlags.Ack, 2001, a.Iss + 1, data: Bytes(2000, 1));
        Assert.Equal(1001u, s.Next().Ack);
        Assert.Equal(2000, Held(s));
        Assert.Equal(2000, StatusOf(a.Connection).ReceiveQueue);

        // B: 1500 more would go over 3000: dropped and counted; B holds nothing.
        b.FromPeer(TcpFlags.Ack, 2001, b.Iss + 1, data: Bytes(1500, 2));
        Assert.Equal(1001u, s.Next().Ack);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.ReassemblyBudgetDrops]);
        Assert.Equal(2000, Held(s));
        Assert.Equal(0, StatusOf(b.Connection).ReceiveQueue);
        // B's hole filled: only the hole is delivered, the dropped octets must come again.
        b.FromPeer(TcpFlags.Ack, 1001, b.Iss + 1, data: Bytes(1000, 3));
        Assert.Equal(2001u, s.Next().Ack);
        Assert.Equal(1000, b.App.ExpectMsg<Received>().Data.Length);

        // A's hole filled: all 3000 octets go to the application and the budget is given back.
        a.FromPeer(TcpFlags.Ack, 1001, a.Iss + 1, data: Bytes(1000, 4));
        Assert.Equal(4001u, s.Next().Ack);
        Assert.Equal(1000, a.App.ExpectMsg<Received>().Data.Length);
        Assert.Equal(2000, a.App.ExpectMsg<Received>().Data.Length);
        Assert.Equal(0, Held(s));

        // Now B's retransmission beyond its next hole fits.
        b.FromPeer(TcpFlags.Ack, 3001, b.Iss + 1, data: Bytes(1500, 5));
        Assert.Equal(2001u, s.Next().Ack);
        Assert.Equal(1500, Held(s));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.ReassemblyBudgetDrops]);

        // A holds some again; then both connections end with their out-of-order data undelivered: B is reset by the
        // peer, A is aborted by its application. Nothing stays charged.
        a.FromPeer(TcpFlags.Ack, 5001, a.Iss + 1, data: Bytes(1000, 6));
        s.Next();
        Assert.Equal(2500, Held(s));
        var watchB = Watcher(b.Connection);
        b.FromPeer(TcpFlags.Rst, 2001, 0);
        watchB.ExpectTerminated(b.Connection);
        Assert.Equal(1000, Held(s));
        var watchA = Watcher(a.Connection);
        a.Connection.Tell(Abort.Instance, a.App.Ref);
        watchA.ExpectTerminated(a.Connection);
        Assert.Equal(0, Held(s));
    }

    [Fact]
    public void Out_of_order_octets_passed_by_in_order_data_are_pruned_and_given_back()
    {
        var s = new ProbeStack(this, Origin, Settings with { ReassemblyLimitTotal = 10_000 });
        var c = PassiveOpen(s);
        c.FromPeer(TcpFlags.Ack, 1501, c.Iss + 1, data: Bytes(1000, 1));   // 1501..2500, a hole at 1001..1500
        s.Next();
        Assert.Equal(1000, Held(s));
        // One segment covers the hole and all of the held octets: they are pruned, not delivered twice.
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: Bytes(2000, 2));
        Assert.Equal(3001u, s.Next().Ack);
        Assert.Equal(0, Held(s));
        Assert.Equal(2000, c.App.ExpectMsg<Received>().Data.Length);
        c.App.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void An_out_of_order_FIN_cuts_held_octets_beyond_it_and_gives_them_back()
    {
        var s = new ProbeStack(this, Origin, Settings with { ReassemblyLimitTotal = 10_000 });
        var c = PassiveOpen(s);
        c.FromPeer(TcpFlags.Ack, 2001, c.Iss + 1, data: Bytes(1000, 1));   // 2001..3000
        s.Next();
        c.FromPeer(TcpFlags.Ack | TcpFlags.Fin, 1501, c.Iss + 1, data: Bytes(1000, 2));   // 1501..2500 and FIN at 2501
        s.Next();
        Assert.Equal(1000, Held(s));   // 1501..2500: the octets at and after the FIN are gone
        Assert.Equal(1000, StatusOf(c.Connection).ReceiveQueue);
    }
}
