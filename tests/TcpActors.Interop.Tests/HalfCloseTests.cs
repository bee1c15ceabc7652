using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// Half-close in both directions (RFC 9293 3.6): the side that sent its FIN keeps receiving until the other side
/// closes too, byte-exact.
/// </summary>
[Collection(HeavyCollection.Name)]
public class HalfCloseTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5002;
    private const long Size = 10_000_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [RootFact]
    public void The_kernel_shuts_down_its_write_side_and_still_reads_everything_the_stack_sends()
    {
        var stack = StartStack();
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);
        var client = ConnectKernelClient(Port);
        client.ReceiveTimeout = client.SendTimeout = 30_000;
        reporter.ExpectMsg<StreamApp.Registered>(Wait);

        var clock = Timer();
        byte[] kernelSent = KernelStream.Send(client, Size, seed: 3);
        client.Shutdown(SocketShutdown.Send);
        reporter.FishForMessage(m => m is PeerClosed, Bound);
        app.Tell(StreamApp.GetReceived.Instance, reporter);
        var stackGot = reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, Wait);
        Assert.Equal(Size, stackGot.Count);
        Assert.Equal(Convert.ToHexString(kernelSent), Convert.ToHexString(stackGot.Sha256));
        app.Tell(GetStatus.Instance, reporter);
        Assert.Equal(TcpState.CloseWait, reporter.FishForMessage<ConnectionStatus>(_ => true, Wait).State);

        // The kernel's write side is shut; its read side must still take all the stack sends after the FIN.
        var kernelReceives = KernelStream.OnThread("kernel-receive", () => KernelStream.ReceiveToEnd(client));
        app.Tell(new StreamApp.SendBytes(Size, Seed: 4, Then: Close.Instance));
        var (kernelGot, kernelGotSha) = KernelStream.Await(kernelReceives, Bound, "the kernel's receive after its shutdown(SHUT_WR)");
        var stackSent = reporter.FishForMessage<StreamApp.SendDone>(_ => true, Wait);
        reporter.FishForMessage(m => m is Closed, Wait);
        Report("kernel sends, shuts down writing, then receives", 2 * Size, clock.Elapsed);

        Assert.Equal(Size, kernelGot);
        Assert.Equal(Convert.ToHexString(stackSent.Sha256), Convert.ToHexString(kernelGotSha));
    }

    [RootFact]
    public void The_stack_confirmed_closes_and_still_reads_everything_the_kernel_sends()
    {
        var stack = StartStack();
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);
        var client = ConnectKernelClient(Port);
        client.ReceiveTimeout = client.SendTimeout = 30_000;
        reporter.ExpectMsg<StreamApp.Registered>(Wait);

        var clock = Timer();
        var kernelReceives = KernelStream.OnThread("kernel-receive", () => KernelStream.ReceiveToEnd(client));
        app.Tell(new StreamApp.SendBytes(Size, Seed: 5, Then: ConfirmedClose.Instance));
        var (kernelGot, kernelGotSha) = KernelStream.Await(kernelReceives, Bound, "the kernel's receive up to the stack's FIN");
        var stackSent = reporter.FishForMessage<StreamApp.SendDone>(_ => true, Wait);
        Assert.Equal(Size, kernelGot);
        Assert.Equal(Convert.ToHexString(stackSent.Sha256), Convert.ToHexString(kernelGotSha));
        AwaitAssert(() =>
        {
            app.Tell(GetStatus.Instance, reporter);
            Assert.Equal(TcpState.FinWait2, reporter.FishForMessage<ConnectionStatus>(_ => true, Wait).State);
        }, Wait, TimeSpan.FromMilliseconds(50));

        // Our FIN is acknowledged; the stack's application must still receive what the kernel sends now.
        var kernelSends = KernelStream.OnThread("kernel-send", () =>
        {
            var sha = KernelStream.Send(client, Size, seed: 6);
            client.Shutdown(SocketShutdown.Send);
            return sha;
        });
        byte[] kernelSent = KernelStream.Await(kernelSends, Bound, "the kernel's send after the stack's FIN");
        reporter.FishForMessage(m => m is ConfirmedClosed, Bound);
        Report("stack sends and confirmed-closes, then receives", 2 * Size, clock.Elapsed);
        app.Tell(StreamApp.GetReceived.Instance, reporter);
        var stackGot = reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, Wait);
        Assert.Equal(Size, stackGot.Count);
        Assert.Equal(Convert.ToHexString(kernelSent), Convert.ToHexString(stackGot.Sha256));
    }
}
