using System.Diagnostics;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// A link decorator that drops the first inbound SYN (without ACK) and lets everything else through; it notes
/// when each inbound SYN arrived (Stopwatch ticks), so a test can see the peer's retransmission timer.
/// </summary>
public sealed class DropFirstSynLink(ILink inner) : ILink
{
    private readonly List<long> _synArrivals = new();
    private int _dropped;

    public int Mtu => inner.Mtu;

    /// <summary>Stopwatch timestamps of the inbound SYNs, the dropped one first.</summary>
    public IReadOnlyList<long> SynArrivals
    {
        get
        {
            lock (_synArrivals)
                return _synArrivals.ToArray();
        }
    }

    public int Dropped => Volatile.Read(ref _dropped);

    public void Send(ReadOnlySpan<byte> packet) => inner.Send(packet);

    public void Start(ILinkReceiver receiver) => inner.Start(new Filter(this, receiver));

    public void Dispose() => inner.Dispose();

    private static bool IsSyn(ReadOnlySpan<byte> packet) =>
        Ipv4Packet.TryParse(packet, out var ip) == DropReason.None && ip.Protocol == IpProtocol.Tcp
        && TcpSegment.TryParse(packet, ip, out var tcp) == DropReason.None && tcp.Syn && !tcp.Ack;

    private sealed class Filter(DropFirstSynLink link, ILinkReceiver target) : ILinkReceiver
    {
        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            if (IsSyn(packet))
            {
                lock (link._synArrivals)
                    link._synArrivals.Add(Stopwatch.GetTimestamp());
                if (Interlocked.CompareExchange(ref link._dropped, 1, 0) == 0)
                    return;
            }
            target.OnPacket(packet);
        }

        public void OnLinkFailed(Exception cause) => target.OnLinkFailed(cause);
    }
}
