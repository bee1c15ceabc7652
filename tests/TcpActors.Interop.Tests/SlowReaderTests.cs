using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// A slow Akka.IO reader on TcpActors over TUN while a kernel socket in the namespace sends 100 MB as fast as it can:
/// the reader stalls now and then (pull mode: no ResumeReading; push mode: SuspendReading), so the stack holds
/// undelivered bytes only up to the receive window, advertises a zero window and opens it again; the process's
/// managed memory does not grow with the transfer; every byte arrives (SHA-256).
/// </summary>
[Collection(HeavyCollection.Name)]
public class SlowReaderTests(ITestOutputHelper output) : InteropTestKit(output)
{
    private const ushort Port = 5002;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>TCPA_SLOW_READER_MB overrides the size (in MB) for measurements.</summary>
    private static long Size =>
        (long.TryParse(Environment.GetEnvironmentVariable("TCPA_SLOW_READER_MB"), out long mb) ? mb : 100) * 1_000_000;

    private sealed class ReaderState
    {
        public readonly IncrementalHash Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public long Bytes;
        public volatile IActorRef? Connection;
        public volatile bool Done;
        public volatile bool PeerClosed;
        public int Received;
        public int Stalls;
        public readonly List<string> Events = new();
    }

    /// <summary>
    /// Reads in Akka.IO's style, stalling for <c>stall</c> at the start and after every <c>stallEvery</c> bytes. Pull
    /// mode: Bind(pullMode: true), ResumeAccepting(1), ResumeReading after each Received except when stalling (then
    /// after the stall). Push mode: SuspendReading at once and at each stall, ResumeReading after it.
    /// </summary>
    private sealed class SlowReader : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        private sealed class Go
        {
            public static readonly Go Instance = new();
        }

        public SlowReader(IActorRef tcp, EndPoint endpoint, bool pull, long stallEvery, TimeSpan stall, ReaderState state)
        {
            long nextStall = stallEvery;
            tcp.Tell(new Tcp.Bind(Self, endpoint, pullMode: pull));
            Receive<Tcp.Bound>(_ =>
            {
                state.Events.Add("Bound");
                if (pull)
                    Sender.Tell(new Tcp.ResumeAccepting(1));
            });
            Receive<Tcp.Connected>(_ =>
            {
                state.Events.Add("Connected");
                Sender.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true));
                if (!pull)
                    Sender.Tell(Tcp.SuspendReading.Instance);
                state.Connection = Sender;
                state.Stalls++;
                Timers.StartSingleTimer(Go.Instance, Go.Instance, stall);
            });
            Receive<Go>(_ => state.Connection!.Tell(Tcp.ResumeReading.Instance));
            Receive<Tcp.Received>(r =>
            {
                state.Hash.AppendData(r.Data.ToArray());
                long bytes = Interlocked.Add(ref state.Bytes, r.Data.Count);
                state.Received++;
                if (bytes >= nextStall)
                {
                    nextStall += stallEvery;
                    state.Stalls++;
                    if (!pull)
                        state.Connection!.Tell(Tcp.SuspendReading.Instance);
                    Timers.StartSingleTimer(Go.Instance, Go.Instance, stall);
                }
                else if (pull)
                {
                    state.Connection!.Tell(Tcp.ResumeReading.Instance);
                }
            });
            Receive<Tcp.ConnectionClosed>(c =>
            {
                state.Events.Add(c.GetType().Name);
                if (c.IsPeerClosed)
                {
                    state.PeerClosed = true;
                    Timers.CancelAll();
                    state.Connection!.Tell(Tcp.Close.Instance);
                }
                else
                {
                    state.Done = true;
                }
            });
            Receive<Tcp.CommandFailed>(f => state.Events.Add($"CommandFailed {f.Cmd}: {f.Cause}"));
        }
    }

    [RootFact]
    public void A_slow_reader_in_pull_mode_holds_at_most_a_window_while_the_kernel_sends_100_MB_and_gets_every_byte() => Run(pull: true);

    [RootFact]
    public void A_slow_reader_with_SuspendReading_holds_at_most_a_window_while_the_kernel_sends_100_MB_and_gets_every_byte() => Run(pull: false);

    private void Run(bool pull)
    {
        long size = Size;
        var stack = Sys.TcpActors().AddStack(Ns.CreateLink(), NamespaceFixture.StackAddress);
        int window = stack.Stack.Settings.ReceiveWindow;
        var state = new ReaderState();
        Sys.ActorOf(Props.Create(() => new SlowReader(stack.AkkaIoManager, NamespaceFixture.StackEndPoint(Port), pull,
            10_000_000, TimeSpan.FromMilliseconds(200), state)), "reader");
        SpinWait.SpinUntil(() => state.Events.Count > 0, Wait);
        Assert.Equal("Bound", state.Events.FirstOrDefault());

        var client = ConnectKernelClient(Port);
        client.SendTimeout = client.ReceiveTimeout = (int)Bound.TotalMilliseconds;
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var sender = KernelStream.OnThread("kernel-send", () =>
        {
            var sha = KernelStream.Send(client, size, seed: 3);
            client.Shutdown(SocketShutdown.Send);
            KernelStream.ReceiveToEnd(client);   // until the reader's FIN
            return sha;
        });

        // Watch the connection while the data flows: its undelivered bytes, its advertised window, the managed heap.
        int maxUndelivered = 0, polls = 0, zeroWindowPolls = 0, reopenings = 0;
        long bytesAtLastZeroWindow = -1;
        bool closed = false;
        long maxHeapGrowth = 0, nextHeapSample = 0;
        var probe = CreateTestProbe();
        while (!state.PeerClosed && clock.Elapsed < Bound)
        {
            if (state.Connection is not { } connection)
            {
                SpinWait.SpinUntil(() => state.Connection is not null || state.PeerClosed, TimeSpan.FromMilliseconds(100));
                continue;
            }
            connection.Tell(GetStatus.Instance, probe);
            ConnectionStatus s;
            try
            {
                s = probe.ExpectMsg<ConnectionStatus>(TimeSpan.FromSeconds(3));
            }
            catch (Exception) when (state.PeerClosed)
            {
                break;   // the connection ended while the status was asked for
            }
            polls++;
            maxUndelivered = Math.Max(maxUndelivered, s.Undelivered);
            if (s.RcvWnd == 0)
            {
                zeroWindowPolls++;
                closed = true;
                bytesAtLastZeroWindow = Interlocked.Read(ref state.Bytes);
            }
            else if (closed)
            {
                reopenings++;
                closed = false;
            }
            if (Interlocked.Read(ref state.Bytes) >= nextHeapSample)
            {
                nextHeapSample += size / 10;
                maxHeapGrowth = Math.Max(maxHeapGrowth, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
            SpinWait.SpinUntil(() => state.PeerClosed, TimeSpan.FromMilliseconds(2));   // the polling interval
        }
        byte[] sent = KernelStream.Await(sender, Bound - clock.Elapsed + TimeSpan.FromSeconds(5), "the kernel's send");
        var left = Bound + TimeSpan.FromSeconds(5) - clock.Elapsed;
        SpinWait.SpinUntil(() => state.Done, left > TimeSpan.Zero ? left : TimeSpan.Zero);
        var elapsed = clock.Elapsed;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true) - baseline;

        Report($"kernel -> slow Akka.IO reader ({(pull ? "pull mode" : "SuspendReading")}) over TUN", state.Bytes, elapsed);
        Output.WriteLine($"receive window {window}; max undelivered {maxUndelivered}; {polls} polls, {zeroWindowPolls} with a zero window, " +
                         $"{reopenings} reopenings; {state.Stalls} stalls, {state.Received} Received; managed heap growth max " +
                         $"{maxHeapGrowth / 1e6:0.0} MB (after {heapAfter / 1e6:0.0} MB); reader {string.Join(", ", state.Events)}");
        Output.WriteLine(Counters(stack.Stack));
        Assert.True(state.Done, $"not done within {Bound.TotalSeconds} s: {state.Bytes} of {size} bytes");
        Assert.Equal(size, state.Bytes);
        Assert.Equal(Convert.ToHexString(sent), Convert.ToHexString(state.Hash.GetCurrentHash()));
        Assert.InRange(maxUndelivered, 1, window);
        // The stack advertised a zero window (counted on every segment it sent, so no sampling can miss it), and the
        // window opened again: every byte arrived after that, which needs a window above zero.
        long zeroWindows = stack.Stack.Counters[TcpCounter.ZeroWindowsAdvertised];
        Assert.True(zeroWindows > 0, $"no segment advertised a zero window ({zeroWindowPolls} zero-window polls)");
        Assert.True(state.Bytes > bytesAtLastZeroWindow, $"no byte arrived after the window was last seen at 0 ({reopenings} reopenings sampled)");
        // Far less than the 100 MB that passed: what is held is bounded by the window, not by the transfer.
        Assert.True(maxHeapGrowth < 64_000_000, $"the managed heap grew by {maxHeapGrowth / 1e6:0.0} MB");
        Assert.Equal(["Bound", "Connected", "PeerClosed", "Closed"], state.Events);
    }
}
