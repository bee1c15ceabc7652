using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Receive-window auto-tuning on a connection (tcp-actors.receive-window-auto-tuning, Linux tcp_moderate_rcvbuf):
/// a bulk transfer from a scripted sender in slow start, one round trip (100 ms) per round, shows the advertised
/// window growing from 128 KiB to the 4 MiB maximum as the application reads; a fixed SO_RCVBUF keeps it.
/// The peer offers wscale 7, so our window field is the window >> 7 (RFC 7323 2.3).
/// </summary>
public class ReceiveWindowTuningTests : TimingTestKit
{
    private const int Mss = 1460;

    /// <summary>Passive open whose handshake takes 100 ms (the stack's SRTT), the peer offering wscale 7.</summary>
    private ScriptedConnection Open(ProbeStack s, ConnectionOptions? options = null)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7, Options: options), app.Ref);
        app.ExpectMsg<Bound>();
        s.Inject(40000, 7, TcpFlags.Syn, 1000, options: new TcpOptions { Mss = Mss, WindowScale = 7 });
        var synAck = s.Next();
        Assert.Equal((byte)7, synAck.Tcp.Options.WindowScale);
        AdvanceTo(Ms(100));
        s.Inject(40000, 7, TcpFlags.Ack, 1001, synAck.Seq + 1);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        Assert.Equal(TimeSpan.FromMilliseconds(100), StatusOf(conn).SmoothedRtt);
        return new ScriptedConnection(s, conn, app, 40000, 7, synAck.Seq, 1000);
    }

    /// <summary>
    /// The peer sends, once per 100 ms from 1 s, min(its cwnd, our last window) in full segments, its cwnd starting
    /// at 10 segments and doubling each round (slow start; every round is acknowledged before the next). Returns the
    /// window field of our last ACK of each round.
    /// </summary>
    private List<int> BulkTransfer(ProbeStack s, ScriptedConnection c, int rounds)
    {
        var windows = new List<int>();
        uint seq = 1001;
        long cwnd = 10 * Mss;
        long window = 65535L << 7;   // what the peer may send is decided by our ACKs; the first round fits anyway
        for (int k = 0; k < rounds; k++)
        {
            AdvanceTo(S(1) + Ms(100 * k));
            long segments = Math.Min(cwnd, window) / Mss;
            for (int i = 0; i < segments; i++)
            {
                c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: new byte[Mss]);
                seq += Mss;
            }
            AdvanceTo(S(1) + Ms(100 * k + 50));
            var acks = s.Drain();
            Assert.Equal(seq, acks[^1].Ack);
            int field = acks[^1].Tcp.Window;
            // The right edge never moves left (RFC 9293 3.8.6): every ACK's edge is at or beyond the one before.
            for (int i = 1; i < acks.Count; i++)
                Assert.True(acks[i].Ack + ((uint)acks[i].Tcp.Window << 7) >= acks[i - 1].Ack + ((uint)acks[i - 1].Tcp.Window << 7));
            windows.Add(field);
            window = (long)field << 7;
            cwnd *= 2;
        }
        long delivered = 0;
        while (delivered < seq - 1001)
            delivered += c.App.ExpectMsg<Received>().Data.Length;
        Assert.Equal(seq - 1001, delivered);
        return windows;
    }

    [Fact]
    public void Auto_tuning_is_on_by_default_from_128_KiB_like_Linux_tcp_rmem_1()
    {
        Assert.True(Settings.ReceiveWindowAutoTuning);
        Assert.Equal(131072, Settings.ReceiveWindowInitial);
        Assert.Equal(4194304, Settings.ReceiveWindow);
    }

    [Fact]
    public void The_advertised_window_grows_across_the_round_trips_of_a_bulk_transfer_up_to_receive_window_Linux_tcp_rcv_space_adjust()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        var windows = BulkTransfer(s, c, rounds: 9);
        // Round 0 (10 segments) and 1 (20): 16060 read in the first round trip is not enough to grow 128 KiB.
        // Round 2 ends a round trip of 29200: 2 * 29200 + 16 * 1460 = 81760, + 2 * 81760 * 13140 / 16060 = 215548.
        // Then each round trip doubles what is read: the window triples (2 * copied + 16 MSS, + 2 * that * 1),
        // until receive-window (4 MiB, field 32768).
        Assert.Equal([1024, 1024, 1683, 3285, 6022, 11497, 22447, 32768, 32768], windows);
    }

    [Fact]
    public void A_fixed_SO_RCVBUF_turns_auto_tuning_off_and_the_window_stays_as_set_like_Linux_SOCK_RCVBUF_LOCK()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s, new ConnectionOptions { ReceiveBufferSize = 131072 });
        var windows = BulkTransfer(s, c, rounds: 6);
        Assert.All(windows, w => Assert.Equal(1024, w));
    }

    [Fact]
    public void With_auto_tuning_off_the_window_is_receive_window_from_the_start()
    {
        var s = new ProbeStack(this, Origin, Settings with { ReceiveWindowAutoTuning = false });
        var c = Open(s);
        var windows = BulkTransfer(s, c, rounds: 3);
        Assert.All(windows, w => Assert.Equal(32768, w));
    }

    [Fact]
    public void Data_the_application_does_not_read_does_not_grow_the_window()
    {
        var s = new ProbeStack(this, Origin);
        var c = Open(s);
        c.Connection.Tell(SuspendReading.Instance, c.App.Ref);
        uint seq = 1001;
        for (int k = 0; k < 4; k++)
        {
            AdvanceTo(S(1) + Ms(100 * k));
            for (int i = 0; i < 10; i++, seq += Mss)
                c.FromPeer(TcpFlags.Ack, seq, c.Iss + 1, data: new byte[Mss]);
        }
        AdvanceTo(S(2));
        var last = s.Drain()[^1];
        Assert.Equal((131072 - 40 * Mss) >> 7, last.Tcp.Window);   // the held bytes come off 128 KiB; nothing grew
    }
}
