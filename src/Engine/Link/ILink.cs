namespace TcpActors.Engine.Link;

/// <summary>
/// Where IPv4 packets leave and arrive: a TUN device, an in-memory wire between two stacks, or a test
/// probe. The I/O actor is bound to exactly one link.
/// </summary>
public interface ILink : IDisposable
{
    /// <summary>The largest IPv4 packet the link carries, in bytes.</summary>
    int Mtu { get; }

    /// <summary>
    /// Segmentation offload: the largest IPv4 packet <see cref="Send"/> takes, or 0 (the default) when the link
    /// carries nothing larger than <see cref="Mtu"/>. A TCP packet larger than the MTU is cut by the link (or the
    /// kernel behind it) into segments of MTU - headers bytes of payload, each with the same IPv4 and TCP headers
    /// (TSO); the stack sends such super-segments only when the peer's MSS is the one the MTU gives.
    /// </summary>
    int GsoMaxSize => 0;

    /// <summary>
    /// Sends one IPv4 packet (at most <see cref="Mtu"/> bytes, or <see cref="GsoMaxSize"/> when that is larger). The span is only valid during the call: a link that delivers later copies it.
    /// Never throws for a packet the peer would drop; failures of the link itself go to
    /// <see cref="ILinkReceiver.OnLinkFailed"/>.
    /// </summary>
    void Send(ReadOnlySpan<byte> packet);

    /// <summary>Starts delivering arriving packets to <paramref name="receiver"/>. Called once.</summary>
    void Start(ILinkReceiver receiver);
}

/// <summary>What a link calls when a packet arrives (on whatever thread the link delivers on).</summary>
public interface ILinkReceiver
{
    /// <summary>One arriving IPv4 packet, still untrusted. Only valid during the call.</summary>
    void OnPacket(ReadOnlySpan<byte> packet);

    /// <summary>The link cannot go on (device gone, I/O error).</summary>
    void OnLinkFailed(Exception cause);

    /// <summary>
    /// The packets that were waiting have all been delivered (TunLink: a read found the device empty, before the read
    /// thread blocks). A link that delivers in batches calls it after each batch, on the thread that delivered the
    /// packets; the others never do.
    /// </summary>
    void OnBatchEnd()
    {
    }
}
