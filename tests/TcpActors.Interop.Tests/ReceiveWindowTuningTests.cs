using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// Receive-window auto-tuning with the Linux kernel as the sender: the connection starts with 128 KiB
/// (tcp-actors.receive-window-initial) and, as the application keeps up with a bulk transfer, grows towards the 4 MiB
/// of tcp-actors.receive-window (at least 8-fold within the 30 MB: how far it gets depends on how many round trips the
/// transfer takes, which depends on the machine); every byte arrives (SHA-256).
/// </summary>
[Collection(HeavyCollection.Name)]
public class ReceiveWindowTuningTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5008;
    private const long Size = 30_000_000;

    [RootFact]
    public void A_kernel_bulk_sender_sees_the_window_grow_from_128_KiB_towards_receive_window()
    {
        var stack = StartStack();
        Assert.Equal(131072, stack.Settings.ReceiveWindowInitial);
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);
        using var client = ConnectKernelClient(Port);
        reporter.ExpectMsg<StreamApp.Registered>(Wait);
        var connection = stack.Manager.Ask<ConnectionList>(ListConnections.Instance, Wait).Result.Connections.Single().Connection;
        var before = connection.Ask<ConnectionStatus>(GetStatus.Instance, Wait).Result;
        Assert.Equal(131072u, before.RcvWnd);

        var clock = Timer();
        byte[] sent = KernelStream.Await(KernelStream.OnThread("kernel-send", () => KernelStream.Send(client, Size, seed: 3)),
            TimeSpan.FromSeconds(60), "the kernel's send");
        StreamApp.ReceivedSoFar got;
        do
        {
            app.Tell(StreamApp.GetReceived.Instance, reporter);
            got = reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, Wait);
        }
        while (got.Count < Size && clock.Elapsed < TimeSpan.FromSeconds(60));
        Report("kernel -> stack", got.Count, clock.Elapsed);
        Assert.Equal(Size, got.Count);
        Assert.Equal(Convert.ToHexString(sent), Convert.ToHexString(got.Sha256));

        var after = connection.Ask<ConnectionStatus>(GetStatus.Instance, Wait).Result;
        Output.WriteLine($"RCV.WND {before.RcvWnd} -> {after.RcvWnd}, shift {after.RcvWindowShift}, SRTT {after.SmoothedRtt}");
        Assert.InRange(after.RcvWnd, 8u * 131072, (uint)stack.Settings.ReceiveWindow);
    }
}
