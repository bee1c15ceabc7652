using System.Diagnostics;
using System.Runtime.InteropServices;
using TcpActors.Engine.Link;
using TcpActors.Interop.Tests.Support;

namespace TcpActors.Interop.Tests;

/// <summary>
/// Opening TUN devices as an ordinary user. The test thread drops to uid 65534 (nobody) with a raw setresuid
/// syscall, which changes only that thread, after joining the test's namespace.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public partial class UnprivilegedTests
{
    private const int Nobody = 65534;

    [RootFact]
    public void A_device_made_with_ip_tuntap_for_a_user_opens_as_that_user_and_others_get_a_clear_EPERM()
    {
        using var f = new NamespaceFixture(openDevice: false);
        f.Namespace.Exec("tuntap", "add", "dev", "tcpa0", "mode", "tun", "user", Nobody.ToString());
        f.Namespace.Exec("tuntap", "add", "dev", "tcpa1", "mode", "tun", "user", "0");
        f.Namespace.Exec("tuntap", "add", "dev", "tcpa2", "mode", "tun");   // no owner, no group
        // A second device for nobody, for the open through /dev/net/tun: reopening tcpa0 right after closing it can
        // fail with EBUSY when another test's Process.Start forked while tcpa0 was open (the child holds a copy of
        // the descriptor until it execs, so the close does not detach the queue yet).
        f.Namespace.Exec("tuntap", "add", "dev", "tcpa3", "mode", "tun", "user", Nobody.ToString());

        // A private clone node of mode 0666 (this machine's /dev/net/tun is 0600; most distributions ship 0666).
        string dir = Directory.CreateTempSubdirectory("tcpa-tun-").FullName;   // mode 0700: let nobody in
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        try
        {
            string node = Path.Combine(dir, "tun");
            Run("mknod", "-m", "666", node, "c", "10", "200");

            var (opened, unowned, refused, devNetTun) = f.Namespace.Run(() =>
            {
                DropToNobody();
                string name, name2;
                using (var d = TunDevice.Open("tcpa0", node))
                    name = d.Name;
                // The kernel lets anyone attach to a persistent device that has neither owner nor group.
                using (var d = TunDevice.Open("tcpa2", node))
                    name2 = d.Name;
                var e1 = Assert.Throws<TunException>(() => TunDevice.Open("tcpa1", node));
                // Through the machine's own /dev/net/tun: refused when its mode keeps others out (0600 here on
                // some machines), opened when it is 0666 (most distributions).
                TunException? e2 = null;
                try
                {
                    using var d = TunDevice.Open("tcpa3");
                }
                catch (TunException e)
                {
                    e2 = e;
                }
                return (name, name2, e1, e2);
            });

            Assert.Equal("tcpa0", opened);
            Assert.Equal("tcpa2", unowned);
            Assert.Equal(1, refused.Errno);
            Assert.Equal("opening TUN device tcpa1 failed: EPERM (Operation not permitted) (run as root or create it with `ip tuntap add tcpa1 mode tun user $USER`)", refused.Message);
            bool othersMayOpen = (File.GetUnixFileMode("/dev/net/tun") & UnixFileMode.OtherWrite) != 0;
            if (othersMayOpen)
            {
                Assert.Null(devNetTun);
            }
            else
            {
                Assert.NotNull(devNetTun);
                Assert.Equal(13, devNetTun.Errno);
                Assert.StartsWith("opening TUN device tcpa3 failed: cannot open /dev/net/tun: EACCES", devNetTun.Message);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void DropToNobody()
    {
        (long setresuid, long setresgid) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (117, 119),
            Architecture.Arm64 => (147, 149),
            var a => throw new PlatformNotSupportedException($"setresuid syscall number unknown for {a}"),
        };
        // The raw syscalls, not libc's wrappers, which would change every thread of the process. Group first:
        // without root's uid the thread could no longer change it.
        if (syscall(setresgid, Nobody, Nobody, Nobody) != 0 || syscall(setresuid, Nobody, Nobody, Nobody) != 0)
            throw new InvalidOperationException($"dropping to nobody failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private static void Run(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(10_000), $"{program} did not finish");
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)}: {err}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a, long b, long c);
}
