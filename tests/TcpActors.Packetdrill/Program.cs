using System.Diagnostics;
using TcpActors.Packetdrill.Runner;

namespace TcpActors.Packetdrill;

/// <summary>
/// <c>dotnet run --project tests/TcpActors.Packetdrill -- [-v] PATH...</c>: runs each script (a .pkt file, or every
/// .pkt under a folder) and prints a pass/fail/unsupported table with the reasons. Exit code 1 when any script fails.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool verbose = args.Contains("-v") || args.Contains("--verbose");
        var paths = args.Where(a => !a.StartsWith('-')).ToList();
        if (paths.Count == 0)
        {
            Console.Error.WriteLine("usage: TcpActors.Packetdrill [-v] SCRIPT.pkt|FOLDER...");
            return 2;
        }
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
                files.AddRange(Directory.EnumerateFiles(p, "*.pkt", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(p))
                files.Add(p);
            else
            {
                Console.Error.WriteLine($"no such file or folder: {p}");
                return 2;
            }
        }
        var total = Stopwatch.StartNew();
        var results = new List<ScriptResult>();
        foreach (var f in files)
        {
            var r = ScriptRunner.RunFile(f, verbose ? Console.Out : null);
            results.Add(r);
            Console.WriteLine(Row(r, paths));
            if (r.Reason is not null && r.Verdict != Verdict.Pass)
                Console.WriteLine("      " + r.Reason.Replace("\n", "\n      "));
        }
        int pass = results.Count(r => r.Verdict == Verdict.Pass);
        int fail = results.Count(r => r.Verdict == Verdict.Fail);
        int unsupported = results.Count(r => r.Verdict == Verdict.Unsupported);
        Console.WriteLine($"{pass} passed, {fail} failed, {unsupported} unsupported ({results.Count} scripts, {total.Elapsed.TotalSeconds:0.0} s)");
        return fail > 0 ? 1 : 0;
    }

    private static string Row(ScriptResult r, List<string> roots)
    {
        string name = r.Path;
        foreach (var root in roots.Where(Directory.Exists))
        {
            string full = Path.GetFullPath(root);
            if (Path.GetFullPath(r.Path).StartsWith(full, StringComparison.Ordinal))
                name = Path.GetRelativePath(full, r.Path);
        }
        string verdict = r.Verdict switch { Verdict.Pass => "PASS", Verdict.Fail => "FAIL", _ => "UNSUPPORTED" };
        return $"{verdict,-11} {r.Wall.TotalMilliseconds,6:0}ms  {r.Profile,-16} {name}";
    }
}
