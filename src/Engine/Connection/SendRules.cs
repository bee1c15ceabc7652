namespace TcpActors.Engine.Connection;

/// <summary>What <see cref="SendRules.Decide"/> says about a new segment smaller than a full one.</summary>
internal enum SendVerdict
{
    Send,
    /// <summary>The Nagle algorithm holds it: a small segment is still unacknowledged; its ACK sends this one.</summary>
    HoldForNagle,
    /// <summary>Sender SWS avoidance holds it: the window offers a sliver; an ACK or the override timeout sends it.</summary>
    HoldForWindow,
}

/// <summary>
/// RFC 9293 3.8.6.2.1, "Sender's Algorithm -- When to Send Data" (sender silly window syndrome avoidance, MUST-38),
/// with the Nagle algorithm of 3.7.4 (SHLD-7) in the form Linux uses (Minshall's modification, RFC 9293 Appendix A.3;
/// Linux tcp_nagle_check): a short segment waits while an earlier short segment is unacknowledged, rather than
/// while anything at all is. With D the data queued and not sent, U the usable window (SND.UNA + SND.WND - SND.NXT):
/// <list type="number">
/// <item>a full-sized segment goes: min(D, U) &gt;= Eff.snd.MSS;</item>
/// <item>everything queued fits, D &lt;= U: it goes, unless Nagle holds it;</item>
/// <item>the window cuts the data: the piece goes if it is at least half the largest window the peer has offered
///   (Fs = 1/2 of Max(SND.WND)) and Nagle does not hold it, else SWS avoidance holds it;</item>
/// <item>the override timeout (the caller's: the persist timer) sends what the window allows.</item>
/// </list>
/// A segment that carries the FIN, a Push, and the override are never held (Linux: a FIN passes tcp_nagle_test).
/// Corking and Write.More (MSG_MORE) are decided before these rules, by the caller. Only new data is subject to
/// them: retransmissions and window probes are not.
/// </summary>
internal static class SendRules
{
    /// <param name="length">The segment the buffer, the window and cwnd allow: min(D, U) cut to the largest segment.</param>
    /// <param name="fullSegment">Eff.snd.MSS: the payload of a full-sized segment with this segment's options.</param>
    /// <param name="queued">D: bytes queued and not yet sent.</param>
    /// <param name="usable">U: the usable send window.</param>
    /// <param name="maxWindow">Max(SND.WND): the largest window the peer has offered.</param>
    /// <param name="nagle">The Nagle algorithm is on (TCP_NODELAY is off).</param>
    /// <param name="smallSegmentUnacked">A segment shorter than a full one is sent and not acknowledged.</param>
    /// <param name="force">The segment carries the FIN, the application asked for a Push, or the override timeout fired.</param>
    public static SendVerdict Decide(int length, int fullSegment, int queued, int usable, uint maxWindow, bool nagle,
        bool smallSegmentUnacked, bool force)
    {
        if (length >= fullSegment || force)
            return SendVerdict.Send;                                   // rule 1 (and the exceptions)
        bool nagleHolds = nagle && smallSegmentUnacked;
        if (queued <= usable)
            return nagleHolds ? SendVerdict.HoldForNagle : SendVerdict.Send;   // rule 2
        if ((long)length * 2 >= maxWindow)
            return nagleHolds ? SendVerdict.HoldForNagle : SendVerdict.Send;   // rule 3, Fs = 1/2
        return SendVerdict.HoldForWindow;                              // until an ACK, or rule 4
    }
}
