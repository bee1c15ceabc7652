using System.Collections.Concurrent;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Support;

/// <summary>
/// A link whose far side is a crowd of minimal TCP clients that only open connections: <see cref="Open"/> sends
/// SYNs from distinct (address, port) pairs in 198.18.0.0/15, and every SYN-ACK the stack sends is answered with
/// the ACK that completes the handshake when <see cref="Answer"/> is called. Nothing else is kept per connection,
/// so the memory the stack holds for N idle established connections can be measured on its side alone.
/// </summary>
public sealed class HandshakingPeersLink(int mtu = 1500) : ILink
{
    public const uint PeerIss = 1000;
    private static readonly Ipv4Address FirstPeer = Ipv4Address.Parse("198.18.1.0");
    private ILinkReceiver? _receiver;
    private readonly ConcurrentQueue<(Ipv4Address Peer, ushort PeerPort, ushort Port, uint Ack)> _acks = new();
    private int _opened;

    public int Mtu => mtu;
    public Ipv4Address StackAddress { get; init; } = Ipv4Address.Parse("198.18.0.2");

    /// <summary>SYN-ACKs seen, and other segments the stack sent (there should be none on idle connections).</summary>
    public int SynAcks, Others;

    public void Start(ILinkReceiver receiver) => _receiver = receiver;

    /// <summary>Sends SYNs for <paramref name="count"/> new connections to <paramref name="port"/>.</summary>
    public void Open(int count, ushort port)
    {
        for (int i = 0; i < count; i++)
        {
            int n = _opened++;
            // 50,000 ports per address: 1024..51023, then the next address.
            var peer = new Ipv4Address(FirstPeer.Value + (uint)(n / 50_000));
            Inject(peer, (ushort)(1024 + n % 50_000), port, TcpFlags.Syn, PeerIss, 0, mss: 1460);
        }
    }

    /// <summary>Sends one segment from the peer of <paramref name="tuple"/> (the stack's side of it).</summary>
    public void Send(FourTuple tuple, TcpFlags flags, uint seq, uint ack, byte[]? data = null) =>
        Inject(tuple.RemoteAddress, tuple.RemotePort, tuple.LocalPort, flags, seq, ack, data: data);

    /// <summary>Data octets the stack sent, over all connections.</summary>
    public long DataBytesSent => Interlocked.Read(ref _dataBytesSent);
    private long _dataBytesSent;

    /// <summary>Completes the handshakes of the SYN-ACKs sent so far; returns how many.</summary>
    public int Answer()
    {
        int n = 0;
        while (_acks.TryDequeue(out var a))
        {
            Inject(a.Peer, a.PeerPort, a.Port, TcpFlags.Ack, PeerIss + 1, a.Ack);
            n++;
        }
        return n;
    }

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (Ipv4Packet.TryParse(packet, out var ip) != DropReason.None || TcpSegment.TryParse(packet, ip, out var tcp) != DropReason.None)
        {
            Interlocked.Increment(ref Others);
            return;
        }
        if (tcp.Flags == (TcpFlags.Syn | TcpFlags.Ack))
        {
            Interlocked.Increment(ref SynAcks);
            _acks.Enqueue((ip.Destination, tcp.DestinationPort, tcp.SourcePort, tcp.Sequence.Value + 1));
        }
        else
        {
            Interlocked.Increment(ref Others);
            Interlocked.Add(ref _dataBytesSent, tcp.PayloadLength);
        }
    }

    private void Inject(Ipv4Address peer, ushort peerPort, ushort port, TcpFlags flags, uint seq, uint ack, ushort? mss = null, byte[]? data = null)
    {
        var tcp = new TcpSegment
        {
            SourcePort = peerPort,
            DestinationPort = port,
            Sequence = seq,
            Acknowledgment = ack,
            Flags = flags,
            Window = 65535,
        };
        if (mss is not null)
        {
            tcp.Options.Mss = mss;   // a SYN offers what Linux offers, but timestamps
            tcp.Options.SackPermitted = true;
            tcp.Options.WindowScale = 7;
        }
        Span<byte> buffer = stackalloc byte[80 + (data?.Length ?? 0)];
        int length = tcp.WritePacket(buffer, peer, StackAddress, data ?? []);
        (_receiver ?? throw new InvalidOperationException("the link has not been started")).OnPacket(buffer[..length]);
    }

    public void Dispose() => _receiver = null;
}
