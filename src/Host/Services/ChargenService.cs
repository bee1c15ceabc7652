using System.Text;
using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Character generator (RFC 864, port 19): sends lines of 72 printable characters, each starting one
/// character further along the 95-character ring, until the peer closes. Every write is one static message: a slice
/// of one static block that holds the ring nine times over (nothing is allocated per write). A write of 63 KB that does not fit
/// waits inside the connection, which moves it into the send buffer as ACKs free space and acks it when it is all
/// in: so the buffer stays full without a round trip through this actor per block.
/// </summary>
public sealed class ChargenService(IActorRef connection) : ServiceHandler(connection)
{
    public const ushort Port = 19;
    private const int LineLength = 74;   // 72 characters + CR LF
    private const int CycleLength = 95 * LineLength;
    /// <summary>Bytes per write: 855 lines (9 cycles, 63,270 bytes), so every write starts where the last ended.</summary>
    private const int WriteLength = 9 * CycleLength;
    private static readonly byte[] Block = MakeBlock(cycles: 9);
    /// <summary>
    /// The one write every chargen connection sends, again and again: a connection holds it until it is all in the send
    /// buffer and acks it before the next is told, and nothing in it changes, so one message serves all.
    /// </summary>
    private static readonly Write NextBlock = new(new ReadOnlyMemory<byte>(Block, 0, WriteLength), Ack.Instance);
    private bool _stopped;

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new ChargenService(connection));

    /// <summary>The 95 lines of the cycle, back to back, <paramref name="cycles"/> times.</summary>
    private static byte[] MakeBlock(int cycles)
    {
        var sb = new StringBuilder();
        for (int c = 0; c < cycles; c++)
        {
            for (int line = 0; line < 95; line++)
            {
                for (int i = 0; i < 72; i++)
                    sb.Append((char)(' ' + (line + i) % 95));
                sb.Append("\r\n");
            }
        }
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>The first <paramref name="byteCount"/> bytes chargen sends (for tests).</summary>
    public static byte[] Expected(int byteCount)
    {
        var result = new byte[byteCount];
        for (int i = 0; i < byteCount; i += CycleLength)
            Block.AsSpan(0, Math.Min(CycleLength, byteCount - i)).CopyTo(result.AsSpan(i));
        return result;
    }

    protected override void PreStart()
    {
        base.PreStart();
        WriteNext();
    }

    /// <summary>One write of whole cycles: the next write continues the ring exactly where this one ends.</summary>
    private void WriteNext()
    {
        if (_stopped)
            return;
        Connection.Tell(NextBlock);
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
