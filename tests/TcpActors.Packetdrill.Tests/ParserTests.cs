using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Tests;

public class ParserTests
{
    private static PdScript Parse(string text) => ScriptParser.Parse("t.pkt", text);

    private static ScriptSyntaxException Error(string text) => Assert.Throws<ScriptSyntaxException>(() => Parse(text));

    [Fact]
    public void Options_init_and_comments()
    {
        var s = Parse("""
            // a comment
            --tolerance_usecs=405000
            --mss=1000
            /* block
               comment */
            `../common/defaults.sh`
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3  // trailing
            """);
        Assert.Equal([new ScriptOption("tolerance_usecs", "405000", 2), new ScriptOption("mss", "1000", 3)], s.Options);
        Assert.Equal("../common/defaults.sh", s.Init!.Text);
        var e = Assert.IsType<SyscallEvent>(Assert.Single(s.Events));
        Assert.Equal("socket", e.Name);
        Assert.Equal(3, e.Result);
        Assert.Equal(7, e.Line);
        Assert.Equal([new EllipsisExpr(), new NameExpr("SOCK_STREAM"), new NameExpr("IPPROTO_TCP")], e.Args);
    }

    [Fact]
    public void Times_absolute_relative_range_and_any()
    {
        var s = Parse("""
            0.100 < S 0:0(0) win 100
            +.1 > S. 0:0(0) ack 1
            +0~+.04 > . 1:1(0) ack 1
            1.5~2.5 > . 1:1(0) ack 1
            * > F. 1:1(0) ack 1
            """);
        Assert.Equal(new EventTime(TimeKind.Absolute, 0.1), s.Events[0].Time);
        Assert.Equal(new EventTime(TimeKind.Relative, 0.1), s.Events[1].Time);
        Assert.Equal(new EventTime(TimeKind.Relative, 0, 0.04, true), s.Events[2].Time);
        Assert.Equal(new EventTime(TimeKind.Absolute, 1.5, 2.5, false), s.Events[3].Time);
        Assert.Equal(TimeKind.Any, s.Events[4].Time.Kind);
    }

    [Fact]
    public void Packet_lines_with_options()
    {
        var s = Parse("""
            0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
            0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 6>
            0 < . 1:1(0) ack 1001 win 257 <sack 2001:3001 4001:5001,nop,nop>
            0 > P. 1:1001(1000) ack 1 win 65535 <...>
            0 < - 1:1001(1000) win 20000
            0 < FP. 1001:2001(1000) ack 1 win 257 <eol>
            """);
        var syn = Assert.IsType<PacketEvent>(s.Events[0]);
        Assert.Equal(Direction.Inbound, syn.Direction);
        Assert.Equal("S", syn.Flags);
        Assert.Equal(32792u, syn.Window);
        Assert.Equal(["mss 1000", "sackOK", "nop", "nop", "nop", "wscale 7"], syn.Options!.Select(o => o.ToString()));
        var synAck = Assert.IsType<PacketEvent>(s.Events[1]);
        Assert.Equal(Direction.Outbound, synAck.Direction);
        Assert.Equal(1u, synAck.Ack);
        Assert.Null(synAck.Window);
        Assert.Equal(new PacketOption(OptionKind.Timestamp, [100, 0]).ToString(), synAck.Options![2].ToString());
        var sack = Assert.IsType<PacketEvent>(s.Events[2]);
        Assert.Equal([2001u, 3001, 4001, 5001], sack.Options![0].Values);
        var data = Assert.IsType<PacketEvent>(s.Events[3]);
        Assert.True(data.AnyOptions);
        Assert.Equal((1u, 1001u, 1000), (data.Start, data.End, data.Length));
        var none = Assert.IsType<PacketEvent>(s.Events[4]);
        Assert.Equal("-", none.Flags);
        Assert.Null(none.Ack);
        Assert.Equal("FP.", ((PacketEvent)s.Events[5]).Flags);
    }

    [Fact]
    public void Syscalls_with_errno_blocking_and_structures()
    {
        var s = Parse("""
            0.100 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
            +0...0.200 accept(3, ..., ...) = 4
            0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
            0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
            0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
            0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
            0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
            0 send(4, ..., 1000, 0) = 1000
            """);
        var connect = (SyscallEvent)s.Events[0];
        Assert.Equal((-1L, "EINPROGRESS", "Operation now in progress"), (connect.Result, connect.Errno, connect.Note));
        var accept = (SyscallEvent)s.Events[1];
        Assert.Equal(0.2, accept.EndTime);
        Assert.Equal(TimeKind.Relative, accept.Time.Kind);
        var linger = Assert.IsType<StructExpr>(((SyscallEvent)s.Events[2]).Args[3]);
        Assert.Equal(new IntExpr(1), linger["onoff"]);
        Assert.Equal(2, ((SyscallEvent)s.Events[3]).Result);
        Assert.Equal("O_RDWR|O_NONBLOCK", ((SyscallEvent)s.Events[4]).Args[2].ToString());
        var poll = Assert.IsType<ListExpr>(((SyscallEvent)s.Events[5]).Args[0]);
        Assert.Equal("POLLIN|POLLOUT", ((StructExpr)poll.Items[0])["events"]!.ToString());
        Assert.Equal("[0]", ((SyscallEvent)s.Events[6]).Args[3].ToString());
    }

    [Fact]
    public void Code_blocks()
    {
        var s = Parse("""
            +1 %{ assert 990 <= tcpi_last_data_recv <= 1010, tcpi_last_data_recv }%
            +0 %{
            assert tcpi_state == TCP_ESTABLISHED
            assert tcpi_rto >= 200000
            }%
            """);
        Assert.Equal("assert 990 <= tcpi_last_data_recv <= 1010, tcpi_last_data_recv", ((CodeEvent)s.Events[0]).Code);
        Assert.Contains("tcpi_rto", ((CodeEvent)s.Events[1]).Code);
    }

    [Theory]
    [InlineData("0 < S 0:0(0) <mss 1000>", 1, 1, "needs 'win'")]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0 < S 0:0(0) win 1 <mss 1000,bogus 3>", 2, 30, "unknown TCP option 'bogus'")]
    [InlineData("0 > X 0:0(0)", 1, 5, "unknown TCP flag 'X'")]
    [InlineData("0 > S. 0:10(5) ack 1", 1, 8, "does not hold 5 bytes")]
    [InlineData("0 write(4, ..., 10) 10", 1, 21, "expected '='")]
    [InlineData("\n\n  +.1 < . 1:1(0) ack x win 1", 3, 22, "the ack number")]
    [InlineData("* socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", 1, 1, "only on outbound packets")]
    [InlineData("0 %{ assert 1 == 1", 1, 1, "unterminated %{")]
    [InlineData("0 close(3) = 0\n--mss=1000", 2, 1, "before the first event")]
    [InlineData("`../common/defaults.sh", 1, 1, "unterminated init command")]
    [InlineData("0 < [ce2] P. 1:2(1) ack 1 win 1", 1, 5, "unknown ECN codepoint")]
    [InlineData("0 < [ect01] P. 1:2(1) ack 1 win 1", 1, 5, "only on outbound packets")]
    public void Syntax_errors_name_file_line_and_column(string text, int line, int column, string message)
    {
        var e = Error(text);
        Assert.Equal("t.pkt", e.File);
        Assert.Contains(message, e.Reason);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.StartsWith($"t.pkt:{line}:{column}: syntax error:", e.Message);
    }

    [Fact]
    public void The_IP_ECN_field_may_be_written_before_the_flags_as_packetdrill_does()
    {
        var s = Parse("""
            0 < [ce] P. 1:1001(1000) ack 1 win 100
            +0 > [ect01] EP. 1:1(0) ack 1001
            +0 > W. 1:1(0) ack 1001
            """);
        var events = s.Events.Cast<PacketEvent>().ToList();
        Assert.Equal(("ce", "P."), (events[0].IpEcn, events[0].Flags));
        Assert.Equal(("ect01", "EP."), (events[1].IpEcn, events[1].Flags));
        Assert.Null(events[2].IpEcn);
    }
}
