using System.Runtime.InteropServices;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// A fact that needs root, /dev/net/tun and iproute2 (it creates a network namespace and a TUN device). Skipped
/// with the reason when one is missing, except on CI (CI=true): there it always runs, and fails loudly instead.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (InteropEnvironment.IsCi)
            return;
        if (InteropEnvironment.MissingPrerequisite() is { } reason)
            Skip = reason;
    }

    /// <summary>Programs the test runs (inside its namespace): without one of them it is skipped, except on CI.</summary>
    public string[] Programs
    {
        get => [];
        set
        {
            if (Skip is not null || InteropEnvironment.IsCi)
                return;
            if (value.FirstOrDefault(p => !InteropEnvironment.CommandExists(p)) is { } missing)
                Skip = $"this test needs `{missing}` (Debian package {missing}; .ci/run installs it)";
        }
    }
}

public static partial class InteropEnvironment
{
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why the interop tests cannot run here, or null.</summary>
    public static string? MissingPrerequisite()
    {
        if (!OperatingSystem.IsLinux())
            return "interop tests need Linux (network namespaces and TUN devices)";
        if (geteuid() != 0)
            return $"interop tests need root: they create a network namespace and a TUN device (running as {Environment.UserName}; use sudo, or CI=true to run and fail)";
        if (!File.Exists("/dev/net/tun"))
            return "interop tests need /dev/net/tun (load the tun module, or pass --device /dev/net/tun to the container)";
        if (!CommandExists("ip"))
            return "interop tests need iproute2's `ip` (apt-get install iproute2)";
        return null;
    }

    public static bool CommandExists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
