namespace TcpActors.Engine.Congestion;

/// <summary>
/// A congestion control algorithm for one connection (RFC 5681 section 3): it owns cwnd and ssthresh, in
/// bytes; the connection tells it what the ACKs and timers say. Loss detection, the retransmissions themselves
/// and the send loop stay in the connection. Pure: time is passed in, never read. Not thread-safe.
/// </summary>
public interface ICongestionControl
{
    /// <summary>The algorithm's name as the configuration spells it ("newreno", "cubic").</summary>
    string Name { get; }

    /// <summary>SMSS: the largest segment the sender transmits (data only, without options).</summary>
    int Smss { get; }

    /// <summary>cwnd in bytes.</summary>
    int Cwnd { get; }

    /// <summary>ssthresh in bytes; <see cref="int.MaxValue"/> until the first congestion event (RFC 5681 3.1).</summary>
    int Ssthresh { get; }

    /// <summary>Between <see cref="EnterRecovery"/> and <see cref="ExitRecovery"/> (or a timeout).</summary>
    bool InRecovery { get; }

    /// <summary>
    /// An ACK acknowledged <paramref name="bytesAcked"/> new bytes outside loss recovery: slow start or
    /// congestion avoidance. <paramref name="rtt"/> is the smoothed RTT if known.
    /// </summary>
    void OnAck(int bytesAcked, TimeSpan? rtt, TimeSpan now);

    /// <summary>
    /// Fast retransmit (RFC 5681 3.2 step 2, RFC 6675 section 5 step 4): a loss was detected with
    /// <paramref name="flightSize"/> bytes outstanding. Sets ssthresh and cwnd = ssthresh (no inflation:
    /// a sender without SACK adds the three duplicate ACKs with <see cref="OnDupAck"/>).
    /// </summary>
    void EnterRecovery(int flightSize, TimeSpan now);

    /// <summary>A further duplicate ACK in recovery without SACK: cwnd grows by SMSS (window inflation, RFC 5681 3.2 step 4).</summary>
    void OnDupAck();

    /// <summary>RFC 6582 3.2 step 5: a partial ACK of <paramref name="bytesAcked"/> deflates cwnd by that amount, then adds back SMSS if at least SMSS was acknowledged.</summary>
    void OnPartialAck(int bytesAcked);

    /// <summary>
    /// A full ACK ends recovery (RFC 6582 3.2 step 6, option 1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
    /// <see cref="int.MaxValue"/> as <paramref name="flightSize"/> gives cwnd = ssthresh, RFC 9937's end of a recovery
    /// that PRR paced down to ssthresh.
    /// </summary>
    void ExitRecovery(int flightSize, TimeSpan now);

    /// <summary>
    /// A congestion signal without a loss: an ECN-Echo (RFC 3168 6.1.2, "the same as ... for a dropped packet") with
    /// <paramref name="flightSize"/> bytes outstanding. ssthresh as for a loss, cwnd = ssthresh; no recovery and
    /// nothing to retransmit.
    /// </summary>
    void ReduceWindow(int flightSize, TimeSpan now);

    /// <summary>
    /// The retransmission timer expired with <paramref name="flightSize"/> bytes outstanding (RFC 5681 3.1,
    /// equation 4): ssthresh is reduced, cwnd becomes the loss window (1 SMSS). When
    /// <paramref name="alreadyRetransmitted"/>, the segment was already retransmitted by the timer and ssthresh is held.
    /// </summary>
    void OnRetransmissionTimeout(int flightSize, bool alreadyRetransmitted, TimeSpan now);
}
