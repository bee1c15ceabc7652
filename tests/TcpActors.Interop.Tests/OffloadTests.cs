using System.Net.Sockets;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// The TUN device with offloads (IFF_VNET_HDR, TUNSETOFFLOAD checksum + TSO4) at MTU 1500: the kernel hands the stack
/// GSO super-segments with partial checksums and takes super-segments from it, which it cuts to the MTU.
/// </summary>
[Collection(HeavyCollection.Name)]
public class OffloadTests(ITestOutputHelper output) : InteropTestKit(output, offload: true)
{
    private const ushort Port = 5003;

    /// <summary>TCPA_TRANSFER_MB overrides the size (in MB each way) for measurements.</summary>
    private static long Size =>
        (long.TryParse(Environment.GetEnvironmentVariable("TCPA_TRANSFER_MB"), out long mb) ? mb : 100) * 1_000_000;

    [RootFact]
    public void The_device_opens_with_offloads_and_the_link_advertises_64_KB_segments()
    {
        Assert.True(Ns.Device.Offload);
        var link = Ns.CreateLink();
        Assert.Equal(1500, link.Mtu);
        Assert.Equal(65535, link.GsoMaxSize);
        var r = Ns.Namespace.ExecProgram("ip", ["-d", "link", "show", NamespaceFixture.DeviceName], TimeSpan.FromSeconds(10));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("vnet_hdr on", r.StandardOutput);
        // The kernel sees a device that takes TSO (TUNSETOFFLOAD turned the features on).
        if (File.Exists("/usr/sbin/ethtool") || File.Exists("/sbin/ethtool"))
        {
            var k = Ns.Namespace.ExecProgram("ethtool", ["-k", NamespaceFixture.DeviceName], TimeSpan.FromSeconds(10));
            Assert.Equal(0, k.ExitCode);
            Assert.Contains("tx-tcp-segmentation: on", k.StandardOutput);
            Assert.Contains("tx-checksumming: on", k.StandardOutput);
        }
    }

    [RootFact]
    public void A_UDP_datagram_the_kernel_leaves_with_a_partial_checksum_is_dropped_and_counted_at_the_link()
    {
        // With TUN_F_CSUM the kernel leaves UDP checksums partial too (NEEDS_CSUM at csum_offset 6): not a TCP
        // checksum field, so the link drops the packet and counts it; the read thread goes on.
        var link = Ns.CreateLink();
        var receiver = new Receiver();
        link.Start(receiver);
        using var udp = Ns.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        udp.SendTo(new byte[100], NamespaceFixture.StackEndPoint(9));
        Assert.True(SpinWait.SpinUntil(() => link.OffloadDrops == 1, Wait), $"offload drops {link.OffloadDrops}");
        Assert.Equal(DropReason.BadChecksumOffload, link.LastOffloadDrop);
        // The link still delivers: a ping (ICMP, checksummed in full by the kernel) arrives.
        _ = Ns.Namespace.ExecProgram("ping", ["-c", "1", "-W", "1", NamespaceFixture.StackAddress.ToString()], TimeSpan.FromSeconds(10));
        Assert.True(SpinWait.SpinUntil(() => receiver.Icmp > 0, Wait), "no ICMP packet arrived after the drop");
        Assert.Null(receiver.Failure);
    }

    private sealed class Receiver : ILinkReceiver
    {
        public volatile int Icmp;
        public volatile Exception? Failure;

        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            if (Ipv4Packet.TryParse(packet, out var ip) == DropReason.None && ip.Protocol == IpProtocol.Icmp)
                Icmp++;
        }

        public void OnLinkFailed(Exception cause) => Failure = cause;
    }

    [RootFact]
    public void A_hundred_megabytes_cross_each_way_at_once_as_super_segments_and_arrive_with_equal_SHA256()
    {
        TunLink? tun = null;
        var stack = StartStack(link => tun = (TunLink)link);
        var result = BothWays.Run(this, stack, Port, Size, bound: TimeSpan.FromSeconds(60));
        Report("kernel <-> stack with offloads, both ways at once", 2 * result.BytesEachWay, result.Elapsed);
        Output.WriteLine(Counters(stack));
        Output.WriteLine($"link: packets in {tun!.PacketsIn} (super-segments {tun.SuperSegmentsIn}), out {tun.PacketsOut} " +
            $"(super-segments {tun.SuperSegmentsOut}), offload drops {tun.OffloadDrops}, oversize drops {tun.OversizeDrops}, send drops {tun.SendDrops}");

        Assert.True(tun.SuperSegmentsIn > 0, "the kernel handed the stack no super-segment");
        Assert.True(tun.SuperSegmentsOut > 0, "the stack handed the kernel no super-segment");
        Assert.True(stack.Counters[TcpCounter.SuperSegmentsOut] > 0);
        Assert.Equal(0, tun.OffloadDrops);
        Assert.Equal(0, tun.OversizeDrops);
        // Every partial checksum the kernel left was completed to one the codec accepts.
        Assert.Equal(0, stack.Counters[DropReason.BadTcpChecksum]);
        Assert.Equal(0, stack.Counters[DropReason.BadIpChecksum]);
        // Fewer packets than MTU-sized segments would need: 200 MB in 1448-byte segments is ~138,000 packets.
        Assert.True(tun.PacketsIn + tun.PacketsOut < 2 * Size / 1448, $"{tun.PacketsIn + tun.PacketsOut} packets for {2 * Size} bytes");
    }
}
