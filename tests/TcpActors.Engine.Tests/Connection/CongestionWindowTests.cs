using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>The connection sends no more than min(SND.WND, cwnd) - FlightSize, and cwnd follows RFC 5681 on the wire.</summary>
public class CongestionWindowTests : TimingTestKit
{
    private const int Smss = 1460;
    private static readonly ConnectionOptions NewRenoOptions = new() { CongestionControl = CongestionAlgorithm.NewReno };

    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)i).ToArray();

    private static List<SentSegment> DataSegments(ProbeStack s) => s.Drain().Where(x => x.Payload.Length > 0).ToList();

    [Fact]
    public void The_first_flight_is_the_initial_window_of_10_segments_RFC6928_and_RFC5681_section3_1()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, NewRenoOptions);
        Assert.Equal(14600, StatusOf(c.Connection).Cwnd);
        c.Connection.Tell(Write.Create(Bytes(100_000)), c.App.Ref);
        var sent = DataSegments(s);
        Assert.Equal(10, sent.Count);
        Assert.All(sent, x => Assert.Equal(Smss, x.Payload.Length));
        Assert.Equal(c.Iss + 1 + 9 * Smss, sent[^1].Seq);
    }

    [Fact]
    public void Slow_start_lets_out_one_more_segment_per_ACK_than_it_acknowledges_RFC5681_section3_1()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(200_000)), c.App.Ref);
        Assert.Equal(10, DataSegments(s).Count);
        uint una = c.Iss + 1;
        int cwnd = 14600;
        uint nxt = una + 14600;
        // A delayed ACK for every two segments: cwnd += min(2920, SMSS) = SMSS, three segments go out per ACK.
        for (int i = 0; i < 5; i++)
        {
            una += 2 * Smss;
            c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, una);
            cwnd += Smss;
            var sent = DataSegments(s);
            Assert.Equal(3, sent.Count);
            Assert.Equal(nxt, sent[0].Seq);
            nxt += 3 * Smss;
            var st = StatusOf(c.Connection);
            Assert.Equal(cwnd, st.Cwnd);
            Assert.Equal(cwnd, (int)(st.SndNxt - st.SndUna));   // exactly cwnd in flight
        }
        Assert.Equal(int.MaxValue, StatusOf(c.Connection).Ssthresh);
    }

    [Fact]
    public void The_peer_window_still_limits_when_it_is_smaller_than_cwnd_RFC5681_section2()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, NewRenoOptions, window: 4000);
        c.Connection.Tell(Write.Create(Bytes(20_000)), c.App.Ref);
        var sent = DataSegments(s);
        // Two full segments fit the 4,000-byte window; the 1,080 bytes of window left are less than a segment and
        // less than half the largest window: sender SWS avoidance (RFC 9293 3.8.6.2.1) waits for the window to open.
        Assert.Equal(2 * 1460, sent.Sum(x => x.Payload.Length));
        Assert.All(sent, x => Assert.Equal(1460, x.Payload.Length));
    }

    [Theory]
    [InlineData(CongestionAlgorithm.NewReno, 7300)]    // max(14600 / 2, 2 * 1460)
    [InlineData(CongestionAlgorithm.Cubic, 10220)]     // max(14600 * 0.7, 2 * 1460), RFC 9438 4.6 and 4.8
    public void A_retransmission_timeout_collapses_cwnd_to_one_segment_RFC5681_section3_1(CongestionAlgorithm algorithm, int ssthresh)
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, new ConnectionOptions { CongestionControl = algorithm });
        c.Connection.Tell(Write.Create(Bytes(14600)), c.App.Ref);
        Assert.Equal(10, DataSegments(s).Count);
        var rto = StatusOf(c.Connection).Rto;
        var again = ExpectSentAt(s, rto);
        Assert.Equal(c.Iss + 1, again.Seq);
        Assert.Equal(Smss, again.Payload.Length);
        s.ExpectNothing();                                 // LW = 1 SMSS: only the retransmission
        var st = StatusOf(c.Connection);
        Assert.Equal(Smss, st.Cwnd);
        Assert.Equal(ssthresh, st.Ssthresh);
        Assert.Equal(algorithm == CongestionAlgorithm.Cubic ? "cubic" : "newreno", st.CongestionControl);

        // The second timeout of the same segment holds ssthresh (RFC 5681 3.1).
        ExpectSentAt(s, rto + 2 * rto);
        st = StatusOf(c.Connection);
        Assert.Equal(Smss, st.Cwnd);
        Assert.Equal(ssthresh, st.Ssthresh);
    }

    [Fact]
    public void Three_duplicate_ACKs_halve_the_window_and_inflate_it_by_three_segments_RFC5681_section3_2()
    {
        var s = new ProbeStack(this, Origin);
        var c = ActiveOpen(s, NewRenoOptions);
        c.Connection.Tell(Write.Create(Bytes(100_000)), c.App.Ref);
        Assert.Equal(10, DataSegments(s).Count);
        uint una = c.Iss + 1;
        // Segment 1 is lost; 2, 3 and 4 bring duplicate ACKs. The first two each let one new segment out
        // (limited transmit, RFC 3042 section 2); cwnd is unchanged by them.
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, una);
        var lt1 = DataSegments(s);
        Assert.Equal([una + 14600], lt1.Select(x => x.Seq));
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, una);
        Assert.Equal([una + 14600 + Smss], DataSegments(s).Select(x => x.Seq));
        Assert.Equal(14600, StatusOf(c.Connection).Cwnd);
        c.FromPeer(TcpFlags.Ack, c.PeerIss + 1, una);
        var rxt = DataSegments(s);
        Assert.Equal(una, rxt[0].Seq);                   // fast retransmit
        var st = StatusOf(c.Connection);
        // FlightSize without the limited-transmit segments (RFC 5681 3.2 step 2): 14600 / 2.
        Assert.Equal(7300, st.Ssthresh);
        Assert.Equal(7300 + 3 * Smss, st.Cwnd);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.FastRetransmits]);
    }
}

public class CongestionSettingsTests
{
    private static Engine.Configuration.TcpSettings Parse(string hocon) =>
        Engine.Configuration.TcpSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void Congestion_control_defaults_to_cubic_with_limited_transmit()
    {
        Assert.Equal(CongestionAlgorithm.Cubic, Engine.Configuration.TcpSettings.Default.CongestionControl);
        Assert.True(Engine.Configuration.TcpSettings.Default.LimitedTransmit);
    }

    [Theory]
    [InlineData("newreno", CongestionAlgorithm.NewReno)]
    [InlineData("NewReno", CongestionAlgorithm.NewReno)]
    [InlineData("cubic", CongestionAlgorithm.Cubic)]
    public void Congestion_control_is_read_from_the_setting(string value, CongestionAlgorithm expected) =>
        Assert.Equal(expected, Parse($"tcp-actors.congestion-control = {value}").CongestionControl);

    [Fact]
    public void An_unknown_congestion_control_fails_naming_the_key()
    {
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => Parse("tcp-actors.congestion-control = vegas"));
        Assert.Equal("tcp-actors.congestion-control: 'vegas' is not one of cubic, newreno", e.Message);
    }
}

public class CongestionOptionTests : TimingTestKit
{
    public CongestionOptionTests() : base("tcp-actors.congestion-control = newreno") { }

    [Fact]
    public void The_setting_chooses_the_algorithm_and_ConnectionOptions_override_it_per_connection()
    {
        var s = new ProbeStack(this, Origin, Settings);
        var c = ActiveOpen(s);
        Assert.Equal("newreno", StatusOf(c.Connection).CongestionControl);
        var s2 = new ProbeStack(this, Origin, Settings, wireName: "wire2");
        var c2 = ActiveOpen(s2, new ConnectionOptions { CongestionControl = CongestionAlgorithm.Cubic });
        Assert.Equal("cubic", StatusOf(c2.Connection).CongestionControl);
    }
}
