using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using TcpActors.Engine.AkkaIo;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;

namespace TcpActors.Engine.Tests.AkkaIo;

/// <summary>
/// Akka.IO's commands in each state of the manager, a listener and a connection: the right event (from the right
/// Sender) or CommandFailed with a cause, and no dead letters.
/// </summary>
public class CommandTests : AkkaIoTestKit
{
    private static readonly IPEndPoint ServerEndPoint = new(ServerAddress.ToIPAddress(), 80);

    private sealed class Ack(int n) : Tcp.Event
    {
        public int N { get; } = n;
        public override string ToString() => $"Ack({N})";
    }

    private TestProbe Listen(IPEndPoint? at = null, bool pullMode = false)
    {
        var service = CreateTestProbe();
        Server.AkkaIoManager.Tell(new Tcp.Bind(service.Ref, at ?? ServerEndPoint, pullMode: pullMode), service.Ref);
        service.ExpectMsg<Tcp.Bound>();
        return service;
    }

    private T Await<T>(TestProbe probe, TimeSpan? limit = null)
    {
        RunUntil(() => probe.HasMessages, limit ?? TimeSpan.FromSeconds(5));
        return probe.ExpectMsg<T>();
    }

    /// <summary>An established connection: both adapters, and the handlers registered with them.</summary>
    private (IActorRef client, TestProbe clientHandler, IActorRef server, TestProbe serverHandler) Open(
        bool serverKeepOpen = false, IEnumerable<Inet.SocketOption>? options = null)
    {
        var service = Listen();
        var clientHandler = CreateTestProbe();
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint, options: options), clientHandler.Ref);
        var connected = Await<Tcp.Connected>(clientHandler);
        Assert.Equal(ServerEndPoint, connected.RemoteAddress);
        Assert.Equal(ClientAddress.ToIPAddress(), ((IPEndPoint)connected.LocalAddress).Address);
        var client = clientHandler.LastSender;
        client.Tell(new Tcp.Register(clientHandler.Ref), clientHandler.Ref);
        Await<Tcp.Connected>(service);
        var server = service.LastSender;
        var serverHandler = CreateTestProbe();
        server.Tell(new Tcp.Register(serverHandler.Ref, keepOpenOnPeerClosed: serverKeepOpen), service.Ref);
        return (client, clientHandler, server, serverHandler);
    }

    private static void AssertCause(Tcp.CommandFailed f, string contains) =>
        Assert.Contains(contains, f.CauseString, StringComparison.OrdinalIgnoreCase);

    // ---------------------------------------------------------------- manager

    [Fact]
    public void Bind_is_answered_with_Bound_from_the_listener_and_bad_Binds_with_CommandFailed_and_the_cause()
    {
        var service = Listen();
        Assert.NotEqual(Server.AkkaIoManager, service.LastSender);
        var probe = CreateTestProbe();
        (Tcp.Bind bind, string cause)[] bad =
        [
            (new Tcp.Bind(probe.Ref, ServerEndPoint), "already bound"),
            (new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.Parse("198.19.0.1"), 81)), "not this stack's address"),
            (new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.IPv6Any, 81)), "IPv4 only"),
            (new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.Any, 0)), "port 0"),
            (new Tcp.Bind(probe.Ref, new DnsEndPoint("localhost", 81)), "IPEndPoint"),
            (new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.Any, 81), options: [new Inet.SO.TrafficClass(4)]), "TrafficClass is not supported"),
            (new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.Any, 81), options: [new Inet.SO.ReceiveBufferSize(0)]), "must be positive"),
        ];
        foreach (var (bind, cause) in bad)
        {
            Server.AkkaIoManager.Tell(bind, probe.Ref);
            var f = probe.ExpectMsg<Tcp.CommandFailed>();
            Assert.Same(bind, f.Cmd);
            AssertCause(f, cause);
        }
        // Any (0.0.0.0) is accepted and reported as such.
        Server.AkkaIoManager.Tell(new Tcp.Bind(probe.Ref, new IPEndPoint(IPAddress.Any, 81)), probe.Ref);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 81), probe.ExpectMsg<Tcp.Bound>().LocalAddress);
        AssertNoDeadLetters();
    }

    [Fact]
    public void Bad_Connects_get_CommandFailed_with_the_cause()
    {
        var probe = CreateTestProbe();
        (Tcp.Connect connect, string cause)[] bad =
        [
            (new Tcp.Connect(new DnsEndPoint("example.com", 80)), "resolves no names"),
            (new Tcp.Connect(new IPEndPoint(IPAddress.IPv6Loopback, 80)), "IPv4 only"),
            (new Tcp.Connect(ServerEndPoint, new IPEndPoint(IPAddress.Parse("198.19.0.1"), 0)), "not this stack's address"),
            (new Tcp.Connect(ServerEndPoint, options: [new Inet.SO.TrafficClass(4)]), "not supported"),
            (new Tcp.Connect(ServerEndPoint, options: [new TcpActorsSO.KeepAlive(true, count: 0)]), "count"),
            (new Tcp.Connect(ServerEndPoint, timeout: TimeSpan.Zero), "timeout"),
        ];
        foreach (var (connect, cause) in bad)
        {
            Client.AkkaIoManager.Tell(connect, probe.Ref);
            var f = probe.ExpectMsg<Tcp.CommandFailed>();
            Assert.Same(connect, f.Cmd);
            AssertCause(f, cause);
        }
        // Nobody listens: the peer's RST refuses it.
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), probe.Ref);
        AssertCause(Await<Tcp.CommandFailed>(probe), "connection refused");
        Run(TimeSpan.FromMilliseconds(100));
        AssertNoDeadLetters();
    }

    [Fact]
    public void A_Connect_with_a_timeout_to_a_silent_address_fails_at_the_timeout_and_leaves_nothing_behind()
    {
        var probe = CreateTestProbe();
        var silent = new IPEndPoint(IPAddress.Parse("198.18.0.99"), 80);   // on the wire, but nobody has it
        Client.AkkaIoManager.Tell(new Tcp.Connect(silent, timeout: TimeSpan.FromSeconds(3)), probe.Ref);
        // The adapter may start on another thread: wait (real time) until it has opened, so its timer starts at 0.
        AwaitCondition(() => Client.Counters[TcpCounter.ActiveOpens] == 1, TimeSpan.FromSeconds(5));
        Run(TimeSpan.FromMilliseconds(2990));
        probe.ExpectNoMsg(TimeSpan.Zero);
        AssertCause(Await<Tcp.CommandFailed>(probe), "timed out");
        // The stack gives up after its SYN retries (1+2+...+64 s = 127 s); nothing reaches a stopped actor.
        Run(TimeSpan.FromSeconds(130));
        probe.ExpectNoMsg(TimeSpan.Zero);
        Client.Manager.Tell(GetTableSize.Instance, TestActor);
        Assert.Equal(0, ExpectMsg<TableSize>().Connections);
        AssertNoDeadLetters();
    }

    [Fact]
    public void Connection_and_listener_commands_sent_to_the_manager_get_CommandFailed()
    {
        Tcp.Command[] misplaced = [Tcp.Write.Create(ByteString.FromString("x")), Tcp.Close.Instance, Tcp.Unbind.Instance,
            new Tcp.ResumeAccepting(1), new Tcp.Register(TestActor), Tcp.ResumeReading.Instance];
        foreach (var c in misplaced)
        {
            Client.AkkaIoManager.Tell(c, TestActor);
            var f = ExpectMsg<Tcp.CommandFailed>();
            Assert.Same(c, f.Cmd);
            AssertCause(f, "not to the Tcp manager");
        }
        AssertNoDeadLetters();
    }

    // ---------------------------------------------------------------- listener

    [Fact]
    public void Unbind_is_answered_with_Unbound_by_the_listener_which_stops_and_new_connections_are_refused()
    {
        var service = Listen();
        var listener = service.LastSender;
        Watch(listener);
        listener.Tell(Tcp.Write.Create(ByteString.FromString("x")), service.Ref);
        AssertCause(service.ExpectMsg<Tcp.CommandFailed>(), "not a listener command");
        listener.Tell(new Tcp.ResumeAccepting(0), service.Ref);
        AssertCause(service.ExpectMsg<Tcp.CommandFailed>(), "at least 1");
        listener.Tell(Tcp.Unbind.Instance, service.Ref);
        service.ExpectMsg<Tcp.Unbound>();
        Assert.Equal(listener, service.LastSender);
        ExpectTerminated(listener);
        var client = CreateTestProbe();
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), client.Ref);
        AssertCause(Await<Tcp.CommandFailed>(client), "connection refused");
        // The port can be bound again.
        Listen();
        AssertNoDeadLetters();
    }

    [Fact]
    public void In_pull_mode_connections_are_accepted_only_as_ResumeAccepting_allows_and_Unbind_resets_the_waiting_ones()
    {
        var service = Listen(pullMode: true);
        var listener = service.LastSender;
        var first = CreateTestProbe();
        var second = CreateTestProbe();
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), first.Ref);
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), second.Ref);
        Await<Tcp.Connected>(first);
        first.LastSender.Tell(new Tcp.Register(first.Ref), first.Ref);
        Await<Tcp.Connected>(second);
        second.LastSender.Tell(new Tcp.Register(second.Ref), second.Ref);
        Run(TimeSpan.FromMilliseconds(50));
        service.ExpectNoMsg(TimeSpan.Zero);   // established in the stack, not accepted yet

        listener.Tell(new Tcp.ResumeAccepting(1), service.Ref);
        service.ExpectMsg<Tcp.Connected>();
        var accepted = service.LastSender;
        accepted.Tell(new Tcp.Register(service.Ref), service.Ref);
        Run(TimeSpan.FromMilliseconds(50));
        service.ExpectNoMsg(TimeSpan.Zero);   // one at a time

        listener.Tell(Tcp.Unbind.Instance, service.Ref);
        service.ExpectMsg<Tcp.Unbound>();
        // The accepted connection goes on; the waiting one is reset.
        var reset = Await<Tcp.ErrorClosed>(second);
        Assert.Contains("reset", reset.Cause);
        first.LastSender.Tell(Tcp.Write.Create(ByteString.FromString("still here")), first.Ref);
        Run(TimeSpan.FromMilliseconds(50));
        service.ExpectNoMsg(TimeSpan.Zero);   // a pull-mode listener's connections are in pull mode too
        accepted.Tell(Tcp.ResumeReading.Instance, service.Ref);
        Assert.Equal("still here", service.ExpectMsg<Tcp.Received>().Data.ToString());
        AssertNoDeadLetters();
    }

    // ---------------------------------------------------------------- connection

    [Fact]
    public void Writes_are_acked_to_the_writer_by_the_connection_NoAck_is_not_and_CompoundWrite_acks_each_part_in_order()
    {
        var (client, clientHandler, _, serverHandler) = Open();
        var writer = CreateTestProbe();
        client.Tell(Tcp.Write.Create(ByteString.FromString("one"), new Ack(1)), writer.Ref);
        Assert.Equal(1, writer.ExpectMsg<Ack>().N);
        Assert.Equal(client, writer.LastSender);
        client.Tell(Tcp.Write.Create(ByteString.FromString("two")), writer.Ref);   // NoAck
        client.Tell(Tcp.Write.Create(ByteString.FromString("three"), new Tcp.NoAck("token")), writer.Ref);
        client.Tell(Tcp.Write.Create(ByteString.Empty, new Ack(2)), writer.Ref);   // empty: acked at its turn
        Assert.Equal(2, writer.ExpectMsg<Ack>().N);
        var compound = Tcp.WriteCommand.Create(
            Tcp.Write.Create(ByteString.FromString("four"), new Ack(3)),
            Tcp.Write.Create(ByteString.FromString("five")),
            Tcp.Write.Create(ByteString.FromString("six"), new Ack(4)));
        Assert.IsType<Tcp.CompoundWrite>(compound);
        client.Tell(compound, writer.Ref);
        Assert.Equal(3, writer.ExpectMsg<Ack>().N);
        Assert.Equal(4, writer.ExpectMsg<Ack>().N);
        writer.ExpectNoMsg(TimeSpan.Zero);
        var all = ByteString.Empty;
        RunUntil(() =>
        {
            while (serverHandler.HasMessages)
                all = all.Concat(serverHandler.ExpectMsg<Tcp.Received>().Data);
            return all.Count == "onetwothreefourfivesix".Length;
        }, TimeSpan.FromSeconds(5));
        Assert.Equal("onetwothreefourfivesix", all.ToString());
        clientHandler.ExpectNoMsg(TimeSpan.Zero);
        AssertNoDeadLetters();
    }

    [Fact]
    public void Close_is_answered_with_Closed_to_the_closer_and_the_handler_the_peer_sees_PeerClosed_and_the_connection_stops()
    {
        var (client, clientHandler, server, serverHandler) = Open();
        Watch(client);
        Watch(server);
        var closer = CreateTestProbe();
        client.Tell(Tcp.Write.Create(ByteString.FromString("last words")), clientHandler.Ref);
        client.Tell(Tcp.Close.Instance, closer.Ref);
        client.Tell(Tcp.Write.Create(ByteString.FromString("too late")), closer.Ref);
        AssertCause(closer.ExpectMsg<Tcp.CommandFailed>(), "closing");
        client.Tell(Tcp.ConfirmedClose.Instance, closer.Ref);
        AssertCause(closer.ExpectMsg<Tcp.CommandFailed>(), "already closing");
        Assert.Equal("last words", Await<Tcp.Received>(serverHandler).Data.ToString());
        Await<Tcp.PeerClosed>(serverHandler);
        Assert.Equal(server, serverHandler.LastSender);
        Await<Tcp.Closed>(closer);
        Assert.Equal(client, closer.LastSender);
        clientHandler.ExpectMsg<Tcp.Closed>();
        RunUntil(() => HasMessages, TimeSpan.FromSeconds(1));
        var gone = new HashSet<IActorRef> { ExpectMsg<Terminated>().ActorRef, ExpectMsg<Terminated>().ActorRef };
        Assert.Equal(new HashSet<IActorRef> { client, server }, gone);
        Run(TimeSpan.FromSeconds(61));
        AssertNoDeadLetters();
    }

    [Fact]
    public void ConfirmedClose_is_answered_with_ConfirmedClosed_once_the_peer_has_closed_too()
    {
        var (client, clientHandler, _, serverHandler) = Open(serverKeepOpen: true);
        client.Tell(Tcp.ConfirmedClose.Instance, clientHandler.Ref);
        Await<Tcp.PeerClosed>(serverHandler);
        var server = serverHandler.LastSender;
        // Half-closed: the server may still write; the client still reads.
        server.Tell(Tcp.Write.Create(ByteString.FromString("after your FIN"), new Ack(1)), serverHandler.Ref);
        Assert.Equal(1, serverHandler.ExpectMsg<Ack>().N);
        Assert.Equal("after your FIN", Await<Tcp.Received>(clientHandler).Data.ToString());
        clientHandler.ExpectNoMsg(TimeSpan.Zero);
        server.Tell(Tcp.Close.Instance, serverHandler.Ref);
        Await<Tcp.ConfirmedClosed>(clientHandler);
        Await<Tcp.Closed>(serverHandler);
        Run(TimeSpan.FromSeconds(61));
        AssertNoDeadLetters();
    }

    [Fact]
    public void Abort_is_answered_with_Aborted_and_the_peer_sees_ErrorClosed()
    {
        var (client, clientHandler, _, serverHandler) = Open();
        Watch(client);
        var aborter = CreateTestProbe();
        client.Tell(Tcp.Abort.Instance, aborter.Ref);
        aborter.ExpectMsg<Tcp.Aborted>();
        clientHandler.ExpectMsg<Tcp.Aborted>();
        ExpectTerminated(client);
        Assert.Contains("reset", Await<Tcp.ErrorClosed>(serverHandler).Cause);
        Run(TimeSpan.FromSeconds(1));
        AssertNoDeadLetters();
    }

    [Fact]
    public void Commands_that_are_not_for_a_connection_get_CommandFailed_and_ResumeWriting_changes_nothing()
    {
        var (client, clientHandler, _, _) = Open();
        Tcp.Command[] misplaced = [new Tcp.Bind(TestActor, ServerEndPoint), new Tcp.Connect(ServerEndPoint), Tcp.Unbind.Instance, new Tcp.ResumeAccepting(1)];
        foreach (var c in misplaced)
        {
            client.Tell(c, TestActor);
            var f = ExpectMsg<Tcp.CommandFailed>();
            Assert.Same(c, f.Cmd);
            AssertCause(f, "not a connection command");
        }
        client.Tell(Tcp.ResumeWriting.Instance, TestActor);   // Akka.IO 1.5: no WritingResumed
        ExpectNoMsg(TimeSpan.Zero);
        clientHandler.ExpectNoMsg(TimeSpan.Zero);
        AssertNoDeadLetters();
    }

    [Fact]
    public void With_keepOpenOnPeerClosed_the_connection_stays_writable_after_PeerClosed_until_Close()
    {
        var (client, clientHandler, server, serverHandler) = Open(serverKeepOpen: true);
        client.Tell(Tcp.Close.Instance, clientHandler.Ref);
        Await<Tcp.PeerClosed>(serverHandler);
        server.Tell(Tcp.Write.Create(ByteString.FromString("bye"), new Ack(7)), serverHandler.Ref);
        Assert.Equal(7, serverHandler.ExpectMsg<Ack>().N);
        Await<Tcp.Closed>(clientHandler);   // our FIN was acknowledged
        server.Tell(Tcp.Close.Instance, serverHandler.Ref);
        Await<Tcp.Closed>(serverHandler);
        Run(TimeSpan.FromSeconds(61));
        AssertNoDeadLetters();
    }

    [Fact]
    public void When_the_handler_dies_the_connection_is_aborted()
    {
        var (client, clientHandler, _, serverHandler) = Open();
        Watch(client);
        Sys.Stop(clientHandler.Ref);
        ExpectTerminated(client);
        Assert.Contains("reset", Await<Tcp.ErrorClosed>(serverHandler).Cause);
        Run(TimeSpan.FromSeconds(1));
        AssertNoDeadLetters();
    }

    [Fact]
    public void Writes_before_Register_are_sent_and_data_waits_for_the_handler()
    {
        var service = Listen();
        var client = CreateTestProbe();
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), client.Ref);
        Await<Tcp.Connected>(client);
        var connection = client.LastSender;
        connection.Tell(Tcp.Write.Create(ByteString.FromString("early"), new Ack(1)), client.Ref);
        Assert.Equal(1, client.ExpectMsg<Ack>().N);
        Await<Tcp.Connected>(service);
        var server = service.LastSender;
        Run(TimeSpan.FromMilliseconds(100));
        service.ExpectNoMsg(TimeSpan.Zero);   // not registered yet: the stack holds the data
        server.Tell(new Tcp.Register(service.Ref), service.Ref);
        Assert.Equal("early", service.ExpectMsg<Tcp.Received>().Data.ToString());
        AssertNoDeadLetters();
    }

    [Fact]
    public void A_connection_whose_handler_does_not_Register_within_the_register_timeout_is_aborted_like_Akka_IO_s()
    {
        var service = Listen();
        var client = CreateTestProbe();
        Client.AkkaIoManager.Tell(new Tcp.Connect(ServerEndPoint), client.Ref);
        Await<Tcp.Connected>(client);
        client.LastSender.Tell(new Tcp.Register(client.Ref), client.Ref);
        Await<Tcp.Connected>(service);
        var server = service.LastSender;   // never registered
        Watch(server);
        Run(TimeSpan.FromMilliseconds(4990));   // akka.io.tcp.register-timeout = 5 s
        client.ExpectNoMsg(TimeSpan.Zero);
        Assert.Contains("reset", Await<Tcp.ErrorClosed>(client).Cause);
        ExpectTerminated(server);
        Run(TimeSpan.FromSeconds(1));
        AssertNoDeadLetters();
    }

    [Fact]
    public void SuspendReading_holds_data_and_ResumeReading_delivers_it()
    {
        var (client, _, server, serverHandler) = Open();
        server.Tell(Tcp.SuspendReading.Instance, serverHandler.Ref);
        client.Tell(Tcp.Write.Create(ByteString.FromString("held")));
        Run(TimeSpan.FromMilliseconds(100));
        serverHandler.ExpectNoMsg(TimeSpan.Zero);
        server.Tell(GetStatus.Instance, TestActor);
        var status = ExpectMsg<ConnectionStatus>();
        Assert.Equal(4, status.Undelivered);
        Assert.Equal(65535u - 4, status.RcvWnd);
        server.Tell(Tcp.ResumeReading.Instance, serverHandler.Ref);
        Assert.Equal("held", serverHandler.ExpectMsg<Tcp.Received>().Data.ToString());
        AssertNoDeadLetters();
    }

    // ---------------------------------------------------------------- socket options

    [Fact]
    public void Socket_options_in_Connect_set_the_connection_s_window_send_buffer_no_delay_and_keepalive()
    {
        var (client, _, _, _) = Open(options:
        [
            new Inet.SO.ReceiveBufferSize(1000), new Inet.SO.SendBufferSize(5000), new Inet.SO.ReuseAddress(true),
            new TcpActorsSO.TcpNoDelay(true), new TcpActorsSO.KeepAlive(true, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), 3),
        ]);
        client.Tell(GetStatus.Instance, TestActor);
        var s = ExpectMsg<ConnectionStatus>();
        Assert.Equal(1000u, s.RcvWnd);
        Assert.Equal(5000, s.SendBufferCapacity);
        Assert.True(s.NoDelay);
        Run(TimeSpan.FromSeconds(12));
        Assert.True(Client.Counters[TcpCounter.KeepaliveProbes] >= 1);
        client.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(TcpState.Established, ExpectMsg<ConnectionStatus>().State);   // the server answers the probes
        AssertNoDeadLetters();
    }

    [Fact]
    public void A_receive_buffer_above_65535_is_clamped_to_the_largest_window_without_scaling()
    {
        var (client, _, _, _) = Open(options: [new Inet.SO.ReceiveBufferSize(1 << 20)]);
        client.Tell(GetStatus.Instance, TestActor);
        Assert.Equal(65535u, ExpectMsg<ConnectionStatus>().RcvWnd);
        AssertNoDeadLetters();
    }
}
