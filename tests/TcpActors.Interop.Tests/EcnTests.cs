using TcpActors.Engine.Io;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// ECN (RFC 3168) with the Linux kernel as the peer: the kernel asks for it (net.ipv4.tcp_ecn = 1 in the test's
/// namespace), the stack accepts (tcp-actors.ecn = passive, the default), and nftables in the namespace marks every
/// tenth ECT(0) packet CE, each way, as a congested router would instead of dropping it. A transfer both ways at once
/// must arrive byte-exact; the stack must have seen the kernel's ECT packets marked (the kernel sends ECT(0)), and
/// reduced its window for the kernel's ECN-Echoes (its own ECT(0) packets were marked and the kernel echoed them).
/// </summary>
[Collection(HeavyCollection.Name)]
public class EcnTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5007;

    [RootFact]
    public void A_kernel_that_asks_for_ECN_gets_it_and_CE_marks_each_way_are_echoed_and_answered_RFC_3168_6_1()
    {
        var sysctl = Ns.Namespace.ExecProgram("sysctl", ["-qw", "net.ipv4.tcp_ecn=1"], Wait);
        Assert.True(sysctl.ExitCode == 0, $"sysctl failed ({sysctl.ExitCode}): {sysctl.StandardError}");
        string table = $$"""
            table ip tcpa_ce {
              chain input {
                type filter hook input priority 0; policy accept;
                iifname "{{NamespaceFixture.DeviceName}}" ip ecn ect0 numgen inc mod 10 0 counter ip ecn set ce
              }
              chain output {
                type filter hook output priority 0; policy accept;
                oifname "{{NamespaceFixture.DeviceName}}" ip ecn ect0 numgen inc mod 10 0 counter ip ecn set ce
              }
            }
            """;
        var add = Ns.ExecWithInput("nft", ["-f", "-"], table, TimeSpan.FromSeconds(10));
        Assert.True(add.ExitCode == 0, $"nft -f - failed ({add.ExitCode}): {add.StandardError}");
        try
        {
            var stack = StartStack();
            var result = BothWays.Run(this, stack, Port, 20_000_000, TimeSpan.FromSeconds(60));
            Report("ECN, every tenth ECT packet CE-marked each way: both ways at once", 2 * result.BytesEachWay, result.Elapsed);
            Output.WriteLine(Counters(stack));
            Output.WriteLine(Ns.Namespace.ExecProgram("nft", ["list", "table", "ip", "tcpa_ce"]).StandardOutput);
            Assert.Equal(1, stack.Counters[TcpCounter.EcnConnections]);
            Assert.True(stack.Counters[TcpCounter.EcnCeReceived] > 0, "no CE mark reached the stack: " + Counters(stack));
            Assert.True(stack.Counters[TcpCounter.EcnCwndReductions] > 0, "no ECN-Echo reduced the stack's window: " + Counters(stack));
        }
        finally
        {
            Ns.Namespace.ExecProgram("nft", ["delete", "table", "ip", "tcpa_ce"]);
        }
    }
}
