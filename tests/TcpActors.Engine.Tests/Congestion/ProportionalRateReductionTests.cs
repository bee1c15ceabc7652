using TcpActors.Engine.Congestion;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>PRR's arithmetic (RFC 9937 section 4) with the numbers worked out here, in bytes of 1000-octet segments.</summary>
public class ProportionalRateReductionTests
{
    private const int Smss = 1000;

    /// <summary>The sender's loop: whole segments while cwnd - pipe > 0 (a fractional share rounds up). Returns pipe.</summary>
    private static long SendWholeSegments(ProportionalRateReduction prr, long pipe)
    {
        while (prr.Cwnd - pipe > 0)
        {
            prr.OnSent(Smss);
            pipe += Smss;
        }
        return pipe;
    }

    [Fact]
    public void While_pipe_exceeds_ssthresh_sends_ssthresh_over_RecoverFS_of_what_is_delivered_RFC9937_section4()
    {
        // RFC 9937's example: 20 segments in flight, one lost, ssthresh 10 (a halving). Every ACK delivers a segment.
        var prr = new ProportionalRateReduction(recoverFs: 20 * Smss, ssthresh: 10 * Smss, Smss, cwnd: 10 * Smss);
        prr.OnSent(Smss);                              // the fast retransmit
        long pipe = 19 * Smss;                         // 19 segments in flight after the lost one left and its copy went out
        var quotas = new List<long>();
        for (int ack = 1; ack <= 6; ack++)
        {
            pipe -= Smss;
            long cwnd = prr.OnAck(Smss, pipe, safeAck: false);
            quotas.Add(prr.SendQuota);
            Assert.Equal(pipe + prr.SendQuota, cwnd);
            // CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
            long expected = Math.Max(0, (long)Math.Ceiling(ack * Smss * 10.0 / 20) - prr.Out);
            Assert.Equal(expected, prr.SendQuota);
            pipe = SendWholeSegments(prr, pipe);
        }
        // One segment for every two delivered: 0, 0, 500, 0, 500, 0 (the half segment rounds up to one in the sender).
        Assert.Equal(new long[] { 0, 0, 500, 0, 500, 0 }, quotas);
        Assert.Equal(3 * Smss, prr.Out);
        Assert.Equal(6 * Smss, prr.Delivered);
    }

    [Fact]
    public void Over_one_round_trip_the_flight_shrinks_to_ssthresh_RFC9937_section4()
    {
        // CUBIC's reduction: 20 in flight, ssthresh 14. All 19 surviving segments are delivered, one per ACK.
        var prr = new ProportionalRateReduction(20 * Smss, 14 * Smss, Smss, cwnd: 14 * Smss);
        prr.OnSent(Smss);
        long pipe = 20 * Smss;
        for (int ack = 1; ack <= 19; ack++)
        {
            pipe -= Smss;
            prr.OnAck(Smss, pipe, safeAck: false);
            pipe = SendWholeSegments(prr, pipe);
        }
        // CEIL(19 * 14 / 20) = 14 segments sent in all, the retransmission included: the flight is ssthresh.
        Assert.Equal(14 * Smss, prr.Out);
        Assert.Equal(14 * Smss, pipe);
    }

    [Fact]
    public void Below_ssthresh_sends_what_was_delivered_the_conservative_reduction_bound_RFC9937_section4()
    {
        var prr = new ProportionalRateReduction(20 * Smss, 10 * Smss, Smss, cwnd: 10 * Smss);
        prr.OnSent(Smss);
        // Heavy loss: pipe is already 4 segments. An ACK that delivers 2 segments but shows another loss.
        prr.OnAck(2 * Smss, pipe: 4 * Smss, safeAck: false);
        // MAX(prr_delivered - prr_out, DeliveredData) = MAX(2 - 1, 2) = 2; MIN(ssthresh - pipe, 2) = 2.
        Assert.Equal(2 * Smss, prr.SendQuota);
        Assert.Equal(6 * Smss, prr.Cwnd);
    }

    [Fact]
    public void Below_ssthresh_an_ACK_that_advances_SND_UNA_without_new_loss_adds_one_segment_the_slow_start_bound_RFC9937_section4()
    {
        var prr = new ProportionalRateReduction(20 * Smss, 10 * Smss, Smss, cwnd: 10 * Smss);
        prr.OnSent(Smss);
        prr.OnAck(2 * Smss, pipe: 4 * Smss, safeAck: true);
        Assert.Equal(3 * Smss, prr.SendQuota);        // MAX(1, 2) + SMSS
        // ... but never beyond ssthresh: pipe 9 leaves room for one.
        prr.OnSent(3 * Smss);
        prr.OnAck(2 * Smss, pipe: 9 * Smss, safeAck: true);
        Assert.Equal(1 * Smss, prr.SendQuota);        // MIN(ssthresh - pipe, ...) = 1
        Assert.Equal(10 * Smss, prr.Cwnd);
    }

    [Fact]
    public void An_ACK_that_delivers_nothing_changes_nothing_RFC9937_section4()
    {
        var prr = new ProportionalRateReduction(20 * Smss, 10 * Smss, Smss, cwnd: 10 * Smss);
        prr.OnSent(Smss);
        prr.OnAck(Smss, 18 * Smss, safeAck: false);
        long cwnd = prr.Cwnd;
        Assert.Equal(cwnd, prr.OnAck(0, 12 * Smss, safeAck: true));
        Assert.Equal(Smss, prr.Delivered);
    }

    [Fact]
    public void The_fast_retransmit_goes_out_even_when_the_proportional_share_is_zero_RFC9937_section4()
    {
        // Nothing sent yet and a share that rounds to zero: SndCnt is forced to one segment.
        var prr = new ProportionalRateReduction(100 * Smss, 1 * Smss, Smss, cwnd: Smss);
        prr.OnAck(1, pipe: 99 * Smss, safeAck: false);
        Assert.Equal(1, prr.SendQuota);                // CEIL(1 * 1000 / 100000) = 1 octet: not zero, not forced
        var fresh = new ProportionalRateReduction(100 * Smss, 0, Smss, cwnd: 0);
        fresh.OnAck(Smss, pipe: 99 * Smss, safeAck: false);
        Assert.Equal(Smss, fresh.SendQuota);           // ssthresh 0 gives a share of 0: forced to SMSS
    }
}
