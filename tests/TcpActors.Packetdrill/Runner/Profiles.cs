using System.Text.RegularExpressions;
using TcpActors.Engine.Configuration;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// Maps a script's init command to stack settings instead of running it.
/// <list type="bullet">
/// <item>"legacy": no init command; Linux 3.11 defaults (syn retries 6, synack retries 5, wscale 6).</item>
/// <item>"linux-defaults": an init command naming a defaults.sh (gtests/net/common/defaults.sh, the selftests'
/// ./defaults.sh); its sysctl lines are read and mapped one by one.</item>
/// </list>
/// An init command may also hold sysctl commands itself (<c>`sysctl -q net.ipv4.tcp_syn_retries=2`</c>, several
/// joined by ';' or newlines); our own scripts use that, and Linux runs them as written.
/// A sysctl the runner does not know, or a value it cannot map, makes the script Unsupported.
/// </summary>
public sealed class Profile
{
    public string Name { get; private set; }
    public TcpSettings Settings { get; private set; }
    /// <summary>What each sysctl did (mapped, matched, or a feature the stack lacks), for verbose output.</summary>
    public List<string> Notes { get; } = [];
    /// <summary>Features turned on by the profile that the stack does not have: a script that uses them fails on its packet checks.</summary>
    public List<string> Lacking { get; } = [];

    private Profile(string name, TcpSettings settings)
    {
        Name = name;
        Settings = settings;
    }

    /// <summary>The settings every profile starts from: the stack's defaults (Linux's values), in virtual time.</summary>
    public static TcpSettings Base(TcpSettings defaults) => defaults;

    public static Profile Resolve(PdScript script, TcpSettings defaults)
    {
        if (script.Init is null)
        {
            var legacy = new Profile("legacy", defaults with { SynRetries = 6, SynAckRetries = 5 });
            legacy.Notes.Add("Linux 3.11 defaults: syn retries 6, synack retries 5, wscale 6, SACK and timestamps on");
            legacy.Lacking.AddRange(["window scaling (RFC 7323)", "SACK (RFC 2018)", "TCP timestamps (RFC 7323)"]);
            return legacy;
        }
        var p = new Profile("linux-defaults", defaults);
        string dir = Path.GetDirectoryName(Path.GetFullPath(script.Path)) ?? ".";
        foreach (var command in SplitCommands(script.Init.Text))
        {
            if (command.EndsWith(".sh", StringComparison.Ordinal) && !command.Contains(' '))
            {
                string file = Path.GetFullPath(Path.Combine(dir, command));
                if (!File.Exists(file))
                    throw new UnsupportedException($"init command runs {command}, which does not exist ({file})");
                foreach (var line in File.ReadAllLines(file))
                    p.Apply(line.Trim(), Path.GetFileName(file));
            }
            else
                p.Apply(command, "init command");
        }
        bool usesDefaults = script.Init.Text.Contains("defaults.sh"), sysctl = script.Init.Text.Contains("sysctl");
        p.Name = usesDefaults && sysctl ? "linux-defaults+sysctl" : usesDefaults ? "linux-defaults" : "sysctl";
        return p;
    }

    private static IEnumerable<string> SplitCommands(string text) =>
        text.Split(['\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(c => c.Length > 0 && !c.StartsWith('#'));

    private static readonly Regex SysctlLine = new(@"^sysctl\s+(?:-q\s+)?(?:-w\s+)?(?<rest>.*?)(?:\s*>\s*/dev/null\s*2>&1)?$", RegexOptions.Compiled);
    private static readonly Regex Assignment = new(@"(?<key>[a-z0-9_.]+)=(?:""(?<v>[^""]*)""|'(?<v>[^']*)'|(?<v>\S+))", RegexOptions.Compiled);

    /// <summary><c>$((15*1024*1024))</c>: the shell arithmetic defaults.sh uses (products and sums of integers).</summary>
    private static readonly Regex ShellArithmetic = new(@"\$\(\((?<e>[0-9+*\s]+)\)\)", RegexOptions.Compiled);

    private static string Arith(Match m) =>
        m.Groups["e"].Value.Split('+').Sum(term => term.Split('*').Aggregate(1L, (acc, f) => acc * long.Parse(f.Trim()))).ToString();

    private void Apply(string line, string where)
    {
        if (line.Length == 0 || line.StartsWith('#'))
            return;
        // The lines of defaults.sh that are not sysctls: harmless here.
        if (line.StartsWith("ip tcp_metrics flush", StringComparison.Ordinal))
        {
            Notes.Add("ip tcp_metrics flush: nothing cached (each script runs on a fresh stack)");
            return;
        }
        if (line.StartsWith("tc qdisc", StringComparison.Ordinal))
        {
            Notes.Add("tc qdisc: the probe link has no queueing discipline");
            return;
        }
        var m = SysctlLine.Match(line);
        if (!m.Success)
            throw new UnsupportedException($"{where}: cannot map '{line}' to stack settings (only sysctl lines are understood)");
        var assignments = Assignment.Matches(m.Groups["rest"].Value);
        if (assignments.Count == 0)
            throw new UnsupportedException($"{where}: cannot read '{line}'");
        foreach (Match a in assignments)
            ApplySysctl(a.Groups["key"].Value, ShellArithmetic.Replace(a.Groups["v"].Value.Trim(), Arith), where);
    }

    private void ApplySysctl(string key, string value, string where)
    {
        string k = key.StartsWith("net.ipv4.", StringComparison.Ordinal) ? key["net.ipv4.".Length..] : key;
        int Int() => int.TryParse(value, out int v) ? v
            : throw new UnsupportedException($"{where}: {key}={value} is not an integer");
        void Matches(string why) => Notes.Add($"{key}={value}: {why}");
        void Lacks(string feature)
        {
            Lacking.Add(feature);
            Notes.Add($"{key}={value}: the stack has no {feature} (a script that negotiates it fails on its packet checks)");
        }
        void Off(string feature, int wanted)
        {
            if (Int() == wanted) Matches($"{feature} off, as in the stack");
            else Lacks(feature);
        }
        switch (k)
        {
            case "tcp_syn_retries":
                Settings = Settings with { SynRetries = Int() };
                Matches("syn-retries");
                break;
            case "tcp_synack_retries":
                Settings = Settings with { SynAckRetries = Int() };
                Matches("synack-retries");
                break;
            case "tcp_retries2":
                Settings = Settings with { Retries2 = Int() };
                Matches("retries2");
                break;
            case "tcp_keepalive_time":
                Settings = Settings with { KeepaliveIdle = TimeSpan.FromSeconds(Int()) };
                Matches("keepalive.idle");
                break;
            case "tcp_keepalive_intvl":
                Settings = Settings with { KeepaliveInterval = TimeSpan.FromSeconds(Int()) };
                Matches("keepalive.interval");
                break;
            case "tcp_keepalive_probes":
                Settings = Settings with { KeepaliveProbes = Int() };
                Matches("keepalive.probes");
                break;
            case "tcp_fin_timeout":
                Settings = Settings with { FinTimeout = TimeSpan.FromSeconds(Int()) };
                Matches("fin-timeout");
                break;
            case "tcp_challenge_ack_limit":
                Settings = Settings with { ChallengeAckLimit = Int() };
                Matches("challenge-ack-limit");
                break;
            case "tcp_syn_linear_timeouts":
                if (Int() != 0)
                    throw new UnsupportedException($"{where}: {key}={value}: the stack backs off SYN retransmissions exponentially from the first (RFC 6298 5.5), it has no linear SYN timeouts");
                Matches("exponential SYN backoff, as in the stack");
                break;
            case "tcp_wmem":
            {
                var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 3 || !int.TryParse(parts[1], out int def))
                    throw new UnsupportedException($"{where}: {key}={value} is not 'min default max'");
                Settings = Settings with { SendBuffer = def };
                Matches($"send-buffer = {def}");
                break;
            }
            case "tcp_rmem":
                // Without window scaling the stack announces at most 65535; Linux's first windows are within that too.
                Matches("receive-window stays 65535 (no window scaling in the stack; the corpus does not check outbound windows)");
                break;
            case "tcp_timestamps": Off("TCP timestamps (RFC 7323)", 0); break;
            case "tcp_sack": Off("SACK (RFC 2018)", 0); break;
            case "tcp_dsack": Off("D-SACK (RFC 2883)", 0); break;
            case "tcp_window_scaling": Off("window scaling (RFC 7323)", 0); break;
            case "tcp_ecn": Off("ECN (RFC 3168)", 0); break;
            case "tcp_fastopen":
                // Client/server Fast Open needs a cookie or a TFO option in the script's packets; without them it changes nothing.
                Notes.Add($"{key}={value}: the stack has no TCP Fast Open (RFC 7413); scripts without TFO options are unaffected");
                break;
            case "tcp_fastopen_key" or "tcp_ecn_option" or "tcp_pacing_ss_ratio" or "tcp_pacing_ca_ratio" or "tcp_notsent_lowat"
                or "tcp_tso_win_divisor" or "tcp_fack" or "tcp_frto" or "tcp_early_retrans" or "tcp_recovery"
                or "tcp_slow_start_after_idle" or "tcp_congestion_control" or "tcp_reordering" or "tcp_syncookies":
                // Tuning of mechanisms the stack does not have (congestion control, pacing, RACK/TLP, F-RTO, TSO, cookies):
                // they shape timing and segmentation; a script that depends on them fails on its checks.
                Notes.Add($"{key}={value}: no counterpart in the stack (a script that depends on it fails on its checks)");
                break;
            default:
                throw new UnsupportedException($"{where}: unknown sysctl {key}={value}");
        }
    }
}
