using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// The receive sequence variables (RFC 9293 section 3.3.1, Figure 4):
/// <code>
///     1          2          3
/// ----------|----------|----------
///        RCV.NXT    RCV.NXT
///                  +RCV.WND
/// 1 - old sequence numbers that have been acknowledged  2 - new ones allowed  3 - not yet allowed
/// </code>
/// </summary>
public sealed class ReceiveSequenceSpace
{
    /// <summary>IRS: initial receive sequence number.</summary>
    public SeqNum Irs { get; private set; }
    /// <summary>RCV.NXT: next sequence number expected.</summary>
    public SeqNum Nxt { get; set; }
    /// <summary>RCV.WND: receive window.</summary>
    public uint Wnd { get; set; }
    /// <summary>RCV.UP: receive urgent pointer.</summary>
    public SeqNum Up { get; set; }

    /// <summary>IRS &lt;- SEG.SEQ, RCV.NXT &lt;- SEG.SEQ + 1 (a SYN was received).</summary>
    public void Initialize(SeqNum irs)
    {
        Irs = irs;
        Nxt = irs + 1;
        Up = irs;
    }

    /// <summary>
    /// The acceptability test of RFC 9293 section 3.10.7.4, first check:
    /// <code>
    /// SEG.LEN RCV.WND  test
    ///    0       0     SEG.SEQ = RCV.NXT
    ///    0      >0     RCV.NXT =&lt; SEG.SEQ &lt; RCV.NXT+RCV.WND
    ///   >0       0     not acceptable
    ///   >0      >0     RCV.NXT =&lt; SEG.SEQ &lt; RCV.NXT+RCV.WND
    ///               or RCV.NXT =&lt; SEG.SEQ+SEG.LEN-1 &lt; RCV.NXT+RCV.WND
    /// </code>
    /// One deviation, shared with Linux (tcp_sequence) and the BSDs: a zero-length segment whose SEG.SEQ is
    /// exactly RCV.NXT+RCV.WND is acceptable. A peer that has sent a full window sends its ACKs with
    /// SEQ=SND.NXT, the right edge of our window; dropping them would drop the duplicate ACKs that drive fast
    /// retransmit whenever both directions carry data.
    /// </summary>
    public bool IsAcceptable(SeqNum seq, int segLen)
    {
        SeqNum right = Nxt + Wnd;
        if (segLen == 0)
            return Wnd == 0 ? seq == Nxt : seq.InRange(Nxt, right + 1);
        if (Wnd == 0)
            return false;
        return seq.InRange(Nxt, right) || (seq + (segLen - 1)).InRange(Nxt, right);
    }

    /// <summary>SEG.SEQ lies in the window (used for the RST and SYN checks of RFC 5961).</summary>
    public bool InWindow(SeqNum seq) => seq.InRange(Nxt, Nxt + Math.Max(Wnd, 1u));
}
