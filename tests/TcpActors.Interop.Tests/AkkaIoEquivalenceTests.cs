using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.AkkaIo;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// The third leg of the Akka.IO equivalence (the engine's EchoEquivalenceTests run the first two: Akka.IO over the
/// kernel's loopback and TcpActors over the memory wire): the same handler classes (EchoHandlers.cs, linked
/// unchanged) against TcpActors' AkkaIoManager on a TunLink in the test's namespace, reached by a kernel client
/// socket made inside the namespace. The same kernel client also drives the same handlers on Akka.IO over the
/// kernel's loopback; every actor must see the same message types in the same order.
/// </summary>
public class AkkaIoEquivalenceTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 7;
    private static readonly string[] Lines = ["hello", "echo me", new string('x', 3000), "bye"];

    private delegate Props ServiceProps(IActorRef tcp, EndPoint endpoint, EventLog log);

    /// <summary>What the kernel client does on a connected socket; returns what it read after its FIN.</summary>
    private delegate string KernelClient(Socket socket);

    private static readonly ServiceProps Echo = (tcp, ep, log) => Props.Create(() => new EchoService(tcp, ep, log));
    private static readonly ServiceProps HalfClose = (tcp, ep, log) => Props.Create(() => new HalfCloseService(tcp, ep, log));

    /// <summary>Writes each line and reads its echo, then shuts down sending and reads to the end.</summary>
    private static readonly KernelClient EchoLines = socket =>
    {
        foreach (string line in Lines)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            socket.Send(bytes);
            Assert.Equal(line, Encoding.UTF8.GetString(ReceiveExactly(socket, bytes.Length)));
        }
        socket.Shutdown(SocketShutdown.Send);
        return ReadToEnd(socket);
    };

    /// <summary>Writes a line, shuts down sending, reads to the end (the half-close service answers "goodbye").</summary>
    private static readonly KernelClient WriteThenFin = socket =>
    {
        socket.Send("hello"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);
        return ReadToEnd(socket);
    };

    private static string ReadToEnd(Socket socket)
    {
        var rest = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
            rest.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(rest.ToArray());
    }

    private static void WaitFor(Func<bool> condition, EventLog log, string what)
    {
        SpinWait.SpinUntil(condition, Wait);
        Assert.True(condition(), $"{what} not within {Wait}: {string.Join(" | ", log.Sequences())}; failure {log.Failure}");
    }

    private (IReadOnlyDictionary<string, string> Seen, string Tail) RunOverKernel(ServiceProps service, KernelClient client)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        using var system = ActorSystem.Create("kernel-echo", config);
        var log = new EventLog();
        system.ActorOf(service(system.Tcp(), new IPEndPoint(IPAddress.Loopback, 0), log), "h");   // Akka.IO's own manager
        WaitFor(() => log.Bound is not null || log.Failure is not null, log, "Bound");
        Assert.Null(log.Failure);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        socket.Connect(log.Bound!);
        string tail = client(socket);
        WaitFor(() => log.Stopped == 1, log, "the connection handler's end");
        Assert.Null(log.Failure);
        system.Terminate().Wait(Wait);
        return (log.Sequences(), tail);
    }

    private (IReadOnlyDictionary<string, string> Seen, string Tail) RunOverTun(ServiceProps service, KernelClient client)
    {
        var stack = Sys.TcpActors().AddStack(Ns.CreateLink(), NamespaceFixture.StackAddress);
        var log = new EventLog();
        Sys.ActorOf(service(stack.AkkaIoManager, NamespaceFixture.StackEndPoint(Port), log), "h");
        WaitFor(() => log.Bound is not null || log.Failure is not null, log, "Bound");
        Assert.Null(log.Failure);
        Assert.Equal(NamespaceFixture.StackEndPoint(Port), log.Bound);
        using var socket = ConnectKernelClient(Port);   // made inside the namespace
        string tail = client(socket);
        WaitFor(() => log.Stopped == 1, log, "the connection handler's end");
        Assert.Null(log.Failure);
        return (log.Sequences(), tail);
    }

    private void Compare((IReadOnlyDictionary<string, string> Seen, string Tail) kernel, (IReadOnlyDictionary<string, string> Seen, string Tail) tun)
    {
        foreach (var (actor, seq) in kernel.Seen)
            Output.WriteLine($"Akka.IO over loopback  {actor}: {seq}");
        foreach (var (actor, seq) in tun.Seen)
            Output.WriteLine($"TcpActors over TUN     {actor}: {seq}");
        Assert.Equal(kernel.Seen.OrderBy(kv => kv.Key), tun.Seen.OrderBy(kv => kv.Key));
        Assert.Equal(kernel.Tail, tun.Tail);
    }

    [RootFact]
    public void The_Akka_IO_echo_handlers_see_the_same_message_sequence_over_TUN_as_over_Akka_IO_on_the_kernel()
    {
        var kernel = RunOverKernel(Echo, EchoLines);
        var tun = RunOverTun(Echo, EchoLines);
        Assert.Equal("Bound, Connected", kernel.Seen["service"]);
        Assert.Equal("Received, PeerClosed", kernel.Seen["connection"]);
        Assert.Equal("", kernel.Tail);
        Compare(kernel, tun);
    }

    [RootFact]
    public void Half_close_with_keepOpenOnPeerClosed_gives_the_same_sequence_over_TUN_as_over_Akka_IO_on_the_kernel()
    {
        var kernel = RunOverKernel(HalfClose, WriteThenFin);
        var tun = RunOverTun(HalfClose, WriteThenFin);
        Assert.Equal("goodbye", kernel.Tail);
        Compare(kernel, tun);
    }
}
