using System.Text;
using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Character generator (RFC 864, port 19): sends lines of 72 printable characters, each starting one
/// character further along the 95-character ring, until the peer closes. Each write waits for its ack.
/// </summary>
public sealed class ChargenService(IActorRef connection) : ServiceHandler(connection)
{
    public const ushort Port = 19;
    private const int LineLength = 74;   // 72 characters + CR LF
    private static readonly byte[] Block = MakeBlock();
    private int _line;
    private bool _stopped;

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new ChargenService(connection));

    /// <summary>All 95 lines of the cycle, back to back: any window of whole lines is a slice of this block repeated.</summary>
    private static byte[] MakeBlock()
    {
        var sb = new StringBuilder();
        for (int line = 0; line < 95; line++)
        {
            for (int i = 0; i < 72; i++)
                sb.Append((char)(' ' + (line + i) % 95));
            sb.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>The bytes chargen sends from line <paramref name="line"/> on (for tests).</summary>
    public static byte[] Expected(int byteCount)
    {
        var result = new byte[byteCount];
        for (int i = 0; i < byteCount; i += Block.Length)
            Block.AsSpan(0, Math.Min(Block.Length, byteCount - i)).CopyTo(result.AsSpan(i));
        return result;
    }

    protected override void PreStart()
    {
        base.PreStart();
        WriteNext();
    }

    private void WriteNext()
    {
        if (_stopped)
            return;
        // 64 lines per write (4,736 bytes), continuing the ring where the last write ended.
        const int lines = 64;
        var chunk = new byte[lines * LineLength];
        for (int i = 0; i < lines; i++)
            Block.AsSpan((_line + i) % 95 * LineLength, LineLength).CopyTo(chunk.AsSpan(i * LineLength));
        _line = (_line + lines) % 95;
        Connection.Tell(new Write(chunk, Ack.Instance));
    }

    protected override bool Handle(object message)
    {
        switch (message)
        {
            case Ack:
                WriteNext();
                return true;
            case PeerClosed:
                _stopped = true;
                Connection.Tell(Close.Instance);
                return true;
            default:
                return false;
        }
    }
}
