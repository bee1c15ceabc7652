using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.AkkaIo;

/// <summary>
/// One Akka.IO echo service and client, unchanged, against (a) Akka.IO over the kernel's loopback and (b) TcpActors
/// over the memory wire: every actor sees the same message types in the same order.
/// </summary>
public class EchoEquivalenceTests(ITestOutputHelper output) : AkkaIoTestKit
{
    private static readonly string[] Lines = ["hello", "echo me", new string('x', 3000), "bye"];

    private delegate Props ServiceProps(IActorRef tcp, EndPoint endpoint, EventLog log);
    private delegate Props ClientProps(IActorRef tcp, EndPoint remote, EventLog log);

    private static readonly ServiceProps Echo = (tcp, ep, log) => Props.Create(() => new EchoService(tcp, ep, log));
    private static readonly ClientProps EchoLines = (tcp, ep, log) => Props.Create(() => new EchoClient(tcp, ep, Lines, log));
    private static readonly ServiceProps HalfClose = (tcp, ep, log) => Props.Create(() => new HalfCloseService(tcp, ep, log));
    private static readonly ClientProps Aborting = (tcp, ep, log) => Props.Create(() => new AbortingClient(tcp, ep, log));
    private static readonly ClientProps HalfCloseThenConfirm = (tcp, ep, log) => Props.Create(() => new HalfCloseClient(tcp, ep, log));

    private IReadOnlyDictionary<string, string> RunOverKernel() => RunOverKernel(Echo, EchoLines);

    private IReadOnlyDictionary<string, string> RunOverKernel(ServiceProps service, ClientProps client)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        using var system = ActorSystem.Create("kernel-echo", config);
        var log = new EventLog();
        var tcp = system.Tcp();   // Akka.IO's own manager
        system.ActorOf(service(tcp, new IPEndPoint(IPAddress.Loopback, 0), log), "h");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        SpinWait.SpinUntil(() => log.Bound is not null || log.Failure is not null, TimeSpan.FromSeconds(10));
        Assert.Null(log.Failure);
        Assert.NotNull(log.Bound);
        system.ActorOf(client(tcp, log.Bound!, log), "c");
        SpinWait.SpinUntil(() => log.Stopped >= 2, deadline - DateTime.UtcNow is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
        Assert.True(log.Stopped == 2, $"not done within 10 s: {string.Join(" | ", log.Sequences())}");
        Assert.Null(log.Failure);
        system.Terminate().Wait(TimeSpan.FromSeconds(10));
        return log.Sequences();
    }

    private IReadOnlyDictionary<string, string> RunOverTcpActors() => RunOverTcpActors(Echo, EchoLines);

    private IReadOnlyDictionary<string, string> RunOverTcpActors(ServiceProps service, ClientProps client)
    {
        var log = new EventLog();
        Start(service(Server.AkkaIoManager, new IPEndPoint(ServerAddress.ToIPAddress(), 7), log), "h");
        RunUntil(() => log.Bound is not null || log.Failure is not null, TimeSpan.FromSeconds(1));
        Assert.Null(log.Failure);
        Assert.Equal(new IPEndPoint(ServerAddress.ToIPAddress(), 7), log.Bound);
        Start(client(Client.AkkaIoManager, log.Bound!, log), "c");
        try
        {
            RunUntil(() => log.Stopped == 2, TimeSpan.FromMinutes(1));
        }
        finally
        {
            foreach (var (actor, seq) in log.Sequences())
                output.WriteLine($"so far {actor}: {seq}");
            output.WriteLine($"failure {log.Failure}; dead letters: {string.Join("; ", DeadLetters.Select(d => $"{d.Message} to {d.Recipient}"))}");
        }
        Assert.Null(log.Failure);
        Run(TimeSpan.FromSeconds(61));   // both connections finish (TIME-WAIT is 60 s): nothing may reach a stopped adapter
        AssertNoDeadLetters();
        return log.Sequences();
    }

    [Fact]
    public void The_same_Akka_IO_echo_handlers_see_the_same_message_sequences_over_the_kernel_and_over_TcpActors()
    {
        var kernel = RunOverKernel();
        var ours = RunOverTcpActors();
        foreach (var (actor, seq) in kernel)
            output.WriteLine($"kernel   {actor}: {seq}");
        foreach (var (actor, seq) in ours)
            output.WriteLine($"tcpactors {actor}: {seq}");
        Assert.Equal("Bound, Connected", kernel["service"]);
        Assert.Equal("Connected, Received, Closed", kernel["client"]);
        Assert.Equal("Ack, Ack, Ack, Ack", kernel["client acks"]);
        Assert.Equal("Received, PeerClosed", kernel["connection"]);
        Assert.Equal(kernel.OrderBy(kv => kv.Key), ours.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Half_close_with_keepOpenOnPeerClosed_and_ConfirmedClose_gives_the_same_sequences_over_the_kernel_and_over_TcpActors()
    {
        var kernel = RunOverKernel(HalfClose, HalfCloseThenConfirm);
        var ours = RunOverTcpActors(HalfClose, HalfCloseThenConfirm);
        foreach (var (actor, seq) in kernel)
            output.WriteLine($"kernel   {actor}: {seq}");
        foreach (var (actor, seq) in ours)
            output.WriteLine($"tcpactors {actor}: {seq}");
        Assert.Equal(kernel.OrderBy(kv => kv.Key), ours.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Abort_gives_the_same_sequences_over_the_kernel_and_over_TcpActors()
    {
        var kernel = RunOverKernel(HalfClose, Aborting);
        var ours = RunOverTcpActors(HalfClose, Aborting);
        foreach (var (actor, seq) in kernel)
            output.WriteLine($"kernel   {actor}: {seq}");
        foreach (var (actor, seq) in ours)
            output.WriteLine($"tcpactors {actor}: {seq}");
        Assert.Equal("Connected, Ack, Aborted, Terminated", kernel["client"]);
        Assert.Equal(kernel.OrderBy(kv => kv.Key), ours.OrderBy(kv => kv.Key));
    }
}
