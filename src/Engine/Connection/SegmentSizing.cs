using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// How much new data one segment the connection emits may carry when the link cuts super-segments (TSO/GSO,
/// <see cref="Link.ILink.GsoMaxSize"/>): a whole number of wire segments, each as full as the peer's MSS and the
/// options allow. Congestion control, SACK and retransmission stay in bytes and SMSS; only the unit handed to the
/// link grows.
/// </summary>
internal static class SegmentSizing
{
    /// <summary>
    /// The largest payload of one emitted segment. <paramref name="room"/> is the payload of one wire segment with
    /// these options (RFC 6691: the MSS less the options). The link cuts a super-segment into pieces of
    /// <paramref name="linkMss"/> (its MTU - 40) less the options, so super-segments are made only when that equals
    /// <paramref name="room"/>, that is when the peer's MSS is not below ours; otherwise, and without offload, one
    /// segment of <paramref name="room"/>.
    /// </summary>
    public static int MaxPayload(int room, int optionsLength, int linkMss, int gsoMaxSize)
    {
        if (gsoMaxSize <= 0 || room <= 0 || room != linkMss - optionsLength)
            return room;
        int pieces = (gsoMaxSize - Ipv4Packet.MinHeaderLength - TcpSegment.MinHeaderLength - optionsLength) / room;
        return Math.Max(1, pieces) * room;
    }

    /// <summary>
    /// A super-segment (<paramref name="length"/> above <paramref name="room"/>) cut down to the whole segments that
    /// fit <paramref name="congestionRoom"/> (cwnd - FlightSize), at least one; a single segment is left as it is.
    /// </summary>
    public static int FitCongestionRoom(int length, int room, int congestionRoom)
    {
        if (length <= room)
            return length;
        return Math.Min(length, Math.Max(room, congestionRoom / room * room));
    }
}
