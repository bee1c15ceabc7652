using TcpActors.Engine.Link;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// Transfers both ways at once over a bad link, byte-exact: random loss on the kernel side with nftables, and
/// duplication, reordering with delay and corruption by an <see cref="ImpairedLink"/> around the stack's link.
/// </summary>
[Collection(HeavyCollection.Name)]
public class ImpairmentTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5006;

    /// <summary>TCPA_IMPAIRED_KB overrides the size (in KB each way) for measurements.</summary>
    private static long Size(long kilobytes) =>
        (long.TryParse(Environment.GetEnvironmentVariable("TCPA_IMPAIRED_KB"), out long kb) ? kb : kilobytes) * 1000;

    private TransferResult Transfer(Engine.TcpStack stack, long size, TimeSpan bound, string what)
    {
        var result = BothWays.Run(this, stack, Port, size, bound);
        Report($"{what}: both ways at once", 2 * result.BytesEachWay, result.Elapsed);
        Output.WriteLine(Counters(stack));
        return result;
    }

    private Engine.TcpStack StackOn(ImpairmentSettings outbound, ImpairmentSettings inbound, List<ImpairedLink> made) =>
        StartStack(link =>
        {
            var impaired = new ImpairedLink(link, Sys.Scheduler, outbound, inbound);
            made.Add(impaired);
            return impaired;
        });

    private void ReportLink(ImpairedLink link)
    {
        Output.WriteLine($"stack -> kernel: {link.OutboundCounters}");
        Output.WriteLine($"kernel -> stack: {link.InboundCounters}");
    }

    [RootFact]
    public void Five_percent_loss_each_way_by_nftables_in_the_namespace()
    {
        string table = $$"""
            table ip tcpa_loss {
              chain input {
                type filter hook input priority 0; policy accept;
                iifname "{{NamespaceFixture.DeviceName}}" numgen random mod 100 < 5 counter drop
              }
              chain output {
                type filter hook output priority 0; policy accept;
                oifname "{{NamespaceFixture.DeviceName}}" numgen random mod 100 < 5 counter drop
              }
            }
            """;
        var add = Ns.ExecWithInput("nft", ["-f", "-"], table, TimeSpan.FromSeconds(10));
        Assert.True(add.ExitCode == 0, $"nft -f - failed ({add.ExitCode}): {add.StandardError}");
        try
        {
            var stack = StartStack();
            Transfer(stack, Size(10_000), TimeSpan.FromSeconds(60), "5% loss each way (nftables)");
            Output.WriteLine(Ns.Namespace.ExecProgram("nft", ["list", "table", "ip", "tcpa_loss"]).StandardOutput);
        }
        finally
        {
            Ns.Namespace.ExecProgram("nft", ["delete", "table", "ip", "tcpa_loss"]);
        }
    }

    [RootFact]
    public void One_percent_duplication_each_way_by_the_stacks_link()
    {
        var links = new List<ImpairedLink>();
        var stack = StackOn(new ImpairmentSettings(Duplication: 0.01, Seed: 11), new ImpairmentSettings(Duplication: 0.01, Seed: 12), links);
        Transfer(stack, Size(10_000), TimeSpan.FromSeconds(60), "1% duplication each way");
        ReportLink(links[0]);
        Assert.True(links[0].OutboundCounters.Duplicated > 0 && links[0].InboundCounters.Duplicated > 0);
    }

    [RootFact]
    public void A_quarter_of_the_packets_reordered_by_10_ms_plus_or_minus_5_each_way_by_the_stacks_link()
    {
        var links = new List<ImpairedLink>();
        var reorder = new ImpairmentSettings(Reordering: 0.25, ReorderDelay: TimeSpan.FromMilliseconds(10), ReorderJitter: TimeSpan.FromMilliseconds(5));
        var stack = StackOn(reorder with { Seed = 21 }, reorder with { Seed = 22 }, links);
        Transfer(stack, Size(10_000), TimeSpan.FromSeconds(60), "25% reordered by 10 +- 5 ms each way");
        ReportLink(links[0]);
        Assert.True(links[0].OutboundCounters.Reordered > 0 && links[0].InboundCounters.Reordered > 0);
    }

    [RootFact]
    public void A_tenth_of_a_percent_corruption_each_way_by_the_stacks_link_is_caught_by_checksums()
    {
        var links = new List<ImpairedLink>();
        var stack = StackOn(new ImpairmentSettings(Corruption: 0.001, Seed: 31), new ImpairmentSettings(Corruption: 0.001, Seed: 32), links);
        Transfer(stack, Size(10_000), TimeSpan.FromSeconds(60), "0.1% corruption each way");
        ReportLink(links[0]);
        Assert.True(links[0].OutboundCounters.Corrupted > 0 && links[0].InboundCounters.Corrupted > 0);
    }
}
