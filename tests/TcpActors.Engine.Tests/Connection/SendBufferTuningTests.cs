using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Send-buffer auto-tuning (Linux tcp_sndbuf_expand): the send buffer grows to twice cwnd up to send-buffer-max, so
/// that more than send-buffer can be in flight; fixed when send-buffer-max = send-buffer. A scripted peer with
/// window scaling (shift 7: 8 MiB) acknowledges every segment at once, so cwnd doubles each round (slow start).
/// </summary>
public class SendBufferTuningTests : TimingTestKit
{
    private const ushort Port = 7;
    private const uint PeerIss = 1000;   // PassiveOpen's

    private (ProbeStack s, ScriptedConnection c) Open(string? config = null)
    {
        var settings = config is null ? null : Engine.Configuration.TcpSettings.Create(
            Akka.Configuration.ConfigurationFactory.ParseString(config).WithFallback(Sys.Settings.Config));
        var s = new ProbeStack(this, Origin, settings);
        return (s, PassiveOpen(s, Port, synOptions: new TcpOptions { Mss = 1460, WindowScale = 7 }));
    }

    /// <summary>Rounds of: everything sent so far is acknowledged segment by segment. Returns the largest flight in bytes.</summary>
    private int Rounds(ProbeStack s, int rounds)
    {
        int largest = 0;
        for (int r = 0; r < rounds; r++)
        {
            AdvanceTo(Elapsed + Ms(10));
            var sent = s.Drain().Where(x => x.Payload.Length > 0).ToList();
            largest = Math.Max(largest, sent.Sum(x => x.Payload.Length));
            foreach (var seg in sent)
                s.Inject(40000, Port, TcpFlags.Ack, PeerIss + 1, seg.Seq + (uint)seg.Payload.Length, 65535);
        }
        return largest;
    }

    [Fact]
    public void The_send_buffer_grows_with_cwnd_so_more_than_send_buffer_is_in_flight_like_Linux_tcp_sndbuf_expand()
    {
        var (s, c) = Open();
        c.Connection.Tell(Write.Create(new byte[8 << 20]), c.App.Ref);
        int largest = Rounds(s, 7);                               // cwnd 10, 20, ... 640 segments
        var st = StatusOf(c.Connection);
        Assert.True(st.SendBufferCapacity > 262144, $"capacity {st.SendBufferCapacity}");
        Assert.True(st.SendBufferCapacity <= 4 << 20);
        Assert.True(largest > 262144, $"largest flight {largest}");
    }

    [Fact]
    public void With_send_buffer_max_equal_to_send_buffer_the_buffer_and_the_flight_stay_at_send_buffer()
    {
        var (s, c) = Open("tcp-actors.send-buffer-max = 262144");
        c.Connection.Tell(Write.Create(new byte[8 << 20]), c.App.Ref);
        int largest = Rounds(s, 7);
        Assert.Equal(262144, StatusOf(c.Connection).SendBufferCapacity);
        Assert.True(largest <= 262144, $"largest flight {largest}");
    }
}
