using TcpActors.Engine.Connection;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>RFC 9293 3.8.6.2.1's rules for when to send, with the Nagle algorithm of 3.7.4 in Minshall's form.</summary>
public class SendRulesTests
{
    private const int Mss = 1448;
    private const uint BigWindow = 65535;

    private static SendVerdict Decide(int length, int queued, int usable, uint maxWindow = BigWindow, bool nagle = true,
        bool smallUnacked = false, bool force = false) =>
        SendRules.Decide(length, Mss, queued, usable, maxWindow, nagle, smallUnacked, force);

    [Fact]
    public void A_short_segment_is_unacknowledged_from_its_send_until_an_ACK_covers_it_across_the_sequence_wrap()
    {
        var snd = new SendSequenceSpace();
        snd.Initialize(0xFFFF_FF00u);
        Assert.False(snd.SmallSegmentUnacked);                  // nothing sent yet (SND.NXT crossing 0 changes nothing)
        snd.Nxt = snd.Nxt + 0x200;
        Assert.False(snd.SmallSegmentUnacked);
        snd.Sml = snd.Nxt;                                      // a short segment ends at 0x100, past the wrap
        Assert.True(snd.SmallSegmentUnacked);
        snd.Una = snd.Nxt - 1;
        Assert.True(snd.SmallSegmentUnacked);
        snd.Una = snd.Nxt;                                      // its ACK
        Assert.False(snd.SmallSegmentUnacked);
    }

    [Fact]
    public void A_full_sized_segment_always_goes_rule_1_RFC9293_3_8_6_2_1()
    {
        Assert.Equal(SendVerdict.Send, Decide(Mss, queued: 10 * Mss, usable: 10 * Mss, smallUnacked: true));
        Assert.Equal(SendVerdict.Send, Decide(Mss, queued: Mss, usable: Mss, smallUnacked: true));
    }

    [Fact]
    public void All_queued_data_that_fits_goes_when_no_small_segment_is_unacknowledged_rule_2()
    {
        Assert.Equal(SendVerdict.Send, Decide(100, queued: 100, usable: 10 * Mss));
    }

    [Fact]
    public void Nagle_holds_a_short_segment_while_an_earlier_short_one_is_unacknowledged_RFC9293_3_7_4_and_A_3()
    {
        Assert.Equal(SendVerdict.HoldForNagle, Decide(100, queued: 100, usable: 10 * Mss, smallUnacked: true));
    }

    [Fact]
    public void With_no_delay_a_short_segment_goes_at_once_MUST_17()
    {
        Assert.Equal(SendVerdict.Send, Decide(100, queued: 100, usable: 10 * Mss, nagle: false, smallUnacked: true));
    }

    [Fact]
    public void A_FIN_a_push_or_the_override_timeout_is_never_held()
    {
        Assert.Equal(SendVerdict.Send, Decide(100, queued: 100, usable: 10 * Mss, smallUnacked: true, force: true));
        Assert.Equal(SendVerdict.Send, Decide(10, queued: 5000, usable: 10, smallUnacked: true, force: true));
    }

    [Fact]
    public void A_sliver_of_window_below_half_the_largest_window_is_not_used_sender_SWS_avoidance_MUST_38()
    {
        // 1,000 bytes queued, the peer's window offers 100 of its 65,535: wait for the window to open.
        Assert.Equal(SendVerdict.HoldForWindow, Decide(100, queued: 1000, usable: 100));
        Assert.Equal(SendVerdict.HoldForWindow, Decide(100, queued: 1000, usable: 100, nagle: false));
    }

    [Fact]
    public void A_window_piece_of_at_least_half_the_largest_window_goes_rule_3_Fs_one_half()
    {
        // A peer whose whole buffer is 1,000 bytes (below one MSS): 500 usable is half of it.
        Assert.Equal(SendVerdict.Send, Decide(500, queued: 5000, usable: 500, maxWindow: 1000));
        Assert.Equal(SendVerdict.HoldForWindow, Decide(499, queued: 5000, usable: 499, maxWindow: 1000));
        // The bracketed Nagle condition of rule 3 applies too.
        Assert.Equal(SendVerdict.HoldForNagle, Decide(500, queued: 5000, usable: 500, maxWindow: 1000, smallUnacked: true));
    }
}
