using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.IO;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Hosting;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;
using TcpSettings = TcpActors.Engine.Configuration.TcpSettings;

namespace TcpActors.Engine.Tests.Hosting;

/// <summary>Akka.Hosting's <c>WithTcpActors</c>, and the extension used without Microsoft.Extensions.Hosting.</summary>
public class TcpActorsHostingTests
{
    private static readonly Ipv4Address A = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address B = Ipv4Address.Parse("198.18.0.2");

    /// <summary>Accepts one connection and echoes it (Akka.IO style), for a round trip through the hosted stacks.</summary>
    private sealed class Echo : ReceiveActor
    {
        public Echo()
        {
            Receive<Tcp.Connected>(_ => Sender.Tell(new Tcp.Register(Self)));
            Receive<Tcp.Received>(r => Sender.Tell(Tcp.Write.Create(r.Data)));
            Receive<Tcp.Event>(_ => { });
        }
    }

    [Fact]
    public async Task WithTcpActors_turns_options_into_HOCON_starts_the_stacks_with_the_system_and_registers_the_managers()
    {
        MemoryWire? wire = null;
        MemoryWire Wire(ActorSystem s) => wire ??= new MemoryWire(s.Scheduler);
        int factories = 0;
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosted", builder =>
            {
                builder.AddHocon(ConfigurationFactory.ParseString("""
                    akka.loglevel = WARNING
                    tcp-actors.receive-window = 1000
                    tcp-actors.msl = 5s
                    """), HoconAddMode.Prepend);
                builder.WithTcpActors(o =>
                {
                    o.ReceiveWindow = 2000;                 // set here: wins over the HOCON above
                    o.DelayedAck = TimeSpan.FromTicks(2500); // 250 us
                    o.WriteCommandsQueueMaxSize = 7;
                    o.AddStack(A, s => Wire(s).A);          // "default"
                    // The host's way: a link factory and a restart backoff (the stack runs under a BackoffSupervisor).
                    o.AddStack(B, s =>
                    {
                        factories++;
                        var link = Wire(s).B;
                        return new LinkFactory(() => link, link.Mtu);
                    }, restartBackoff: (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), name: "peer");
                });
            }))
            .Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            Assert.True(system.HasExtension<TcpActorsExtension>());
            var tcp = system.TcpActors();
            Assert.Same(tcp, TcpActorsExtension.Get(system));
            Assert.Equal(2000, tcp.Settings.ReceiveWindow);
            Assert.Equal(TimeSpan.FromSeconds(5), tcp.Settings.Msl);                // not set in the options: the HOCON stays
            Assert.Equal(TimeSpan.FromTicks(2500), tcp.Settings.DelayedAck);
            Assert.Equal(TimeSpan.FromSeconds(60), tcp.Settings.FinTimeout);        // reference.conf
            Assert.Equal(7, tcp.AkkaIoSettings.WriteCommandsQueueMaxSize);
            Assert.Equal(["default", "peer"], tcp.Stacks.Select(s => s.Name).Order());
            Assert.Equal(1, factories);

            var manager = await host.Services.GetRequiredService<IRequiredActor<TcpActorsManager>>().GetAsync();
            var akkaIo = await host.Services.GetRequiredService<IRequiredActor<TcpActorsAkkaIoManager>>().GetAsync();
            Assert.Equal(tcp.GetStack("default").Manager, manager);
            Assert.Equal(tcp.GetStack("default").AkkaIoManager, akkaIo);

            // A round trip through both hosted stacks, in Akka.IO's protocol.
            var echo = system.ActorOf(Props.Create(() => new Echo()));
            var endpoint = new IPEndPoint(B.ToIPAddress(), 7);
            var bound = await tcp.GetStack("peer").AkkaIoManager.Ask<Tcp.Event>(new Tcp.Bind(echo, endpoint), TimeSpan.FromSeconds(5));
            Assert.IsType<Tcp.Bound>(bound);
            var connected = await akkaIo.Ask<Tcp.Event>(new Tcp.Connect(endpoint), TimeSpan.FromSeconds(5));
            Assert.IsType<Tcp.Connected>(connected);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Options_become_HOCON_only_for_what_is_set_and_it_parses_to_the_same_settings()
    {
        Assert.Equal("", new TcpActorsOptions().ToHocon());
        var o = new TcpActorsOptions
        {
            Dispatcher = "my \"dispatcher\"",
            KeepaliveEnabled = true,
            KeepaliveIdle = TimeSpan.FromMinutes(5),
            MinRto = TimeSpan.FromMilliseconds(250),
            InitialRto = TimeSpan.FromSeconds(1.5),
            SynQueue = 16,
            WriteQueueMaxBytes = 1L << 33,
            Ecn = TcpActors.Engine.Congestion.EcnMode.On,
            ReceiveWindowAutoTuning = false,
            ReassemblyLimitTotal = 1 << 20,
        };
        var config = ConfigurationFactory.ParseString(o.ToHocon());
        var s = TcpSettings.Create(config);
        Assert.Equal("my \"dispatcher\"", s.Dispatcher);
        Assert.True(s.KeepaliveEnabled);
        Assert.Equal(TimeSpan.FromMinutes(5), s.KeepaliveIdle);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.MinRto);
        Assert.Equal(TimeSpan.FromSeconds(1.5), s.InitialRto);
        Assert.Equal(16, s.SynQueue);
        Assert.Equal(TcpActors.Engine.Congestion.EcnMode.On, s.Ecn);
        Assert.False(s.ReceiveWindowAutoTuning);
        Assert.Equal(1 << 20, s.ReassemblyLimitTotal);
        Assert.Equal(TcpSettings.Default.MaxRto, s.MaxRto);
        Assert.Equal(1L << 33, TcpActors.Engine.AkkaIo.AkkaIoSettings.Create(config).WriteQueueMaxBytes);
        // A bad value is refused with its key, as from any HOCON.
        var bad = new TcpActorsOptions { Msl = TimeSpan.FromSeconds(-1) };
        var e = Assert.Throws<ConfigurationException>(() => TcpSettings.Create(ConfigurationFactory.ParseString(bad.ToHocon())));
        Assert.Contains("tcp-actors.msl", e.Message);
    }

    [Fact]
    public async Task The_extension_works_without_Microsoft_Extensions_Hosting()
    {
        using var system = ActorSystem.Create("plain", "akka.loglevel = WARNING\ntcp-actors.send-buffer = 4096");
        var tcp = TcpActorsExtension.Get(system);
        Assert.Equal(4096, tcp.Settings.SendBuffer);
        Assert.Throws<InvalidOperationException>(() => tcp.DefaultStack);
        var wire = new MemoryWire(system.Scheduler);
        var first = tcp.AddStack(wire.A, A, "first");
        Assert.Same(first, tcp.DefaultStack);                 // no "default": the first one added
        Assert.Equal(first.Manager, tcp.Manager);
        var other = tcp.AddStack(wire.B, B, "default");
        Assert.Same(other, tcp.DefaultStack);                 // the one named "default" is preferred
        Assert.Throws<InvalidOperationException>(() => tcp.AddStack(new MemoryWire(system.Scheduler).A, A, "first"));
        Assert.Throws<ArgumentException>(() => tcp.AddStack(new MemoryWire(system.Scheduler).A, A, "not/valid"));
        Assert.Equal("/user/tcp-actors-first", first.Manager.Path.ToStringWithoutAddress());
        Assert.Equal("/user/tcp-actors-first-akka-io", first.AkkaIoManager.Path.ToStringWithoutAddress());

        // The stack's own protocol works through the extension's manager.
        var bound = await other.Manager.Ask<ITcpEvent>(new Bind(ActorRefs.Nobody, 9), TimeSpan.FromSeconds(5));
        Assert.Equal(new Bound(B, 9), bound);

        Assert.True(tcp.RemoveStack("default"));
        Assert.False(tcp.RemoveStack("default"));
        Assert.Same(first, tcp.DefaultStack);
        await system.Terminate();
    }

    [Fact]
    public async Task An_invalid_tcp_actors_setting_fails_when_the_extension_is_created()
    {
        using var system = ActorSystem.Create("invalid", "akka.loglevel = OFF\ntcp-actors.akka-io.write-commands-queue-max-size = 0");
        var e = Assert.ThrowsAny<Exception>(() => TcpActorsExtension.Get(system));
        Assert.Contains("write-commands-queue-max-size", (e.InnerException ?? e).Message);
        await system.Terminate();
    }
}
