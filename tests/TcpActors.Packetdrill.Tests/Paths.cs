using TcpActors.Packetdrill.Runner;

namespace TcpActors.Packetdrill.Tests;

internal static class Paths
{
    public const string MissingCorpus = "(corpus missing)";

    /// <summary>The folder holding TcpActors.sln, found by walking up from the test binaries.</summary>
    public static string Repository()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "TcpActors.sln")))
                return d.FullName;
        throw new InvalidOperationException($"no TcpActors.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// ../shared/packetdrill beside the repository; a git worktree lives deeper (e.g. /work/wt/NAME), so the parents'
    /// shared/packetdrill are tried too. Null when there is none (the corpus theory then fails).
    /// </summary>
    public static string? Corpus()
    {
        for (var d = Directory.GetParent(Repository()); d is not null; d = d.Parent)
        {
            string c = Path.Combine(d.FullName, "shared", "packetdrill");
            if (Directory.Exists(c))
                return c;
        }
        return null;
    }

    public static string OurScripts() => Path.Combine(Repository(), "tests", "TcpActors.Packetdrill", "scripts");

    public sealed record Expectation(Verdict Verdict, string Match, string Why);

    /// <summary>
    /// tests/TcpActors.Packetdrill/corpus-expectations.txt: "PATH | VERDICT | TEXT THE REASON CONTAINS | WHY", one per line.
    /// </summary>
    public static Dictionary<string, Expectation> CorpusExpectations()
    {
        var map = new Dictionary<string, Expectation>();
        foreach (var line in File.ReadAllLines(Path.Combine(Repository(), "tests", "TcpActors.Packetdrill", "corpus-expectations.txt")))
        {
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var parts = line.Split('|', StringSplitOptions.TrimEntries);
            if (parts.Length != 4) throw new FormatException($"corpus-expectations.txt: '{line}' is not 'PATH | VERDICT | MATCH | WHY'");
            map[parts[0]] = new Expectation(Enum.Parse<Verdict>(parts[1], ignoreCase: true), parts[2], parts[3]);
        }
        return map;
    }
}
