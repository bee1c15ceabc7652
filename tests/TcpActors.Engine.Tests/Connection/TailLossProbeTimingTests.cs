using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Tail loss probe (RFC 8985 section 7) in virtual time against a scripted peer with SACK and timestamps. The
/// handshake's ACK comes 20 ms after the SYN-ACK: SRTT 20 ms, RTO 200 ms (min-rto), PTO 2 * 20 + 2 = 42 ms.
/// </summary>
public class TailLossProbeTimingTests : TimingTestKit
{
    private const ushort Port = 7;
    private const uint PeerIss = 1000;
    private const int Smss = 1448;   // 1460 less the timestamps

    private static TcpOptions Ts(uint val, uint ecr)
    {
        var o = new TcpOptions();
        o.SetTimestamps(val, ecr);
        return o;
    }

    private uint _peerTs = 100;

    /// <summary>Passive open with SACK, timestamps and no window scaling; the handshake's ACK comes at 20 ms.</summary>
    private ScriptedConnection Open(ProbeStack s)
    {
        var syn = new TcpOptions { Mss = 1460, SackPermitted = true, WindowScale = 0 };
        syn.SetTimestamps(_peerTs, 0);
        _peerTs += 2;                                            // the SYN's and the handshake ACK's TSvals
        var c = PassiveOpen(s, Port, ackAfter: Ms(20), synOptions: syn);
        Assert.Equal(Ms(20), StatusOf(c.Connection).SmoothedRtt);
        Assert.Equal(Ms(200), StatusOf(c.Connection).Rto);
        return c;
    }

    private static uint Seg(ScriptedConnection c, int i) => c.Iss + 1 + (uint)(i * Smss);

    /// <summary>The peer's ACK at the current time, echoing <paramref name="echo"/>, with optional SACK blocks.</summary>
    private void Ack(ProbeStack s, uint ack, SentSegment echo, params SackBlock[] sacks)
    {
        var o = Ts(_peerTs++, echo.Tcp.Options.TsVal);
        foreach (var b in sacks)
            o.AddSack(b);
        s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, ack, 65535, options: o);
    }

    private static SackBlock Block(uint from, uint to) => new(new SeqNum(from), new SeqNum(to));

    [Fact]
    public void A_flight_without_ACKs_is_probed_with_new_data_beyond_cwnd_at_2_SRTT_plus_2ms_not_the_RTO_RFC8985_sections7_2_and_7_3()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[100_000]), c.App.Ref);
        var flight = s.Drain();
        Assert.Equal(10, flight.Count);                          // IW 10: cwnd is full
        Assert.All(flight, x => Assert.Equal(Ms(20), x.At));

        var probe = ExpectSentAt(s, Ms(20 + 42));                // PTO = 2 * SRTT + 2 ms after the last transmission
        Assert.Equal(Seg(c, 10), probe.Seq);                     // the lowest unsent segment, beyond cwnd
        Assert.Equal(Smss, probe.Payload.Length);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, probe.Flags);   // PSH: a Linux receiver ACKs it when its application reads
        Assert.DoesNotContain(flight, x => (x.Flags & TcpFlags.Psh) != 0);   // more data queued, less than half a window sent
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.RetransSegs]);

        // One probe at a time: the next event is the RTO, restarted when the probe went out (7.3).
        var rto = ExpectSentAt(s, Ms(62 + 200));
        Assert.Equal(Seg(c, 0), rto.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.Timeouts]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);
    }

    [Fact]
    public void A_probe_whose_ACK_covers_everything_found_only_lost_ACKs_and_leaves_cwnd_alone_RFC8985_section7_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[100_000]), c.App.Ref);
        s.Drain();
        var probe = ExpectSentAt(s, Ms(62));
        AdvanceTo(Ms(82));
        Ack(s, Seg(c, 11), probe);                               // all ten and the probe arrived: their ACKs were lost
        var st = StatusOf(c.Connection);
        Assert.Equal(int.MaxValue, st.Ssthresh);                 // no loss, no reduction
        Assert.Equal(0, s.Stack.Counters[TcpCounter.LossProbeRecoveries]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.FastRetransmits]);
        var next = s.Drain();
        Assert.NotEmpty(next);                                   // slow start goes on at once
        Assert.All(next, x => Assert.Equal(Ms(82), x.At));
        Assert.Equal(Seg(c, 11), next[0].Seq);
    }

    [Fact]
    public void The_probe_resends_the_last_segment_and_its_SACK_finds_the_hole_below_lost_at_once_RFC8985_sections7_3_and_6_2()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[10 * Smss]), c.App.Ref);
        var flight = s.Drain();
        Assert.Equal(10, flight.Count);
        AdvanceTo(Ms(40));
        Ack(s, Seg(c, 8), flight[7]);                            // segments 8 and 9 lost: the tail of the flight
        Assert.Empty(s.Drain());                                 // nothing more to send

        var probe = ExpectSentAt(s, Ms(40 + 42));                // two segments in flight: 2 * SRTT + 2 ms
        Assert.Equal(Seg(c, 9), probe.Seq);                      // no new data: the highest segment again
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, probe.Flags);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);

        AdvanceTo(Ms(102));
        Ack(s, Seg(c, 8), probe, Block(Seg(c, 9), Seg(c, 10))); // the probe arrived, segment 8 did not
        var repair = s.Next();
        Assert.Equal(Seg(c, 8), repair.Seq);                     // fast retransmit on one SACK: sent 2 SRTT before the probe, it is lost
        Assert.Equal(Ms(102), repair.At);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.RackFastRecoveries]);

        AdvanceTo(Ms(122));
        Ack(s, Seg(c, 10), repair);
        ExpectNothingUntil(s, Ms(1000));                         // no RTO: all acknowledged
        Assert.Equal(0, s.Stack.Counters[TcpCounter.Timeouts]);
        var done = StatusOf(c.Connection);
        Assert.Equal(done.SndNxt, done.SndUna);
    }

    [Fact]
    public void A_probe_due_with_the_RTO_goes_out_instead_of_the_timeout_and_its_repair_reduces_cwnd_RFC8985_sections7_2_and_7_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[10 * Smss]), c.App.Ref);
        var flight = s.Drain();
        AdvanceTo(Ms(40));
        Ack(s, Seg(c, 9), flight[8]);                            // only segment 9 is out
        // PTO = 2 * SRTT + 200 ms for a single segment, capped at the RTO (200 ms): both expire at 240 ms.
        var probe = ExpectSentAt(s, Ms(240));
        Assert.Equal(Seg(c, 9), probe.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.Timeouts]);  // the probe took the timeout's place: cwnd not collapsed
        Assert.True(StatusOf(c.Connection).Cwnd >= 10 * Smss);

        AdvanceTo(Ms(260));
        Ack(s, Seg(c, 10), probe);                               // for the original or for the probe: not known yet
        c.Connection.Tell(Write.Create(new byte[2 * Smss]), c.App.Ref);
        var more = s.Drain();
        Assert.Equal(2, more.Count);
        AdvanceTo(Ms(280));
        Ack(s, Seg(c, 12), more[^1]);                            // beyond the probe, no D-SACK: the probe repaired a loss
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbeRecoveries]);
        var st = StatusOf(c.Connection);
        Assert.True(st.Ssthresh < int.MaxValue);
        Assert.Equal(st.Ssthresh, st.Cwnd);
    }

    [Fact]
    public void With_the_probe_off_the_tail_waits_for_the_RTO()
    {
        var s = new ProbeStack(this, Origin, Engine.Configuration.TcpSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString("tcp-actors.tail-loss-probe.enabled = off").WithFallback(Sys.Settings.Config)));
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[100_000]), c.App.Ref);
        s.Drain();
        var rto = ExpectSentAt(s, Ms(20 + 200));
        Assert.Equal(Seg(c, 0), rto.Seq);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.LossProbes]);
    }

    [Fact]
    public void A_hole_with_one_SACK_above_is_retransmitted_by_the_reordering_timer_at_SRTT_over_4_RFC8985_sections6_2_and_6_3()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[10 * Smss]), c.App.Ref);
        var flight = s.Drain();
        AdvanceTo(Ms(40));
        // Segment 1 lost; only segment 2 is SACKed above it (DupThresh wants three), and no ACK comes after this one.
        Ack(s, Seg(c, 1), flight[2], Block(Seg(c, 2), Seg(c, 3)));
        Assert.Empty(s.Drain());
        var repair = ExpectSentAt(s, Ms(40 + 5));                // reo_wnd = SRTT / 4 after the SACK
        Assert.Equal(Seg(c, 1), repair.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.RackFastRecoveries]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.LossProbes]);   // before the PTO (82 ms)
    }

    [Fact]
    public void With_RACK_off_the_same_hole_waits_for_the_probe_timeout()
    {
        var s = new ProbeStack(this, Origin, Engine.Configuration.TcpSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString("tcp-actors.rack = off").WithFallback(Sys.Settings.Config)));
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[10 * Smss]), c.App.Ref);
        var flight = s.Drain();
        AdvanceTo(Ms(40));
        Ack(s, Seg(c, 1), flight[2], Block(Seg(c, 2), Seg(c, 3)));
        var repair = ExpectSentAt(s, Ms(40 + 42));               // the PTO finds SACKed data above the hole
        Assert.Equal(Seg(c, 1), repair.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
    }

    [Fact]
    public void In_recovery_without_reordering_seen_a_new_hole_below_a_SACK_is_lost_at_once_reo_wnd_0_RFC8985_section6_2_step4()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[30 * Smss]), c.App.Ref);   // more than cwnd: new data waits to be sent
        var flight = s.Drain();
        Assert.Equal(10, flight.Count);                          // IW 10
        AdvanceTo(Ms(40));
        // Segment 1 lost, 2-4 SACKed: DupThresh, fast recovery.
        Ack(s, Seg(c, 1), flight[4], Block(Seg(c, 2), Seg(c, 5)));
        var first = s.Drain();
        Assert.Equal(Seg(c, 1), first[0].Seq);
        AdvanceTo(Ms(41));
        // Segment 5 is missing too: 6 and 7 are SACKed above it (two, fewer than DupThresh). No reordering was seen and
        // the connection is in recovery, so reo_wnd is 0 and segment 5 is lost now, not at 41 + SRTT / 4 = 46 ms; it
        // goes before new data (NextSeg rule 1 before rule 2).
        Ack(s, Seg(c, 1), flight[7], Block(Seg(c, 2), Seg(c, 5)), Block(Seg(c, 6), Seg(c, 8)));
        var sent = s.Drain();
        Assert.NotEmpty(sent);
        Assert.Equal(Seg(c, 5), sent[0].Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);   // one recovery, two holes repaired
    }

    [Fact]
    public void Once_reordering_was_seen_a_new_hole_in_recovery_waits_for_reo_wnd_RFC8985_section6_2_steps2_and_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[30 * Smss]), c.App.Ref);
        var flight = s.Drain();
        AdvanceTo(Ms(30));
        Ack(s, Seg(c, 1), flight[2], Block(Seg(c, 2), Seg(c, 3)));   // segment 1 late, 2 SACKed above it
        s.Drain();
        AdvanceTo(Ms(31));
        Ack(s, Seg(c, 3), flight[2]);                                // 1 arrives by itself: the path reorders
        s.Drain();
        Assert.Equal(0, s.Stack.Counters[TcpCounter.FastRetransmits]);
        AdvanceTo(Ms(40));
        Ack(s, Seg(c, 4), flight[7], Block(Seg(c, 5), Seg(c, 8)));   // 4 lost, 5-7 SACKed: DupThresh, recovery
        Assert.Equal(Seg(c, 4), s.Drain()[0].Seq);
        AdvanceTo(Ms(41));
        Ack(s, Seg(c, 4), flight[9], Block(Seg(c, 5), Seg(c, 8)), Block(Seg(c, 9), Seg(c, 10)));   // 8 missing, 9 SACKed
        // With reordering seen reo_wnd stays SRTT / 4 = 5 ms in recovery: segment 8 may still come, it is not resent now.
        Assert.DoesNotContain(s.Drain(), p => p.Seq == Seg(c, 8));
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
    }

    /// <summary>A fast recovery at 40 ms (segment 1 lost, 2-4 SACKed) after which every ACK is lost.</summary>
    private (ProbeStack s, ScriptedConnection c) RecoveryWithoutAcks(bool inRecovery)
    {
        var s = new ProbeStack(this, Origin, Engine.Configuration.TcpSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString($"tcp-actors.tail-loss-probe.in-recovery = {(inRecovery ? "on" : "off")}")
                .WithFallback(Sys.Settings.Config)));
        var c = Open(s);
        c.Connection.Tell(Write.Create(new byte[10 * Smss]), c.App.Ref);
        var flight = s.Drain();
        AdvanceTo(Ms(40));
        Ack(s, Seg(c, 1), flight[4], Block(Seg(c, 2), Seg(c, 5)));
        var sent = s.Drain();
        Assert.Equal(Seg(c, 1), sent[0].Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
        return (s, c);
    }

    [Fact]
    public void In_recovery_no_probe_is_sent_and_a_lost_last_ACK_waits_for_the_RTO_RFC8985_section7_2()
    {
        var (s, c) = RecoveryWithoutAcks(inRecovery: false);
        var rto = ExpectSentAt(s, Ms(40 + 200));
        Assert.Equal(Seg(c, 1), rto.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.Timeouts]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.LossProbes]);
    }

    [Fact]
    public void With_in_recovery_on_one_probe_per_recovery_goes_out_a_PTO_after_the_last_ACK()
    {
        var (s, c) = RecoveryWithoutAcks(inRecovery: true);
        var probe = ExpectSentAt(s, Ms(40 + 42));
        Assert.Equal(Seg(c, 9), probe.Seq);                       // no new data: the last segment again
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);
        var rto = ExpectSentAt(s, Ms(82 + 200));                  // one probe per recovery; then the RTO, restarted by the probe
        Assert.Equal(Seg(c, 1), rto.Seq);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.LossProbes]);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.Timeouts]);
    }
}
