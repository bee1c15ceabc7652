using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// Corking (Linux TCP_CORK), Write.More (MSG_MORE) and Push (what setting TCP_NODELAY does on Linux): a partial last
/// segment waits for more data, at most 200 ms (tcp(7)); full segments go at once; PSH marks the end of a write that
/// did not say More (RFC 9293 3.9.1).
/// </summary>
public class CorkTests : TimingTestKit
{
    [Fact]
    public void Corked_small_writes_wait_and_go_as_one_pushed_segment_when_the_cork_is_removed()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        c.Connection.Tell(new Cork(true), c.App.Ref);
        c.Connection.Tell(Write.Create(new byte[40]), c.App.Ref);
        AdvanceTo(Ms(50));
        c.Connection.Tell(Write.Create(new byte[40]), c.App.Ref);
        ExpectNothingUntil(s, Ms(60));
        c.Connection.Tell(new Cork(false), c.App.Ref);
        var seg = s.Next();
        Assert.Equal(Ms(60), seg.At);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, seg.Flags);
        Assert.Equal(80, seg.Payload.Length);
        Assert.Equal(c.Iss + 1, seg.Seq);
    }

    [Fact]
    public void Corked_data_goes_out_after_the_200_ms_ceiling_of_tcp_7()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));
        c.Connection.Tell(new Cork(true), c.App.Ref);
        c.Connection.Tell(Write.Create(new byte[10]), c.App.Ref);
        var seg = ExpectSentAt(s, S(1) + Ms(200));
        Assert.Equal(10, seg.Payload.Length);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, seg.Flags);
    }

    [Fact]
    public void A_cork_lets_full_segments_go_at_once_and_holds_only_the_partial_tail()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        c.Connection.Tell(new Cork(true), c.App.Ref);
        c.Connection.Tell(Write.Create(new byte[1460 + 100]), c.App.Ref);
        var full = s.Next();
        Assert.Equal(1460, full.Payload.Length);
        Assert.Equal(TcpFlags.Ack, full.Flags);
        s.ExpectNothing();
        c.Connection.Tell(new Cork(false), c.App.Ref);
        var tail = s.Next();
        Assert.Equal(100, tail.Payload.Length);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, tail.Flags);
    }

    [Fact]
    public void A_write_with_More_waits_and_Push_sends_it_without_PSH_like_MSG_MORE_then_TCP_NODELAY()
    {
        var s = new ProbeStack(this, Origin);
        // TCP_NODELAY on, as the Linux sequence this mirrors: More holds data whether or not Nagle runs.
        var c = PassiveOpen(s, options: new ConnectionOptions { NoDelay = true });
        c.Connection.Tell(new Write(new byte[40], More: true), c.App.Ref);
        AdvanceTo(Ms(50));
        c.Connection.Tell(new Write(new byte[40], More: true), c.App.Ref);
        ExpectNothingUntil(s, Ms(60));
        c.Connection.Tell(Push.Instance, c.App.Ref);
        var seg = s.Next();
        Assert.Equal(80, seg.Payload.Length);
        Assert.Equal(TcpFlags.Ack, seg.Flags);   // the last write said More: no PSH

        // Nothing is held any more: a plain write goes at once with PSH.
        c.Connection.Tell(Write.Create(new byte[5]), c.App.Ref);
        var next = s.Next();
        Assert.Equal(Ms(60), next.At);
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, next.Flags);
    }

    [Fact]
    public void Close_while_corked_sends_the_held_data_with_the_FIN_at_once()
    {
        var s = new ProbeStack(this, Origin);
        var c = PassiveOpen(s);
        c.Connection.Tell(new Cork(true), c.App.Ref);
        c.Connection.Tell(Write.Create(new byte[40]), c.App.Ref);
        s.ExpectNothing();
        c.Connection.Tell(Close.Instance, c.App.Ref);
        var seg = s.Next();
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, seg.Flags);
        Assert.Equal(40, seg.Payload.Length);
    }
}
