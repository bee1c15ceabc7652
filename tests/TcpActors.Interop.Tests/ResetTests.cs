using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>RST from either side, and a SYN to a port nobody listens on (RFC 9293 3.5.2, 3.10.7.1).</summary>
public class ResetTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5003;

    private (IActorRef App, Akka.TestKit.TestProbe Reporter, Socket Client) Connection(Engine.TcpStack stack)
    {
        var reporter = CreateTestProbe();
        var app = Sys.ActorOf(StreamApp.Props(reporter));
        BindAndWait(stack, app, Port);
        var client = ConnectKernelClient(Port);
        reporter.ExpectMsg<StreamApp.Registered>(Wait);
        // Some data first, so that both sides are well into ESTABLISHED.
        client.Send("hello"u8);
        AwaitAssert(() =>
        {
            app.Tell(StreamApp.GetReceived.Instance, reporter);
            Assert.Equal(5, reporter.FishForMessage<StreamApp.ReceivedSoFar>(_ => true, Wait).Count);
        }, Wait, TimeSpan.FromMilliseconds(20));
        return (app, reporter, client);
    }

    [RootFact]
    public void A_kernel_close_with_zero_linger_resets_the_connection_and_the_stack_app_gets_ErrorClosed()
    {
        var stack = StartStack();
        var (_, reporter, client) = Connection(stack);

        client.LingerState = new LingerOption(true, 0);   // SO_LINGER {1, 0}: close() sends RST
        client.Close();

        var error = reporter.FishForMessage<ErrorClosed>(_ => true, Wait);
        Assert.Contains("reset", error.Cause);
        AwaitCondition(() => stack.Counters[TcpCounter.CurrEstab] == 0, Wait);
        Assert.Equal(1, stack.Counters[TcpCounter.InRsts]);
    }

    [RootFact]
    public void A_stack_Abort_resets_the_connection_and_the_kernel_read_fails_with_ECONNRESET()
    {
        var stack = StartStack();
        var (app, reporter, client) = Connection(stack);

        var read = KernelStream.OnThread("kernel-read", () =>
        {
            try
            {
                return (client.Receive(new byte[16]), SocketError.Success);
            }
            catch (SocketException e)
            {
                return (-1, e.SocketErrorCode);
            }
        });
        app.Tell(Abort.Instance);
        reporter.FishForMessage(m => m is Aborted, Wait);

        var (n, error) = KernelStream.Await(read, Wait, "the kernel's read");
        Assert.Equal((-1, SocketError.ConnectionReset), (n, error));
        Assert.Equal(1, stack.Counters[TcpCounter.OutRsts]);
        Assert.DoesNotContain(NamespaceFixture.StackAddress + ":" + Port, KernelSockets());
    }

    [RootFact]
    public void A_kernel_connect_to_a_port_where_the_stack_does_not_listen_is_refused()
    {
        var stack = StartStack();
        using var client = Ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Wait);
        var e = Assert.ThrowsAny<SocketException>(() =>
            client.ConnectAsync(NamespaceFixture.StackEndPoint(5999), cts.Token).AsTask().GetAwaiter().GetResult());
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(1, stack.Counters[TcpCounter.OutRsts]);
    }
}
