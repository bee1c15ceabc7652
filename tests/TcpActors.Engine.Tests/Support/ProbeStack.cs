using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Support;

/// <summary>A segment the stack sent, parsed, with the virtual time it was sent at.</summary>
public sealed record SentSegment(TcpSegment Tcp, byte[] Payload, TimeSpan At, Ipv4Packet Ip)
{
    public TcpFlags Flags => Tcp.Flags;
    public uint Seq => Tcp.Sequence.Value;
    public uint Ack => Tcp.Acknowledgment.Value;
    public override string ToString() => $"{At.TotalMilliseconds}ms {Tcp}";
}

/// <summary>
/// The stack under test on a probe link, and a scripted peer: the test writes the peer's segments and
/// asserts the stack's. Addresses: the stack is 198.18.0.2, the peer 198.18.0.1.
/// </summary>
public sealed class ProbeStack
{
    public static readonly Ipv4Address StackAddress = Ipv4Address.Parse("198.18.0.2");
    public static readonly Ipv4Address PeerAddress = Ipv4Address.Parse("198.18.0.1");

    private readonly TestProbe _wire;
    private readonly DateTimeOffset _origin;
    public ProbeLink Link { get; }
    public TcpStack Stack { get; }

    /// <param name="wireName">Name of the link's probe actor; two stacks in one test need two names.</param>
    /// <param name="gsoMaxSize">The link advertises segmentation offload up to this size (0: none).</param>
    /// <param name="clock">The stack's protocol clock (null: the scheduler's).</param>
    public ProbeStack(Akka.TestKit.Xunit2.TestKit kit, DateTimeOffset origin, Engine.Configuration.TcpSettings? settings = null, int mtu = 1500,
        string wireName = "wire", int gsoMaxSize = 0, Engine.Time.IClock? clock = null)
    {
        _wire = kit.CreateTestProbe(wireName);
        _origin = origin;
        var link = Link = new ProbeLink(_wire.Ref, kit.Sys.Scheduler, mtu, gsoMaxSize);
        Stack = TcpStack.Start(kit.Sys, new LinkFactory(() => link, link.Mtu, link.GsoMaxSize), StackAddress, settings, null, new byte[16], null, clock);
        // A round trip, so that the I/O actor has started (and started the link) before anything is injected.
        var ready = kit.CreateTestProbe();
        Stack.Manager.Tell(Engine.Io.GetTableSize.Instance, ready.Ref);
        ready.ExpectMsg<Engine.Io.TableSize>();
    }

    public IActorRef Manager => Stack.Manager;

    /// <summary>
    /// Injects a segment from the peer (198.18.0.1:peerPort) to the stack (198.18.0.2:stackPort); <paramref name="ecn"/>
    /// is the ECN field of its IP header (RFC 3168 section 5).
    /// </summary>
    public void Inject(ushort peerPort, ushort stackPort, TcpFlags flags, uint seq, uint ack = 0, ushort window = 65535,
        byte[]? data = null, ushort? mss = null, ushort urgent = 0, TcpOptions? options = null, byte ecn = 0)
    {
        var tcp = new TcpSegment
        {
            SourcePort = peerPort,
            DestinationPort = stackPort,
            Sequence = seq,
            Acknowledgment = ack,
            Flags = flags,
            Window = window,
            UrgentPointer = urgent,
        };
        if (options is { } o)
            tcp.Options = o;
        if (mss is not null)
            tcp.Options.Mss = mss;
        var buf = new byte[60 + (data?.Length ?? 0) + 40];
        int n = tcp.WritePacket(buf, PeerAddress, StackAddress, data ?? [], typeOfService: ecn);
        Link.Inject(buf.AsSpan(0, n));
    }

    public void InjectRaw(byte[] packet) => Link.Inject(packet);

    /// <summary>
    /// A passive open on <paramref name="stackPort"/> (which must be bound with <paramref name="app"/> as handler):
    /// SYN from the peer, the stack's SYN-ACK, the peer's ACK; the app registers. Returns the connection and the stack's ISS.
    /// </summary>
    public (IActorRef Connection, uint Iss) Accept(TestProbe app, ushort peerPort, ushort stackPort = 7, uint peerIss = 1000)
    {
        Inject(peerPort, stackPort, TcpFlags.Syn, peerIss, mss: 1460);
        var synAck = Next();
        Inject(peerPort, stackPort, TcpFlags.Ack, peerIss + 1, synAck.Seq + 1);
        app.ExpectMsg<Engine.Api.Connected>();
        var connection = app.LastSender;
        connection.Tell(new Engine.Api.Register(app.Ref), app.Ref);
        return (connection, synAck.Seq);
    }

    /// <summary>The next segment the stack sent (it must have been sent already: the stack runs on this thread).</summary>
    public SentSegment Next()
    {
        var sent = _wire.ExpectMsg<PacketSent>(TimeSpan.FromSeconds(1));
        return Parse(sent);
    }

    public SentSegment Parse(PacketSent sent)
    {
        Assert.Equal(DropReason.None, Ipv4Packet.TryParse(sent.Packet, out var ip));
        Assert.Equal(DropReason.None, TcpSegment.TryParse(sent.Packet, ip, out var tcp));
        var payload = ip.Payload(sent.Packet).Slice(tcp.PayloadOffset, tcp.PayloadLength).ToArray();
        return new SentSegment(tcp, payload, sent.At - _origin, ip);
    }

    /// <summary>The next raw packet the stack sent.</summary>
    public PacketSent NextRaw() => _wire.ExpectMsg<PacketSent>(TimeSpan.FromSeconds(1));

    /// <summary>Asserts that the stack has sent nothing (more).</summary>
    public void ExpectNothing() => _wire.ExpectNoMsg(TimeSpan.FromMilliseconds(20));

    /// <summary>Everything sent so far.</summary>
    public List<SentSegment> Drain()
    {
        var list = new List<SentSegment>();
        while (_wire.HasMessages)
            list.Add(Parse(_wire.ExpectMsg<PacketSent>()));
        return list;
    }
}
