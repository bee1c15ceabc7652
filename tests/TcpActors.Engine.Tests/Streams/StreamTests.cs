using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Streams;
using TcpActors.Engine.Wire;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.Streams;

/// <summary>
/// The Stream/pipe API (TcpActorsClient, TcpActorsListener, TcpActorsConnection) between two stacks over the in-memory
/// wire, in real time (async code and virtual time do not mix): a real-time actor system with the default scheduler,
/// and a wire with a small delay and, where said, loss, duplication and reordering.
/// </summary>
public sealed class StreamTests : IAsyncLifetime
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ITestOutputHelper _output;
    private readonly ActorSystem _system;

    public StreamTests(ITestOutputHelper output)
    {
        _output = output;
        _system = ActorSystem.Create("streams", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.log-dead-letters = on
            """));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _system.Terminate();

    private (TcpStack Client, TcpStack Server, MemoryWire Wire) Stacks(ImpairmentSettings? impairment = null)
    {
        var each = impairment ?? new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1));
        var wire = new MemoryWire(_system.Scheduler, 1500, each, each with { Seed = each.Seed + 1 });
        return (TcpStack.Start(_system, wire.A, ClientAddress), TcpStack.Start(_system, wire.B, ServerAddress), wire);
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var data = new byte[n];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The adapters give every packet buffer back (their Received messages are the stack's, recycled).</summary>
    private static async Task AssertEveryPacketBufferBack(params TcpStack[] stacks)
    {
        for (int i = 0; i < 500 && stacks.Any(s => s.Counters[TcpCounter.PacketBuffersInUse] != 0); i++)
            await Task.Delay(10);
        foreach (var s in stacks)
            Assert.Equal(0, s.Counters[TcpCounter.PacketBuffersInUse]);
    }

    private static async Task<byte[]> ReadToEnd(Stream stream, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await stream.CopyToAsync(ms, ct);
        return ms.ToArray();
    }

    [Fact]
    public async Task A_stream_round_trip_through_a_pipe_echo_survives_loss_duplication_and_reordering()
    {
        var (client, server, wire) = Stacks(new ImpairmentSettings(Loss: 0.02, Duplication: 0.01, Reordering: 0.05,
            ReorderDelay: TimeSpan.FromMilliseconds(3), Delay: TimeSpan.FromMilliseconds(1), Seed: 7));
        using var cts = new CancellationTokenSource(Wait);
        await using var listener = await TcpActorsListener.BindAsync(server, 7, cancellationToken: cts.Token);

        // The server echoes with the pipe API: input copied to output, then FIN after the peer's FIN.
        var echo = Task.Run(async () =>
        {
            await using var conn = await listener.AcceptAsync(cts.Token);
            await conn.Pipe.Input.CopyToAsync(conn.Pipe.Output, cts.Token);
            await conn.Pipe.Output.CompleteAsync();
            await conn.Pipe.Input.CompleteAsync();
        });

        var data = RandomBytes(512 * 1024, 1);
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 7, cancellationToken: cts.Token);
        Assert.Equal(ServerAddress.ToIPAddress(), c.RemoteEndPoint.Address);
        Assert.Equal(7, c.RemoteEndPoint.Port);
        var stream = c.Stream;
        var reading = ReadToEnd(stream, cts.Token);
        for (int i = 0; i < data.Length; i += 10_000)
            await stream.WriteAsync(data.AsMemory(i, Math.Min(10_000, data.Length - i)), cts.Token);
        await c.Pipe.Output.CompleteAsync();   // half-close: FIN; the echo still comes back
        var back = await reading;
        await echo;

        Assert.Equal(data.Length, back.Length);
        Assert.True(data.AsSpan().SequenceEqual(back), "the echoed bytes differ");
        _output.WriteLine($"a->b {wire.AToBCounters} | b->a {wire.BToACounters}");
        Assert.True(wire.AToBCounters.Lost > 0 || wire.BToACounters.Lost > 0, "the wire dropped nothing: the test tested no loss");
        await c.Completion.WaitAsync(cts.Token);
        await AssertEveryPacketBufferBack(client, server);
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_loses_nothing_the_next_read_gets_the_data()
    {
        var (client, server, _) = Stacks();
        using var cts = new CancellationTokenSource(Wait);
        await using var listener = await TcpActorsListener.BindAsync(server, 80, cancellationToken: cts.Token);
        var accepting = listener.AcceptAsync(cts.Token).AsTask();
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 80, cancellationToken: cts.Token);
        await using var s = await accepting;

        var buffer = new byte[100];
        using (var readCts = new CancellationTokenSource())
        {
            var read = c.Stream.ReadAsync(buffer, readCts.Token).AsTask();
            await Task.Delay(100, cts.Token);
            Assert.False(read.IsCompleted, "the read completed with nothing sent");
            readCts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        }

        await s.Stream.WriteAsync("hello"u8.ToArray(), cts.Token);
        int n = await c.Stream.ReadAsync(buffer, cts.Token);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, n));

        // A cancelled pipe read likewise.
        using (var readCts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.Pipe.Input.ReadAsync(readCts.Token));
        await s.Stream.WriteAsync("again"u8.ToArray(), cts.Token);
        var r = await c.Pipe.Input.ReadAtLeastAsync(5, cts.Token);
        Assert.Equal("again", Encoding.ASCII.GetString(r.Buffer.ToArray()));
        c.Pipe.Input.AdvanceTo(r.Buffer.End);
    }

    [Fact]
    public async Task A_reader_that_does_not_read_closes_the_window_the_writer_waits_and_every_byte_arrives()
    {
        var (client, server, _) = Stacks();
        using var cts = new CancellationTokenSource(Wait);
        var small = new TcpActorsStreamOptions
        {
            InputPauseThreshold = 32 * 1024,
            InputResumeThreshold = 16 * 1024,
            ConnectionOptions = new ConnectionOptions { ReceiveBufferSize = 64 * 1024 },
        };
        await using var listener = await TcpActorsListener.BindAsync(server, 9, options: small, cancellationToken: cts.Token);
        var accepting = listener.AcceptAsync(cts.Token).AsTask();
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 9, new TcpActorsStreamOptions
        {
            OutputPauseThreshold = 32 * 1024,
            OutputResumeThreshold = 16 * 1024,
            ConnectionOptions = new ConnectionOptions { SendBufferSize = 64 * 1024 },
        }, cts.Token);
        await using var s = await accepting;

        // Write until a write does not complete: the server's pipe, its window, our send buffer and our pipe are full.
        var data = RandomBytes(4 << 20, 2);
        int written = 0;
        Task? blocked = null;
        while (written < data.Length)
        {
            var w = c.Stream.WriteAsync(data.AsMemory(written, 4096), cts.Token).AsTask();
            if (await Task.WhenAny(w, Task.Delay(500, cts.Token)) != w)
            {
                blocked = w;
                written += 4096;
                break;
            }
            written += 4096;
        }
        Assert.NotNull(blocked);
        _output.WriteLine($"the writer waits after {written} bytes");
        // Bounded: server pipe 32K (+ what was on its way) + window 64K + send buffer 64K + client pipe 32K + one write each.
        Assert.InRange(written, 128 * 1024, 400 * 1024);
        var status = await s.GetStatusAsync(cts.Token);
        _output.WriteLine($"server: rcv_wnd={status.RcvWnd} undelivered={status.Undelivered} suspended={status.ReadingSuspended}");
        Assert.True(status.ReadingSuspended, "reading is not suspended at the stack");
        Assert.True(status.RcvWnd < 8 * 1024, $"the window did not close: {status.RcvWnd}");

        // Now read: the writer goes on, and everything arrives in order.
        var reading = ReadToEnd(s.Stream, cts.Token);
        await blocked!;
        while (written < data.Length)
        {
            int n = Math.Min(64 * 1024, data.Length - written);
            await c.Stream.WriteAsync(data.AsMemory(written, n), cts.Token);
            written += n;
        }
        await c.Pipe.Output.CompleteAsync();
        var got = await reading;
        Assert.Equal(data.Length, got.Length);
        Assert.True(data.AsSpan().SequenceEqual(got), "the bytes differ");
        await AssertEveryPacketBufferBack(client, server);   // also what waited in the adapter for its flush
    }

    [Fact]
    public async Task Abort_resets_the_peer_whose_read_fails_and_a_refused_connect_fails()
    {
        var (client, server, _) = Stacks();
        using var cts = new CancellationTokenSource(Wait);
        var refused = await Assert.ThrowsAsync<TcpActorsConnectionException>(() => TcpActorsClient.ConnectAsync(client, ServerAddress, 1234, cancellationToken: cts.Token));
        _output.WriteLine(refused.Message);

        await using var listener = await TcpActorsListener.BindAsync(server, 80, cancellationToken: cts.Token);
        await Assert.ThrowsAsync<TcpActorsConnectionException>(() => TcpActorsListener.BindAsync(server, 80, cancellationToken: cts.Token));
        var accepting = listener.AcceptAsync(cts.Token).AsTask();
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 80, cancellationToken: cts.Token);
        await using var s = await accepting;
        var read = s.Stream.ReadAsync(new byte[10], cts.Token).AsTask();
        c.Abort();
        var e = await Assert.ThrowsAsync<TcpActorsConnectionException>(() => read);
        _output.WriteLine(e.Message);
        Assert.True(s.ConnectionClosed.WaitHandle.WaitOne(Wait), "the reset connection did not report its end");
        await Assert.ThrowsAnyAsync<Exception>(() => c.Completion);
    }

    [Fact]
    public async Task Cancelling_a_connect_returns_at_once_and_a_disposed_listener_stops_accepting()
    {
        // Every packet from the client is lost: the SYN is retransmitted until the caller gives up.
        var (client, server, _) = Stacks(new ImpairmentSettings(Loss: 1.0));
        await using var listener = await TcpActorsListener.BindAsync(server, 80);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TcpActorsClient.ConnectAsync(client, ServerAddress, 80, cancellationToken: cts.Token));

        var accept = listener.AcceptAsync().AsTask();
        await listener.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => accept.WaitAsync(Wait));
        Assert.True(listener.Unbound.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Many_small_pipe_messages_both_ways_arrive_in_order()
    {
        var (client, server, _) = Stacks(new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(2), Reordering: 0.1,
            ReorderDelay: TimeSpan.FromMilliseconds(2), Seed: 3));
        using var cts = new CancellationTokenSource(Wait);
        await using var listener = await TcpActorsListener.BindAsync(server, 7, cancellationToken: cts.Token);
        var server1 = Task.Run(async () =>
        {
            await using var conn = await listener.AcceptAsync(cts.Token);
            // A line protocol: answer each line with its length.
            var input = conn.Pipe.Input;
            while (true)
            {
                var r = await input.ReadAsync(cts.Token);
                var buffer = r.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } eol)
                {
                    var line = buffer.Slice(0, eol);
                    await conn.Pipe.Output.WriteAsync(Encoding.ASCII.GetBytes($"{line.Length}\n"), cts.Token);
                    buffer = buffer.Slice(buffer.GetPosition(1, eol));
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (r.IsCompleted)
                    break;
            }
            await conn.Pipe.Output.CompleteAsync();
        });
        await using var c = await TcpActorsClient.ConnectAsync(client, ServerAddress, 7, cancellationToken: cts.Token);
        var reader = new StreamReader(c.Stream, Encoding.ASCII);
        var writer = new StreamWriter(c.Stream, Encoding.ASCII) { AutoFlush = true, NewLine = "\n" };
        for (int i = 0; i < 100; i++)
        {
            await writer.WriteLineAsync(new string('x', i));
            Assert.Equal(i.ToString(), await reader.ReadLineAsync(cts.Token));
        }
        await c.Pipe.Output.CompleteAsync();
        Assert.Null(await reader.ReadLineAsync(cts.Token));
        await server1;
    }
}
