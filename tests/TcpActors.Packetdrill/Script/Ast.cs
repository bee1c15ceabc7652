namespace TcpActors.Packetdrill.Script;

// The syntax tree of a packetdrill script, as our parser reads it (written from the language's
// description: packetdrill's README and the scripts themselves).

/// <summary>A parsed script: command-line style options, the init command, and the timed events.</summary>
public sealed record PdScript(string Path, IReadOnlyList<ScriptOption> Options, InitCommand? Init, IReadOnlyList<ScriptEvent> Events);

/// <summary>An options line such as <c>--tolerance_usecs=405000</c> (Value null for a bare flag).</summary>
public sealed record ScriptOption(string Name, string? Value, int Line);

/// <summary>The init command between backticks, e.g. <c>`../common/defaults.sh`</c>.</summary>
public sealed record InitCommand(string Text, int Line);

public enum TimeKind { Absolute, Relative, Any }

/// <summary>
/// When an event happens: <c>0.100</c> (absolute), <c>+.1</c> (relative to the previous event), <c>*</c> (any time,
/// outbound packets only), or a range <c>a~b</c> / <c>+a~+b</c> (outbound packets only).
/// </summary>
public sealed record EventTime(TimeKind Kind, double Seconds, double? RangeEnd = null, bool RangeEndRelative = false)
{
    public bool IsRange => RangeEnd is not null;
}

public abstract record ScriptEvent(int Line, int Column, EventTime Time, string Text);

public enum Direction { Inbound, Outbound }

public enum OptionKind { Mss, SackOk, Sack, Timestamp, Nop, WindowScale, Eol, FastOpen, Md5, Experimental }

/// <summary>One TCP option of a packet line; Values holds mss/wscale (1 value), TS val/ecr (2), SACK blocks (pairs).</summary>
public sealed record PacketOption(OptionKind Kind, IReadOnlyList<uint> Values)
{
    public override string ToString() => Kind switch
    {
        OptionKind.Mss => $"mss {Values[0]}",
        OptionKind.SackOk => "sackOK",
        OptionKind.Timestamp => $"TS val {Values[0]} ecr {Values[1]}",
        OptionKind.Nop => "nop",
        OptionKind.WindowScale => $"wscale {Values[0]}",
        OptionKind.Eol => "eol",
        OptionKind.Sack => "sack " + string.Join(' ', Enumerable.Range(0, Values.Count / 2).Select(i => $"{Values[2 * i]}:{Values[2 * i + 1]}")),
        _ => Kind.ToString(),
    };
}

/// <summary>
/// <c>&lt; S. 0:0(0) ack 1 win 32792 &lt;mss 1000,nop,wscale 7&gt;</c>. Flags as written ("S.", "FP.", "-" for none).
/// Options null when none are written; <see cref="AnyOptions"/> for <c>&lt;...&gt;</c>. <see cref="IpEcn"/>: the ECN
/// field of the IP header written before the flags (<c>&lt; [ce] P. ...</c>): noecn, ect0, ect1, ce, or ect01 (either
/// ECT, outbound only); null when not written (inbound: not-ECT; outbound: not checked).
/// </summary>
public sealed record PacketEvent(int Line, int Column, EventTime Time, string Text,
    Direction Direction, string Flags, uint Start, uint End, int Length, uint? Ack, uint? Window,
    IReadOnlyList<PacketOption>? Options, bool AnyOptions, string? IpEcn = null) : ScriptEvent(Line, Column, Time, Text);

/// <summary>
/// <c>0.100...0.200 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)</c>.
/// EndTime is the time after <c>...</c> for a blocking call (same base as the start: see the runner).
/// </summary>
public sealed record SyscallEvent(int Line, int Column, EventTime Time, string Text,
    double? EndTime, string Name, IReadOnlyList<Expr> Args, long Result, string? Errno, string? Note)
    : ScriptEvent(Line, Column, Time, Text);

/// <summary>A <c>%{ ... }%</c> block (Python in packetdrill; the runner evaluates simple tcpi_* assertions).</summary>
public sealed record CodeEvent(int Line, int Column, EventTime Time, string Text, string Code) : ScriptEvent(Line, Column, Time, Text);

/// <summary>A syscall argument.</summary>
public abstract record Expr;
/// <summary><c>...</c>: an argument the runner fills in (addresses, buffers).</summary>
public sealed record EllipsisExpr : Expr { public override string ToString() => "..."; }
public sealed record IntExpr(long Value) : Expr { public override string ToString() => Value.ToString(); }
public sealed record NameExpr(string Name) : Expr { public override string ToString() => Name; }
public sealed record StringExpr(string Value) : Expr { public override string ToString() => $"\"{Value}\""; }
/// <summary><c>O_RDWR|O_NONBLOCK</c>.</summary>
public sealed record OrExpr(IReadOnlyList<Expr> Terms) : Expr { public override string ToString() => string.Join('|', Terms); }
/// <summary><c>[1]</c>, <c>[{fd=3, events=POLLIN}]</c>.</summary>
public sealed record ListExpr(IReadOnlyList<Expr> Items) : Expr { public override string ToString() => $"[{string.Join(", ", Items)}]"; }
/// <summary><c>{onoff=1, linger=0}</c>.</summary>
public sealed record StructExpr(IReadOnlyList<KeyValuePair<string, Expr>> Fields) : Expr
{
    public Expr? this[string name] => Fields.FirstOrDefault(f => f.Key == name).Value;
    public override string ToString() => "{" + string.Join(", ", Fields.Select(f => $"{f.Key}={f.Value}")) + "}";
}

/// <summary>A syntax error, with the file, line and column where it was found.</summary>
public sealed class ScriptSyntaxException(string file, int line, int column, string message)
    : Exception($"{file}:{line}:{column}: syntax error: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Reason { get; } = message;
}
