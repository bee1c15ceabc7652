using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// The send sequence variables (RFC 9293 section 3.3.1, Figure 3):
/// <code>
///      1         2          3          4
/// ----------|----------|----------|----------
///        SND.UNA    SND.NXT    SND.UNA
///                             +SND.WND
/// 1 - acknowledged   2 - sent, not acknowledged   3 - allowed to send   4 - not yet allowed
/// </code>
/// </summary>
public sealed class SendSequenceSpace
{
    /// <summary>ISS: initial send sequence number.</summary>
    public SeqNum Iss { get; private set; }
    /// <summary>SND.UNA: oldest unacknowledged sequence number.</summary>
    public SeqNum Una { get; set; }
    /// <summary>SND.NXT: next sequence number to be sent.</summary>
    public SeqNum Nxt { get; set; }
    /// <summary>SND.WND: the peer's receive window.</summary>
    public uint Wnd { get; set; }
    /// <summary>SND.WL1: segment sequence number used for the last window update.</summary>
    public SeqNum Wl1 { get; set; }
    /// <summary>SND.WL2: segment acknowledgment number used for the last window update.</summary>
    public SeqNum Wl2 { get; set; }
    /// <summary>SND.UP: send urgent pointer.</summary>
    public SeqNum Up { get; set; }
    /// <summary>MAX.SND.WND: the largest window the peer has offered (RFC 5961 section 5.2).</summary>
    public uint MaxWnd { get; private set; }

    /// <summary>
    /// The end of the last segment sent that was shorter than a full one (Linux snd_sml), for the Nagle algorithm in
    /// Minshall's form (RFC 9293 Appendix A.3).
    /// </summary>
    public SeqNum Sml { get; set; }

    /// <summary>The end of the last segment sent with PSH (Linux pushed_seq), for the forced push.</summary>
    public SeqNum Pushed { get; set; }

    /// <summary>
    /// A segment ending at <paramref name="end"/> carries PSH even with more data queued behind it: more than half of
    /// the largest window the peer offered was sent since the last PSH (Linux forced_push). A receiver that acknowledges
    /// pushed data as soon as its application reads it (Linux: ICSK_ACK_PUSHED) then does so within every half window,
    /// instead of waiting for its delayed-ACK timer when a lone segment is all that is unacknowledged.
    /// </summary>
    public bool PushIsDue(SeqNum end) => end - Pushed > (long)(MaxWnd / 2);

    /// <summary>A segment shorter than a full one is sent and not yet acknowledged (Linux tcp_minshall_check).</summary>
    public bool SmallSegmentUnacked => Sml > Una && Sml <= Nxt;

    public void Initialize(SeqNum iss)
    {
        Iss = iss;
        Una = iss;
        Nxt = iss;
        Up = iss;
        Sml = iss;
        Pushed = iss;
    }

    /// <summary>Octets sent and not yet acknowledged (SND.NXT - SND.UNA).</summary>
    public int InFlight => Nxt - Una;

    /// <summary>SND.UNA &lt; SEG.ACK =&lt; SND.NXT: the ACK acknowledges something new (RFC 9293 3.10.7.4 fifth).</summary>
    public bool AcksNewData(SeqNum ack) => ack.InRangeExclusiveInclusive(Una, Nxt);

    /// <summary>
    /// RFC 5961 section 5.2: an ACK is acceptable when (SND.UNA - MAX.SND.WND) =&lt; SEG.ACK =&lt; SND.NXT;
    /// anything else is discarded with an ACK in reply.
    /// </summary>
    public bool IsAckAcceptable(SeqNum ack) => ack.InRange(Una - (int)Math.Max(MaxWnd, 1), Nxt + 1);

    /// <summary>
    /// RFC 9293 3.10.7.4 fifth, ESTABLISHED: update the window when SND.UNA =&lt; SEG.ACK =&lt; SND.NXT and
    /// (SND.WL1 &lt; SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =&lt; SEG.ACK)). Returns true if it changed.
    /// </summary>
    public bool UpdateWindow(SeqNum seq, SeqNum ack, uint window)
    {
        if (!ack.InRange(Una, Nxt + 1))
            return false;
        if (!(Wl1 < seq || (Wl1 == seq && Wl2 <= ack)))
            return false;
        SetWindow(seq, ack, window);
        return true;
    }

    /// <summary>SND.WND &lt;- SEG.WND, SND.WL1 &lt;- SEG.SEQ, SND.WL2 &lt;- SEG.ACK.</summary>
    public void SetWindow(SeqNum seq, SeqNum ack, uint window)
    {
        Wnd = window;
        Wl1 = seq;
        Wl2 = ack;
        if (window > MaxWnd)
            MaxWnd = window;
    }

    /// <summary>Octets the window still lets us send beyond SND.NXT (area 3 of Figure 3).</summary>
    public int Usable => Math.Max(0, (int)Math.Min(int.MaxValue, (long)Wnd - InFlight));
}
