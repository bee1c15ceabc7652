using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine;
using TcpActors.Engine.Api;

namespace TcpActors.Interop.Tests.Support;

/// <summary>What a transfer both ways at once measured.</summary>
public sealed record TransferResult(long BytesEachWay, TimeSpan Elapsed)
{
    public double MegabytesPerSecond => 2 * BytesEachWay / 1e6 / Elapsed.TotalSeconds;
}

/// <summary>
/// A kernel client connects to a <see cref="StreamApp"/> bound on the stack; both send <c>size</c> bytes at once
/// (the kernel then shuts down writing, the app confirmed-closes: its ConfirmedClosed means both FINs, and so all data, arrived), and each side's SHA-256 of what it received must equal
/// the other's of what it sent.
/// </summary>
public static class BothWays
{
    public static TransferResult Run(InteropTestKit kit, TcpStack stack, ushort port, long size, TimeSpan bound)
    {
        var reporter = kit.CreateTestProbe();
        var app = kit.Sys.ActorOf(StreamApp.Props(reporter));
        kit.Bind(stack, app, port);

        var client = kit.ConnectClient(port);
        client.ReceiveTimeout = client.SendTimeout = (int)bound.TotalMilliseconds;
        reporter.ExpectMsg<StreamApp.Registered>(TimeSpan.FromSeconds(10));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kernelReceives = KernelStream.OnThread("kernel-receive", () => KernelStream.ReceiveToEnd(client));
        var kernelSends = KernelStream.OnThread("kernel-send", () =>
        {
            var sha = KernelStream.Send(client, size, seed: 1);
            client.Shutdown(SocketShutdown.Send);
            return sha;
        });
        app.Tell(new StreamApp.SendBytes(size, Seed: 2, Then: ConfirmedClose.Instance));

        var deadline = clock.Elapsed + bound;
        TimeSpan Left() => deadline - clock.Elapsed > TimeSpan.Zero ? deadline - clock.Elapsed : TimeSpan.Zero;
        byte[] kernelSent = KernelStream.Await(kernelSends, bound, "the kernel's send");
        var (kernelGot, kernelGotSha) = KernelStream.Await(kernelReceives, Left(), "the kernel's receive");
        var stackSent = reporter.FishForMessage<StreamApp.SendDone>(_ => true, TimeSpan.FromSeconds(10));
        reporter.FishForMessage(m => m is ConfirmedClosed, Left() + TimeSpan.FromSeconds(10));
        var elapsed = clock.Elapsed;
        app.Tell(StreamApp.GetReceived.Instance, reporter);
        var stackGot = reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, TimeSpan.FromSeconds(10));

        Assert.Equal(size, stackGot.Count);
        Assert.Equal(Convert.ToHexString(kernelSent), Convert.ToHexString(stackGot.Sha256));
        Assert.Equal(size, kernelGot);
        Assert.Equal(Convert.ToHexString(stackSent.Sha256), Convert.ToHexString(kernelGotSha));
        return new TransferResult(size, elapsed);
    }
}
