using Akka.TestKit;
using TcpActors.Engine.Api;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

public class HandshakeSmokeTests : StackTestKit
{
    [Fact]
    public void Passive_open_exchanges_data_and_closes()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();

        s.Inject(40000, 7, TcpFlags.Syn, 1000, mss: 1460);
        var synAck = s.Next();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(1001u, synAck.Ack);
        uint iss = synAck.Seq;

        s.Inject(40000, 7, TcpFlags.Ack, 1001, iss + 1);
        var connected = app.ExpectMsg<Connected>();
        var conn = app.LastSender;
        conn.Tell(new Register(app.Ref), app.Ref);

        s.Inject(40000, 7, TcpFlags.Ack | TcpFlags.Psh, 1001, iss + 1, data: "hello"u8.ToArray());
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(app.ExpectMsg<Received>().Data.Span));
        var ack = s.Next();   // quick-ACK: the connection's first data is acknowledged at once
        Assert.Equal(1006u, ack.Ack);
        Assert.Equal(TimeSpan.Zero, ack.At);

        conn.Tell(new Write("world"u8.ToArray()), app.Ref);
        var data = s.Next();
        Assert.Equal("world"u8.ToArray(), data.Payload);
        s.Inject(40000, 7, TcpFlags.Ack | TcpFlags.Fin, 1006, iss + 6);
        app.ExpectMsg<PeerClosed>();
        var finAck = s.Drain();
        Assert.Contains(finAck, x => x.Flags.HasFlag(TcpFlags.Fin));
    }
}
