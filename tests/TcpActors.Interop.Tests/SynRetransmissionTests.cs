using System.Diagnostics;
using TcpActors.Engine.Io;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>The kernel's SYN retransmission timer (RFC 6298 5.7 / Linux TCP_TIMEOUT_INIT = 1 s) against the stack.</summary>
[Collection(HeavyCollection.Name)]   // measures time: alone, on an idle machine
public class SynRetransmissionTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5004;

    [RootFact]
    public void The_kernel_retransmits_a_SYN_the_stack_dropped_after_about_a_second_and_connects()
    {
        DropFirstSynLink? filter = null;
        var stack = StartStack(link => filter = new DropFirstSynLink(link));
        var handler = Sys.ActorOf(EchoHandler.Props());
        BindAndWait(stack, handler, Port);

        var clock = Stopwatch.StartNew();
        using var client = ConnectKernelClient(Port);
        var connectTime = clock.Elapsed;
        client.Send("after a retransmitted SYN"u8);
        Assert.Equal("after a retransmitted SYN"u8.ToArray(), ReceiveExactly(client, 25));

        var syns = filter!.SynArrivals;
        Assert.Equal(1, filter.Dropped);
        Assert.True(syns.Count == 2, $"expected the dropped SYN and one retransmission, saw {syns.Count} SYNs");
        var gap = Stopwatch.GetElapsedTime(syns[0], syns[1]);
        Output.WriteLine($"first SYN dropped; the retransmission came {gap.TotalMilliseconds:0} ms later; connect() took {connectTime.TotalMilliseconds:0} ms");
        Assert.InRange(gap.TotalSeconds, 0.9, 2.0);
        Assert.InRange(connectTime.TotalSeconds, 0.9, 2.5);
        Assert.Equal(1, stack.Counters[TcpCounter.PassiveOpens]);
    }
}
