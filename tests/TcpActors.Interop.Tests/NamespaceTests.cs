using System.Diagnostics;
using TcpActors.Engine.Link;
using TcpActors.Interop.Tests.Support;

namespace TcpActors.Interop.Tests;

/// <summary>Network namespaces and TUN devices: created where asked, and nothing left behind.</summary>
public class NamespaceTests
{
    [RootFact]
    public void A_TUN_device_opened_in_a_namespace_is_visible_there_and_only_there_and_gone_when_closed()
    {
        bool rootHadOne = IpLinkShows(null, NamespaceFixture.DeviceName);
        using var f = new NamespaceFixture(openDevice: false);
        var device = f.Namespace.Run(() => TunDevice.Open(NamespaceFixture.DeviceName));
        Assert.Equal(NamespaceFixture.DeviceName, device.Name);

        string link = f.Namespace.Exec("link", "show", "dev", NamespaceFixture.DeviceName);
        Assert.Contains(NamespaceFixture.DeviceName, link);
        Assert.Contains("POINTOPOINT", link);
        Assert.Equal(rootHadOne, IpLinkShows(null, NamespaceFixture.DeviceName));

        device.Dispose();
        Assert.False(IpLinkShows(f.Name, NamespaceFixture.DeviceName), "a non-persistent TUN device disappears with its descriptor");
    }

    [RootFact]
    public void DeviceSetup_gives_the_kernel_side_its_address_and_MTU_and_brings_it_up()
    {
        using var f = new NamespaceFixture();
        string link = f.Namespace.Exec("link", "show", "dev", NamespaceFixture.DeviceName);
        Assert.Contains("mtu 1500", link);
        Assert.Contains($"qlen {DeviceSetup.DefaultTxQueueLength}", link);
        Assert.Contains(",UP", link);
        string addr = f.Namespace.Exec("-4", "addr", "show", "dev", NamespaceFixture.DeviceName);
        Assert.Contains("inet 198.18.0.1/24", addr);
    }

    [RootFact]
    public void Disposing_the_namespace_leaves_nothing_behind()
    {
        string name;
        using (var f = new NamespaceFixture())
        {
            name = f.Name;
            Assert.Contains(name, NetnsList());
            Assert.True(File.Exists($"/var/run/netns/{name}"));
        }
        Assert.DoesNotContain(name, NetnsList());
        Assert.False(File.Exists($"/var/run/netns/{name}"));
    }

    [RootFact]
    public void A_stale_namespace_of_ours_is_replaced_but_a_foreign_one_is_left_alone()
    {
        string ours = $"tcpa-test-{Environment.ProcessId}-stale";
        using (var first = NetworkNamespace.Create(ours))
        {
            // Simulate a crashed run: the namespace exists when the next run creates it.
            using var second = NetworkNamespace.Create(ours);
            Assert.Contains(ours, NetnsList());
        }
        Assert.DoesNotContain(ours, NetnsList());

        // A namespace without our prefix (made here by `ip netns add` directly) must not be deleted.
        string foreign = $"foreign-test-{Environment.ProcessId}";
        Ip("netns", "add", foreign);
        try
        {
            var e = Assert.Throws<TunException>(() => NetworkNamespace.Create(foreign));
            Assert.Contains("not made by TcpActors", e.Message);
            Assert.Contains(foreign, NetnsList());
        }
        finally
        {
            Ip("netns", "del", foreign);
        }
    }

    [RootFact]
    public void Run_executes_in_the_namespace_and_rethrows_failures()
    {
        using var f = new NamespaceFixture(openDevice: false);
        string inside = f.Namespace.Run(() => File.ReadAllText("/proc/thread-self/net/dev"));
        Assert.DoesNotContain("eth0", inside);   // only lo in a fresh namespace
        Assert.Contains("lo:", inside);
        var e = Assert.Throws<InvalidOperationException>(() => f.Namespace.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", e.Message);
    }

    private static string NetnsList() => Ip("netns", "list").Output;

    private static bool IpLinkShows(string? netns, string device) =>
        (netns is null ? Ip("link", "show", "dev", device) : Ip("-n", netns, "link", "show", "dev", device)).ExitCode == 0;

    private static (int ExitCode, string Output) Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"ip {string.Join(' ', args)} did not finish");
        _ = err.Result;
        return (p.ExitCode, output);
    }
}
