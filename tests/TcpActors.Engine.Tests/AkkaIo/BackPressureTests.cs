using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Engine.Tests.AkkaIo;

/// <summary>
/// Back-pressure through the Akka.IO layer: a reader that is slow (pull mode, or SuspendReading) closes the receive
/// window instead of making the stack buffer; a writer that does not wait for acks meets a bounded queue.
/// </summary>
public class BackPressureTests(ITestOutputHelper output) : AkkaIoTestKit("tcp-actors.akka-io.write-commands-queue-max-size = 4")
{
    private const int Port = 5001;

    /// <summary>What the slow reader saw.</summary>
    public sealed class ReaderState
    {
        public readonly IncrementalHash Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public long Bytes;
        public IActorRef? Connection;
        public bool Done;
        public readonly List<string> Events = new();
    }

    /// <summary>
    /// An Akka.IO service that reads slowly. Pull mode: Bind(pullMode: true), ResumeAccepting(1), nothing read for the
    /// first <c>stall</c>, then one ResumeReading <c>pace</c> after each Received. Push mode: SuspendReading at once,
    /// ResumeReading after the stall, then SuspendReading / ResumeReading around each Received.
    /// </summary>
    private sealed class SlowReader : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        private sealed class Go
        {
            public static readonly Go Instance = new();
        }

        public SlowReader(IActorRef tcp, EndPoint endpoint, bool pull, TimeSpan stall, TimeSpan pace, ReaderState state)
        {
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
                state.Connection = Sender;
                // Kept open on PeerClosed: the reader's own SuspendReading/ResumeReading may still be on their way,
                // so the connection lives until the reader closes it.
                Sender.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true));
                if (!pull)
                    Sender.Tell(Tcp.SuspendReading.Instance);
                Timers.StartSingleTimer(Go.Instance, Go.Instance, stall);
            });
            Receive<Go>(_ => state.Connection!.Tell(Tcp.ResumeReading.Instance));
            Receive<Tcp.Received>(r =>
            {
                state.Bytes += r.Data.Count;
                state.Hash.AppendData(r.Data.ToArray());
                if (!pull)
                    state.Connection!.Tell(Tcp.SuspendReading.Instance);
                Timers.StartSingleTimer(Go.Instance, Go.Instance, pace);
            });
            Receive<Tcp.ConnectionClosed>(c =>
            {
                state.Events.Add(c.GetType().Name);
                if (c.IsPeerClosed)
                {
                    Timers.CancelAll();
                    state.Connection!.Tell(Tcp.Close.Instance);
                }
                else
                {
                    state.Done = true;
                }
            });
        }
    }

    /// <summary>An Akka.IO writer: connects, writes <c>total</c> seeded bytes in chunks, each after the last one's ack, then closes.</summary>
    private sealed class Writer : ReceiveActor
    {
        private sealed class Ack : Tcp.Event
        {
            public static readonly Ack Instance = new();
        }

        public Writer(IActorRef tcp, EndPoint remote, long total, int chunk, int seed, List<string> events)
        {
            var stream = new SeededStream(seed);
            long sent = 0;
            IActorRef? connection = null;
            void Next()
            {
                if (sent == total)
                {
                    connection!.Tell(Tcp.Close.Instance);
                    return;
                }
                var data = new byte[(int)Math.Min(chunk, total - sent)];
                stream.Fill(data);
                sent += data.Length;
                connection!.Tell(Tcp.Write.Create(ByteString.FromBytes(data), Ack.Instance));
            }
            tcp.Tell(new Tcp.Connect(remote));
            Receive<Tcp.Connected>(_ =>
            {
                connection = Sender;
                Sender.Tell(new Tcp.Register(Self));
                Next();
            });
            Receive<Ack>(_ => Next());
            Receive<Tcp.Event>(e => events.Add(e.GetType().Name));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_slow_reader_closes_the_window_holds_no_more_than_a_window_and_gets_every_byte_in_order(bool pullMode)
    {
        const int total = 1_000_000;
        var state = new ReaderState();
        var writerEvents = new List<string>();
        var endpoint = new IPEndPoint(ServerAddress.ToIPAddress(), Port);
        Start(Props.Create(() => new SlowReader(Server.AkkaIoManager, endpoint, pullMode,
            TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2), state)), "h");
        Start(Props.Create(() => new Writer(Client.AkkaIoManager, endpoint, total, 32768, 7, writerEvents)), "c");

        int maxUndelivered = 0;
        bool windowClosed = false, reopened = false;
        uint minWindow = uint.MaxValue;
        RunUntil(() =>
        {
            if (state.Connection is { } c && !state.Done)
            {
                c.Tell(GetStatus.Instance, TestActor);
                var s = ExpectMsg<ConnectionStatus>(TimeSpan.FromSeconds(5));
                maxUndelivered = Math.Max(maxUndelivered, s.Undelivered);
                minWindow = Math.Min(minWindow, s.RcvWnd);
                windowClosed |= s.RcvWnd == 0;
                reopened |= windowClosed && s.RcvWnd > 0;
                Assert.Equal(s.RcvWnd, (uint)(65535 - s.Undelivered));   // every undelivered byte came off the window
            }
            return state.Done;
        }, TimeSpan.FromMinutes(5));

        output.WriteLine($"pull {pullMode}: {Elapsed} virtual; max undelivered {maxUndelivered}; min window {minWindow}; " +
                         $"zero-window probes {Client.Counters[TcpCounter.ZeroWindowProbes]}; writer {string.Join(", ", writerEvents)}; reader {string.Join(", ", state.Events)}");
        Assert.Equal(total, state.Bytes);
        Assert.Equal(SeededStream.Hash(7, total), state.Hash.GetCurrentHash());
        Assert.InRange(maxUndelivered, 1, 65535);
        Assert.True(windowClosed, "the advertised window never reached 0");
        Assert.True(reopened, "the window did not reopen");
        Assert.True(Client.Counters[TcpCounter.ZeroWindowProbes] > 0, "the writer never probed a zero window");
        Assert.Equal(["Closed"], writerEvents);
        Assert.Equal(["Bound", "Connected", "PeerClosed", "Closed"], state.Events);
        Run(TimeSpan.FromSeconds(61));
        AssertNoDeadLetters();
    }

    [Fact]
    public void Writes_beyond_the_bounded_queue_get_CommandFailed_with_the_cause_and_the_accepted_ones_are_acked_in_order()
    {
        var server = CreateTestProbe();
        Server.AkkaIoManager.Tell(new Tcp.Bind(server.Ref, new IPEndPoint(ServerAddress.ToIPAddress(), Port)), server.Ref);
        server.ExpectMsg<Tcp.Bound>();
        Client.AkkaIoManager.Tell(new Tcp.Connect(new IPEndPoint(ServerAddress.ToIPAddress(), Port)), TestActor);
        RunUntil(() => HasMessages, TimeSpan.FromSeconds(1));
        ExpectMsg<Tcp.Connected>();
        var connection = LastSender;
        connection.Tell(new Tcp.Register(TestActor));
        RunUntil(() => server.HasMessages, TimeSpan.FromSeconds(1));
        server.ExpectMsg<Tcp.Connected>();
        server.LastSender.Tell(new Tcp.Register(server.Ref), server.Ref);

        // The send buffer (256 KiB) takes the first 256 KiB at once; one write of 64 KiB waits in the stack and four
        // more in the queue (write-commands-queue-max-size = 4); the next two are refused.
        var chunk = ByteString.FromBytes(new byte[65536]);
        for (int i = 0; i < 11; i++)
            connection.Tell(Tcp.Write.Create(chunk, new Tcp.NoAck(i)), TestActor);   // NoAck(token): no ack wanted
        for (int i = 0; i < 2; i++)
        {
            var failed = ExpectMsg<Tcp.CommandFailed>();
            Assert.Contains("write queue full", failed.CauseString);
            Assert.Contains("write-commands-queue-max-size = 4", failed.CauseString);
        }
        ExpectNoMsg(TimeSpan.Zero);

        // An acked write queued behind them is acked once the reader has taken enough.
        connection.Tell(Tcp.Write.Create(ByteString.FromString("x"), new Ack(1)), TestActor);
        var failedAgain = ExpectMsg<Tcp.CommandFailed>();   // still full
        Assert.IsType<Tcp.Write>(failedAgain.Cmd);
        long received = 0;
        RunUntil(() =>
        {
            while (server.HasMessages)
                received += server.ExpectMsg<Tcp.Received>().Data.Count;
            return received == 9 * 65536;
        }, TimeSpan.FromSeconds(30));
        connection.Tell(Tcp.Write.Create(ByteString.FromString("y"), new Ack(2)), TestActor);
        Assert.Equal(2, ExpectMsg<Ack>().N);
        Assert.Equal(connection, LastSender);   // acks come from the connection, like Akka.IO's
        Run(TimeSpan.FromSeconds(1));
        AssertNoDeadLetters();
    }

    private sealed class Ack(int n) : Tcp.Event
    {
        public int N { get; } = n;
    }
}
