namespace TcpActors.Engine.Congestion;

/// <summary>
/// Proportional Rate Reduction (RFC 9937, which obsoletes RFC 6937; Linux's tcp_cwnd_reduction): how much a sender
/// in SACK-based fast recovery may send on each ACK. RFC 6675 alone sets cwnd = ssthresh at once, so the sender is
/// silent until pipe falls below ssthresh (for CUBIC the first 30% of the recovery's ACKs) and may then burst when
/// one ACK delivers much. PRR spreads the reduction over the round trip instead: while pipe &gt; ssthresh it sends
/// ssthresh / RecoverFS of what was delivered; once pipe is at or below ssthresh it sends what was delivered (the
/// conservative reduction bound), plus one segment when the ACK shows recovery making progress (the slow start
/// reduction bound), so that pipe grows back towards ssthresh but never beyond.
/// The connection calls <see cref="OnAck"/> for each ACK of the recovery and <see cref="OnSent"/> for every
/// octet it transmits then, and sends while pipe &lt; <see cref="Cwnd"/>. Pure arithmetic in bytes. Not thread-safe.
/// </summary>
public sealed class ProportionalRateReduction
{
    /// <summary>
    /// Starts a recovery (RFC 9937 section 4, initialization): <paramref name="recoverFs"/> is what was in flight
    /// and not SACKed before the ACK that started it; <paramref name="ssthresh"/> the congestion controller's new
    /// ssthresh; <paramref name="cwnd"/> the window to send by until the first ACK is counted.
    /// </summary>
    public ProportionalRateReduction(long recoverFs, int ssthresh, int smss, long cwnd)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(smss);
        RecoverFs = Math.Max(recoverFs, smss);   // never a division by zero: a flight is at least one segment
        Ssthresh = ssthresh;
        Smss = smss;
        Cwnd = cwnd;
    }

    /// <summary>RecoverFS: the flight the reduction is proportional to.</summary>
    public long RecoverFs { get; }

    /// <summary>ssthresh as the congestion controller set it on entering recovery: where pipe ends up.</summary>
    public int Ssthresh { get; }

    public int Smss { get; }

    /// <summary>prr_delivered: octets the receiver got (cumulatively ACKed or newly SACKed) during this recovery.</summary>
    public long Delivered { get; private set; }

    /// <summary>prr_out: octets sent (retransmitted or new) during this recovery.</summary>
    public long Out { get; private set; }

    /// <summary>cwnd for the send loop: pipe + SndCnt at the last ACK.</summary>
    public long Cwnd { get; private set; }

    /// <summary>The last ACK's SndCnt (octets it allowed to send).</summary>
    public long SendQuota { get; private set; }

    /// <summary>Octets transmitted in recovery (prr_out += data sent).</summary>
    public void OnSent(int octets) => Out += octets;

    /// <summary>
    /// An ACK during recovery (RFC 9937 section 4, on every ACK): <paramref name="deliveredData"/> is the change
    /// in SND.UNA plus the change in SACKed octets; <paramref name="pipe"/> is RFC 6675's pipe after the ACK;
    /// <paramref name="safeAck"/> that the ACK advanced SND.UNA and indicated no further loss. An ACK that delivers
    /// nothing changes nothing. Returns the new <see cref="Cwnd"/>.
    /// </summary>
    public long OnAck(long deliveredData, long pipe, bool safeAck)
    {
        if (deliveredData <= 0)
            return Cwnd;
        Delivered += deliveredData;
        long sndCnt;
        if (pipe > Ssthresh)
        {
            // Proportional rate reduction: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
            long target = (long)Math.Ceiling((double)Delivered * Ssthresh / RecoverFs);
            sndCnt = target - Out;
        }
        else
        {
            // Conservative reduction bound; the slow start reduction bound when recovery is making progress.
            sndCnt = Math.Max(Delivered - Out, deliveredData);
            if (safeAck)
                sndCnt += Smss;
            sndCnt = Math.Min(Ssthresh - pipe, sndCnt);
        }
        sndCnt = Math.Max(sndCnt, 0);
        if (Out == 0 && sndCnt == 0)
            sndCnt = Smss;   // the fast retransmit itself always goes out
        SendQuota = sndCnt;
        Cwnd = pipe + sndCnt;
        return Cwnd;
    }
}
