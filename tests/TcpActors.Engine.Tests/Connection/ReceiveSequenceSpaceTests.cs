using TcpActors.Engine.Connection;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>The segment acceptability test of RFC 9293 section 3.10.7.4 (first check).</summary>
public class ReceiveSequenceSpaceTests
{
    private static ReceiveSequenceSpace Space(uint nxt, uint wnd)
    {
        var r = new ReceiveSequenceSpace();
        r.Initialize(nxt - 1);
        r.Wnd = wnd;
        return r;
    }

    [Theory]
    // SEG.LEN = 0, RCV.WND = 0: SEG.SEQ = RCV.NXT
    [InlineData(1000u, 0u, 1000u, 0, true)]
    [InlineData(1000u, 0u, 1001u, 0, false)]
    [InlineData(1000u, 0u, 999u, 0, false)]
    // SEG.LEN = 0, RCV.WND > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (and, like Linux, = RCV.NXT+RCV.WND)
    [InlineData(1000u, 100u, 1000u, 0, true)]
    [InlineData(1000u, 100u, 1099u, 0, true)]
    [InlineData(1000u, 100u, 1100u, 0, true)]
    [InlineData(1000u, 100u, 1101u, 0, false)]
    [InlineData(1000u, 100u, 999u, 0, false)]
    // SEG.LEN > 0, RCV.WND = 0: not acceptable
    [InlineData(1000u, 0u, 1000u, 1, false)]
    // SEG.LEN > 0, RCV.WND > 0: either end in the window
    [InlineData(1000u, 100u, 990u, 10, false)]
    [InlineData(1000u, 100u, 990u, 11, true)]
    [InlineData(1000u, 100u, 1099u, 50, true)]
    [InlineData(1000u, 100u, 1100u, 1, false)]
    // across 2^32
    [InlineData(0xFFFFFFF0u, 0x20u, 0x8u, 0, true)]
    [InlineData(0xFFFFFFF0u, 0x20u, 0xFFFFFFE0u, 0x11, true)]
    [InlineData(0xFFFFFFF0u, 0x20u, 0x11u, 1, false)]
    public void Acceptability_follows_the_four_cases_of_RFC9293_3_10_7_4(uint rcvNxt, uint rcvWnd, uint seq, int len, bool acceptable)
    {
        Assert.Equal(acceptable, Space(rcvNxt, rcvWnd).IsAcceptable(new SeqNum(seq), len));
    }
}
