using TcpActors.Packetdrill.Runner;

namespace TcpActors.Packetdrill.Tests;

/// <summary>
/// Every script of the shared corpus (../shared/packetdrill next to the repository) and every script of ours
/// (tests/TcpActors.Packetdrill/scripts) runs against the stack. Ours must pass. A corpus script must pass unless
/// corpus-expectations.txt lists it with the verdict it has today and why (a Linux-only behaviour we do not copy, or a gap); a listed
/// script that changes verdict fails too, so the list is kept true.
/// </summary>
public class ScriptTests
{
    public static TheoryData<string> CorpusScripts()
    {
        var data = new TheoryData<string>();
        var corpus = Paths.Corpus();
        if (corpus is null)
        {
            data.Add(Paths.MissingCorpus);
            return data;
        }
        foreach (var f in Directory.EnumerateFiles(corpus, "*.pkt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(corpus, f).Replace('\\', '/'));
        return data;
    }

    public static TheoryData<string> OurScripts()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Paths.OurScripts(), "*.pkt").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusScripts))]
    public void Corpus_script(string script)
    {
        var corpus = Paths.Corpus();
        if (corpus is null)
        {
            Assert.Fail("the packetdrill corpus is missing: looked for shared/packetdrill beside the folder holding TcpActors.sln " +
                $"(../shared/packetdrill) and beside each of its parents, from {AppContext.BaseDirectory}");
            return;
        }
        var r = ScriptRunner.RunFile(Path.Combine(corpus, script));
        var expectations = Paths.CorpusExpectations();
        if (expectations.TryGetValue(script, out var expected))
        {
            Assert.True(r.Verdict == expected.Verdict,
                $"corpus-expectations.txt says {expected.Verdict} ({expected.Why}); the script now gives {r.Verdict}: {r.Reason}. Update the list.");
            if (expected.Verdict != Verdict.Pass)
                Assert.Contains(expected.Match, r.Reason ?? "");
        }
        else
            Assert.True(r.Verdict == Verdict.Pass, $"{r.Verdict}: {r.Reason}");
    }

    [Theory]
    [MemberData(nameof(OurScripts))]
    public void Our_script(string script)
    {
        var r = ScriptRunner.RunFile(Path.Combine(Paths.OurScripts(), script));
        Assert.True(r.Verdict == Verdict.Pass, $"{r.Verdict}: {r.Reason}");
    }
}
