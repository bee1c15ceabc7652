using System.Text.RegularExpressions;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Congestion;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// Maps a script's init command to stack settings instead of running it.
/// <list type="bullet">
/// <item>"legacy": no init command; Linux 3.11 defaults (syn retries 6, synack retries 5, SACK, timestamps, window
/// scaling with wscale 6: the receive window is set so that the stack's shift is 6 too).</item>
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
    /// <summary>What each sysctl did (mapped to a setting, matched the stack, or has no counterpart), for verbose output.</summary>
    public List<string> Notes { get; } = [];

    private Profile(string name, TcpSettings settings)
    {
        Name = name;
        Settings = settings;
    }

    /// <summary>
    /// The legacy scripts' Linux 3.11 offered wscale 6. The stack derives its shift from receive-window (the smallest
    /// shift that brings it under 65536, TcpSettings.ReceiveWindowShift, the rule of Linux's tcp_select_initial_window),
    /// so the largest window a shift of 6 covers gives 6. (On a current kernel run-on-linux.sh gets 7 from a 4 MiB
    /// tcp_rmem and reads the scripts' "wscale 6" as 7; here the stack is configured, the scripts are checked as written.)
    /// </summary>
    public const int LegacyReceiveWindow = 65535 << 6;

    /// <summary>The settings every profile starts from: the stack's defaults (Linux's values), in virtual time.</summary>
    public static TcpSettings Base(TcpSettings defaults) => defaults;

    public static Profile Resolve(PdScript script, TcpSettings defaults)
    {
        if (script.Init is null)
        {
            var legacy = new Profile("legacy", defaults with
            {
                SynRetries = 6, SynAckRetries = 5,
                WindowScaling = true, Timestamps = true, Sack = true,
                ReceiveWindow = LegacyReceiveWindow,
            });
            legacy.Notes.Add($"Linux 3.11 defaults: syn retries 6, synack retries 5, SACK, timestamps, window scaling; " +
                $"receive-window {LegacyReceiveWindow} (65535 << 6) so that the stack offers wscale {legacy.Settings.ReceiveWindowShift}, as Linux 3.11 did");
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
        void NoCounterpart(string why) => Notes.Add($"{key}={value}: no counterpart in the stack ({why}); a script that depends on it fails on its checks");
        bool Flag(string setting)
        {
            int v = Int();
            if (v is not (0 or 1))
                throw new UnsupportedException($"{where}: {key}={value}: only 0 and 1 map to {setting}");
            Matches($"{setting} = {(v == 1 ? "on" : "off")}");
            return v == 1;
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
            {
                // Linux takes its window scale from the largest receive buffer, max(tcp_rmem[2], rmem_max)
                // (tcp_select_initial_window: the smallest shift that brings it under 65536). The stack derives its
                // shift from receive-window by the same rule, so receive-window = tcp_rmem[2] gives Linux's shift
                // (15 MiB: 8). tcp_rmem[1] is where auto-tuning starts (receive-window-initial). The windows
                // announced after the SYN still differ (Linux counts buffer overhead and grows rcv_ssthresh as data
                // arrives); the corpus does not check them.
                var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 3 || !int.TryParse(parts[2], out int max) || max < 1 || !int.TryParse(parts[1], out int initial) || initial < 1)
                    throw new UnsupportedException($"{where}: {key}={value} is not 'min default max'");
                int window = Math.Min(max, TcpSettings.MaxReceiveWindow);
                Settings = Settings with { ReceiveWindow = window, ReceiveWindowInitial = Math.Min(initial, window) };
                Matches($"receive-window = {window} (tcp_rmem max): window scale {Settings.ReceiveWindowShift}; " +
                    $"receive-window-initial = {Settings.ReceiveWindowInitial} (tcp_rmem default)");
                break;
            }
            case "tcp_timestamps":
                Settings = Settings with { Timestamps = Flag("timestamps (RFC 7323)") };
                break;
            case "tcp_sack":
                Settings = Settings with { Sack = Flag("sack (RFC 2018)") };
                break;
            case "tcp_window_scaling":
                Settings = Settings with { WindowScaling = Flag("window-scaling (RFC 7323)") };
                if (!Settings.WindowScaling && Settings.ReceiveWindow > 65535)
                    Settings = Settings with { ReceiveWindow = 65535 };
                break;
            case "tcp_dsack":
                // The stack reports duplicates (RFC 2883) whenever SACK is on; it has no switch for D-SACK alone.
                if (Int() != 1)
                    throw new UnsupportedException($"{where}: {key}={value}: the stack always sends D-SACK blocks when SACK is on (RFC 2883)");
                Matches("D-SACK with SACK, as in the stack");
                break;
            case "tcp_congestion_control":
            {
                var cc = value switch { "cubic" => CongestionAlgorithm.Cubic, "reno" => CongestionAlgorithm.NewReno, _ => (CongestionAlgorithm?)null }
                    ?? throw new UnsupportedException($"{where}: {key}={value}: the stack has cubic and newreno (Linux 'reno')");
                Settings = Settings with { CongestionControl = cc };
                Matches($"congestion-control = {cc}");
                break;
            }
            case "tcp_reordering":
                if (Int() != 3)
                    throw new UnsupportedException($"{where}: {key}={value}: the stack's duplicate-ACK threshold is 3 (RFC 5681 3.2, RFC 6675 DupThresh)");
                Matches("DupThresh 3, as in the stack");
                break;
            case "tcp_slow_start_after_idle":
                // The stack does not reduce cwnd after an idle period (RFC 5681 4.1 restart window): Linux with 0.
                if (Int() != 0)
                    throw new UnsupportedException($"{where}: {key}={value}: the stack keeps cwnd across idle periods (no RFC 5681 4.1 restart window)");
                Matches("cwnd kept after idle, as in the stack");
                break;
            case "tcp_ecn":
            {
                var mode = Engine.Congestion.EcnModes.Parse(value)
                    ?? throw new UnsupportedException($"{where}: {key}={value}: the stack's ECN is 0 (off), 1 (on) or 2 (passive)");
                Settings = Settings with { Ecn = mode };
                Matches($"ecn = {mode.ToString().ToLowerInvariant()}");
                break;
            }
            case "tcp_moderate_rcvbuf":
                Settings = Settings with { ReceiveWindowAutoTuning = Flag("receive-window-auto-tuning") };
                break;
            case "tcp_autocorking":
                // Linux holds small writes while packets of the flow wait in the qdisc or the device; the stack has
                // no such queue of its own to look at (Nagle and TCP_CORK still apply): Linux with 0.
                if (Int() != 0)
                    throw new UnsupportedException($"{where}: {key}={value}: the stack has no autocorking (Linux tcp_autocorking=0)");
                Matches("no autocorking, as in the stack");
                break;
            case "tcp_fastopen":
                // Client/server Fast Open needs a cookie or a TFO option in the script's packets; without them it changes nothing.
                Notes.Add($"{key}={value}: the stack has no TCP Fast Open (RFC 7413); scripts without TFO options are unaffected");
                break;
            case "tcp_frto": NoCounterpart("F-RTO, RFC 5682: after an RTO the stack goes back to SND.UNA"); break;
            case "tcp_early_retrans" or "tcp_recovery": NoCounterpart("RACK-TLP, RFC 8985: the stack's own tcp-actors.rack and tail-loss-probe settings"); break;
            case "tcp_fack": NoCounterpart("FACK, off here as well"); break;
            case "tcp_tso_win_divisor": NoCounterpart("TSO deferral: the stack sends MSS-sized segments, the runner joins them"); break;
            case "tcp_pacing_ss_ratio" or "tcp_pacing_ca_ratio": NoCounterpart("pacing"); break;
            case "tcp_notsent_lowat": NoCounterpart("TCP_NOTSENT_LOWAT; the default (no limit) is the stack's behaviour"); break;
            case "tcp_syncookies": NoCounterpart("SYN cookies: the stack drops SYNs when its SYN queue is full"); break;
            case "tcp_fastopen_key" or "tcp_ecn_option":
                NoCounterpart("TFO/AccECN tuning");
                break;
            default:
                throw new UnsupportedException($"{where}: unknown sysctl {key}={value}");
        }
    }
}
