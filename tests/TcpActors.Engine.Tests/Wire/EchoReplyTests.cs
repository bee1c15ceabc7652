using System.Buffers.Binary;
using TcpActors.Engine.Wire;
using static TcpActors.Engine.Tests.Wire.WireTestSupport;

namespace TcpActors.Engine.Tests.Wire;

/// <summary>
/// The echo reply's checksum is updated incrementally (RFC 1624); it must always equal a full recompute,
/// so that any receiver (which checks that the message sums to -0, RFC 1071) accepts it.
/// </summary>
public class EchoReplyTests
{
    private static void AssertReplyValid(byte[] request)
    {
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(request, out var ip));
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(request, ip, out _));
        var reply = new byte[request.Length];
        int n = Icmpv4Message.WriteEchoReply(request, ip, reply);
        Assert.Equal(request.Length, n);

        var m = reply.AsSpan(20, n - 20);
        Assert.Equal(IcmpType.EchoReply, m[0]);
        Assert.Equal(0, m[1]);
        Assert.Equal(request.AsSpan(24).ToArray(), m[4..].ToArray());
        var zeroed = m.ToArray();
        zeroed[2] = zeroed[3] = 0;
        Assert.Equal((ushort)~InternetChecksum.AccumulateReference(zeroed), BinaryPrimitives.ReadUInt16BigEndian(m[2..]));
        Assert.Equal(0xFFFFu, InternetChecksum.AccumulateReference(m));

        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(reply, out var replyIp));
        Assert.Equal(ip.Source, replyIp.Destination);
        Assert.Equal(ip.Destination, replyIp.Source);
        Assert.Equal(DropReason.None, Icmpv4Message.TryParse(reply, replyIp, out _));
    }

    [Fact]
    public void Echo_reply_checksum_equals_a_full_recompute_for_random_requests_RFC792_RFC1624()
    {
        const int seed = 792;
        var rng = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[rng.Next(0, 200)];
            if (rng.Next(4) != 0) rng.NextBytes(data);
            ushort id = (ushort)(rng.Next(4) == 0 ? 0 : rng.Next(0, 65536));
            ushort seq = (ushort)(rng.Next(4) == 0 ? 0 : rng.Next(0, 65536));
            var request = HandBuiltEchoRequest(id, seq, data);
            Case(seed, i, request, () => AssertReplyValid(request));
        }
    }

    [Fact]
    public void Echo_reply_to_an_all_zero_request_carries_checksum_0xFFFF_not_0x0000_RFC1624_3_RFC1071()
    {
        // Identifier 0, sequence 0, no data (scapy's default ICMP()): the reply sums to +0, so its only valid
        // checksum is 0xFFFF. RFC 1624 equation 3 alone gives 0x0000 here, which every receiver rejects.
        AssertReplyValid(HandBuiltEchoRequest(0, 0, []));
        AssertReplyValid(HandBuiltEchoRequest(0, 0, new byte[56]));
    }
}
