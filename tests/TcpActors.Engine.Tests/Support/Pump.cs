using System.Security.Cryptography;
using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Engine.Tests.Support;

/// <summary>What a <see cref="Pump"/> saw, read by the test.</summary>
public sealed class TransferLog
{
    public long BytesSent;
    public long BytesReceived;
    public bool PeerClosed;
    public bool Closed;
    public bool Terminated;
    public string? Error;
    public IActorRef? Connection;
    public readonly IncrementalHash Received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public readonly List<object> Events = new();

    public byte[] ReceivedHash() => Received.GetCurrentHash();
}

/// <summary>
/// An application handler for tests: on Connected it registers (keeping CLOSE-WAIT open for half-close),
/// writes <c>total</c> bytes of a seeded stream in chunks (each write waits for its ack), then closes, and
/// hashes everything it receives. It runs on the calling-thread dispatcher, like the stack under test.
/// </summary>
public sealed class Pump : UntypedActor
{
    private readonly TransferLog _log;
    private readonly long _total;
    private readonly int _chunk;
    private readonly SeededStream _stream;
    private readonly bool _closeWhenDone;
    private IActorRef? _connection;

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    public Pump(TransferLog log, long total, int seed, int chunk, bool closeWhenDone)
    {
        _log = log;
        _total = total;
        _chunk = chunk;
        _stream = new SeededStream(seed);
        _closeWhenDone = closeWhenDone;
    }

    public static Props Props(TransferLog log, long total, int seed, int chunk = 65536, bool closeWhenDone = true) =>
        Akka.Actor.Props.Create(() => new Pump(log, total, seed, chunk, closeWhenDone)).WithDispatcher("akka.test.calling-thread-dispatcher");

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Connected:
                _connection = Sender;
                _log.Connection = Sender;
                Context.Watch(Sender);
                Sender.Tell(new Register(Self, KeepOpenOnPeerClosed: true));
                WriteNext();
                break;
            case Ack:
                WriteNext();
                break;
            case Received r:
                _log.BytesReceived += r.Data.Length;
                _log.Received.AppendData(r.Data.Span);
                break;
            case PeerClosed:
                _log.PeerClosed = true;
                _log.Events.Add(message);
                break;
            case Closed or ConfirmedClosed:
                _log.Closed = true;
                _log.Events.Add(message);
                break;
            case ErrorClosed e:
                _log.Error = e.Cause;
                _log.Events.Add(message);
                break;
            case CommandFailed f:
                _log.Error = $"{f.Command.GetType().Name} failed: {f.Cause.Message}";
                _log.Events.Add(message);
                break;
            case Terminated:
                _log.Terminated = true;
                break;
            default:
                _log.Events.Add(message);
                break;
        }
    }

    private void WriteNext()
    {
        long left = _total - _log.BytesSent;
        if (left <= 0)
        {
            if (_closeWhenDone)
                _connection!.Tell(ConfirmedClose.Instance);   // half-close: go on receiving until the peer closes
            return;
        }
        var data = new byte[(int)Math.Min(left, _chunk)];
        _stream.Fill(data);
        _log.BytesSent += data.Length;
        _connection!.Tell(new Write(data, Ack.Instance));
    }
}

/// <summary>A deterministic byte stream (xorshift) so both ends know what must arrive.</summary>
public sealed class SeededStream(int seed)
{
    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;

    public void Fill(Span<byte> dest)
    {
        for (int i = 0; i < dest.Length; i++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            dest[i] = (byte)_state;
        }
    }

    public static byte[] Hash(int seed, long length)
    {
        var s = new SeededStream(seed);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[65536];
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(buf.Length, length - done);
            s.Fill(buf.AsSpan(0, n));
            h.AppendData(buf, 0, n);
            done += n;
        }
        return h.GetCurrentHash();
    }
}
