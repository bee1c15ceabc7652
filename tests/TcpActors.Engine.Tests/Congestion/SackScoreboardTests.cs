using TcpActors.Engine.Congestion;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>The SACK scoreboard of RFC 6675 section 3 (IsLost, SetPipe, NextSeg), with SMSS 100 and sequence numbers from 1000.</summary>
public class SackScoreboardTests
{
    private const int Smss = 100;
    private static readonly SeqNum Una = 1000, Nxt = 2000;

    private static SackScoreboard With(params (uint L, uint R)[] blocks)
    {
        var sb = new SackScoreboard();
        Span<SackBlock> b = blocks.Select(x => new SackBlock(x.L, x.R)).ToArray();
        sb.Update(Una, Nxt, b);
        return sb;
    }

    [Fact]
    public void Blocks_merge_and_only_new_octets_count_as_new_RFC6675_section2_DupAck()
    {
        var sb = new SackScoreboard();
        Assert.True(sb.Update(Una, Nxt, [new SackBlock(1200, 1300)]));
        Assert.False(sb.Update(Una, Nxt, [new SackBlock(1200, 1300)]));   // repeated: nothing new
        Assert.True(sb.Update(Una, Nxt, [new SackBlock(1300, 1400), new SackBlock(1100, 1150)]));
        Assert.Equal([((SeqNum)1100, (SeqNum)1150), ((SeqNum)1200, (SeqNum)1400)], sb.Ranges);
        Assert.Equal(250, sb.SackedBytes);
        Assert.Equal((SeqNum)1400, sb.HighSacked);
        Assert.True(sb.Update(Una, Nxt, [new SackBlock(1140, 1210)]));   // bridges the two
        Assert.Single(sb.Ranges);
        Assert.Equal(300, sb.SackedBytes);
    }

    [Fact]
    public void Invalid_and_DSACK_blocks_are_ignored_RFC2018_and_RFC2883()
    {
        var sb = new SackScoreboard();
        Assert.False(sb.Update(Una, Nxt, [new SackBlock(900, 1000)]));   // D-SACK below SND.UNA
        Assert.False(sb.Update(Una, Nxt, [new SackBlock(1500, 2100)]));  // beyond SND.NXT
        Assert.False(sb.Update(Una, Nxt, [new SackBlock(1500, 1500)]));  // empty
        Assert.False(sb.Update(Una, Nxt, [new SackBlock(1600, 1500)]));  // reversed
        Assert.True(sb.Update(Una, Nxt, [new SackBlock(950, 1050)]));    // the part above SND.UNA counts
        Assert.Equal([((SeqNum)1000, (SeqNum)1050)], sb.Ranges);
        Assert.True(sb.IsEmpty is false);
    }

    [Fact]
    public void A_cumulative_ACK_drops_what_it_covers()
    {
        var sb = With((1100, 1200), (1300, 1400));
        sb.Acknowledge(1150);
        Assert.Equal([((SeqNum)1150, (SeqNum)1200), ((SeqNum)1300, (SeqNum)1400)], sb.Ranges);
        Assert.Equal(150, sb.SackedBytes);
        sb.Acknowledge(1400);
        Assert.True(sb.IsEmpty);
        Assert.Equal(0, sb.SackedBytes);
    }

    [Fact]
    public void IsLost_needs_DupThresh_ranges_or_more_than_2_SMSS_SACKed_above_RFC6675_section4()
    {
        // Two ranges of 50 above 1000: neither 3 ranges nor more than 200 bytes.
        var sb = With((1100, 1150), (1200, 1250));
        Assert.False(sb.IsLost(1000, Smss));
        // A third discontiguous range: octets below the lowest of the three are lost.
        sb.Update(Una, Nxt, [new SackBlock(1300, 1310)]);
        Assert.True(sb.IsLost(1000, Smss));
        Assert.True(sb.IsLost(1099, Smss));
        Assert.False(sb.IsLost(1150, Smss));                  // two ranges (60 bytes) above
        Assert.Equal((SeqNum)1100, sb.LostBoundary(Smss));

        // One range of 201 bytes above: more than (3 - 1) * SMSS.
        var big = With((1500, 1701));
        Assert.True(big.IsLost(1000, Smss));
        Assert.True(big.IsLost(1499, Smss));
        Assert.Equal((SeqNum)1500, big.LostBoundary(Smss));
        var exact = With((1500, 1700));                         // exactly 200: not more than
        Assert.False(exact.IsLost(1000, Smss));
        Assert.Null(exact.LostBoundary(Smss));
    }

    [Fact]
    public void Pipe_counts_unSACKed_octets_not_lost_plus_those_retransmitted_RFC6675_section4_SetPipe()
    {
        // SACKed: 1100-1200, 1300-1400, 1500-1600 (3 ranges): 1000-1099 lost; holes 1200-1299 and 1400-1499 not lost.
        var sb = With((1100, 1200), (1300, 1400), (1500, 1600));
        // Nothing retransmitted: not lost = 1200..1299 (100) + 1400..1499 (100) + 1600..1999 (400).
        Assert.Equal(600, sb.Pipe(Una, Nxt, highRxt: Una, Smss));
        // 1000-1099 retransmitted: + 100 (lost and retransmitted: counted once).
        Assert.Equal(700, sb.Pipe(Una, Nxt, highRxt: 1100, Smss));
        // Brute force over the octets, as the RFC writes it.
        for (uint rxt = 1000; rxt <= 2000; rxt += 50)
        {
            long pipe = 0;
            for (uint s1 = 1000; s1 < 2000; s1++)
            {
                if (sb.IsSacked(s1)) continue;
                if (!sb.IsLost(s1, Smss)) pipe++;
                if (s1 < rxt) pipe++;
            }
            Assert.Equal(pipe, sb.Pipe(Una, Nxt, rxt, Smss));
        }
        // After a timeout everything below the recovery point counts as lost.
        Assert.Equal(400, new SackScoreboard().Pipe(Una, Nxt, Una, Smss, lostBelow: 1600));
    }

    [Fact]
    public void NextSeg_rule1_finds_the_first_lost_hole_above_HighRxt_and_rule3_the_first_unSACKed_octet_below_HighSacked_RFC6675_section4()
    {
        var sb = With((1100, 1200), (1300, 1400), (1500, 1600));
        SeqNum lossEnd = sb.LossEnd(Una, Nxt, Smss);
        Assert.Equal((SeqNum)1100, lossEnd);
        Assert.True(sb.NextHole(Una, lossEnd, Nxt, Smss, out var s, out int len));
        Assert.Equal((SeqNum)1000, s);
        Assert.Equal(100, len);
        // HighRxt past that hole: rule 1 finds nothing more.
        Assert.False(sb.NextHole(1100, lossEnd, Nxt, Smss, out _, out _));
        // Rule 3: unSACKed octets below the highest SACKed one.
        Assert.True(sb.NextHole(1100, sb.HighSacked!.Value, Nxt, Smss, out s, out len));
        Assert.Equal((SeqNum)1200, s);
        Assert.Equal(100, len);
        Assert.True(sb.NextHole(1450, sb.HighSacked!.Value, Nxt, Smss, out s, out len));
        Assert.Equal((SeqNum)1450, s);
        Assert.Equal(50, len);                                   // up to the next SACKed range
        Assert.False(sb.NextHole(1600, sb.HighSacked!.Value, Nxt, Smss, out _, out _));
        // A long hole is cut at SMSS.
        var wide = With((1800, 1900));
        Assert.True(wide.NextHole(Una, 1800, Nxt, Smss, out s, out len));
        Assert.Equal((SeqNum)1000, s);
        Assert.Equal(Smss, len);
    }

    [Fact]
    public void Sequence_numbers_wrap()
    {
        var sb = new SackScoreboard();
        SeqNum una = 0xFFFFFF00, nxt = 0x00000100;
        Assert.True(sb.Update(una, nxt, [new SackBlock(0xFFFFFFF0, 0x00000010), new SackBlock(0x00000020, 0x00000030), new SackBlock(0x00000040, 0x00000050)]));
        Assert.Equal(64, sb.SackedBytes);
        Assert.True(sb.IsLost(0xFFFFFF00, Smss));
        Assert.Equal((SeqNum)0xFFFFFFF0, sb.LostBoundary(Smss));
        Assert.Equal((long)(nxt - una) - 64, sb.UnsackedBytes(una, nxt));
    }
}

/// <summary>Lost retransmissions found by SACK evidence (what RFC 6675 leaves to the timer).</summary>
public class RetransmitLogTests
{
    [Fact]
    public void A_retransmission_is_lost_when_data_sent_after_it_arrives_first()
    {
        var sb = new SackScoreboard();
        var log = new RetransmitLog();
        var lost = new List<(SeqNum Start, SeqNum End)>();
        SeqNum una = 1000;
        log.Add(1000, 1100, nxtAtSend: 2000);   // first retransmission
        log.Add(1300, 1400, nxtAtSend: 2000);   // second
        sb.Update(una, 2100, [new SackBlock(1100, 1300), new SackBlock(1400, 1500)]);
        Assert.Equal(0, log.DetectLost(una, sb, lost));   // nothing sent after them has arrived yet
        // The second retransmission is SACKed: the first, sent before it, is lost.
        sb.Update(una, 2100, [new SackBlock(1300, 1400)]);
        Assert.Equal(1, log.DetectLost(una, sb, lost));
        Assert.Equal([((SeqNum)1000, (SeqNum)1100)], lost);
        Assert.Equal(0, log.Count);                       // the SACKed one is forgotten too

        // New data sent after a retransmission is SACKed (at or above SND.NXT at the time): lost.
        log.Add(1000, 1100, nxtAtSend: 2100);
        lost.Clear();
        sb.Update(una, 2200, [new SackBlock(2100, 2200)]);
        Assert.Equal(1, log.DetectLost(una, sb, lost));
        // An acknowledged retransmission is simply forgotten.
        log.Add(1000, 1100, nxtAtSend: 2200);
        Assert.Equal(0, log.DetectLost(1100, sb, lost));
        Assert.Equal(0, log.Count);
    }
}
