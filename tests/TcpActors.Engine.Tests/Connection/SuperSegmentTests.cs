using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Connection;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Over a link with segmentation offload (GsoMaxSize 65535, MTU 1500) the connection hands the link segments of
/// several MSS, within the peer's window and cwnd, while cwnd, retransmission and the MSS we announce stay in MSS
/// units; a super-segment that arrives is taken whole and acknowledged at once.
/// </summary>
public class SuperSegmentTests : TimingTestKit
{
    private const int Mss = 1460;
    private const int Gso = 65535;
    private static readonly ConnectionOptions NewRenoOptions = new() { CongestionControl = CongestionAlgorithm.NewReno };

    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)i).ToArray();

    private static List<SentSegment> DataSegments(ProbeStack s) => s.Drain().Where(x => x.Payload.Length > 0).ToList();

    [Fact]
    public void The_initial_window_of_10_segments_goes_out_as_one_super_segment_of_14600_bytes()
    {
        var s = new ProbeStack(this, Origin, gsoMaxSize: Gso);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(100_000)), c.App.Ref);
        var sent = DataSegments(s);
        Assert.Single(sent);
        Assert.Equal(10 * Mss, sent[0].Payload.Length);
        Assert.Equal(c.Iss + 1, sent[0].Seq);
        Assert.Equal(Bytes(100_000).AsSpan(0, 10 * Mss).ToArray(), sent[0].Payload);
        Assert.Equal(14600, StatusOf(c.Connection).Cwnd);   // cwnd is still counted in bytes of 1460-byte segments
        Assert.Equal(1, s.Stack.Counters[TcpCounter.SuperSegmentsOut]);
        Assert.Equal(3, s.Stack.Counters[TcpCounter.OutSegs]);   // SYN, ACK and one data segment
    }

    [Fact]
    public void Each_ACK_lets_out_the_whole_segments_cwnd_opens_in_one_super_segment()
    {
        var s = new ProbeStack(this, Origin, gsoMaxSize: Gso);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(200_000)), c.App.Ref);
        Assert.Single(DataSegments(s));
        uint una = c.Iss + 1, nxt = una + 10 * Mss;
        // Slow start: an ACK of two segments opens cwnd by one SMSS, so three segments' worth goes out at once.
        for (int i = 0; i < 4; i++)
        {
            una += 2 * Mss;
            c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, una);
            var sent = DataSegments(s);
            Assert.Single(sent);
            Assert.Equal(nxt, sent[0].Seq);
            Assert.Equal(3 * Mss, sent[0].Payload.Length);
            nxt += 3 * Mss;
            var st = StatusOf(c.Connection);
            Assert.Equal(st.Cwnd, (int)(st.SndNxt - st.SndUna));
        }
    }

    [Fact]
    public void The_peer_window_cuts_a_super_segment_to_what_it_allows()
    {
        var s = new ProbeStack(this, Origin, gsoMaxSize: Gso);
        var c = ActiveOpen(s, NewRenoOptions, window: 5000);
        c.Connection.Tell(Write.Create(Bytes(20_000)), c.App.Ref);
        var sent = DataSegments(s);
        Assert.Single(sent);
        Assert.Equal(5000, sent[0].Payload.Length);
    }

    [Fact]
    public void A_retransmission_after_a_timeout_is_one_MSS_not_the_super_segment()
    {
        var s = new ProbeStack(this, Origin, gsoMaxSize: Gso);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(14600)), c.App.Ref);
        Assert.Equal(10 * Mss, Assert.Single(DataSegments(s)).Payload.Length);
        var rto = StatusOf(c.Connection).Rto;
        var again = ExpectSentAt(s, rto);
        Assert.Equal(c.Iss + 1, again.Seq);
        Assert.Equal(Mss, again.Payload.Length);
        Assert.Empty(s.Drain());
        Assert.Equal(Mss, StatusOf(c.Connection).Cwnd);
    }

    [Fact]
    public void With_a_peer_MSS_below_ours_every_segment_stays_within_the_peer_MSS()
    {
        var s = new ProbeStack(this, Origin, gsoMaxSize: Gso);
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80, Options: NewRenoOptions), app.Ref);
        var syn = s.Next();
        Assert.Equal((ushort)Mss, syn.Tcp.Options.Mss);   // we still announce MTU - 40
        ushort port = syn.Tcp.SourcePort;
        s.Inject(80, port, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq + 1, mss: 1000);
        s.Next();
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        conn.Tell(Write.Create(Bytes(50_000)), app.Ref);
        var sent = DataSegments(s);
        Assert.Equal(10, sent.Count);
        Assert.All(sent, x => Assert.Equal(1000, x.Payload.Length));
        Assert.Equal(0, s.Stack.Counters[TcpCounter.SuperSegmentsOut]);
    }

    [Fact]
    public void Without_offload_the_same_flight_is_ten_segments_of_one_MSS()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(100_000)), c.App.Ref);
        var sent = DataSegments(s);
        Assert.Equal(10, sent.Count);
        Assert.All(sent, x => Assert.Equal(Mss, x.Payload.Length));
        Assert.Equal(0, s.Stack.Counters[TcpCounter.SuperSegmentsOut]);
    }

    [Fact]
    public void An_arriving_super_segment_is_delivered_whole_and_acknowledged_at_once()
    {
        var s = new ProbeStack(this, Origin, Settings with { QuickAcks = 0 }, gsoMaxSize: Gso);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        var data = Bytes(20 * Mss);
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 1, data: data);
        Assert.Equal(data, c.App.ExpectMsg<Received>().Data.ToArray());
        var ack = s.Next();
        Assert.Equal(S(1), ack.At);   // not 40 ms later: it is more than two full-sized segments
        Assert.Equal(1001u + 20 * Mss, ack.Ack);
        Assert.Empty(ack.Payload);
        ExpectNothingUntil(s, S(2));
    }
}

/// <summary>The arithmetic of super-segment sizes.</summary>
public class SegmentSizingTests
{
    [Theory]
    [InlineData(1460, 0, 1460, 0, 1460)]            // no offload: one MSS
    [InlineData(1460, 0, 1460, 65535, 44 * 1460)]   // (65535 - 40) / 1460 = 44 segments
    [InlineData(1448, 12, 1460, 65535, 45 * 1448)]  // timestamps: (65535 - 52) / 1448 = 45
    [InlineData(1440, 20, 1460, 65535, 45 * 1440)]  // timestamps and a SACK block
    [InlineData(1000, 0, 1460, 65535, 1000)]        // the peer's MSS is below ours: the link would cut at 1460
    [InlineData(1448, 12, 1460, 1500, 1448)]        // a "GSO" size no larger than the MTU
    public void The_largest_payload_is_a_whole_number_of_segments_the_link_cuts_at_its_MSS(int room, int optionsLength, int linkMss, int gso, int expected) =>
        Assert.Equal(expected, SegmentSizing.MaxPayload(room, optionsLength, linkMss, gso));

    [Theory]
    [InlineData(1460, 1460, 0, 1460)]               // one segment is never cut (the caller decides about cwnd)
    [InlineData(1000, 1460, 0, 1000)]
    [InlineData(14600, 1460, 14600, 14600)]
    [InlineData(14600, 1460, 5000, 4380)]           // whole segments within cwnd
    [InlineData(14600, 1460, 1000, 1460)]           // at least one
    [InlineData(5000, 1460, 64000, 5000)]           // a window-limited tail stays
    public void A_super_segment_is_cut_to_whole_segments_within_the_congestion_room(int length, int room, int congestionRoom, int expected) =>
        Assert.Equal(expected, SegmentSizing.FitCongestionRoom(length, room, congestionRoom));
}
