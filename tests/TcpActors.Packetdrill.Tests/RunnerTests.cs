using TcpActors.Packetdrill.Runner;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Tests;

/// <summary>The runner is honest: a script passes only when every check ran and matched.</summary>
public class RunnerTests
{
    private const string Handshake = """
        0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0  bind(3, ..., ...) = 0
        +0  listen(3, 1) = 0
        +0  < S 0:0(0) win 65535 <mss 1000>
        +0  > S. 0:0(0) ack 1 <mss 1460>
        +.1 < . 1:1(0) ack 1 win 65535
        +0  accept(3, ..., ...) = 4

        """;

    private static ScriptResult Run(string text) => ScriptRunner.Run(ScriptParser.Parse(Path.Combine(Path.GetTempPath(), "inline.pkt"), text));

    [Fact]
    public void A_matching_script_passes() =>
        Assert.Equal(Verdict.Pass, Run(Handshake + "+0 write(4, ..., 3000) = 3000\n+0 > P. 1:3001(3000) ack 1\n").Verdict);

    [Theory]
    [InlineData("+0 > S. 0:0(0) ack 1 <mss 1000>", "options: expected <mss 1000>, sent <mss 1460>")]
    [InlineData("+0 > S. 0:0(0) ack 2 <mss 1460>", "ack: expected 2, sent 1")]
    [InlineData("+0 > S 0:0(0) <mss 1460>", "flags: expected S, sent S.")]
    [InlineData("+.5 > S. 0:0(0) ack 1 <mss 1460>", "timing: expected between")]
    [InlineData("+0 > S. 0:0(0) ack 1 win 100 <mss 1460>", "window: expected 100, sent 65535")]
    public void A_wrong_expectation_fails_and_shows_the_packet(string line, string message)
    {
        var r = Run($"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 65535 <mss 1000>\n{line}\n");
        Assert.Equal(Verdict.Fail, r.Verdict);
        Assert.Contains(message, r.Reason);
        Assert.Contains("inline.pkt:5: " + line, r.Reason);
    }

    [Fact]
    public void A_missing_packet_fails() =>
        Assert.Contains("the stack sent nothing", Run(Handshake + "+0 > . 1:1(0) ack 1\n").Reason);

    [Fact]
    public void A_wrong_return_value_fails() =>
        Assert.Contains("read() returned -1 EAGAIN, expected 10",
            Run(Handshake + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = 10\n").Reason ?? "");

    [Fact]
    public void A_blocking_call_that_returns_late_fails()
    {
        var r = Run(Handshake + "+0...0.1 read(4, ..., 10) = 10\n+.3 < P. 1:11(10) ack 1 win 65535\n");
        Assert.Equal(Verdict.Fail, r.Verdict);
        Assert.Contains("read() returned at 0.400s, expected at 0.200s", r.Reason);
    }

    [Fact]
    public void An_unknown_sysctl_is_unsupported()
    {
        var r = Run("`sysctl -q net.ipv4.tcp_no_such_thing=1`\n" + Handshake);
        Assert.Equal(Verdict.Unsupported, r.Verdict);
        Assert.Contains("unknown sysctl net.ipv4.tcp_no_such_thing=1", r.Reason);
    }

    [Fact]
    public void A_tcp_info_field_the_stack_does_not_expose_is_unsupported()
    {
        var r = Run(Handshake + "+0 %{ assert tcpi_reordering == 3 }%\n");
        Assert.Equal(Verdict.Unsupported, r.Verdict);
        Assert.Contains("tcpi_reordering is not exposed", r.Reason);
    }

    [Fact]
    public void Tcp_info_assertions_on_exposed_fields_are_checked()
    {
        Assert.Equal(Verdict.Pass, Run(Handshake + "+0 %{ assert tcpi_state == TCP_ESTABLISHED; assert 200000 <= tcpi_rto <= 400000 }%\n").Verdict);
        var r = Run(Handshake + "+0 %{ assert tcpi_state == TCP_CLOSE_WAIT }%\n");
        Assert.Equal(Verdict.Fail, r.Verdict);
        Assert.Contains("tcpi_state=1", r.Reason);
    }

    [Fact]
    public void Unsupported_socket_options_are_reported()
    {
        var r = Run(Handshake + "+0 setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [1000], 4) = 0\n");
        Assert.Equal(Verdict.Unsupported, r.Verdict);
        Assert.Contains("TCP_USER_TIMEOUT", r.Reason);
    }

    [Fact]
    public void Tcp_info_fields_from_the_new_status_are_checked()
    {
        // IW 10 (RFC 6928), the peer's MSS 1000 (no timestamps), no window scaling offered by the peer.
        Assert.Equal(Verdict.Pass, Run(Handshake + "+0 %{ assert tcpi_snd_cwnd == 10; assert tcpi_snd_mss == 1000; assert tcpi_snd_wscale == 0 }%\n").Verdict);
    }

    [Fact]
    public void Legacy_scripts_are_answered_with_wscale_6_and_linux_defaults_ones_with_wscale_8()
    {
        Assert.Equal(6, (TcpActors.Engine.Configuration.TcpSettings.Default with { ReceiveWindow = Profile.LegacyReceiveWindow }).ReceiveWindowShift);
        // Linux's tcp_rmem max of defaults.sh, 15 MiB: shift 8.
        Assert.Equal(8, (TcpActors.Engine.Configuration.TcpSettings.Default with { ReceiveWindow = 15 * 1024 * 1024 }).ReceiveWindowShift);
    }
}
