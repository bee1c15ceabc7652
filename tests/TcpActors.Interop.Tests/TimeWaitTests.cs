using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>The side that closes first ends in TIME-WAIT (RFC 9293 3.6, Figure 13): the stack, or the kernel.</summary>
public class TimeWaitTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5005;

    private (IActorRef App, Akka.TestKit.TestProbe Reporter, Socket Client, Connected Connected) Connection(TcpStack stack)
    {
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);
        var client = ConnectKernelClient(Port);
        var registered = reporter.ExpectMsg<StreamApp.Registered>(Wait);
        return (app, reporter, client, registered.Connected);
    }

    private string KernelLine(Connected c)
    {
        string sockets = KernelSockets();
        string local = $"{NamespaceFixture.KernelAddress}:{c.RemotePort}", peer = $"{NamespaceFixture.StackAddress}:{c.LocalPort}";
        return sockets.Split('\n').FirstOrDefault(l => l.Contains(local) && l.Contains(peer)) ?? "";
    }

    [RootFact]
    public void When_the_stack_closes_first_its_connection_reaches_TIME_WAIT_and_the_kernel_closes_fully()
    {
        var stack = StartStack();
        var (app, reporter, client, connected) = Connection(stack);

        app.Tell(Close.Instance);
        Assert.Equal(0, client.Receive(new byte[1]));   // the stack's FIN
        client.Close();                                  // the kernel's FIN from CLOSE-WAIT: LAST-ACK
        reporter.FishForMessage(m => m is Closed, Wait);

        // The connection actor lives on in TIME-WAIT (2 MSL) and answers STATUS; the table lists it.
        AwaitAssert(() =>
        {
            app.Tell(GetStatus.Instance, reporter);
            Assert.Equal(TcpState.TimeWait, reporter.FishForMessage<ConnectionStatus>(_ => true, Wait).State);
        }, Wait, TimeSpan.FromMilliseconds(50));
        var list = stack.Manager.Ask<ConnectionList>(ListConnections.Instance, Wait).Result;
        Assert.Contains(list.Connections, c => c.Tuple == connected.Tuple);

        // The kernel got our ACK of its FIN: LAST-ACK -> CLOSED, so `ss` no longer lists the socket.
        AwaitAssert(() => Assert.Equal("", KernelLine(connected)), Wait, TimeSpan.FromMilliseconds(100));
    }

    [RootFact]
    public void When_the_kernel_closes_first_ss_shows_its_socket_in_TIME_WAIT_and_the_stack_closes_fully()
    {
        var stack = StartStack();
        var (app, reporter, client, connected) = Connection(stack);

        client.Shutdown(SocketShutdown.Send);            // the kernel's FIN first
        reporter.FishForMessage(m => m is PeerClosed, Wait);
        app.Tell(Close.Instance);                        // the stack's FIN from CLOSE-WAIT
        Assert.Equal(0, client.Receive(new byte[1]));
        reporter.FishForMessage(m => m is Closed, Wait);
        client.Close();

        string line = "";
        AwaitAssert(() =>
        {
            line = KernelLine(connected);
            Assert.StartsWith("TIME-WAIT", line);
        }, Wait, TimeSpan.FromMilliseconds(100));
        Output.WriteLine($"ss -tan: {line.Trim()}");

        // The stack's side went LAST-ACK -> CLOSED: the connection is gone from its table.
        AwaitAssert(() =>
        {
            var list = stack.Manager.Ask<ConnectionList>(ListConnections.Instance, Wait).Result;
            Assert.DoesNotContain(list.Connections, c => c.Tuple == connected.Tuple);
        }, Wait, TimeSpan.FromMilliseconds(50));
    }
}
