namespace TcpActors.Packetdrill.Runner;

public enum Verdict { Pass, Fail, Unsupported }

/// <summary>The outcome of one script. A script passes only if every event ran and every check matched.</summary>
public sealed record ScriptResult(string Path, Verdict Verdict, string? Reason, TimeSpan Wall, int Events, string Profile)
{
    public override string ToString() => $"{Verdict} {Path}{(Reason is null ? "" : ": " + Reason)}";
}

/// <summary>A check failed: the script line, what it expected and what the stack did.</summary>
public sealed class ScriptFailure(string message) : Exception(message);

/// <summary>The script needs something the runner cannot map onto the stack; the reason says what.</summary>
public sealed class UnsupportedException(string reason) : Exception(reason);
