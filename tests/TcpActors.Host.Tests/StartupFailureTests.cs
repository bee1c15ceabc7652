using System.Diagnostics;

namespace TcpActors.Host.Tests;

/// <summary>The host process with a configuration it cannot run with: one line naming the problem, exit code 1.</summary>
public class StartupFailureTests
{
    [Fact]
    public async Task An_option_out_of_range_ends_the_host_with_exit_code_1_and_a_line_that_names_it()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "TcpActors.Host.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--TcpActors:Mtu", "10", "--TcpActors:Namespace", "tcpa-startup-check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(1, p.ExitCode);
        Assert.Contains("TcpActors endpoint failed: TcpActors:Mtu must be 68..65535", await stderr);
        await stdout;
        Assert.False(File.Exists("/run/netns/tcpa-startup-check"));   // it stopped before making anything
    }
}
