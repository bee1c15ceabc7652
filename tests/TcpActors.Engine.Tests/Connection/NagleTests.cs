using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// When new data is sent: the Nagle algorithm (RFC 9293 3.7.4, in Linux's form, Appendix A.3) and sender silly window
/// syndrome avoidance (RFC 9293 3.8.6.2.1), in virtual time. The peer's MSS is 1460 and it sends no timestamps.
/// </summary>
public class NagleTests : TimingTestKit
{
    private const int Full = 1460;

    private static byte[] Bytes(int n) => new byte[n];

    /// <summary>Passive open; at 1 s a 100-byte write goes out at once (nothing is unacknowledged) and stays unacknowledged.</summary>
    private ScriptedConnection WithShortSegmentOut(ProbeStack s)
    {
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.Connection.Tell(Write.Create(Bytes(100)), c.App.Ref);
        var first = s.Next();
        Assert.Equal(S(1), first.At);
        Assert.Equal(c.Iss + 1, first.Seq);
        Assert.Equal(100, first.Payload.Length);
        return c;
    }

    /// <summary><see cref="WithShortSegmentOut"/>, then a 50-byte write that Nagle holds.</summary>
    private ScriptedConnection WithShortWriteHeld(ProbeStack s)
    {
        var c = WithShortSegmentOut(s);
        c.Connection.Tell(Write.Create(Bytes(50)), c.App.Ref);
        s.ExpectNothing();
        return c;
    }

    [Fact]
    public void Nagle_is_on_by_default_as_in_Linux_and_TCP_NODELAY_turns_it_off_per_connection_MUST_17()
    {
        Assert.False(TcpSettings.Default.NoDelay);
        var s = new ProbeStack(this, Origin);
        Assert.False(StatusOf(PassiveOpen(s).Connection).NoDelay);
        Assert.True(StatusOf(PassiveOpen(s, port: 8, options: new ConnectionOptions { NoDelay = true }).Connection).NoDelay);
    }

    [Fact]
    public void A_short_segment_waits_while_an_earlier_short_one_is_unacknowledged_and_goes_with_its_ACK_RFC9293_3_7_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = WithShortSegmentOut(s);                          // nothing was unacknowledged: it went at once
        c.Connection.Tell(Write.Create(Bytes(100)), c.App.Ref);
        ExpectNothingUntil(s, S(1) + Ms(30));                    // the first is still out

        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 101);
        var second = s.Next();
        Assert.Equal(S(1) + Ms(30), second.At);                  // its ACK lets the second go
        Assert.Equal(c.Iss + 101, second.Seq);
        Assert.Equal(100, second.Payload.Length);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, second.Flags);
    }

    [Fact]
    public void Full_segments_are_never_held_only_the_short_tail_waits_for_the_ACK()
    {
        var s = new ProbeStack(this, Origin);
        var c = WithShortSegmentOut(s);
        c.Connection.Tell(Write.Create(Bytes(3000)), c.App.Ref);
        Assert.Equal(Full, s.Next().Payload.Length);
        Assert.Equal(Full, s.Next().Payload.Length);
        ExpectNothingUntil(s, S(1) + Ms(10));                    // the 80-byte tail waits: the 100-byte segment is out

        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 101);
        var tail = s.Next();
        Assert.Equal(S(1) + Ms(10), tail.At);
        Assert.Equal(c.Iss + 101 + 2 * Full, tail.Seq);
        Assert.Equal(80, tail.Payload.Length);
    }

    [Fact]
    public void Short_writes_behind_a_short_segment_are_coalesced_into_one_segment_RFC9293_3_7_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        for (int i = 0; i < 5; i++)
            c.Connection.Tell(Write.Create(Bytes(10)), c.App.Ref);
        Assert.Equal(10, s.Next().Payload.Length);
        s.ExpectNothing();
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 11);
        Assert.Equal(40, s.Next().Payload.Length);               // the four that waited, in one segment
        s.ExpectNothing();
    }

    [Fact]
    public void With_no_delay_every_short_write_goes_at_once_MUST_17()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s, options: new ConnectionOptions { NoDelay = true });
        AdvanceTo(S(1));
        c.Connection.Tell(Write.Create(Bytes(100)), c.App.Ref);
        c.Connection.Tell(Write.Create(Bytes(100)), c.App.Ref);
        Assert.Equal(S(1), s.Next().At);
        var second = s.Next();
        Assert.Equal(S(1), second.At);
        Assert.Equal(c.Iss + 101, second.Seq);
    }

    [Fact]
    public void Close_sends_the_data_Nagle_holds_with_the_FIN_at_once()
    {
        var s = new ProbeStack(this, Origin);
        var c = WithShortWriteHeld(s);
        c.Connection.Tell(Close.Instance, c.App.Ref);
        var fin = s.Next();
        Assert.Equal(S(1), fin.At);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, fin.Flags);
        Assert.Equal(50, fin.Payload.Length);
    }

    [Fact]
    public void Push_sends_the_data_Nagle_holds()
    {
        var s = new ProbeStack(this, Origin);
        var c = WithShortWriteHeld(s);
        c.Connection.Tell(Push.Instance, c.App.Ref);
        var pushed = s.Next();
        Assert.Equal(S(1), pushed.At);
        Assert.Equal(50, pushed.Payload.Length);
    }

    [Fact]
    public void The_NoDelay_command_sends_what_Nagle_holds_and_turns_it_off_until_it_is_turned_on_again_like_TCP_NODELAY()
    {
        var s = new ProbeStack(this, Origin);
        var c = WithShortWriteHeld(s);
        c.Connection.Tell(new NoDelay(true), c.App.Ref);
        Assert.Equal(50, s.Next().Payload.Length);               // pushed at once
        c.Connection.Tell(Write.Create(Bytes(20)), c.App.Ref);
        Assert.Equal(20, s.Next().Payload.Length);               // and nothing waits any more
        Assert.True(StatusOf(c.Connection).NoDelay);

        c.Connection.Tell(new NoDelay(false), c.App.Ref);
        c.Connection.Tell(Write.Create(Bytes(30)), c.App.Ref);
        s.ExpectNothing();                                       // Nagle again: three short segments are out
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 171);
        Assert.Equal(30, s.Next().Payload.Length);
    }

    [Fact]
    public void A_sliver_of_window_waits_for_the_override_timeout_when_nothing_is_in_flight_RFC9293_3_8_6_2_1_rule_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        // The peer's receiver takes its time: it offers 500 of the 65,535 bytes it offered before.
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, window: 500);
        c.Connection.Tell(Write.Create(Bytes(3000)), c.App.Ref);
        TimeSpan rto = StatusOf(c.Connection).Rto;
        ExpectNothingUntil(s, S(1) + rto - Ms(1));
        var sliver = ExpectSentAt(s, S(1) + rto);                // the persist timer, as the override timeout
        Assert.Equal(c.Iss + 1, sliver.Seq);
        Assert.Equal(500, sliver.Payload.Length);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.SwsOverrides]);
        Assert.Equal(0, s.Stack.Counters[TcpCounter.ZeroWindowProbes]);

        // The window opens: the rest flows at once.
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 501, window: 65535);
        Assert.Equal(Full, s.Next().Payload.Length);
        Assert.Equal(3000 - 500 - Full, s.Next().Payload.Length);
    }

    [Fact]
    public void A_window_that_opens_by_a_sliver_while_data_is_in_flight_waits_for_the_next_ACK_RFC9293_3_8_6_2_1()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, window: 4000);
        c.Connection.Tell(Write.Create(Bytes(20_000)), c.App.Ref);
        Assert.Equal(Full, s.Next().Payload.Length);
        Assert.Equal(Full, s.Next().Payload.Length);
        s.ExpectNothing();                                       // 1,080 bytes of window: a sliver
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1 + Full, window: 4000);
        Assert.Equal(Full, s.Next().Payload.Length);             // 2,540 usable: one full segment
        s.ExpectNothing();
    }

    [Fact]
    public void A_peer_whose_whole_window_is_below_one_segment_gets_half_window_pieces_at_once_RFC9293_3_8_6_2_1_rule_3()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, window: 1000);
        c.Connection.Tell(Write.Create(Bytes(3000)), c.App.Ref);
        var first = s.Next();
        Assert.Equal(1000, first.Payload.Length);                // all of Max(SND.WND): at least half of it
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1 + 1000, window: 1000);
        var second = s.Next();
        Assert.Equal(1000, second.Payload.Length);
        Assert.Equal(c.Iss + 1 + 1000, second.Seq);
        // Every segment to such a peer is short, so Nagle (as Linux's) keeps one of them out at a time: 600 bytes of
        // window open, but the 1,000-byte segment is not yet acknowledged.
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1 + 1400, window: 1000);
        s.ExpectNothing();
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1 + 2000, window: 1000);
        Assert.Equal(1000, s.Next().Payload.Length);
    }
}
