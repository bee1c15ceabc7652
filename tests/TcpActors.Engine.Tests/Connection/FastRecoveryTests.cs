using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// What a sender in SACK-based fast recovery sends on each ACK: Proportional Rate Reduction (RFC 9937) by default, RFC
/// 6675 alone when it is off. The peer is scripted: a flight of 22 segments (cwnd 20 plus the two of limited transmit)
/// loses its first segment, and every later segment's ACK SACKs it, one ACK per segment, a round trip (10 ms) later.
/// </summary>
public class FastRecoveryTests : TimingTestKit
{
    private const int Smss = 1448;   // 1460 less the timestamps
    private uint _tsVal = 200;

    private ProbeStack Stack(string? hocon = null) => hocon is null
        ? new ProbeStack(this, Origin)
        : new ProbeStack(this, Origin, Engine.Configuration.TcpSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString(hocon).WithFallback(Sys.Settings.Config)));

    private TcpOptions Ack(uint tsEcr, params SackBlock[] sacks)
    {
        var o = new TcpOptions();
        o.SetTimestamps(_tsVal++, tsEcr);
        foreach (var b in sacks)
            o.AddSack(b);
        return o;
    }

    /// <summary>
    /// Opens a connection with SACK and timestamps, grows cwnd to 20 in slow start (10 ACKs of one segment each), and
    /// returns the new data segments sent after each recovery ACK (the first one starts recovery: the third SACK).
    /// </summary>
    private (List<List<SentSegment>> perAck, ConnectionStatus atEntry) LoseFirstOfTwentyTwo(ProbeStack s, int acks)
    {
        var syn = new TcpOptions { Mss = 1460, SackPermitted = true, WindowScale = 2 };
        syn.SetTimestamps(100, 0);
        var c = PassiveOpen(s, synOptions: syn);
        AdvanceTo(Ms(1));
        c.Connection.Tell(Write.Create(new byte[200 * Smss]), c.App.Ref);
        var iw = s.Drain();
        Assert.Equal(10, iw.Count);
        uint una = c.Iss + 1;
        uint Seg(int i) => una + (uint)(i * Smss);
        // A round trip of 10 ms, so that RACK (reo_wnd = SRTT / 4) does not call segment 10 lost before DupThresh does.
        AdvanceTo(Ms(11));
        var flight = new List<SentSegment>();
        for (int i = 1; i <= 10; i++)
        {
            s.Inject(c.PeerPort, c.StackPort, TcpFlags.Ack, c.PeerIss + 1, Seg(i), options: Ack(iw[i - 1].Tcp.Options.TsVal));
            flight.AddRange(s.Drain());
        }
        Assert.Equal(20, flight.Count);                     // slow start: two out for each one acknowledged
        Assert.Equal(Seg(10), flight[0].Seq);
        uint ecr = flight[^1].Tcp.Options.TsVal;
        AdvanceTo(Ms(21));
        // Segment 10 is lost. The first two SACKs each let one segment out by limited transmit (RFC 3042).
        for (int k = 1; k <= 2; k++)
        {
            s.Inject(c.PeerPort, c.StackPort, TcpFlags.Ack, c.PeerIss + 1, Seg(10), options: Ack(ecr, new SackBlock(Seg(11), Seg(11 + k))));
            var lt = s.Drain();
            Assert.Single(lt);
            Assert.Equal(Seg(29 + k), lt[0].Seq);
        }
        var perAck = new List<List<SentSegment>>();
        ConnectionStatus? atEntry = null;
        for (int j = 1; j <= acks; j++)
        {
            s.Inject(c.PeerPort, c.StackPort, TcpFlags.Ack, c.PeerIss + 1, Seg(10), options: Ack(ecr, new SackBlock(Seg(11), Seg(13 + j))));
            var sent = s.Drain();
            if (j == 1)
            {
                Assert.Equal(Seg(10), sent[0].Seq);          // the fast retransmit, on the third SACK
                sent.RemoveAt(0);
                atEntry = StatusOf(c.Connection);
            }
            Assert.All(sent, x => Assert.True(x.Seq >= Seg(32), $"new data expected, got {x}"));
            perAck.Add(sent);
        }
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
        return (perAck, atEntry!);
    }

    [Fact]
    public void Fast_recovery_sends_ssthresh_over_RecoverFS_of_what_each_ACK_delivers_from_the_first_ACKs_on_RFC9937_section4()
    {
        var s = Stack();
        var (perAck, atEntry) = LoseFirstOfTwentyTwo(s, acks: 12);
        // CUBIC: ssthresh = 0.7 * the 20 segments sent under cwnd (limited transmit's two are not counted).
        Assert.Equal((int)(20 * Smss * 0.7), atEntry.Ssthresh);
        // RecoverFS = the 22 in flight less the 2 SACKed before the ACK that started recovery. Every ACK delivers
        // one segment, so after the j-th the sender has sent CEIL(j * ssthresh / RecoverFS) segments, rounded up to
        // whole segments, the retransmission included: one in every 0.7 ACKs, starting with the second.
        long recoverFs = 20 * Smss;
        int sentSoFar = 1;   // the retransmission
        for (int j = 1; j <= 12; j++)
        {
            sentSoFar += perAck[j - 1].Count;
            long target = (long)Math.Ceiling((double)j * Smss * atEntry.Ssthresh / recoverFs);
            int expected = (int)((target + Smss - 1) / Smss);
            Assert.True(expected == sentSoFar, $"after ACK {j}: {sentSoFar} sent, PRR says {expected}");
        }
        Assert.NotEmpty(perAck[1]);   // new data already on the second ACK of recovery
        Assert.All(perAck, a => Assert.True(a.Count <= 1, "no burst"));
    }

    [Fact]
    public void Without_PRR_fast_recovery_is_silent_until_pipe_falls_below_ssthresh_RFC6675_section5()
    {
        var s = Stack("tcp-actors.proportional-rate-reduction = off");
        var (perAck, atEntry) = LoseFirstOfTwentyTwo(s, acks: 8);
        Assert.Equal((int)(20 * Smss * 0.7), atEntry.Ssthresh);
        // cwnd = ssthresh (14 segments) at once; pipe is 19 after the retransmission and falls by one per ACK:
        // nothing goes out until the ACK that brings it to 13, the seventh, then one segment per ACK.
        for (int j = 1; j <= 6; j++)
            Assert.Empty(perAck[j - 1]);
        Assert.Single(perAck[6]);
        Assert.Single(perAck[7]);
    }
}
