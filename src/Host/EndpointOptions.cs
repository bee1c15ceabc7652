using TcpActors.Host.Services;

namespace TcpActors.Host;

/// <summary>The hosted endpoint's settings: the "TcpActors" section of config/appsettings.json,
/// overridable by environment variables (TcpActors__Mtu=9000) and the command line (--TcpActors:Mtu 9000).</summary>
public sealed class EndpointOptions
{
    public const string Section = "TcpActors";

    /// <summary>
    /// The network namespace the endpoint creates for its TUN device and deletes on exit (the default keeps the
    /// endpoint off the machine's own network). Empty: use the namespace the host runs in.
    /// </summary>
    public string Namespace { get; set; } = "tcpa-endpoint";

    /// <summary>Name of the TUN device.</summary>
    public string Device { get; set; } = "tcpa0";

    /// <summary>Configure the device with `ip` (MTU, the kernel's address, up). Off for a device an administrator
    /// created and configured beforehand (`ip tuntap add tcpa0 mode tun user $USER`): then the host needs no root.</summary>
    public bool ConfigureDevice { get; set; } = true;

    /// <summary>Link MTU in bytes (68..65535).</summary>
    public int Mtu { get; set; } = 1500;

    /// <summary>Open the TUN device with offloads (IFF_VNET_HDR, TUNSETOFFLOAD checksum + TSO4): the kernel and the
    /// stack exchange TCP super-segments of up to 64 KB, cut to the MTU by the kernel. Off: one MTU-sized packet per
    /// syscall. On by default: measured 4-5x the bulk throughput at a fifth of the CPU per GB, round trips unchanged
    /// (bench/README.md, "Offloads").</summary>
    public bool Offload { get; set; } = true;

    /// <summary>The userspace stack's own IPv4 address.</summary>
    public string LocalAddress { get; set; } = "198.18.0.2";

    /// <summary>The kernel's address on the TUN device: the peer that reaches the stack.</summary>
    public string PeerAddress { get; set; } = "198.18.0.1";

    public int PrefixLength { get; set; } = 24;

    /// <summary>
    /// The device's TX queue length (ip link set DEV txqueuelen N): how many packets the kernel queues towards the stack
    /// while the stack's read thread is busy; beyond it the kernel drops them (the device's TX drops). Linux gives a
    /// TUN device 500; at 1000, chargen's bursts overflowed it with the kernel receiver's ACKs (15,799 drops in 3 x 5 s).
    /// </summary>
    public int TxQueueLength { get; set; } = Engine.Link.DeviceSetup.DefaultTxQueueLength;

    /// <summary>
    /// Busy polling (Linux's net.core.busy_read, counted in reads instead of microseconds): how many more times the
    /// read thread tries the empty device before it sleeps; 0 sleeps at once. It spends CPU to take the next packet of
    /// a request/response exchange without a thread wake-up. 0 when the key is absent; the shipped
    /// config/appsettings.json sets 200 (about 30 us after each batch; bench/README.md round 8).
    /// </summary>
    public int BusyPollReads { get; set; }

    /// <summary>The built-in services to serve (echo, discard, status, daytime, chargen).</summary>
    public List<string> Services { get; set; } = ["echo", "discard", "status", "daytime", "chargen"];

    /// <summary>Extra ports that also serve discard (e.g. 9001..9007, which tcpbench's crr mode cycles through with 9).
    /// Empty by default. On the command line: --TcpActors:DiscardPorts:0 9001 --TcpActors:DiscardPorts:1 9002.</summary>
    public List<int> DiscardPorts { get; set; } = [];

    /// <summary>The port of the live dashboard (HTTP, served over the stack itself: the page, and /api/status as JSON); 0 turns it off.</summary>
    public int DashboardPort { get; set; } = 80;

    /// <summary>On Ctrl+C / SIGTERM: how long connections get to close with FIN before the rest are reset.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Write every packet to this .pcap file (empty: no capture).</summary>
    public string CapturePath { get; set; } = "";
    public long CaptureMaxBytes { get; set; } = 100L << 20;
    public int CaptureMaxFiles { get; set; } = 1;

    /// <summary>The capture's settings (when <see cref="CapturePath"/> is set).</summary>
    public Engine.Link.CaptureSettings CaptureSettings => new(CapturePath, CaptureMaxBytes, CaptureMaxFiles);

    /// <summary>
    /// Delay added to every packet the stack sends, by the link impairment decorator (Engine.Link.ImpairedLink): a longer
    /// round trip for tests and benchmarks (bench/run.py --link-delay-ms). Zero: none. Timed by the actor system's
    /// scheduler, whose tick (akka.scheduler.tick-duration, 10 ms by default) rounds it up.
    /// </summary>
    public TimeSpan LinkDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Extra HOCON for the stack (e.g. "tcp-actors.keepalive.enabled = on"); it wins over the defaults.</summary>
    public string Hocon { get; set; } = "";

    public void Validate()
    {
        if (Mtu is < 68 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "TcpActors:Mtu must be 68..65535");
        if (string.IsNullOrWhiteSpace(Device) || Device.Length > 15)
            throw new ArgumentException($"TcpActors:Device '{Device}' must be 1..15 characters", nameof(Device));
        if (!Engine.Wire.Ipv4Address.TryParse(LocalAddress, out _))
            throw new ArgumentException($"TcpActors:LocalAddress '{LocalAddress}' is not an IPv4 address", nameof(LocalAddress));
        if (!Engine.Wire.Ipv4Address.TryParse(PeerAddress, out _))
            throw new ArgumentException($"TcpActors:PeerAddress '{PeerAddress}' is not an IPv4 address", nameof(PeerAddress));
        if (TxQueueLength is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(TxQueueLength), TxQueueLength, "TcpActors:TxQueueLength must be 1..1000000");
        if (BusyPollReads < 0 || BusyPollReads > Engine.Link.TunLink.MaxBusyPollReads)
            throw new ArgumentOutOfRangeException(nameof(BusyPollReads), BusyPollReads, $"TcpActors:BusyPollReads must be 0..{Engine.Link.TunLink.MaxBusyPollReads}");
        if (PrefixLength is < 1 or > 30)
            throw new ArgumentOutOfRangeException(nameof(PrefixLength), PrefixLength, "TcpActors:PrefixLength must be 1..30");
        foreach (int port in DiscardPorts)
        {
            if (port is < 1 or > 65535)
                throw new ArgumentOutOfRangeException(nameof(DiscardPorts), port, "TcpActors:DiscardPorts must be ports 1..65535");
            if (TcpActors.Host.Services.BuiltInServices.All.Any(s => s.Port == port))
                throw new ArgumentException($"TcpActors:DiscardPorts: port {port} is a built-in service's", nameof(DiscardPorts));
        }
        if (DashboardPort is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(DashboardPort), DashboardPort, "TcpActors:DashboardPort must be 0 (off) or a port 1..65535");
        if (DashboardPort != 0 && (BuiltInServices.All.Any(s => s.Port == DashboardPort && Services.Contains(s.Name, StringComparer.OrdinalIgnoreCase)) || DiscardPorts.Contains(DashboardPort)))
            throw new ArgumentException($"TcpActors:DashboardPort {DashboardPort} is a service's port", nameof(DashboardPort));
        if (DiscardPorts.Distinct().Count() != DiscardPorts.Count)
            throw new ArgumentException("TcpActors:DiscardPorts lists a port twice", nameof(DiscardPorts));
        if (LinkDelay < TimeSpan.Zero || LinkDelay > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(LinkDelay), LinkDelay, "TcpActors:LinkDelay must be 0..10 s");
        if (ShutdownGrace < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ShutdownGrace), ShutdownGrace, "TcpActors:ShutdownGrace must not be negative");
    }

    public override string ToString() =>
        $"namespace={(Namespace == "" ? "(current)" : Namespace)} device={Device} mtu={Mtu} offload={(Offload ? "on" : "off")} local={LocalAddress} peer={PeerAddress}/{PrefixLength} txqueuelen={TxQueueLength}{(BusyPollReads > 0 ? $" busy-poll-reads={BusyPollReads}" : "")} " +
        $"services={string.Join(",", Services)}{(DiscardPorts.Count > 0 ? $" discard-ports={string.Join(",", DiscardPorts)}" : "")} dashboard={(DashboardPort == 0 ? "off" : DashboardPort)} capture={(CapturePath == "" ? "off" : CapturePath)}" +
        (LinkDelay > TimeSpan.Zero ? $" link-delay={LinkDelay.TotalMilliseconds}ms" : "");
}
