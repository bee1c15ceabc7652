using SharpPcap;
using SharpPcap.LibPcap;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Link;

public class PcapRecorderTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class NullLink : ILink
    {
        public ILinkReceiver? Receiver;
        public readonly List<byte[]> Sent = new();
        public int Mtu => 1500;
        public void Send(ReadOnlySpan<byte> packet) => Sent.Add(packet.ToArray());
        public void Start(ILinkReceiver receiver) => Receiver = receiver;
        public void Dispose() { }
    }

    private sealed class Collector : ILinkReceiver
    {
        public readonly List<byte[]> Packets = new();
        public void OnPacket(ReadOnlySpan<byte> packet) => Packets.Add(packet.ToArray());
        public void OnLinkFailed(Exception cause) { }
    }

    private static List<byte[]> ReadBack(string path)
    {
        var list = new List<byte[]>();
        using var reader = new CaptureFileReaderDevice(path);
        reader.Open();
        while (reader.GetNextPacket(out PacketCapture c) == GetPacketStatus.PacketRead)
            list.Add(c.GetPacket().Data.ToArray());
        return list;
    }

    [Fact]
    public void Every_packet_sent_and_received_is_written_and_passes_through_unchanged()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tcpa-{Guid.NewGuid():N}.pcap");
        try
        {
            var inner = new NullLink();
            var collector = new Collector();
            var recorder = new PcapRecorder(inner, Sys.Scheduler, new CaptureSettings(path));
            recorder.Start(collector);
            byte[] a = Convert.FromHexString(Wire.WireVectorTests.SynHex);
            byte[] b = Convert.FromHexString(Wire.WireVectorTests.DataHex);
            recorder.Send(a);
            inner.Receiver!.OnPacket(b);
            recorder.Dispose();

            Assert.Equal(a, Assert.Single(inner.Sent));
            Assert.Equal(b, Assert.Single(collector.Packets));
            var back = ReadBack(path);
            Assert.Equal(2, back.Count);
            Assert.Equal(a, back[0]);
            Assert.Equal(b, back[1]);
            Assert.Equal(DropReason.None, Ipv4Packet.TryParse(back[1], out _));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Recording_stops_at_the_size_bound_while_packets_keep_flowing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tcpa-{Guid.NewGuid():N}.pcap");
        try
        {
            var inner = new NullLink();
            var recorder = new PcapRecorder(inner, Sys.Scheduler, new CaptureSettings(path, MaxFileBytes: 4096));
            recorder.Start(new Collector());
            byte[] packet = new byte[1000];
            Ipv4Packet.WriteHeader(packet, Ipv4Address.Parse("198.18.0.1"), Ipv4Address.Parse("198.18.0.2"), IpProtocol.Udp, 1000);
            for (int i = 0; i < 10; i++)
                recorder.Send(packet);
            Assert.True(recorder.Stopped);
            Assert.Equal(10, inner.Sent.Count);
            recorder.Dispose();
            Assert.True(new FileInfo(path).Length <= 4096);
            Assert.Equal(4, ReadBack(path).Count);   // 24 + 4 * (16 + 1000) <= 4096
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void With_several_files_recording_rotates()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tcpa-{Guid.NewGuid():N}.pcap");
        try
        {
            var recorder = new PcapRecorder(new NullLink(), Sys.Scheduler, new CaptureSettings(path, MaxFileBytes: 4096, MaxFiles: 3));
            recorder.Start(new Collector());
            byte[] packet = new byte[1000];
            for (int i = 0; i < 10; i++)
                recorder.Send(packet);
            recorder.Dispose();
            Assert.False(recorder.Stopped);
            Assert.Equal(4, ReadBack(path).Count);
            Assert.Equal(4, ReadBack(path + ".1").Count);
            Assert.Equal(2, ReadBack(path + ".2").Count);
        }
        finally
        {
            foreach (var f in new[] { path, path + ".1", path + ".2" })
                File.Delete(f);
        }
    }
}
