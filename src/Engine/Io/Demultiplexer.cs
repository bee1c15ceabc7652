using System.Buffers;
using Akka.Actor;
using Akka.Event;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// The stack's receive path, run on the link's own thread (TunLink's read loop; the sender's thread on a
/// MemoryWire): validates every arriving packet with the codec, counting every drop by reason, answers ICMP echo,
/// and hands each TCP segment straight to the connection that owns its 4-tuple (<see cref="ConnectionTable"/>),
/// with no hop through the I/O actor. A segment for no known connection (a SYN for a listener, a segment for a
/// closed port, one that raced the table's update) goes to the I/O actor, which decides. Never throws for
/// anything on the wire: a receiver that threw would stop the link.
/// </summary>
internal sealed class Demultiplexer(StackContext stack, IActorRef io, ILoggingAdapter log) : ILinkReceiver
{
    public void OnPacket(ReadOnlySpan<byte> packet)
    {
        var counters = stack.Counters;
        counters.Add(TcpCounter.PacketsIn);
        var reason = Ipv4Packet.TryParse(packet, out var ip);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        if (ip.Destination != stack.LocalAddress)
        {
            counters.Add(TcpCounter.NotForUs);
            return;
        }
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp:
                OnTcp(packet, ip);
                break;
            case IpProtocol.Icmp:
                OnIcmp(packet, ip);
                break;
            default:
                Drop(DropReason.UnsupportedProtocol);
                break;
        }
    }

    public void OnLinkFailed(Exception cause) => io.Tell(new LinkFailed(cause));

    /// <summary>The link delivered what was waiting: the ACKs left for the end of the batch go out (<see cref="AckBatch"/>).</summary>
    public void OnBatchEnd() => stack.AckBatch.Flush();

    private void Drop(DropReason reason)
    {
        stack.Counters.Drop(reason);
        if (log.IsDebugEnabled)
            log.Debug("dropped a packet: {0}", reason);
    }

    private void OnIcmp(ReadOnlySpan<byte> packet, in Ipv4Packet ip)
    {
        var reason = Icmpv4Message.TryParse(packet, ip, out var icmp);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        stack.Counters.Add(TcpCounter.IcmpIn);
        if (icmp.Type != IcmpType.EchoRequest)
        {
            Drop(DropReason.UnsupportedIcmp);
            return;
        }
        byte[] reply = ArrayPool<byte>.Shared.Rent(ip.TotalLength);
        int n = Icmpv4Message.WriteEchoReply(packet, ip, reply);
        if (n > 0)
        {
            stack.Counters.Add(TcpCounter.IcmpEchoReplies);
            stack.Link.Send(reply.AsSpan(0, n));
        }
        ArrayPool<byte>.Shared.Return(reply);
    }

    private void OnTcp(ReadOnlySpan<byte> packet, in Ipv4Packet ip)
    {
        var reason = TcpSegment.TryParse(packet, ip, out var seg);
        if (reason != DropReason.None)
        {
            Drop(reason);
            return;
        }
        var counters = stack.Counters;
        counters.Add(TcpCounter.InSegs);
        var tuple = FourTuple.OfArriving(ip, seg);
        // The payload is copied off the link's buffer into a packet buffer that the message owns (see SegmentArrived
        // for who gives it back); a segment without data needs none. A segment for a connection goes in a pooled
        // message that the connection recycles; one for the I/O actor (listeners, resets) in a message of its own.
        byte[]? buffer = null;
        var payload = ReadOnlyMemory<byte>.Empty;
        if (seg.PayloadLength > 0)
        {
            buffer = PacketBuffers.Rent(counters, seg.PayloadLength);
            ip.Payload(packet).Slice(seg.PayloadOffset, seg.PayloadLength).CopyTo(buffer);
            payload = buffer.AsMemory(0, seg.PayloadLength);
        }
        if (stack.Connections.TryGet(tuple, out var connection))
            connection.Tell(stack.Arrivals.Rent(tuple, seg, payload, buffer, counters, ip.Ecn), ActorRefs.NoSender);
        else
            io.Tell(new SegmentArrived(tuple, seg, payload, buffer, counters, ip.Ecn), ActorRefs.NoSender);
    }
}
