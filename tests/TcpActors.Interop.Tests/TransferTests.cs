using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>Bulk data between a kernel socket and a stack application, both ways at once, and half-closes.</summary>
[Collection(HeavyCollection.Name)]
public class TransferTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5001;

    private static long Megabytes(string variable, long fallback) =>
        long.TryParse(Environment.GetEnvironmentVariable(variable), out long mb) ? mb : fallback;

    [RootFact]
    public void Bytes_cross_each_way_at_once_and_arrive_with_equal_SHA256()
    {
        long size = Megabytes("TCPA_TRANSFER_MB", 100) * 1_000_000;
        var stack = StartStack();
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);

        var client = ConnectKernelClient(Port);
        client.ReceiveTimeout = client.SendTimeout = 30_000;
        reporter.ExpectMsg<StreamApp.Registered>(Wait);

        var clock = Timer();
        var kernelReceives = KernelStream.OnThread("kernel-receive", () => KernelStream.ReceiveToEnd(client));
        var kernelSends = KernelStream.OnThread("kernel-send", () =>
        {
            var sha = KernelStream.Send(client, size, seed: 1);
            client.Shutdown(SocketShutdown.Send);
            return sha;
        });
        app.Tell(new StreamApp.SendBytes(size, Seed: 2, Then: Close.Instance));

        var bound = TimeSpan.FromMinutes(5);
        byte[] kernelSent = KernelStream.Await(kernelSends, bound, "the kernel's send");
        var (kernelGot, kernelGotSha) = KernelStream.Await(kernelReceives, bound, "the kernel's receive");
        var elapsed = clock.Elapsed;
        var stackSent = reporter.FishForMessage<StreamApp.SendDone>(_ => true, Wait);
        reporter.FishForMessage(m => m is Closed or ConfirmedClosed, Wait);
        app.Tell(StreamApp.GetReceived.Instance, reporter);
        var stackGot = reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, Wait);

        Report("kernel -> stack and stack -> kernel at once, total", 2 * size, elapsed);
        Output.WriteLine(Counters(stack));
        Assert.Equal(size, stackGot.Count);
        Assert.Equal(Convert.ToHexString(kernelSent), Convert.ToHexString(stackGot.Sha256));
        Assert.Equal(size, kernelGot);
        Assert.Equal(Convert.ToHexString(stackSent.Sha256), Convert.ToHexString(kernelGotSha));
    }
}
