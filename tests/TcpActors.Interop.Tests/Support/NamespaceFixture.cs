using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// A network namespace of its own (tcpa-test-PID-N) holding a TUN device <see cref="DeviceName"/> whose kernel
/// side is 198.18.0.1/24 with MTU 1500; the stack under test plays 198.18.0.2. Everything the test sends stays in
/// the namespace. Dispose closes the device, then deletes the namespace. With <c>offload</c> the device is opened with
/// IFF_VNET_HDR and TUNSETOFFLOAD(checksum, TSO4), and its link exchanges super-segments of up to 64 KB with the kernel.
/// </summary>
public sealed partial class NamespaceFixture : IDisposable
{
    public const string DeviceName = "tun0";
    public const int Mtu = 1500;
    public static readonly Ipv4Address KernelAddress = Ipv4Address.Parse("198.18.0.1");
    public static readonly Ipv4Address StackAddress = Ipv4Address.Parse("198.18.0.2");

    private static int _counter;
    private static int _staleSwept;
    private readonly ConcurrentBag<Socket> _sockets = new();
    private System.Diagnostics.Process? _tcpdump;
    private TunDevice? _device;
    private TunLink? _link;

    public NamespaceFixture(bool openDevice = true, bool offload = false)
    {
        if (Interlocked.Exchange(ref _staleSwept, 1) == 0)
            DeleteStaleNamespaces();
        Name = $"tcpa-test-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        Namespace = NetworkNamespace.Create(Name);
        try
        {
            if (openDevice)
            {
                _device = Namespace.Run(() => TunDevice.Open(DeviceName, offload));
                DeviceSetup.Configure(Name, DeviceName, $"{KernelAddress}/24", Mtu);
                StartCaptureIfAsked();
            }
        }
        catch
        {
            Namespace.Dispose();
            throw;
        }
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public TunDevice Device => _device ?? throw new InvalidOperationException("the fixture was created without a device");

    /// <summary>A link over the device; the link owns it from now on (and the fixture disposes the link).</summary>
    public TunLink CreateLink(int busyPollReads = 0)
    {
        if (_link is not null)
            throw new InvalidOperationException("the device already has a link");
        _link = new TunLink(Device, Mtu, busyPollReads: busyPollReads);
        return _link;
    }

    /// <summary>
    /// A socket created inside the namespace (usable from any thread). The fixture closes it on Dispose if the test
    /// did not (an open socket would keep the deleted namespace alive).
    /// </summary>
    public Socket CreateSocket(SocketType type, ProtocolType protocol)
    {
        var socket = Namespace.Run(() => new Socket(AddressFamily.InterNetwork, type, protocol));
        _sockets.Add(socket);
        return socket;
    }

    /// <summary>Several sockets created inside the namespace on one thread (see <see cref="CreateSocket"/>).</summary>
    public Socket[] CreateSockets(int count, SocketType type, ProtocolType protocol)
    {
        var sockets = Namespace.Run(() =>
        {
            var made = new Socket[count];
            for (int i = 0; i < count; i++)
                made[i] = new Socket(AddressFamily.InterNetwork, type, protocol);
            return made;
        });
        foreach (var s in sockets)
            _sockets.Add(s);
        return sockets;
    }

    /// <summary>Runs <c>ip netns exec NAME PROGRAM ARGS</c> with <paramref name="input"/> on its stdin, at most <paramref name="timeout"/>.</summary>
    public CommandResult ExecWithInput(string program, IReadOnlyList<string> args, string input, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["netns", "exec", Name, program, .. args])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout.TotalSeconds:0} s");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static IPEndPoint StackEndPoint(int port) => new(StackAddress.ToIPAddress(), port);

    public static IPEndPoint KernelEndPoint(int port) => new(KernelAddress.ToIPAddress(), port);

    /// <summary>With TCPA_PCAP_DIR set, tcpdump records the device's traffic to DIR/NAME.pcap until Dispose.</summary>
    private void StartCaptureIfAsked()
    {
        string? dir = Environment.GetEnvironmentVariable("TCPA_PCAP_DIR");
        if (string.IsNullOrEmpty(dir))
            return;
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, Name + ".pcap");
        var psi = new System.Diagnostics.ProcessStartInfo("ip", ["netns", "exec", Name, "tcpdump", "-i", DeviceName, "--immediate-mode", "-U", "-n", "-w", file])
        {
            RedirectStandardError = true,
        };
        _tcpdump = System.Diagnostics.Process.Start(psi)!;
        // tcpdump says "listening on ..." once it captures.
        var line = _tcpdump.StandardError.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(5)))
            throw new TimeoutException("tcpdump did not start capturing within 5 s");
        _ = _tcpdump.StandardError.ReadToEndAsync();
    }

    /// <summary>
    /// Namespaces named tcpa-test-PID-N whose test process is gone (killed by a session timeout, say) are deleted
    /// once per run, so that no crashed run leaves one behind for long.
    /// </summary>
    private static void DeleteStaleNamespaces()
    {
        if (!Directory.Exists("/var/run/netns"))
            return;
        foreach (var path in Directory.GetFiles("/var/run/netns", "tcpa-test-*"))
        {
            string name = Path.GetFileName(path);
            var parts = name.Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[2], out int pid) || pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}"))
                continue;
            try
            {
                NetworkNamespace.Create(name).Dispose();   // Create deletes the stale one of ours, Dispose the new one
            }
            catch (TunException)
            {
            }
        }
    }

    /// <summary>Closes the test's sockets, stops the capture, closes the device and deletes the namespace, whatever fails on the way.</summary>
    public void Dispose()
    {
        try
        {
            foreach (var socket in _sockets)
                socket.Dispose();
            StopCapture();
            // Close the TUN descriptor first: while it is open it keeps the namespace alive after `ip netns del`.
            if (_link is not null)
                _link.Dispose();
            else
                _device?.Dispose();
        }
        finally
        {
            Namespace.Dispose();
        }
    }

    private void StopCapture()
    {
        if (_tcpdump is null)
            return;
        // SIGTERM lets tcpdump write what it still holds (SIGKILL would lose it); `ip netns exec` execs it, same pid.
        kill(_tcpdump.Id, 15);
        if (!_tcpdump.WaitForExit(5000))
            _tcpdump.Kill();
        _tcpdump.Dispose();
        _tcpdump = null;
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int kill(int pid, int signal);
}
