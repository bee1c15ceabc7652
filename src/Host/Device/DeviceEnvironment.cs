using Microsoft.Extensions.Logging;
using TcpActors.Engine;
using TcpActors.Engine.Link;

namespace TcpActors.Host.Device;

/// <summary>
/// The endpoint's place on the network: its own network namespace (made here, deleted on dispose), the TUN
/// device inside it, configured with `ip`, and the link factory the stack uses (a new device after a restart).
/// </summary>
public sealed class DeviceEnvironment : IDisposable
{
    private readonly EndpointOptions _options;
    private readonly ILogger _log;
    private readonly Akka.Actor.IScheduler _scheduler;

    public NetworkNamespace? Namespace { get; }

    private DeviceEnvironment(EndpointOptions options, ILogger log, Akka.Actor.IScheduler scheduler, NetworkNamespace? ns)
    {
        _options = options;
        _log = log;
        _scheduler = scheduler;
        Namespace = ns;
    }

    public static DeviceEnvironment Create(EndpointOptions options, ILogger log, Akka.Actor.IScheduler scheduler)
    {
        if (options.CapturePath != "")
            PcapRecorder.EnsureAvailable(options.CaptureSettings);   // before the namespace: nothing to undo
        NetworkNamespace? ns = null;
        if (options.Namespace != "")
        {
            ns = NetworkNamespace.Create(options.Namespace);
            log.LogInformation("Created network namespace {Namespace}", ns.Name);
        }
        return new DeviceEnvironment(options, log, scheduler, ns);
    }

    /// <summary>Opens (and configures) the TUN device and wraps it in a link; called at start and after each restart.</summary>
    public LinkFactory LinkFactory => new(OpenLink, _options.Mtu, _options.Offload ? Engine.Wire.Ipv4Packet.MaxTotalLength : 0);

    private ILink OpenLink()
    {
        var device = Namespace is { } ns
            ? ns.Run(() => TunDevice.Open(_options.Device, _options.Offload))
            : TunDevice.Open(_options.Device, _options.Offload);
        try
        {
            if (_options.ConfigureDevice)
                DeviceSetup.Configure(Namespace?.Name, _options.Device, $"{_options.PeerAddress}/{_options.PrefixLength}", _options.Mtu,
                    _options.TxQueueLength);
            ILink link = new TunLink(device, _options.Mtu, busyPollReads: _options.BusyPollReads);
            if (_options.CapturePath != "")
            {
                link = new PcapRecorder(link, _scheduler, _options.CaptureSettings);
                _log.LogInformation("Capturing packets to {Path} (at most {Bytes} bytes per file, {Files} files)",
                    _options.CapturePath, _options.CaptureMaxBytes, _options.CaptureMaxFiles);
            }
            if (_options.LinkDelay > TimeSpan.Zero)
            {
                link = new ImpairedLink(link, _scheduler, new ImpairmentSettings(Delay: _options.LinkDelay), ImpairmentSettings.None);
                _log.LogInformation("Delaying every packet the stack sends by {Delay} ms (link impairment)", _options.LinkDelay.TotalMilliseconds);
            }
            _log.LogInformation("TUN device {Device} is up: MTU {Mtu}, offloads {Offload}, kernel side {Peer}/{Prefix}", _options.Device, _options.Mtu,
                _options.Offload ? "on (checksum, TSO4)" : "off", _options.PeerAddress, _options.PrefixLength);
            return link;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Namespace is { } ns)
        {
            ns.Dispose();
            _log.LogInformation("Deleted network namespace {Namespace} and its device", ns.Name);
        }
    }
}
