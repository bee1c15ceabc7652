using TcpActors.Engine.Congestion;
using Akka.Configuration;
using TcpActors.Engine.Configuration;

namespace TcpActors.Engine.Tests.Configuration;

/// <summary>The tcp-actors configuration section: Linux's defaults, and invalid values refused with the key named.</summary>
public class TcpSettingsTests
{
    private static TcpSettings Parse(string hocon) => TcpSettings.Create(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void The_defaults_are_Linux_s_timer_values_and_RFC_6298_s_initial_RTO()
    {
        var d = TcpSettings.Default;
        Assert.Equal(TimeSpan.FromSeconds(1), d.InitialRto);          // RFC 6298 2.1, Linux TCP_TIMEOUT_INIT
        Assert.Equal(TimeSpan.FromMilliseconds(200), d.MinRto);       // Linux TCP_RTO_MIN
        Assert.Equal(TimeSpan.FromSeconds(120), d.MaxRto);            // Linux TCP_RTO_MAX
        Assert.Equal(6, d.SynRetries);                                // net.ipv4.tcp_syn_retries
        Assert.Equal(5, d.SynAckRetries);                             // net.ipv4.tcp_synack_retries
        Assert.Equal(15, d.Retries2);                                 // net.ipv4.tcp_retries2
        Assert.Equal(TimeSpan.FromSeconds(30), d.Msl);                // TCP_TIMEWAIT_LEN = 60 s = 2 MSL
        Assert.False(d.KeepaliveEnabled);                             // SO_KEEPALIVE off
        Assert.Equal(TimeSpan.FromHours(2), d.KeepaliveIdle);         // net.ipv4.tcp_keepalive_time = 7200
        Assert.Equal(TimeSpan.FromSeconds(75), d.KeepaliveInterval);  // net.ipv4.tcp_keepalive_intvl
        Assert.Equal(9, d.KeepaliveProbes);                           // net.ipv4.tcp_keepalive_probes
        Assert.Equal(TimeSpan.FromMilliseconds(40), d.DelayedAck);    // Linux TCP_DELACK_MIN
        Assert.Equal(TimeSpan.FromSeconds(60), d.FinTimeout);         // net.ipv4.tcp_fin_timeout
        Assert.Equal((ushort)32768, d.EphemeralMin);                  // net.ipv4.ip_local_port_range
        Assert.Equal((ushort)60999, d.EphemeralMax);
        Assert.Equal(1000, d.ChallengeAckLimit);                      // net.ipv4.tcp_challenge_ack_limit
    }

    [Fact]
    public void The_record_defaults_equal_reference_conf()
    {
        Assert.Equal(new TcpSettings(), TcpSettings.Default);
        Assert.Equal(TcpSettings.Default, TcpSettings.Create(ConfigurationFactory.Empty));
    }

    [Fact]
    public void Values_in_the_tcp_actors_section_override_the_defaults()
    {
        var s = Parse("""
            tcp-actors {
              initial-rto = 3s
              min-rto = 1s
              max-rto = 60s
              syn-retries = 2
              synack-retries = 1
              retries2 = 3
              msl = 10s
              delayed-ack = 0
              keepalive { enabled = on, idle = 10m, interval = 5s, probes = 3 }
            }
            """);
        Assert.Equal(TimeSpan.FromSeconds(3), s.InitialRto);
        Assert.Equal(TimeSpan.FromSeconds(1), s.MinRto);
        Assert.Equal(TimeSpan.FromSeconds(60), s.MaxRto);
        Assert.Equal(2, s.SynRetries);
        Assert.Equal(1, s.SynAckRetries);
        Assert.Equal(3, s.Retries2);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Msl);
        Assert.Equal(TimeSpan.Zero, s.DelayedAck);
        Assert.True(s.KeepaliveEnabled);
        Assert.Equal(TimeSpan.FromMinutes(10), s.KeepaliveIdle);
        Assert.Equal(TimeSpan.FromSeconds(5), s.KeepaliveInterval);
        Assert.Equal(3, s.KeepaliveProbes);
        Assert.Equal(TcpSettings.Default.ReceiveWindow, s.ReceiveWindow);   // untouched keys keep their defaults
    }

    [Theory]
    [InlineData("off", EcnMode.Off)]
    [InlineData("on", EcnMode.On)]
    [InlineData("passive", EcnMode.Passive)]
    [InlineData("0", EcnMode.Off)]       // Linux net.ipv4.tcp_ecn values
    [InlineData("1", EcnMode.On)]
    [InlineData("2", EcnMode.Passive)]
    public void Ecn_takes_off_on_passive_or_Linux_tcp_ecn_numbers_and_defaults_to_passive(string value, EcnMode mode)
    {
        Assert.Equal(EcnMode.Passive, TcpSettings.Default.Ecn);
        Assert.Equal(mode, Parse($"tcp-actors.ecn = {value}").Ecn);
    }

    [Fact]
    public void Receive_memory_settings_are_read_auto_tuning_initial_window_and_the_stack_wide_reassembly_limit()
    {
        Assert.True(TcpSettings.Default.ReceiveWindowAutoTuning);
        Assert.Equal(131072, TcpSettings.Default.ReceiveWindowInitial);
        Assert.Equal(64 << 20, TcpSettings.Default.ReassemblyLimitTotal);
        var s = Parse("tcp-actors { receive-window-auto-tuning = off, receive-window-initial = 65536, reassembly-limit-total = 1000 }");
        Assert.False(s.ReceiveWindowAutoTuning);
        Assert.Equal(65536, s.ReceiveWindowInitial);
        Assert.Equal(1000, s.ReassemblyLimitTotal);
    }

    [Theory]
    [InlineData("tcp-actors.ecn = 3", "tcp-actors.ecn")]
    [InlineData("tcp-actors.ecn = maybe", "tcp-actors.ecn")]
    [InlineData("tcp-actors.receive-window-auto-tuning = maybe", "tcp-actors.receive-window-auto-tuning")]
    [InlineData("tcp-actors.receive-window-initial = 0", "tcp-actors.receive-window-initial")]
    [InlineData("tcp-actors.reassembly-limit-total = -1", "tcp-actors.reassembly-limit-total")]
    [InlineData("tcp-actors.min-rto = -200ms", "tcp-actors.min-rto")]
    [InlineData("tcp-actors.max-rto = -1s", "tcp-actors.max-rto")]
    [InlineData("tcp-actors.initial-rto = -1s", "tcp-actors.initial-rto")]
    [InlineData("tcp-actors.msl = -30s", "tcp-actors.msl")]
    [InlineData("tcp-actors.delayed-ack = -40ms", "tcp-actors.delayed-ack")]
    [InlineData("tcp-actors.fin-timeout = -1s", "tcp-actors.fin-timeout")]
    [InlineData("tcp-actors.keepalive.idle = -2h", "tcp-actors.keepalive.idle")]
    [InlineData("tcp-actors.keepalive.interval = -75s", "tcp-actors.keepalive.interval")]
    [InlineData("tcp-actors.msl = 0s", "tcp-actors.msl")]
    [InlineData("tcp-actors.min-rto = 0", "tcp-actors.min-rto")]
    [InlineData("tcp-actors.syn-retries = -1", "tcp-actors.syn-retries")]
    [InlineData("tcp-actors.synack-retries = -1", "tcp-actors.synack-retries")]
    [InlineData("tcp-actors.retries2 = 0", "tcp-actors.retries2")]
    [InlineData("tcp-actors.keepalive.probes = 0", "tcp-actors.keepalive.probes")]
    [InlineData("tcp-actors.syn-retries = abc", "tcp-actors.syn-retries")]
    [InlineData("tcp-actors.syn-retries = 1.5", "tcp-actors.syn-retries")]
    [InlineData("tcp-actors.min-rto = abc", "tcp-actors.min-rto")]
    [InlineData("tcp-actors.msl = abc", "tcp-actors.msl")]
    [InlineData("tcp-actors.keepalive.idle = abc", "tcp-actors.keepalive.idle")]
    [InlineData("tcp-actors.delayed-ack = 40 parsecs", "tcp-actors.delayed-ack")]
    [InlineData("tcp-actors.keepalive.enabled = maybe", "tcp-actors.keepalive.enabled")]
    [InlineData("tcp-actors { min-rto = 2s, max-rto = 1s }", "tcp-actors.min-rto")]
    [InlineData("tcp-actors.initial-rto = 100ms", "tcp-actors.initial-rto")]
    [InlineData("tcp-actors.initial-rto = 200s", "tcp-actors.initial-rto")]
    [InlineData("tcp-actors { receive-window = 65536, window-scaling = off }", "tcp-actors.receive-window")]
    [InlineData("tcp-actors.receive-window = 1073725441", "tcp-actors.receive-window")]   // above 65535 << 14
    [InlineData("tcp-actors.sack = maybe", "tcp-actors.sack")]
    [InlineData("tcp-actors.ephemeral-ports { min = 60000, max = 50000 }", "tcp-actors.ephemeral-ports.min")]
    public void An_invalid_value_throws_a_ConfigurationException_naming_the_full_key(string hocon, string key)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(hocon));
        Assert.StartsWith(key + ":", e.Message);
    }

    [Fact]
    public void Starting_a_stack_in_an_actor_system_with_an_invalid_value_fails_naming_the_key()
    {
        using var system = Akka.Actor.ActorSystem.Create("bad-config", ConfigurationFactory.ParseString("tcp-actors.syn-retries = -1"));
        var link = new Engine.Link.ProbeLink(Akka.Actor.ActorRefs.Nobody, system.Scheduler);
        var e = Assert.Throws<ConfigurationException>(() => TcpStack.Start(system, link, Engine.Wire.Ipv4Address.Parse("198.18.0.2")));
        Assert.Equal("tcp-actors.syn-retries: -1 is outside 0..127", e.Message);
    }

    [Theory]
    [InlineData("tcp-actors.min-rto = abc", "tcp-actors.min-rto: 'abc' is not a duration (e.g. 200ms, 1s, 2h)")]
    [InlineData("tcp-actors.msl = -30s", "tcp-actors.msl: '-30s' must be positive")]
    [InlineData("tcp-actors.delayed-ack = -40ms", "tcp-actors.delayed-ack: '-40ms' must be zero or more")]
    [InlineData("tcp-actors.msl = 0s", "tcp-actors.msl: 00:00:00 must be positive")]
    [InlineData("tcp-actors { min-rto = 2s, max-rto = 1s }", "tcp-actors.min-rto: 00:00:02 is above max-rto (00:00:01)")]
    public void The_message_says_what_is_wrong_with_the_value(string hocon, string message) =>
        Assert.Equal(message, Assert.Throws<ConfigurationException>(() => Parse(hocon)).Message);
}
