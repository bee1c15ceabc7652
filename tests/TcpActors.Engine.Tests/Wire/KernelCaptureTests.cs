using SharpPcap;
using SharpPcap.LibPcap;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// Real packets from the Linux kernel (fixtures/kernel-tcp.pcap, made by fixtures/capture-kernel-tcp.sh
/// inside its own network namespaces with 198.18.50.0/24 addresses): handshakes with mss/sackOK/TS/wscale,
/// data, FINs, RSTs, SACK blocks and ICMP echo. The codec parses every one and rebuilds it byte for byte.
/// </summary>
public class KernelCaptureTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "fixtures", "kernel-tcp.pcap");

    internal static List<byte[]> ReadFixture()
    {
        var packets = new List<byte[]>();
        using var reader = new CaptureFileReaderDevice(FixturePath);
        reader.Open();
        // LINKTYPE_RAW (101) in the file; libpcap reports it as DLT_RAW, which PacketDotNet names RawLegacy.
        Assert.Contains(reader.LinkType, new[] { PacketDotNet.LinkLayers.Raw, PacketDotNet.LinkLayers.RawLegacy });
        while (reader.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
            packets.Add(capture.GetPacket().Data.ToArray());
        return packets;
    }

    [Fact]
    public void Every_kernel_packet_validates_and_is_rebuilt_byte_for_byte()
    {
        var packets = ReadFixture();
        Assert.InRange(packets.Count, 40, 100);
        var buf = new byte[2048];
        int tcpCount = 0, icmpCount = 0;
        for (int i = 0; i < packets.Count; i++)
        {
            byte[] p = packets[i];
            Assert.True(Ipv4Packet.TryParse(p, out var ip) == DropReason.None, $"frame {i + 1}: IPv4 rejected");
            int n;
            if (ip.Protocol == IpProtocol.Tcp)
            {
                var reason = TcpSegment.TryParse(p, ip, out var tcp);
                Assert.True(reason == DropReason.None, $"frame {i + 1}: TCP rejected: {reason}");
                var payload = ip.Payload(p).Slice(tcp.PayloadOffset, tcp.PayloadLength);
                n = tcp.WritePacket(buf, ip.Source, ip.Destination, payload, ip.Identification, ip.TimeToLive, ip.TypeOfService, ip.DontFragment);
                tcpCount++;
            }
            else
            {
                Assert.Equal(IpProtocol.Icmp, ip.Protocol);
                Assert.Equal(DropReason.None, Icmpv4Message.TryParse(p, ip, out _));
                ip.Payload(p).CopyTo(buf.AsSpan(20));
                n = Ipv4Packet.WriteHeader(buf, ip.Source, ip.Destination, ip.Protocol, ip.TotalLength, ip.Identification, ip.TimeToLive, ip.TypeOfService, ip.DontFragment)
                    + ip.PayloadLength;
                icmpCount++;
            }
            Assert.True(p.AsSpan().SequenceEqual(buf.AsSpan(0, n)),
                $"frame {i + 1}: rebuilt\n{Convert.ToHexString(buf, 0, n)}\nexpected\n{Convert.ToHexString(p)}");
        }
        Assert.True(tcpCount > 40);
        Assert.Equal(4, icmpCount);
    }

    [Fact]
    public void The_fixture_holds_the_kinds_of_segment_the_codec_must_know()
    {
        int syn = 0, synAck = 0, fin = 0, rst = 0, sack = 0, fullSized = 0, echoReplies = 0;
        var reply = new byte[2048];
        foreach (var p in ReadFixture())
        {
            Ipv4Packet.TryParse(p, out var ip);
            if (ip.Protocol == IpProtocol.Icmp)
            {
                Icmpv4Message.TryParse(p, ip, out var icmp);
                if (icmp.Type == IcmpType.EchoRequest && Icmpv4Message.WriteEchoReply(p, ip, reply) > 0)
                {
                    Assert.Equal(DropReason.None, Ipv4Packet.TryParse(reply, out var rip));
                    Assert.Equal(DropReason.None, Icmpv4Message.TryParse(reply, rip, out var r));
                    Assert.Equal((icmp.Identifier, icmp.SequenceNumber), (r.Identifier, r.SequenceNumber));
                    echoReplies++;
                }
                continue;
            }
            TcpSegment.TryParse(p, ip, out var tcp);
            if (tcp.Syn)
            {
                Assert.NotNull(tcp.Options.Mss);
                Assert.True(tcp.Options.SackPermitted);
                Assert.True(tcp.Options.HasTimestamps);
                Assert.NotNull(tcp.Options.WindowScale);
                if (tcp.Ack) synAck++; else syn++;
            }
            if (tcp.Fin) fin++;
            if (tcp.Rst) rst++;
            if (tcp.Options.SackCount > 0) sack++;
            if (tcp.PayloadLength == 1448) fullSized++;
        }
        Assert.True(syn >= 4 && synAck >= 3, $"syn {syn} synack {synAck}");
        Assert.True(fin >= 4, $"fin {fin}");
        Assert.True(rst >= 2, $"rst {rst}");
        Assert.True(sack >= 1, $"sack {sack}");
        Assert.True(fullSized >= 4, $"full-sized {fullSized}");
        Assert.Equal(2, echoReplies);
    }
}
