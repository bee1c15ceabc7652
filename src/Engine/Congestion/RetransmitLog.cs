using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Congestion;

/// <summary>
/// Lost retransmission detection for SACK recovery (what RFC 6675 leaves to the timer; Linux's
/// tcp_mark_lost_retrans, the idea RACK of RFC 8985 generalises): the retransmissions of one recovery in the
/// order they were sent, each with SND.NXT at that moment. A retransmission is lost when data sent after it
/// has arrived while it has not: a later retransmission was SACKed or acknowledged, or an octet at or above
/// the SND.NXT it was sent at was SACKed. Pure; not thread-safe.
/// </summary>
public sealed class RetransmitLog
{
    private readonly List<(SeqNum Start, SeqNum End, SeqNum NxtAtSend)> _entries = [];

    public int Count => _entries.Count;

    /// <summary>[start, end) was retransmitted while SND.NXT was <paramref name="nxtAtSend"/>.</summary>
    public void Add(SeqNum start, SeqNum end, SeqNum nxtAtSend) => _entries.Add((start, end, nxtAtSend));

    public void Clear() => _entries.Clear();

    /// <summary>
    /// Forgets the retransmissions that arrived (acknowledged or SACKed) and moves those now known lost into
    /// <paramref name="lost"/> (their unSACKed ranges start to end). Returns how many were lost.
    /// </summary>
    public int DetectLost(SeqNum una, SackScoreboard scoreboard, List<(SeqNum Start, SeqNum End)> lost)
    {
        int latestArrived = -1;
        for (int i = 0; i < _entries.Count; i++)
            if (Arrived(_entries[i], una, scoreboard))
                latestArrived = i;
        SeqNum? high = scoreboard.HighSacked;
        int found = 0;
        int kept = 0;
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (Arrived(e, una, scoreboard))
                continue;
            if (i < latestArrived || (high is { } h && h > e.NxtAtSend))
            {
                lost.Add((SeqNum.Max(e.Start, una), e.End));
                found++;
                continue;
            }
            _entries[kept++] = e;
        }
        _entries.RemoveRange(kept, _entries.Count - kept);
        return found;
    }

    private static bool Arrived((SeqNum Start, SeqNum End, SeqNum NxtAtSend) e, SeqNum una, SackScoreboard sb) =>
        e.End <= una || sb.UnsackedBytes(SeqNum.Max(e.Start, una), e.End) == 0;
}
