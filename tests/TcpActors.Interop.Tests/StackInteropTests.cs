using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Interop.Tests.Support;

namespace TcpActors.Interop.Tests;

/// <summary>
/// A TcpStack on a TunLink talking to the Linux kernel in a namespace of its own, in real time (default
/// scheduler and dispatcher). Every wait is bounded.
/// </summary>
public class StackInteropTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly Config RealTime = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        # The stack's actors get threads of their own: tests that block pool threads (and xunit running
        # classes in parallel on 2 vCPUs) must not delay an echo reply by the thread pool's injection delay.
        tcp-actors.dispatcher = "tcp-actors.interop-dispatcher"
        tcp-actors.interop-dispatcher {
          type = ForkJoinDispatcher
          throughput = 100
          dedicated-thread-pool {
            thread-count = 2
            threadtype = background
          }
        }
        """);

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NamespaceFixture? _ns;

    public StackInteropTests(ITestOutputHelper output) : base(RealTime, output: output)
    {
        if (InteropEnvironment.IsCi || InteropEnvironment.MissingPrerequisite() is null)
            _ns = new NamespaceFixture();
    }

    private NamespaceFixture Ns => _ns!;

    private TcpStack StartStack() => TcpStack.Start(Sys, Ns.CreateLink(), NamespaceFixture.StackAddress);

    [RootFact]
    public void The_kernel_pings_the_stack()
    {
        var stack = StartStack();
        var r = Ns.Namespace.ExecProgram("ping", ["-c", "3", "-i", "0.2", "-W", "1", NamespaceFixture.StackAddress.ToString()], TimeSpan.FromSeconds(15));
        Assert.True(r.ExitCode == 0, $"ping failed (exit {r.ExitCode}): {r.StandardOutput}{r.StandardError}");
        Assert.True(r.StandardOutput.Contains("3 received"), r.StandardOutput + Counters(stack));
        Assert.Equal(3, stack.Counters[TcpCounter.IcmpEchoReplies]);
    }

    [RootFact]
    public void A_kernel_client_connects_to_a_stack_listener_and_gets_its_bytes_echoed()
    {
        var (stack, observer, client) = ConnectToEcho();
        using var _ = client;
        observer.ExpectMsg("connected", Wait);

        foreach (var text in new[] { "hello", "from the kernel", "!" })
        {
            byte[] sent = System.Text.Encoding.ASCII.GetBytes(text);
            client.Send(sent);
            Assert.Equal(sent, ReceiveExactly(client, sent.Length));
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, client.Receive(new byte[1]));   // the stack closes its side after our FIN
        observer.FishForMessage(m => m is PeerClosed, Wait);
    }

    [RootFact]
    public void A_megabyte_round_trips_through_the_stack_byte_exact()
    {
        var (stack, observer, client) = ConnectToEcho();
        using var _ = client;

        var data = new byte[1 << 20];
        new Random(42).NextBytes(data);
        byte[] echoed = new byte[data.Length];
        int got = 0;
        var reader = new Thread(() =>   // a thread of its own: a blocked pool thread would slow the whole suite
        {
            while (got < echoed.Length)
            {
                int n = client.Receive(echoed, got, echoed.Length - got, SocketFlags.None);
                if (n == 0)
                    break;
                got += n;
            }
        }) { IsBackground = true };
        reader.Start();
        for (int off = 0; off < data.Length; off += 16384)
            client.Send(data, off, Math.Min(16384, data.Length - off), SocketFlags.None);
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "the echo did not complete in 30 s");
        Assert.Equal(data.Length, got);
        Assert.True(data.AsSpan().SequenceEqual(echoed), "the echoed bytes differ");
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, client.Receive(new byte[1]));
    }

    [RootFact]
    public void The_stack_connects_to_a_kernel_listener_and_both_sides_close_cleanly()
    {
        var stack = StartStack();
        using var listener = Ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(NamespaceFixture.KernelEndPoint(7000));
        listener.Listen(1);

        var app = CreateTestProbe();
        stack.Manager.Tell(new Connect(NamespaceFixture.KernelAddress, 7000), app);
        var connected = app.ExpectMsg<Connected>(Wait);
        var connection = app.LastSender;
        connection.Tell(new Register(app), app);
        Assert.Equal(7000, connected.RemotePort);

        listener.Blocking = true;
        Assert.True(listener.Poll((int)Wait.TotalMicroseconds, SelectMode.SelectRead), "the kernel did not accept");
        using var server = listener.Accept();
        server.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        Assert.Equal(NamespaceFixture.StackEndPoint(connected.LocalPort), server.RemoteEndPoint);

        connection.Tell(Write.Create("ping from the stack"u8.ToArray()), app);
        Assert.Equal("ping from the stack"u8.ToArray(), ReceiveExactly(server, 19));
        server.Send("pong"u8.ToArray());
        Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(app.ExpectMsg<Received>(Wait).Data.Span));

        connection.Tell(Close.Instance, app);
        Assert.Equal(0, server.Receive(new byte[1]));   // our FIN
        server.Shutdown(SocketShutdown.Send);           // theirs
        app.FishForMessage(m => m is Closed, Wait);
    }

    private static string Counters(TcpStack stack) =>
        string.Join(", ", stack.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"));

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.True(n > 0, $"the connection closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    protected override void Dispose(bool disposing)
    {
        // Stop the actors (the I/O actor disposes the link) before the namespace goes.
        base.Dispose(disposing);
        if (disposing)
            _ns?.Dispose();
    }

    /// <summary>A stack with an echo handler bound on port 7, and a kernel client connected to it from the namespace.</summary>
    private (TcpStack Stack, TestProbe Observer, Socket Client) ConnectToEcho()
    {
        var stack = StartStack();
        var observer = CreateTestProbe();
        var handler = Sys.ActorOf(EchoHandler.Props(observer));
        stack.Manager.Tell(new Bind(handler, 7), handler);
        observer.ExpectMsg("bound", Wait);

        var client = Ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        client.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        client.SendTimeout = (int)Wait.TotalMilliseconds;
        using (var cts = new CancellationTokenSource(Wait))
            client.ConnectAsync(NamespaceFixture.StackEndPoint(7), cts.Token).AsTask().GetAwaiter().GetResult();
        return (stack, observer, client);
    }
}
