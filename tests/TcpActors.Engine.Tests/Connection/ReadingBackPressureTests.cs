using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// The connection's SuspendReading / ResumeReading, pull mode and Detach (the engine's own API): undelivered bytes come
/// off the receive window instead of piling up, and the window reopens with a window update.
/// </summary>
public class ReadingBackPressureTests : TimingTestKit
{
    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [Fact]
    public void While_reading_is_suspended_arriving_bytes_are_held_and_shrink_the_advertised_window_then_ResumeReading_delivers_them_and_updates_the_window()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        c.Connection.Tell(SuspendReading.Instance, c.App.Ref);
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, c.PeerIss + 1, c.Iss + 1, data: Bytes(1460, 1));
        var quick = s.Next();   // the first ACKs of a connection are quick ACKs (like Linux): at once
        Assert.Equal(c.PeerIss + 1461, quick.Ack);
        Assert.Equal(65535 - 1460, quick.Tcp.Window);
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, c.PeerIss + 1461, c.Iss + 1, data: Bytes(1460, 2));
        var ack = s.Next();
        Assert.Equal(c.PeerIss + 2921, ack.Ack);
        Assert.Equal(65535 - 2920, ack.Tcp.Window);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        var status = StatusOf(c.Connection);
        Assert.Equal(2920, status.Undelivered);
        Assert.True(status.ReadingSuspended);

        c.Connection.Tell(ResumeReading.Instance, c.App.Ref);
        Assert.Equal(Bytes(1460, 1), c.App.ExpectMsg<Received>().Data.ToArray());
        Assert.Equal(Bytes(1460, 2), c.App.ExpectMsg<Received>().Data.ToArray());
        var update = s.Next();   // the right edge moved by 2920 >= one MSS: a window update at once
        Assert.Equal(TcpFlags.Ack, update.Flags);
        Assert.Equal(c.PeerIss + 2921, update.Ack);
        Assert.Equal(65535, update.Tcp.Window);
        Assert.Equal(0, StatusOf(c.Connection).Undelivered);
    }

    [Fact]
    public void A_full_window_of_undelivered_bytes_closes_the_window_more_is_refused_and_resuming_reopens_it()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        c.Connection.Tell(SuspendReading.Instance, c.App.Ref);
        uint seq = c.PeerIss + 1;
        for (int left = 65535; left > 0;)
        {
            int n = Math.Min(1460, left);
            c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: Bytes(n, 7));
            seq += (uint)n;
            left -= n;
        }
        AdvanceBy(Ms(100), OneMs);
        var acks = s.Drain();
        Assert.Equal(seq, acks[^1].Ack);
        Assert.Equal(0, acks[^1].Tcp.Window);
        // One octet beyond the closed window is not acceptable: acknowledged with the window still 0, not kept.
        c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: [9]);
        var refused = s.Next();
        Assert.Equal(seq, refused.Ack);
        Assert.Equal(0, refused.Tcp.Window);
        Assert.Equal(2, s.Stack.Counters[Engine.Io.TcpCounter.ZeroWindowsAdvertised]);   // the full-window ACK and this one
        Assert.Equal(65535, StatusOf(c.Connection).Undelivered);
        c.App.ExpectNoMsg(TimeSpan.Zero);

        c.Connection.Tell(ResumeReading.Instance, c.App.Ref);
        int delivered = 0;
        while (delivered < 65535)
            delivered += c.App.ExpectMsg<Received>().Data.Length;
        Assert.Equal(65535, delivered);
        var update = s.Next();
        Assert.Equal(seq, update.Ack);
        Assert.Equal(65535, update.Tcp.Window);
    }

    [Fact]
    public void In_pull_mode_each_ResumeReading_delivers_one_Received_and_PeerClosed_comes_after_the_data()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, new ConnectionOptions { PullMode = true });
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, data: "one"u8.ToArray());
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 4, c.Iss + 1, data: "two"u8.ToArray());
        c.FromPeer(TcpFlags.Ack | TcpFlags.Fin, c.PeerIss + 7, c.Iss + 1);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        c.Connection.Tell(ResumeReading.Instance, c.App.Ref);
        Assert.Equal("one"u8.ToArray(), c.App.ExpectMsg<Received>().Data.ToArray());
        c.App.ExpectNoMsg(TimeSpan.Zero);
        c.Connection.Tell(ResumeReading.Instance, c.App.Ref);
        Assert.Equal("two"u8.ToArray(), c.App.ExpectMsg<Received>().Data.ToArray());
        c.App.ExpectNoMsg(TimeSpan.Zero);
        c.Connection.Tell(ResumeReading.Instance, c.App.Ref);
        c.App.ExpectMsg<PeerClosed>();
    }

    [Fact]
    public void ConfirmedClosed_comes_after_the_held_data_and_PeerClosed()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        c.Connection.Tell(SuspendReading.Instance, c.App.Ref);
        c.Connection.Tell(ConfirmedClose.Instance, c.App.Ref);
        var fin = s.Next();
        Assert.True(fin.Flags.HasFlag(TcpFlags.Fin));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Fin, c.PeerIss + 1, fin.Seq + 1, data: "tail"u8.ToArray());
        Assert.Equal("tail"u8.ToArray(), c.App.ExpectMsg<Received>().Data.ToArray());
        c.App.ExpectMsg<PeerClosed>();
        c.App.ExpectMsg<ConfirmedClosed>();
    }

    [Fact]
    public void After_Detach_the_application_is_told_nothing_and_arriving_data_is_acknowledged_and_dropped()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s);
        c.Connection.Tell(SuspendReading.Instance, c.App.Ref);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 1, data: Bytes(100, 1));
        c.Connection.Tell(Detach.Instance, c.App.Ref);
        c.App.ExpectMsg<Detached>();
        Assert.Equal(0, StatusOf(c.Connection).Undelivered);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 101, c.Iss + 1, data: Bytes(100, 2));
        c.FromPeer(TcpFlags.Ack | TcpFlags.Fin, c.PeerIss + 201, c.Iss + 1);
        var acks = s.Drain();
        Assert.Equal(c.PeerIss + 202, acks[^1].Ack);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void Per_connection_options_set_the_receive_window_and_the_send_buffer()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, new ConnectionOptions { ReceiveBufferSize = 3000, SendBufferSize = 100, NoDelay = true });
        var status = StatusOf(c.Connection);
        Assert.Equal(3000u, status.RcvWnd);
        Assert.Equal(100, status.SendBufferCapacity);
        Assert.True(status.NoDelay);
        // A write larger than the send buffer waits; its ack follows once all of it is buffered.
        c.Connection.Tell(new Write(Bytes(150, 3), "acked"), c.App.Ref);
        c.App.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
        var data = s.Next();
        Assert.Equal(100, data.Payload.Length);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, c.Iss + 101);
        c.App.ExpectMsg("acked");
    }
}
