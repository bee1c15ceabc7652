using Akka.Actor;
using Microsoft.Extensions.Logging.Abstractions;
using TcpActors.Engine.Link;
using TcpActors.Host.Device;

namespace TcpActors.Host.Tests;

/// <summary>A capture the host cannot make stops it at startup, before it makes a namespace or a device.</summary>
public class CaptureStartupTests
{
    [Fact]
    public void A_capture_with_settings_out_of_range_stops_the_start_before_the_namespace_exists()
    {
        var options = new EndpointOptions { Namespace = "tcpa-capture-check", CapturePath = "/tmp/tcpa-capture-check.pcap", CaptureMaxBytes = 10 };
        using var system = ActorSystem.Create("capture-check");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DeviceEnvironment.Create(options, NullLogger.Instance, system.Scheduler));
        Assert.Contains("a capture file needs at least 1024 bytes", e.Message);
        Assert.False(File.Exists("/run/netns/tcpa-capture-check"));
        Assert.False(File.Exists("/tmp/tcpa-capture-check.pcap"));
    }

    [Fact]
    public void With_libpcap_present_the_startup_check_passes_and_writes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tcpa-capture-{Guid.NewGuid():N}.pcap");
        PcapRecorder.EnsureAvailable(new CaptureSettings(path));   // CI installs libpcap0.8 (.ci/run)
        Assert.False(File.Exists(path));
    }
}
