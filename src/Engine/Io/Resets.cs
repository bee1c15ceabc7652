using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>The RST that answers a segment which belongs to no connection (RFC 9293 section 3.10.7.1, 3.10.7.2).</summary>
internal static class Resets
{
    /// <summary>
    /// Writes the reply to <paramref name="seg"/> (arrived on <paramref name="tuple"/>) into <paramref name="packet"/>:
    /// if the ACK bit is off, &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;; if on, &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;.
    /// Returns 0 for a RST: a RST is never sent in reply to a RST.
    /// </summary>
    public static int WriteReply(in FourTuple tuple, in TcpSegment seg, Span<byte> packet)
    {
        if (seg.Rst)
            return 0;
        var rst = new TcpSegment
        {
            SourcePort = tuple.LocalPort,
            DestinationPort = tuple.RemotePort,
        };
        if (seg.Ack)
        {
            rst.Sequence = seg.Acknowledgment;
            rst.Flags = TcpFlags.Rst;
        }
        else
        {
            rst.Sequence = 0;
            rst.Acknowledgment = seg.Sequence + seg.SegmentLength;
            rst.Flags = TcpFlags.Rst | TcpFlags.Ack;
        }
        return rst.WritePacket(packet, tuple.LocalAddress, tuple.RemoteAddress, default);
    }

    public const int MaxLength = Ipv4Packet.MinHeaderLength + TcpSegment.MinHeaderLength;
}
