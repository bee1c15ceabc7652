using TcpActors.Engine.Congestion;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Congestion;

/// <summary>The decisions of RFC 3168 section 6.1 in <see cref="EcnState"/>, one rule at a time.</summary>
public class EcnStateTests
{
    private const TcpFlags EceCwr = TcpFlags.Ece | TcpFlags.Cwr;

    private static EcnState Negotiated()
    {
        var e = new EcnState(EcnMode.Passive);
        e.OnSyn(TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, simultaneousOpen: false);
        Assert.True(e.Enabled);
        return e;
    }

    [Theory]
    [InlineData(EcnMode.On, false, TcpFlags.Syn | EceCwr)]
    [InlineData(EcnMode.On, true, TcpFlags.Syn)]          // Linux tcp_ecn_fallback
    [InlineData(EcnMode.Passive, false, TcpFlags.Syn)]
    [InlineData(EcnMode.Off, false, TcpFlags.Syn)]
    public void Our_SYN_asks_with_ECE_and_CWR_only_when_on_and_not_retransmitted_section_6_1_1(EcnMode mode, bool retransmission, TcpFlags expected) =>
        Assert.Equal(expected, TcpFlags.Syn | new EcnState(mode).SynFlags(retransmission));

    [Theory]
    [InlineData(EcnMode.Passive, TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, true)]
    [InlineData(EcnMode.On, TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, true)]
    [InlineData(EcnMode.Off, TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, false)]
    [InlineData(EcnMode.Passive, TcpFlags.Syn | TcpFlags.Ece, EcnCodepoint.NotEct, false)]   // both bits are needed
    [InlineData(EcnMode.Passive, TcpFlags.Syn | TcpFlags.Cwr, EcnCodepoint.NotEct, false)]
    [InlineData(EcnMode.Passive, TcpFlags.Syn | EceCwr, EcnCodepoint.Ect0, false)]           // an ECT SYN (Linux refuses)
    public void A_listener_accepts_an_ECN_setup_SYN_unless_off_section_6_1_1(EcnMode mode, TcpFlags syn, byte ipEcn, bool accepted)
    {
        var e = new EcnState(mode);
        e.OnSyn(syn, ipEcn, simultaneousOpen: false);
        Assert.Equal(accepted, e.Enabled);
        Assert.Equal(accepted ? TcpFlags.Ece : TcpFlags.None, e.SynAckFlags);
    }

    [Theory]
    [InlineData(EcnMode.On, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, true)]
    [InlineData(EcnMode.On, TcpFlags.Syn | TcpFlags.Ack | EceCwr, false)]
    [InlineData(EcnMode.On, TcpFlags.Syn | TcpFlags.Ack, false)]
    [InlineData(EcnMode.Passive, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, false)]   // we did not ask
    public void An_ECN_setup_SYN_ACK_has_ECE_without_CWR_section_6_1_1(EcnMode mode, TcpFlags synAck, bool enabled)
    {
        var e = new EcnState(mode);
        e.OnSynAck(synAck);
        Assert.Equal(enabled, e.Enabled);
    }

    [Fact]
    public void In_a_simultaneous_open_ECN_needs_our_SYN_to_have_asked()
    {
        var passive = new EcnState(EcnMode.Passive);
        passive.OnSyn(TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, simultaneousOpen: true);
        Assert.False(passive.Enabled);
        var on = new EcnState(EcnMode.On);
        on.OnSyn(TcpFlags.Syn | EceCwr, EcnCodepoint.NotEct, simultaneousOpen: true);
        Assert.True(on.Enabled);
    }

    [Fact]
    public void Without_negotiation_nothing_is_marked_and_nothing_is_echoed()
    {
        var e = new EcnState(EcnMode.On);
        Assert.Equal(0, e.OnDataArrived(TcpFlags.Ack, EcnCodepoint.Ce));
        Assert.False(e.EchoingCongestion);
        Assert.Equal(TcpFlags.Ack, e.Outgoing(TcpFlags.Ack, newData: true, out byte ipEcn));
        Assert.Equal(EcnCodepoint.NotEct, ipEcn);
        Assert.False(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 100, inLossRecovery: false));
    }

    [Fact]
    public void New_data_is_ECT_0_other_segments_are_not_ECT_sections_6_1_4_and_6_1_5()
    {
        var e = Negotiated();
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, e.Outgoing(TcpFlags.Ack | TcpFlags.Psh, newData: true, out byte data));
        Assert.Equal(EcnCodepoint.Ect0, data);
        e.Outgoing(TcpFlags.Ack, newData: false, out byte ack);
        Assert.Equal(EcnCodepoint.NotEct, ack);
        e.Outgoing(TcpFlags.Rst, newData: true, out byte rst);
        Assert.Equal(EcnCodepoint.NotEct, rst);
    }

    [Fact]
    public void CE_starts_the_echo_on_every_segment_CWR_ends_it_and_a_later_CE_starts_it_again_section_6_1_3()
    {
        var e = Negotiated();
        Assert.Equal(0, e.OnDataArrived(TcpFlags.Ack, EcnCodepoint.Ect0));
        Assert.False(e.EchoingCongestion);
        Assert.Equal(2, e.OnDataArrived(TcpFlags.Ack, EcnCodepoint.Ce));        // quick-ACK mode 2, as Linux
        Assert.Equal(0, e.OnDataArrived(TcpFlags.Ack, EcnCodepoint.Ce));        // already echoing
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, e.Outgoing(TcpFlags.Ack, newData: false, out _));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Ece, e.Outgoing(TcpFlags.Ack, newData: true, out _));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Fin | TcpFlags.Ece, e.Outgoing(TcpFlags.Ack | TcpFlags.Fin, newData: false, out _));
        Assert.Equal(1, e.OnDataArrived(TcpFlags.Ack | TcpFlags.Cwr, EcnCodepoint.Ect0));   // ACK the CWR at once
        Assert.False(e.EchoingCongestion);
        Assert.Equal(TcpFlags.Ack, e.Outgoing(TcpFlags.Ack, newData: false, out _));
        Assert.Equal(2, e.OnDataArrived(TcpFlags.Ack | TcpFlags.Cwr, EcnCodepoint.Ce));     // CWR first, then the new CE
        Assert.True(e.EchoingCongestion);
    }

    [Fact]
    public void ECE_asks_for_one_reduction_per_window_of_data_and_CWR_goes_on_the_next_new_data_only_section_6_1_2()
    {
        var e = Negotiated();
        Assert.False(e.OnAck(TcpFlags.Ack, 100, inLossRecovery: false));                 // no ECE
        Assert.True(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 100, inLossRecovery: false));
        e.OnWindowReduced(sndNxt: 1000);
        Assert.True(e.CwrQueued);
        Assert.False(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 500, inLossRecovery: false));  // same window
        Assert.True(e.InReducedWindow(999));
        Assert.False(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 1000, inLossRecovery: false)); // up to the CWR segment: still the same
        Assert.True(e.InReducedWindow(1000));
        // A retransmission or a pure ACK does not take the CWR; the next new data does, once.
        Assert.Equal(TcpFlags.Ack, e.Outgoing(TcpFlags.Ack, newData: false, out _));
        Assert.Equal(TcpFlags.Ack | TcpFlags.Cwr, e.Outgoing(TcpFlags.Ack, newData: true, out _));
        Assert.Equal(TcpFlags.Ack, e.Outgoing(TcpFlags.Ack, newData: true, out _));
        Assert.False(e.InReducedWindow(1001));
        Assert.True(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 1001, inLossRecovery: false));  // past it: new congestion
        Assert.False(e.OnAck(TcpFlags.Ack | TcpFlags.Ece, 2000, inLossRecovery: true));  // loss recovery reduces already
        Assert.False(e.OnAck(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, 2000, inLossRecovery: false));
    }
}
