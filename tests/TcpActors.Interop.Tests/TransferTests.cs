using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>Bulk data between a kernel socket and a stack application, both ways at once.</summary>
[Collection(HeavyCollection.Name)]
public class TransferTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5001;

    /// <summary>TCPA_TRANSFER_MB overrides the size (in MB each way) for measurements.</summary>
    private static long Size =>
        (long.TryParse(Environment.GetEnvironmentVariable("TCPA_TRANSFER_MB"), out long mb) ? mb : 100) * 1_000_000;

    [RootFact]
    public void A_hundred_megabytes_cross_each_way_at_once_and_arrive_with_equal_SHA256()
    {
        var stack = StartStack();
        // Seen on a 2-vCPU VM (Debug build): 200 MB in 3.5 s, 57 MB/s. The bound leaves room for a slower CI machine.
        var result = BothWays.Run(this, stack, Port, Size, bound: TimeSpan.FromSeconds(60));
        Report("kernel <-> stack, both ways at once", 2 * result.BytesEachWay, result.Elapsed);
        Output.WriteLine(Counters(stack));
    }
}
