using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;
using TcpActors.Interop.Tests.Support;

namespace TcpActors.Interop.Tests;

/// <summary>TunLink against the kernel, without the stack: raw IPv4 packets both ways.</summary>
public class TunLinkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [RootFact]
    public void Packets_the_kernel_routes_to_the_device_arrive_at_the_receiver()
    {
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        var receiver = new CollectingReceiver(port: 9);
        link.Start(receiver);
        using var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp);

        for (int i = 0; i < 5; i++)
            socket.SendTo([(byte)i, 1, 2, 3], NamespaceFixture.StackEndPoint(9));

        for (int i = 0; i < 5; i++)
        {
            Assert.True(receiver.Payloads.TryTake(out var payload, Wait), $"datagram {i} did not arrive");
            Assert.Equal(new byte[] { (byte)i, 1, 2, 3 }, payload);
        }
        Assert.Null(receiver.Failure);
    }

    [RootFact]
    public void Sends_from_several_threads_reach_the_kernel_whole()
    {
        const int threads = 4, perThread = 300, payloadLength = 1400;
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        link.Start(new CollectingReceiver(port: 0));
        using var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 8 << 20;
        socket.Bind(NamespaceFixture.KernelEndPoint(5555));

        var senders = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var packet = new byte[20 + 8 + payloadLength];
            var payload = new byte[payloadLength];
            for (int seq = 0; seq < perThread; seq++)
            {
                Fill(payload, t, seq);
                int n = Udp.Write(packet, NamespaceFixture.StackAddress, (ushort)(40000 + t), NamespaceFixture.KernelAddress, 5555, payload, (ushort)seq);
                link.Send(packet.AsSpan(0, n));
            }
        })).ToList();
        senders.ForEach(s => s.Start());
        senders.ForEach(s => Assert.True(s.Join(Wait)));

        // The kernel verified every UDP checksum; check the contents too, and count what arrived.
        var seen = new HashSet<(int, int)>();
        var buffer = new byte[payloadLength + 100];
        socket.ReceiveTimeout = 500;
        while (true)
        {
            int n;
            try { n = socket.Receive(buffer); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { break; }
            Assert.Equal(payloadLength, n);
            int t = buffer[0], seq = BitConverter.ToInt32(buffer, 1);
            var expected = new byte[payloadLength];
            Fill(expected, t, seq);
            Assert.True(expected.AsSpan().SequenceEqual(buffer.AsSpan(0, n)), $"datagram {t}/{seq} arrived corrupted");
            Assert.True(seen.Add((t, seq)), $"datagram {t}/{seq} arrived twice");
        }
        Assert.Equal(threads * perThread, link.PacketsOut + link.SendDrops);
        // The kernel's per-CPU backlog (netdev_max_backlog) may drop a burst; interleaved writes would show as
        // corrupt or missing datagrams, so most must arrive.
        Assert.True(seen.Count >= threads * perThread * 9 / 10, $"only {seen.Count} of {threads * perThread} datagrams arrived");
    }

    [RootFact]
    public void The_read_path_allocates_nothing_per_packet()
    {
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        var receiver = new AllocationMeasuringReceiver(warmUp: 20, measured: 500);
        link.Start(receiver);
        using var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        var payload = new byte[1000];
        var deadline = Stopwatch.StartNew();
        while (!receiver.Done.IsSet && deadline.Elapsed < Wait)
        {
            for (int i = 0; i < 50; i++)
                socket.SendTo(payload, NamespaceFixture.StackEndPoint(9));
            receiver.Done.Wait(10);
        }
        Assert.True(receiver.Done.IsSet, $"only {receiver.Count} packets arrived");
        Assert.Equal(0, receiver.AllocatedWhileMeasuring);
    }

    [RootFact]
    public void Busy_polling_takes_the_next_packet_of_a_ping_pong_without_sleeping_and_signals_each_batch_end_first()
    {
        const int exchanges = 100;
        using var f = new NamespaceFixture();
        var link = f.CreateLink(busyPollReads: TunLink.MaxBusyPollReads);
        var receiver = new CollectingReceiver(port: 9);
        link.Start(receiver);
        using var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp);

        // One datagram at a time: each is sent after the previous one arrived, while the read thread polls the
        // empty device (up to 10,000 reads, milliseconds) instead of sleeping.
        for (int i = 0; i < exchanges; i++)
        {
            socket.SendTo([(byte)i], NamespaceFixture.StackEndPoint(9));
            Assert.True(receiver.Payloads.TryTake(out var payload, Wait), $"datagram {i} did not arrive");
            Assert.Equal((byte)i, payload[0]);
        }

        long polled = link.BusyPolledPackets;
        Assert.True(polled > 0, "no datagram was taken by busy polling");
        // A batch's end is signalled before the spinning starts: each busy-polled datagram had one before it, and the
        // last datagram's batch ends too.
        Assert.True(SpinWait.SpinUntil(() => receiver.BatchEnds >= polled + 1, Wait), $"{receiver.BatchEnds} batch ends for {polled} busy-polled datagrams");
        Assert.Null(receiver.Failure);
        var sw = Stopwatch.StartNew();
        link.Dispose();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {sw.Elapsed} while busy polling");
    }

    [RootFact]
    public void Without_busy_polling_the_read_thread_sleeps_after_every_batch()
    {
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        var receiver = new CollectingReceiver(port: 9);
        link.Start(receiver);
        using var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp);
        for (int i = 0; i < 20; i++)
        {
            socket.SendTo([(byte)i], NamespaceFixture.StackEndPoint(9));
            Assert.True(receiver.Payloads.TryTake(out _, Wait), $"datagram {i} did not arrive");
        }
        Assert.Equal(0, link.BusyPolledPackets);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunLink(f.Device, busyPollReads: -1, ownsDevice: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunLink(f.Device, busyPollReads: TunLink.MaxBusyPollReads + 1, ownsDevice: false));
    }

    [RootFact]
    public void Dispose_stops_an_idle_read_thread_promptly_and_reports_no_failure()
    {
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        var receiver = new CollectingReceiver(port: 9);
        link.Start(receiver);
        // The read thread has run its loop once (it delivered a packet) and is back waiting in poll().
        using (var socket = f.CreateSocket(SocketType.Dgram, ProtocolType.Udp))
            socket.SendTo(new byte[] { 1 }, NamespaceFixture.StackEndPoint(9));
        Assert.True(receiver.Payloads.TryTake(out _, TimeSpan.FromSeconds(5)), "the read thread delivered nothing");
        var sw = Stopwatch.StartNew();
        link.Dispose();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"Dispose took {sw.Elapsed}");
        Assert.Null(receiver.Failure);
        link.Send(new byte[40]);   // ignored after Dispose
        Assert.Throws<ObjectDisposedException>(() => link.Start(receiver));
    }

    [RootFact]
    public void A_packet_the_kernel_refuses_is_counted_not_thrown()
    {
        using var f = new NamespaceFixture();
        var link = f.CreateLink();
        var receiver = new CollectingReceiver(port: 9);
        link.Start(receiver);
        f.Namespace.Exec("link", "set", "dev", NamespaceFixture.DeviceName, "down");
        var packet = new byte[64];
        int n = Udp.Write(packet, NamespaceFixture.StackAddress, 1, NamespaceFixture.KernelAddress, 9, [1, 2, 3]);
        link.Send(packet.AsSpan(0, n));
        Assert.Equal(1, link.SendDrops);
        Assert.Equal(5, link.LastSendErrno);   // EIO: the interface is down
        link.Send(new byte[link.Mtu + 1]);
        Assert.Equal(1, link.OversizeDrops);
        Assert.Null(receiver.Failure);
    }

    [RootFact]
    public void Opening_a_device_that_exists_as_TAP_fails_naming_the_device_and_the_errno()
    {
        // An existing TAP device of the name cannot be opened as TUN: a clear message, not a crash.
        using var f = new NamespaceFixture(openDevice: false);
        f.Namespace.Exec("tuntap", "add", "dev", "tcpa0", "mode", "tap");
        var e = Assert.Throws<TunException>(() => f.Namespace.Run(() => TunDevice.Open("tcpa0")));
        Assert.Contains("tcpa0", e.Message);
        Assert.Contains("EINVAL", e.Message);
        Assert.Throws<ArgumentException>(() => TunDevice.Open("a-name-longer-than-15"));
    }

    [RootFact]
    public void A_persistent_device_made_with_ip_tuntap_opens()
    {
        bool rootHadOne = File.Exists("/sys/class/net/tcpa0");
        using (var f = new NamespaceFixture(openDevice: false))
        {
            f.Namespace.Exec("tuntap", "add", "dev", "tcpa0", "mode", "tun", "user", "root");
            using (var device = f.Namespace.Run(() => TunDevice.Open("tcpa0")))
                Assert.Equal("tcpa0", device.Name);
            Assert.Contains("tcpa0", f.Namespace.Exec("link", "show", "dev", "tcpa0"));   // persistent: survives close
        }
        // Deleting the namespace deletes its persistent devices too (they do not move to the root namespace).
        Assert.Equal(rootHadOne, File.Exists("/sys/class/net/tcpa0"));
    }

    private static void Fill(byte[] payload, int thread, int seq)
    {
        payload[0] = (byte)thread;
        BitConverter.TryWriteBytes(payload.AsSpan(1), seq);
        for (int i = 5; i < payload.Length; i++)
            payload[i] = (byte)(thread * 31 + seq * 7 + i);
    }

    private sealed class CollectingReceiver(ushort port) : ILinkReceiver
    {
        private int _batchEnds;
        public BlockingCollection<byte[]> Payloads { get; } = new();
        public volatile Exception? Failure;
        public int BatchEnds => Volatile.Read(ref _batchEnds);

        public void OnBatchEnd() => Interlocked.Increment(ref _batchEnds);

        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            if (port != 0 && Udp.TryRead(packet, port, out var payload))
                Payloads.Add(payload.ToArray());
        }

        public void OnLinkFailed(Exception cause) => Failure = cause;
    }

    private sealed class AllocationMeasuringReceiver(int warmUp, int measured) : ILinkReceiver
    {
        private long _start;
        public int Count;
        public long AllocatedWhileMeasuring = -1;
        public ManualResetEventSlim Done { get; } = new();

        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            if (Ipv4Packet.TryParse(packet, out var ip) != DropReason.None || ip.Protocol != IpProtocol.Udp)
                return;
            int n = ++Count;
            if (n == warmUp)
                _start = GC.GetAllocatedBytesForCurrentThread();
            else if (n == warmUp + measured)
            {
                AllocatedWhileMeasuring = GC.GetAllocatedBytesForCurrentThread() - _start;
                Done.Set();
            }
        }

        public void OnLinkFailed(Exception cause) { }
    }
}
