using System.Security.Cryptography;
using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// A stack-side application for transfers: registers with its connection (keeping it open after the peer's FIN),
/// hashes every byte it receives, and on <see cref="SendBytes"/> writes a seeded pseudo-random stream in 64 KB
/// writes (each waiting for its ack), hashing what it sent. Close, ConfirmedClose and Abort from the test are
/// passed to the connection; every other event goes to the reporter.
/// </summary>
public sealed class StreamApp : ReceiveActor
{
    public const int ChunkSize = 64 * 1024;

    /// <summary>Write <paramref name="Count"/> bytes of the stream of <paramref name="Seed"/>, then send <paramref name="Then"/> (Close or ConfirmedClose) if given.</summary>
    public sealed record SendBytes(long Count, int Seed, ITcpCommand? Then = null);

    /// <summary>To the reporter: everything was accepted by the connection (in its send buffer).</summary>
    public sealed record SendDone(long Count, byte[] Sha256);

    /// <summary>Asks for <see cref="ReceivedSoFar"/>.</summary>
    public sealed class GetReceived
    {
        public static readonly GetReceived Instance = new();
    }

    public sealed record ReceivedSoFar(long Count, byte[] Sha256);

    /// <summary>To the reporter: the app was registered with its connection.</summary>
    public sealed record Registered(Connected Connected);

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    private readonly IActorRef _reporter;
    private readonly IncrementalHash _received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _chunk = new byte[ChunkSize];
    private IActorRef? _connection;
    private long _receivedCount;
    private SendBytes? _sending;
    private Random? _pattern;
    private long _sentCount;

    public StreamApp(IActorRef reporter)
    {
        _reporter = reporter;
        Receive<Connected>(c =>
        {
            _connection = Sender;
            Sender.Tell(new Register(Self, KeepOpenOnPeerClosed: true));
            _reporter.Tell(new Registered(c));
        });
        Receive<Received>(r =>
        {
            _received.AppendData(r.Data.Span);
            _receivedCount += r.Data.Length;
        });
        Receive<SendBytes>(s =>
        {
            _sending = s;
            _pattern = new Random(s.Seed);
            _sentCount = 0;
            WriteNext();
        });
        Receive<Ack>(_ => WriteNext());
        Receive<GetReceived>(_ => Sender.Tell(new ReceivedSoFar(_receivedCount, _received.GetCurrentHash())));
        Receive<ITcpCommand>(c => _connection!.Tell(c, Self));
        Receive<ITcpEvent>(e => _reporter.Tell(e));
    }

    private void WriteNext()
    {
        var s = _sending!;
        if (_sentCount >= s.Count)
        {
            _sending = null;
            _reporter.Tell(new SendDone(_sentCount, _sent.GetHashAndReset()));
            if (s.Then is { } then)
                _connection!.Tell(then, Self);
            return;
        }
        int n = (int)Math.Min(ChunkSize, s.Count - _sentCount);
        // One buffer suffices: the connection has copied a write into its send buffer before it acks it.
        _pattern!.NextBytes(_chunk.AsSpan(0, n));
        _sent.AppendData(_chunk.AsSpan(0, n));
        _sentCount += n;
        _connection!.Tell(new Write(_chunk.AsMemory(0, n), Ack.Instance), Self);
    }

    protected override void PostStop()
    {
        _received.Dispose();
        _sent.Dispose();
    }

    public static Props Props(IActorRef reporter) => Akka.Actor.Props.Create(() => new StreamApp(reporter));
}
