using System.ComponentModel;
using System.Diagnostics;

namespace TcpActors.Engine.Link;

/// <summary>What a finished command printed.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs iproute2's <c>ip</c> (and commands under <c>ip netns exec</c>) with a bounded wait.</summary>
internal static class IpCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <c>ip ARGS</c>; throws with its stderr when it fails.</summary>
    public static string Ip(params string[] args)
    {
        var r = Run("ip", args, DefaultTimeout);
        if (r.ExitCode != 0)
            throw new TunException($"`ip {string.Join(' ', args)}` failed (exit {r.ExitCode}): {r.StandardError.Trim()}");
        return r.StandardOutput;
    }

    /// <summary>Runs a program and waits at most <paramref name="timeout"/> (then kills it and throws).</summary>
    public static CommandResult Run(string program, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new TunException($"could not start `{program}`");
        }
        catch (Win32Exception e) when (program == "ip")
        {
            throw new TunException("the `ip` command (iproute2) was not found: install iproute2 (e.g. `apt-get install iproute2`)", 0, e);
        }
        catch (Win32Exception e)
        {
            throw new TunException($"could not start `{program}`: {e.Message}", 0, e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                throw new TunException($"`{program} {string.Join(' ', args)}` did not finish within {timeout.TotalSeconds:0} s and was killed");
            }
            process.WaitForExit();
            return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
