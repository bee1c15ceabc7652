using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) with Linux's 40 ms; quick-ACK mode (Linux tcp_incr_quickack) sends
/// the first ACKs of a connection at once. The delayed-ACK tests turn quick-ACK off to see the algorithm itself.
/// </summary>
public class DelayedAckTests : TimingTestKit
{
    private static readonly byte[] Full = new byte[1460];   // one MSS of the stack (MTU 1500)

    private TcpSettings NoQuickAck => Settings with { QuickAcks = 0 };

    [Fact]
    public void Quick_ACK_the_first_16_data_segments_are_acknowledged_at_once_then_delayed_ACK_resumes_Linux_TCP_MAX_QUICKACKS()
    {
        Assert.Equal(16, Settings.QuickAcks);
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        uint seq = 1001;
        for (int i = 0; i < 16; i++)
        {
            AdvanceTo(S(1) + Ms(100 * i));
            c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, seq, c.Iss + 1, data: "abc"u8.ToArray());
            seq += 3;
            var ack = s.Next();
            Assert.Equal(S(1) + Ms(100 * i), ack.At);
            Assert.Equal(seq, ack.Ack);
        }
        // The 17th (within the RTO of the 16th: 200 ms after a handshake RTT of 0) waits for the delayed-ACK timer.
        var t = S(1) + Ms(1550);
        AdvanceTo(t);
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, seq, c.Iss + 1, data: "abc"u8.ToArray());
        Assert.Equal(seq + 3, ExpectSentAt(s, t + Ms(40)).Ack);
    }

    [Fact]
    public void Quick_ACK_starts_again_when_data_arrives_after_a_pause_longer_than_the_RTO()
    {
        var s = new ProbeStack(this, Origin, Settings with { QuickAcks = 1 });
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1001, c.Iss + 1, data: "abc"u8.ToArray());
        Assert.Equal(S(1), s.Next().At);                                  // quick
        AdvanceTo(S(1) + Ms(100));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1004, c.Iss + 1, data: "abc"u8.ToArray());
        Assert.Equal(1007u, ExpectSentAt(s, S(1) + Ms(140)).Ack);          // delayed
        AdvanceTo(S(10));                                                 // a pause beyond the RTO (1 s)
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1007, c.Iss + 1, data: "abc"u8.ToArray());
        Assert.Equal(S(10), s.Next().At);                                 // quick again
    }

    [Fact]
    public void Status_tells_the_send_MSS_and_how_long_ago_data_last_arrived_like_TCP_MAXSEG_and_tcpi_last_data_recv()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(2));
        var st = StatusOf(c.Connection);
        Assert.Equal(1460, st.SendMss);                 // the peer's MSS, no timestamps option to take from it
        Assert.Equal(S(2), st.LastDataReceived);        // no data yet: since ESTABLISHED (at 0)
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1001, c.Iss + 1, data: "abc"u8.ToArray());
        s.Next();
        AdvanceTo(S(2) + Ms(250));
        Assert.Equal(Ms(250), StatusOf(c.Connection).LastDataReceived);
    }

    [Fact]
    public void Data_with_the_FIN_in_one_segment_is_acknowledged_by_one_ACK_that_covers_both_RFC_9293_3_10_7_4()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, 1001, c.Iss + 1, data: "abc"u8.ToArray());
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(1005u, ack.Ack);   // 3 octets and the FIN
        // What follows is our own FIN (the application did not keep the connection open), not a second ACK.
        foreach (var next in s.Drain())
            Assert.True(next.Flags.HasFlag(TcpFlags.Fin), $"unexpected {next.Flags}");
    }

    [Fact]
    public void A_single_segment_is_acknowledged_exactly_40_ms_after_it_arrived_RFC_1122_4_2_3_2()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1001, c.Iss + 1, data: "abc"u8.ToArray());
        c.App.ExpectMsg<Received>();
        var ack = ExpectSentAt(s, S(1) + Ms(40));
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(1004u, ack.Ack);
        Assert.Empty(ack.Payload);
        ExpectNothingUntil(s, S(10));
    }

    [Fact]
    public void The_second_full_sized_segment_is_acknowledged_at_once_and_the_delayed_ACK_is_cancelled_RFC_5681_4_2()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: Full);
        ExpectNothingUntil(s, S(1) + Ms(10));
        c.FromPeer(TcpFlags.Ack, 1001 + 1460, c.Iss + 1, data: Full);
        var ack = s.Next();
        Assert.Equal(S(1) + Ms(10), ack.At);
        Assert.Equal(1001u + 2 * 1460, ack.Ack);
        // No second ACK at 1.040 s.
        ExpectNothingUntil(s, S(2));

        // The count starts again: a third segment waits 40 ms.
        c.FromPeer(TcpFlags.Ack, 1001 + 2 * 1460, c.Iss + 1, data: Full);
        Assert.Equal(1001u + 3 * 1460, ExpectSentAt(s, S(2) + Ms(40)).Ack);
    }

    [Fact]
    public void An_out_of_order_segment_is_acknowledged_at_once_with_a_duplicate_ACK_and_so_is_the_segment_that_fills_the_gap_RFC_5681_4_2()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack, 1001 + 100, c.Iss + 1, data: new byte[100]);   // 1001..1100 are missing
        var dup = s.Next();
        Assert.Equal(S(1), dup.At);
        Assert.Equal(TcpFlags.Ack, dup.Flags);
        Assert.Equal(1001u, dup.Ack);
        c.FromPeer(TcpFlags.Ack, 1001 + 200, c.Iss + 1, data: new byte[100]);
        Assert.Equal(1001u, s.Next().Ack);

        AdvanceTo(S(2));
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: new byte[100]);
        var fill = s.Next();
        Assert.Equal(S(2), fill.At);
        Assert.Equal(1301u, fill.Ack);
        ExpectNothingUntil(s, S(3));
    }

    [Fact]
    public void Data_sent_before_the_delayed_ACK_is_due_carries_the_ACK_and_cancels_the_timer()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1001, c.Iss + 1, data: "ping"u8.ToArray());
        c.App.ExpectMsg<Received>();
        ExpectNothingUntil(s, S(1) + Ms(20));
        c.Connection.Tell(Write.Create("pong"u8.ToArray()), c.App.Ref);
        var reply = s.Next();
        Assert.Equal(S(1) + Ms(20), reply.At);
        Assert.Equal(1005u, reply.Ack);
        Assert.Equal("pong"u8.ToArray(), reply.Payload);
        ExpectNothingUntil(s, S(1) + Ms(100));
    }

    [Fact]
    public void With_delayed_ack_200ms_configured_a_single_segment_is_acknowledged_after_200_ms()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck with { DelayedAck = Ms(200) });
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: "x"u8.ToArray());
        Assert.Equal(1002u, ExpectSentAt(s, S(1) + Ms(200)).Ack);
    }

    [Fact]
    public void With_delayed_ack_0_every_segment_is_acknowledged_at_once()
    {
        var s = new ProbeStack(this, Origin, NoQuickAck with { DelayedAck = TimeSpan.Zero });
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: "x"u8.ToArray());
        var ack = s.Next();
        Assert.Equal(S(1), ack.At);
        Assert.Equal(1002u, ack.Ack);
        ExpectNothingUntil(s, S(2));
    }
}
