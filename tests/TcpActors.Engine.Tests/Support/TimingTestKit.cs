using Akka.Actor;
using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Support;

/// <summary>An established connection driven by a scripted peer on a <see cref="ProbeStack"/>.</summary>
public sealed record ScriptedConnection(
    ProbeStack Stack,
    IActorRef Connection,
    TestProbe App,
    ushort PeerPort,
    ushort StackPort,
    /// <summary>The stack's ISS: its first data octet is Iss + 1.</summary>
    uint Iss,
    /// <summary>The peer's ISS: its first data octet is PeerIss + 1.</summary>
    uint PeerIss)
{
    /// <summary>Injects a segment from the peer on this connection.</summary>
    public void FromPeer(TcpFlags flags, uint seq, uint ack, ushort window = 65535, byte[]? data = null) =>
        Stack.Inject(PeerPort, StackPort, flags, seq, ack, window, data);
}

/// <summary>
/// Helpers for exact-time assertions in virtual time: a segment is expected at exactly t and not 1 ms before;
/// connections are opened against a scripted peer; connection actors are found and watched.
/// </summary>
public abstract class TimingTestKit(string? extraConfig = null) : StackTestKit(extraConfig)
{
    protected static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);

    protected static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
    protected static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>Asserts that nothing is sent until 1 ms before <paramref name="t"/>, then that a segment is sent at exactly t.</summary>
    protected SentSegment ExpectSentAt(ProbeStack s, TimeSpan t)
    {
        ExpectNothingUntil(s, t - OneMs);
        AdvanceTo(t);
        var seg = s.Next();
        Assert.Equal(t, seg.At);
        return seg;
    }

    /// <summary>Advances to <paramref name="t"/> and asserts that nothing was sent on the way.</summary>
    protected void ExpectNothingUntil(ProbeStack s, TimeSpan t)
    {
        s.ExpectNothing();
        if (Elapsed < t)
            AdvanceTo(t);
        s.ExpectNothing();
    }

    /// <summary>The only child of <paramref name="parent"/> (a connection of the I/O actor or of a listener).</summary>
    protected IActorRef OnlyChild(IActorRef parent)
    {
        var children = Children(parent);
        Assert.Single(children);
        return children[0];
    }

    /// <summary>The live children of <paramref name="parent"/>, found by an Identify to parent/*.</summary>
    protected List<IActorRef> Children(IActorRef parent)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(parent.Path + "/*").Tell(new Identify("children"), probe.Ref);
        var replies = new List<ActorIdentity> { probe.ExpectMsg<ActorIdentity>(TimeSpan.FromSeconds(1)) };
        replies.AddRange(probe.ReceiveWhile(TimeSpan.FromMilliseconds(100), m => m as ActorIdentity).OfType<ActorIdentity>());
        return replies.Where(r => r.Subject is not null).Select(r => r.Subject!).ToList();
    }

    /// <summary>Connections and listeners the I/O actor knows.</summary>
    internal TableSize Table(ProbeStack s)
    {
        var probe = CreateTestProbe();
        s.Manager.Tell(GetTableSize.Instance, probe.Ref);
        return probe.ExpectMsg<TableSize>();
    }

    protected ConnectionStatus StatusOf(IActorRef connection)
    {
        var probe = CreateTestProbe();
        connection.Tell(GetStatus.Instance, probe.Ref);
        return probe.ExpectMsg<ConnectionStatus>();
    }

    /// <summary>A probe that watches <paramref name="actor"/>.</summary>
    protected TestProbe Watcher(IActorRef actor)
    {
        var w = CreateTestProbe();
        w.Watch(actor);
        return w;
    }

    /// <summary>
    /// Active open to the peer's port 80, answered with a SYN-ACK (peer ISS <paramref name="peerIss"/>, MSS 1460)
    /// after <paramref name="synAckAfter"/> (zero: at once); the application registers itself.
    /// </summary>
    protected ScriptedConnection ActiveOpen(ProbeStack s, ConnectionOptions? options = null, TimeSpan? synAckAfter = null,
        uint peerIss = 5000, ushort window = 65535)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Connect(ProbeStack.PeerAddress, 80, Options: options), app.Ref);
        var syn = s.Next();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        if (synAckAfter is { } d && d > TimeSpan.Zero)
        {
            ExpectNothingUntil(s, Elapsed + d);
        }
        ushort port = syn.Tcp.SourcePort;
        s.Inject(80, port, TcpFlags.Syn | TcpFlags.Ack, peerIss, syn.Seq + 1, window, mss: 1460);
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(peerIss + 1, ack.Ack);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        return new ScriptedConnection(s, conn, app, 80, port, syn.Seq, peerIss);
    }

    /// <summary>
    /// Passive open on port <paramref name="port"/>: the peer (port 40000, ISS 1000) sends SYN; the SYN-ACK is
    /// acknowledged after <paramref name="ackAfter"/>; the application registers itself.
    /// </summary>
    protected ScriptedConnection PassiveOpen(ProbeStack s, ushort port = 7, ConnectionOptions? options = null,
        TimeSpan? ackAfter = null, ushort window = 65535, TcpOptions? synOptions = null)
    {
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, port, Options: options), app.Ref);
        app.ExpectMsg<Bound>();
        if (synOptions is { } syn)
            s.Inject(40000, port, TcpFlags.Syn, 1000, window: window, options: syn);
        else
            s.Inject(40000, port, TcpFlags.Syn, 1000, window: window, mss: 1460);
        var synAck = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        if (ackAfter is { } d && d > TimeSpan.Zero)
            ExpectNothingUntil(s, Elapsed + d);
        // With timestamps in the SYN, the handshake's ACK carries the SYN's TSval + 1 and echoes the SYN-ACK's.
        TcpOptions? ackOptions = null;
        if (synOptions is { HasTimestamps: true } ts)
        {
            var o = new TcpOptions();
            o.SetTimestamps(ts.TsVal + 1, synAck.Tcp.Options.TsVal);
            ackOptions = o;
        }
        s.Inject(40000, port, TcpFlags.Ack, 1001, synAck.Seq + 1, window, options: ackOptions);
        app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);
        return new ScriptedConnection(s, conn, app, 40000, port, synAck.Seq, 1000);
    }

    /// <summary>Passive open, Close at 1 s, FIN acknowledged at 1 s, peer FIN at 2 s: TIME-WAIT from exactly 2 s.</summary>
    protected ScriptedConnection IntoTimeWait(ProbeStack s)
    {
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.Connection.Tell(Close.Instance, c.App.Ref);
        var fin = s.Next();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(c.Iss + 1, fin.Seq);
        c.FromPeer(TcpFlags.Ack, 1001, c.Iss + 2);
        c.App.ExpectMsg<Closed>();
        Assert.Equal(TcpState.FinWait2, StatusOf(c.Connection).State);

        AdvanceTo(S(2));
        c.FromPeer(TcpFlags.Fin | TcpFlags.Ack, 1001, c.Iss + 2);
        var ack = s.Next();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(c.Iss + 2, ack.Seq);
        Assert.Equal(1002u, ack.Ack);
        Assert.Equal(S(2), ack.At);
        Assert.Equal(TcpState.TimeWait, StatusOf(c.Connection).State);
        return c;
    }
}
