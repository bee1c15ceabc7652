using Akka.Actor;

namespace TcpActors.Engine.Link;

/// <summary>A packet the stack sent through a <see cref="ProbeLink"/>, stamped with the scheduler's (virtual) time.</summary>
public sealed record PacketSent(byte[] Packet, DateTimeOffset At);

/// <summary>
/// A link for protocol tests: every packet the stack sends is told to a probe actor as
/// <see cref="PacketSent"/>; the test injects arriving packets with <see cref="Inject"/>. With
/// <paramref name="gsoMaxSize"/> it advertises segmentation offload (the stack may send super-segments up to that size).
/// </summary>
public sealed class ProbeLink(IActorRef probe, IScheduler scheduler, int mtu = 1500, int gsoMaxSize = 0) : ILink
{
    private ILinkReceiver? _receiver;

    public int Mtu => mtu;

    public int GsoMaxSize => gsoMaxSize;

    public void Send(ReadOnlySpan<byte> packet) => probe.Tell(new PacketSent(packet.ToArray(), scheduler.Now));

    public void Start(ILinkReceiver receiver) => _receiver = receiver;

    /// <summary>Delivers a packet to the stack as if it arrived on the wire.</summary>
    public void Inject(ReadOnlySpan<byte> packet) =>
        (_receiver ?? throw new InvalidOperationException("the link has not been started by an I/O actor")).OnPacket(packet);

    /// <summary>Makes the link fail, as a TUN device that went away.</summary>
    public void Fail(Exception cause) => _receiver?.OnLinkFailed(cause);

    /// <summary>Ends a batch of injected packets, as TunLink does when its device is empty (<see cref="ILinkReceiver.OnBatchEnd"/>).</summary>
    public void EndBatch() => _receiver?.OnBatchEnd();

    public void Dispose() => _receiver = null;
}
