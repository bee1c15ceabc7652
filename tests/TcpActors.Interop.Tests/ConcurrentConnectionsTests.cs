using System.Diagnostics;
using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Host.Services;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>Many kernel clients at once against the host's echo service on the stack.</summary>
[Collection(HeavyCollection.Name)]
public class ConcurrentConnectionsTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const int Connections = 1000;
    private const int BytesEach = 64 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [RootFact]
    public void A_thousand_kernel_clients_at_once_each_get_64_KB_echoed_byte_exact_by_the_echo_service()
    {
        var stack = StartStack();
        var binder = CreateTestProbe();
        BuiltInServices.Bind(Sys, stack, TimeProvider.System, binder, only: ["echo"]);
        binder.ExpectMsg<Bound>(Wait);

        var sockets = Ns.CreateSockets(Connections, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Bound);
        var connectTimes = new double[Connections];
        var clock = Stopwatch.StartNew();
        var clients = sockets.Select((s, i) => Task.Run(() => EchoOnce(s, i, connectTimes, cts.Token))).ToArray();
        bool finished = Task.WaitAll(clients, Bound + TimeSpan.FromSeconds(5));
        var elapsed = clock.Elapsed;

        var failures = clients.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException().Message).ToList();
        int done = clients.Count(t => t.IsCompletedSuccessfully);
        Output.WriteLine($"{done} of {Connections} clients done in {elapsed.TotalSeconds:0.00} s; " +
                         $"connect() median {Median(connectTimes):0} ms, max {connectTimes.Max():0} ms");
        Report($"{Connections} x 64 KB echoed (both directions counted)", 2L * Connections * BytesEach, elapsed);
        Output.WriteLine(Counters(stack));
        Assert.True(finished, $"only {done} of {Connections} clients finished within {Bound.TotalSeconds:0} s");
        Assert.True(failures.Count == 0, $"{failures.Count} clients failed, e.g. {failures.FirstOrDefault()}");
        Assert.Equal(Connections, stack.Counters[TcpCounter.PassiveOpens]);
        // Every connection closes on both sides (the echo service closes after the client's FIN and its echo).
        AwaitCondition(() => stack.Counters[TcpCounter.CurrEstab] == 0, Wait);
    }

    private static async Task EchoOnce(Socket socket, int index, double[] connectTimes, CancellationToken ct)
    {
        var sent = new byte[BytesEach];
        new Random(index).NextBytes(sent);
        var started = Stopwatch.GetTimestamp();
        await socket.ConnectAsync(NamespaceFixture.StackEndPoint(EchoService.Port), ct);
        connectTimes[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var send = Task.Run(async () =>
        {
            for (int off = 0; off < sent.Length;)
                off += await socket.SendAsync(sent.AsMemory(off), SocketFlags.None, ct);
            socket.Shutdown(SocketShutdown.Send);
        }, ct);
        var echoed = new byte[BytesEach + 1];
        int got = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(echoed.AsMemory(got), SocketFlags.None, ct);
            if (n == 0)
                break;
            got += n;
            if (got > BytesEach)
                throw new InvalidOperationException($"client {index}: more bytes echoed than sent");
        }
        await send;
        if (got != BytesEach || !sent.AsSpan().SequenceEqual(echoed.AsSpan(0, got)))
            throw new InvalidOperationException($"client {index}: {got} of {BytesEach} bytes echoed, or they differ");
        socket.Dispose();
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
