using System.Buffers;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>One failing connection never takes down another: supervision contains it and the peer gets a RST.</summary>
public class SupervisionTests : StackTestKit
{
    /// <summary>Memory whose bytes cannot be read: a Write of it makes the connection actor throw.</summary>
    private sealed class PoisonedMemory : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => throw new InvalidOperationException("poisoned buffer");
        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
        public Memory<byte> Poisoned => CreateMemory(16);
    }

    [Fact]
    public void A_connection_that_throws_is_stopped_its_peer_gets_a_RST_its_application_the_cause_and_others_go_on()
    {
        var s = new ProbeStack(this, Origin);
        var app = CreateTestProbe();
        s.Manager.Tell(new Bind(app.Ref, 7), app.Ref);
        app.ExpectMsg<Bound>();
        var (bad, badIss) = s.Accept(app, 40001);
        var (good, goodIss) = s.Accept(app, 40002);
        Watch(bad);

        bad.Tell(new Write(new PoisonedMemory().Poisoned), app.Ref);

        ExpectTerminated(bad);
        var rst = s.Next();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(40001, rst.Tcp.DestinationPort);
        Assert.Equal(badIss + 1, rst.Seq);
        var error = app.ExpectMsg<ErrorClosed>();
        Assert.Contains("poisoned buffer", error.Cause);
        Assert.Equal(1, s.Stack.Counters[TcpCounter.ConnectionActors]);

        // The other connection is untouched.
        s.Inject(40002, 7, TcpFlags.Ack | TcpFlags.Psh, 1001, goodIss + 1, data: "still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), app.ExpectMsg<Received>().Data.ToArray());
        Assert.Equal(goodIss + 1, s.Next().Seq);   // its quick ACK
        good.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(TcpState.Established, ExpectMsg<ConnectionStatus>().State);

        // Segments for the dead connection's tuple are now answered as for a closed port... by the listener: RST.
        s.Inject(40001, 7, TcpFlags.Ack, 1001, badIss + 1);
        var late = s.Next();
        Assert.Equal(TcpFlags.Rst, late.Flags);
    }
}
