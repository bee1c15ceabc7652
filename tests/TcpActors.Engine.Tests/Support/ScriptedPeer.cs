using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Support;

/// <summary>
/// The scripted remote end of one connection on a <see cref="ProbeStack"/>, and what it knows of the stack's TCB.
/// The sequence numbers are named from the stack's side: <see cref="SndNxt"/> is the stack's SND.NXT (the ACK the
/// peer sends to acknowledge everything), <see cref="RcvNxt"/> is the stack's RCV.NXT (the peer's next SEQ).
/// </summary>
public sealed class ScriptedPeer
{
    public required ProbeStack S { get; init; }
    public required ushort PeerPort { get; init; }
    public required ushort StackPort { get; init; }
    /// <summary>The application: the connection's registered handler (and the Connect commander for active opens).</summary>
    public required TestProbe App { get; init; }
    /// <summary>Asks STATUS and watches the connection.</summary>
    public required TestProbe Observer { get; init; }
    public IActorRef Conn { get; set; } = ActorRefs.Nobody;
    public bool Passive { get; init; }

    /// <summary>The stack's ISS.</summary>
    public uint Iss { get; set; }
    public uint SndUna { get; set; }
    public uint SndNxt { get; set; }
    /// <summary>The peer's ISS (the stack's IRS).</summary>
    public uint Irs { get; set; }
    public uint RcvNxt { get; set; }

    /// <summary>Injects a segment from the peer; SEQ defaults to RCV.NXT, ACK to SND.NXT.</summary>
    public void Send(TcpFlags flags, uint? seq = null, uint? ack = null, byte[]? data = null, ushort window = 65535) =>
        S.Inject(PeerPort, StackPort, flags, seq ?? RcvNxt, ack ?? ((flags & TcpFlags.Ack) != 0 ? SndNxt : 0), window, data);

    /// <summary>The next segment the stack sent, which must be on this connection.</summary>
    public SentSegment Next()
    {
        var seg = S.Next();
        Assert.Equal(StackPort, seg.Tcp.SourcePort);
        Assert.Equal(PeerPort, seg.Tcp.DestinationPort);
        return seg;
    }

    /// <summary>Asserts the next segment: flags, SEQ and ACK exactly (ACK only checked when the ACK bit is set).</summary>
    public SentSegment Expect(TcpFlags flags, uint seq, uint? ack = null, int dataLength = 0)
    {
        var seg = Next();
        Assert.True(flags == seg.Flags, $"expected flags {flags.ToShortString()}, got {seg}");
        Assert.True(seq == seg.Seq, $"expected SEQ={seq}, got {seg}");
        if (ack is uint a)
            Assert.True(a == seg.Ack, $"expected ACK={a}, got {seg}");
        Assert.Equal(dataLength, seg.Payload.Length);
        return seg;
    }

    /// <summary>&lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;: the form of every ACK and every challenge ACK.</summary>
    public SentSegment ExpectAck() => Expect(TcpFlags.Ack, SndNxt, RcvNxt);

    public ConnectionStatus Status()
    {
        Conn.Tell(GetStatus.Instance, Observer.Ref);
        return Observer.ExpectMsg<ConnectionStatus>(TimeSpan.FromSeconds(1));
    }

    public TcpState State => Status().State;

    /// <summary>CLOSED: the connection actor has stopped (the TCB is deleted).</summary>
    public void ExpectClosed()
    {
        Observer.Watch(Conn);
        Observer.ExpectTerminated(Conn, TimeSpan.FromSeconds(1));
    }

    /// <summary>The connection actor is still alive and in <paramref name="state"/>; its TCB matches what the peer knows.</summary>
    public void ExpectState(TcpState state)
    {
        var st = Status();
        Assert.Equal(state, st.State);
        if (state != TcpState.SynSent)
            Assert.Equal(RcvNxt, st.RcvNxt);
        Assert.Equal(SndNxt, st.SndNxt);
    }

    public override string ToString() => $"peer :{PeerPort} -> stack :{StackPort} ISS={Iss} SND.NXT={SndNxt} RCV.NXT={RcvNxt}";
}

/// <summary>
/// A <see cref="ProbeStack"/> with one listener and helpers that drive a fresh connection (each on its own
/// peer port) into any state of RFC 9293 Figure 5 with the exact segments of the RFC's examples.
/// </summary>
public sealed class StateRig
{
    public const ushort ListenPort = 7;
    public const ushort RemoteServicePort = 80;

    private readonly Akka.TestKit.Xunit2.TestKit _kit;
    private ushort _nextPeerPort = 40000;
    public ProbeStack S { get; }
    /// <summary>The handler named in Bind: told Connected for each passive open.</summary>
    public TestProbe BindHandler { get; }
    public IActorRef Listener { get; }

    public StateRig(Akka.TestKit.Xunit2.TestKit kit, DateTimeOffset origin)
    {
        _kit = kit;
        S = new ProbeStack(kit, origin);
        BindHandler = kit.CreateTestProbe();
        S.Manager.Tell(new Bind(BindHandler.Ref, ListenPort), BindHandler.Ref);
        BindHandler.ExpectMsg<Bound>();
        Listener = BindHandler.LastSender;
    }

    private ScriptedPeer NewPeer(bool passive, ushort stackPort, ushort? peerPort = null) => new()
    {
        S = S,
        PeerPort = peerPort ?? _nextPeerPort++,
        StackPort = stackPort,
        App = _kit.CreateTestProbe(),
        Observer = _kit.CreateTestProbe(),
        Passive = passive,
    };

    /// <summary>LISTEN -&gt; SYN-RECEIVED: the peer's SYN, the stack's SYN-ACK.</summary>
    public ScriptedPeer SynReceived(uint peerIss = 1000)
    {
        var p = NewPeer(passive: true, ListenPort);
        p.Irs = peerIss;
        S.Inject(p.PeerPort, ListenPort, TcpFlags.Syn, peerIss, mss: 1460);
        var synAck = p.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(peerIss + 1, synAck.Ack);
        p.Iss = synAck.Seq;
        p.SndUna = p.Iss;
        p.SndNxt = p.Iss + 1;
        p.RcvNxt = peerIss + 1;
        p.Conn = FindConnection(p);
        return p;
    }

    /// <summary>CLOSED -&gt; SYN-SENT: Connect, the stack's SYN.</summary>
    public ScriptedPeer SynSent(uint peerIss = 5000)
    {
        var app = _kit.CreateTestProbe();
        S.Manager.Tell(new Connect(ProbeStack.PeerAddress, RemoteServicePort), app.Ref);
        var syn = S.Next();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        var p = new ScriptedPeer
        {
            S = S,
            PeerPort = RemoteServicePort,
            StackPort = syn.Tcp.SourcePort,
            App = app,
            Observer = _kit.CreateTestProbe(),
            Passive = false,
            Iss = syn.Seq,
            SndUna = syn.Seq,
            SndNxt = syn.Seq + 1,
            Irs = peerIss,
        };
        p.Conn = FindConnection(p);
        return p;
    }

    /// <summary>SYN-SENT -&gt; ESTABLISHED: the peer's SYN-ACK, the stack's ACK, Connected, Register.</summary>
    public ScriptedPeer ActiveEstablished(bool keepOpenOnPeerClosed = false)
    {
        var p = SynSent();
        p.Send(TcpFlags.Syn | TcpFlags.Ack, seq: p.Irs, ack: p.Iss + 1);
        p.RcvNxt = p.Irs + 1;
        p.SndUna = p.SndNxt;
        p.ExpectAck();
        p.App.ExpectMsg<Connected>();
        Assert.Equal(p.Conn, p.App.LastSender);
        p.Conn.Tell(new Register(p.App.Ref, keepOpenOnPeerClosed), p.App.Ref);
        return p;
    }

    /// <summary>LISTEN -&gt; SYN-RECEIVED -&gt; ESTABLISHED: SYN, SYN-ACK, ACK; Connected to the Bind handler; Register.</summary>
    public ScriptedPeer Established(bool keepOpenOnPeerClosed = false, uint peerIss = 1000)
    {
        var p = SynReceived(peerIss);
        p.Send(TcpFlags.Ack);
        p.SndUna = p.SndNxt;
        BindHandler.ExpectMsg<Connected>();
        Assert.Equal(p.Conn, BindHandler.LastSender);
        p.Conn.Tell(new Register(p.App.Ref, keepOpenOnPeerClosed), p.App.Ref);
        return p;
    }

    /// <summary>ESTABLISHED -&gt; FIN-WAIT-1: Close, the stack's FIN.</summary>
    public ScriptedPeer FinWait1()
    {
        var p = Established();
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.SndNxt, p.RcvNxt);
        p.SndNxt += 1;
        return p;
    }

    /// <summary>FIN-WAIT-1 -&gt; FIN-WAIT-2: the ACK of the FIN; the application is told Closed.</summary>
    public ScriptedPeer FinWait2()
    {
        var p = FinWait1();
        p.Send(TcpFlags.Ack);
        p.SndUna = p.SndNxt;
        p.App.ExpectMsg<Closed>();
        return p;
    }

    /// <summary>FIN-WAIT-1 -&gt; CLOSING: the peer's FIN that does not acknowledge ours; the stack ACKs it.</summary>
    public ScriptedPeer Closing()
    {
        var p = FinWait1();
        p.Send(TcpFlags.Fin | TcpFlags.Ack, ack: p.SndNxt - 1);
        p.RcvNxt += 1;
        p.ExpectAck();
        p.App.ExpectMsg<PeerClosed>();
        return p;
    }

    /// <summary>FIN-WAIT-2 -&gt; TIME-WAIT: the peer's FIN; the stack ACKs it.</summary>
    public ScriptedPeer TimeWait()
    {
        var p = FinWait2();
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.RcvNxt += 1;
        p.ExpectAck();
        p.App.ExpectMsg<PeerClosed>();
        return p;
    }

    /// <summary>ESTABLISHED -&gt; CLOSE-WAIT (Register with KeepOpenOnPeerClosed): the peer's FIN; the stack ACKs it.</summary>
    public ScriptedPeer CloseWait()
    {
        var p = Established(keepOpenOnPeerClosed: true);
        p.Send(TcpFlags.Fin | TcpFlags.Ack);
        p.RcvNxt += 1;
        p.ExpectAck();
        p.App.ExpectMsg<PeerClosed>();
        return p;
    }

    /// <summary>CLOSE-WAIT -&gt; LAST-ACK: Close, the stack's FIN.</summary>
    public ScriptedPeer LastAck()
    {
        var p = CloseWait();
        p.Conn.Tell(Close.Instance, p.App.Ref);
        p.Expect(TcpFlags.Fin | TcpFlags.Ack, p.SndNxt, p.RcvNxt);
        p.SndNxt += 1;
        return p;
    }

    /// <summary>A fresh connection in <paramref name="state"/> (passive opens, except SYN-SENT).</summary>
    public ScriptedPeer In(TcpState state) => state switch
    {
        TcpState.SynSent => SynSent(),
        TcpState.SynReceived => SynReceived(),
        TcpState.Established => Established(),
        TcpState.FinWait1 => FinWait1(),
        TcpState.FinWait2 => FinWait2(),
        TcpState.CloseWait => CloseWait(),
        TcpState.Closing => Closing(),
        TcpState.LastAck => LastAck(),
        TcpState.TimeWait => TimeWait(),
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a connection state"),
    };

    /// <summary>
    /// The connection actor of <paramref name="p"/>'s tuple. The application learns it only from Connected, so
    /// before ESTABLISHED the test finds it among the stack's actors and asks each for its STATUS.
    /// </summary>
    public IActorRef FindConnection(ScriptedPeer p)
    {
        var probe = _kit.CreateTestProbe();
        foreach (var pattern in new[] { "*", "*/*" })
            _kit.Sys.ActorSelection(S.Manager.Path / pattern.Split('/')).Tell(new Identify(null), probe.Ref);
        var candidates = new List<IActorRef>();
        while (probe.HasMessages)
            if (probe.ExpectMsg<ActorIdentity>().Subject is { } subject)
                candidates.Add(subject);
        foreach (var c in candidates)
        {
            c.Tell(GetStatus.Instance, probe.Ref);
            if (probe.HasMessages && probe.ExpectMsg<ConnectionStatus>() is { } st
                && st.Tuple.LocalPort == p.StackPort && st.Tuple.RemotePort == p.PeerPort)
                return c;
        }
        throw new InvalidOperationException($"no connection actor for {p}");
    }
}
