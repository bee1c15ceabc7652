using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>Closing timers: TIME-WAIT 2 MSL (RFC 9293 3.4.2, 3.10.7.4), FIN-WAIT-2 timeout (Linux tcp_fin_timeout), FIN retransmission.</summary>
public class TeardownTimingTests : TimingTestKit
{
    [Fact]
    public void TIME_WAIT_lasts_exactly_2_MSL_60_s_by_default_RFC_9293_3_4_2()
    {
        var s = new ProbeStack(this, Origin);
        var c = IntoTimeWait(s);
        var watcher = Watcher(c.Connection);

        ExpectNothingUntil(s, S(62) - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Equal(TcpState.TimeWait, StatusOf(c.Connection).State);

        AdvanceTo(S(62));
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();
        Assert.Equal(0, Table(s).Connections);

        // The tuple is free again: a new SYN from the same port opens a new connection.
        s.Inject(40000, 7, TcpFlags.Syn, 70000, mss: 1460);
        var synAck = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(70001u, synAck.Ack);
    }

    [Fact]
    public void A_retransmitted_FIN_in_TIME_WAIT_is_acknowledged_again_and_restarts_the_2_MSL_timeout_RFC_9293_3_10_7_4_eighth()
    {
        var s = new ProbeStack(this, Origin);
        var c = IntoTimeWait(s);
        var watcher = Watcher(c.Connection);

        ExpectNothingUntil(s, S(22));
        c.FromPeer(TcpFlags.Fin | TcpFlags.Ack, 1001, c.Iss + 2);
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(c.Iss + 2, ack.Seq);
        Assert.Equal(1002u, ack.Ack);
        Assert.Equal(S(22), ack.At);

        // The first 2 MSL (until 62 s) no longer ends it; the restarted one ends at 22 + 60 = 82 s.
        ExpectNothingUntil(s, S(62));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        ExpectNothingUntil(s, S(82) - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Equal(TcpState.TimeWait, StatusOf(c.Connection).State);
        AdvanceTo(S(82));
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();
    }

    [Fact]
    public void After_Close_FIN_WAIT_2_ends_silently_after_exactly_fin_timeout_60_s_Linux_tcp_fin_timeout()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.Connection.Tell(Close.Instance, c.App.Ref);
        var fin = s.Next();
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 2);
        c.App.ExpectMsg<Closed>();
        var watcher = Watcher(c.Connection);

        ExpectNothingUntil(s, S(61) - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        Assert.Equal(TcpState.FinWait2, StatusOf(c.Connection).State);
        AdvanceTo(S(61));
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

        // The peer's late FIN finds only the listener: <SEQ=SEG.ACK><CTL=RST>.
        c.FromPeer(TcpFlags.Fin | TcpFlags.Ack, 1001, fin.Seq + 1);
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(fin.Seq + 1, rst.Seq);
    }

    [Fact]
    public void A_FIN_in_LAST_ACK_is_retransmitted_with_RTO_backoff_and_its_ACK_closes_at_once_RFC_6298_5_5()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);   // the ACK at 0 s is an RTT sample of 0: RTO = min-rto = 200 ms
        Assert.Equal(Ms(200), StatusOf(c.Connection).Rto);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Fin | TcpFlags.Ack, 1001, c.Iss + 1);
        c.App.ExpectMsg<PeerClosed>();
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(1002u, ack.Ack);
        var fin = s.Next();   // Akka.IO's default: the connection closes its side too
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(S(1), fin.At);
        var watcher = Watcher(c.Connection);

        foreach (var t in new[] { 1.2, 1.6, 2.4 })
        {
            var again = ExpectSentAt(s, S(t));
            Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, again.Flags);
            Assert.Equal(fin.Seq, again.Seq);
        }
        ExpectNothingUntil(s, S(2.5));
        c.FromPeer(TcpFlags.Ack, 1002, fin.Seq + 1);
        watcher.ExpectTerminated(c.Connection);
        c.App.ExpectMsg<Closed>();
        AdvanceTo(S(60));
        s.ExpectNothing();
    }
}

/// <summary>TIME-WAIT with tcp-actors.msl = 10s in the configuration.</summary>
public class TimeWaitConfiguredMslTests() : TimingTestKit("tcp-actors.msl = 10s")
{
    [Fact]
    public void With_msl_10s_TIME_WAIT_lasts_exactly_20_s_RFC_9293_3_4_2()
    {
        Assert.Equal(S(10), Settings.Msl);
        var s = new ProbeStack(this, Origin);
        var c = IntoTimeWait(s);
        var watcher = Watcher(c.Connection);
        ExpectNothingUntil(s, S(22) - OneMs);
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        AdvanceTo(S(22));
        watcher.ExpectTerminated(c.Connection);
        s.ExpectNothing();
    }
}
