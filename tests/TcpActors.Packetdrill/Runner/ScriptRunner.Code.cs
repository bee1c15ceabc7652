using System.Text.RegularExpressions;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// <c>%{ ... }%</c> blocks. packetdrill runs them as Python with the socket's TCP_INFO in tcpi_* variables. The
/// runner evaluates the simple form the corpus uses, <c>assert A op B [op C] [, message]</c> (chained comparisons
/// over integers, tcpi_* names and + - * / // %), one per line or separated by ';', with the fields the stack's
/// STATUS (ConnectionStatus) exposes. Anything else, or another field, makes the script Unsupported.
/// </summary>
public sealed partial class ScriptRunner
{
    /// <summary>TCP_INFO fields we can answer from ConnectionStatus (Linux units: microseconds, bytes, counts).</summary>
    private static readonly Dictionary<string, Func<ConnectionStatus, long>> TcpInfo = new()
    {
        ["tcpi_state"] = st => LinuxState(st.State),
        ["tcpi_rto"] = st => (long)(st.Rto.Ticks / 10),
        ["tcpi_rtt"] = st => st.SmoothedRtt is { } r ? r.Ticks / 10 : 0,
        ["tcpi_total_retrans"] = st => st.Retransmits,
        ["tcpi_bytes_received"] = st => st.BytesReceived,
        ["tcpi_snd_wnd"] = st => st.SndWnd,
        ["tcpi_rcv_wnd"] = st => st.RcvWnd,
        ["tcpi_last_data_recv"] = st => (long)st.LastDataReceived.TotalMilliseconds,
        ["tcpi_snd_mss"] = st => st.SendMss,
        ["tcpi_snd_cwnd"] = st => st.SendMss > 0 ? st.Cwnd / st.SendMss : 0,
        ["tcpi_snd_ssthresh"] = st => st.Ssthresh == int.MaxValue ? 0x7fffffff : st.SendMss > 0 ? st.Ssthresh / st.SendMss : 0,
        ["tcpi_snd_wscale"] = st => st.SndWindowShift,
        ["tcpi_rcv_wscale"] = st => st.RcvWindowShift,
    };

    private static readonly Dictionary<string, long> Constants = new()
    {
        ["TCP_ESTABLISHED"] = 1, ["TCP_SYN_SENT"] = 2, ["TCP_SYN_RECV"] = 3, ["TCP_FIN_WAIT1"] = 4, ["TCP_FIN_WAIT2"] = 5,
        ["TCP_TIME_WAIT"] = 6, ["TCP_CLOSE"] = 7, ["TCP_CLOSE_WAIT"] = 8, ["TCP_LAST_ACK"] = 9, ["TCP_LISTEN"] = 10, ["TCP_CLOSING"] = 11,
    };

    private static long LinuxState(TcpState s) => s switch
    {
        TcpState.Established => 1, TcpState.SynSent => 2, TcpState.SynReceived => 3, TcpState.FinWait1 => 4,
        TcpState.FinWait2 => 5, TcpState.TimeWait => 6, TcpState.Closed => 7, TcpState.CloseWait => 8,
        TcpState.LastAck => 9, TcpState.Listen => 10, TcpState.Closing => 11, _ => -1,
    };

    private void Code(CodeEvent c)
    {
        var statements = c.Code.Split(['\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        // Check everything is understood before running anything.
        var parsed = statements.Select(ParseAssert).ToList();
        double t = Scheduled(c.Time)!.Value;
        AdvanceTo(Sec(t));
        _lastEventTime = t;
        var status = Status();
        foreach (var (text, cond) in parsed)
        {
            long Lookup(string name)
            {
                if (Constants.TryGetValue(name, out long k)) return k;
                if (status is null)
                    return name == "tcpi_state" ? 7 : throw Fail($"%{{ {text} }}%: the connection is gone, {name} has no value");
                return TcpInfo[name](status);
            }
            if (!cond.Eval(Lookup, out string detail))
                throw Fail($"assertion failed: {text} ({detail})");
        }
    }

    /// <summary>STATUS of the script's connection (null when the connection actor has stopped: CLOSED).</summary>
    private ConnectionStatus? Status()
    {
        var sock = _lastConnection ?? throw new UnsupportedException("%{ }% before any connection exists");
        if (sock.Connection is not { } conn)
            throw new UnsupportedException("%{ }% on a connection the runner has no actor for");
        return StatusOf(conn);
    }

    /// <summary>STATUS of a connection actor (null when it has stopped).</summary>
    private ConnectionStatus? StatusOf(IActorRef conn)
    {
        var inbox = new List<(object, IActorRef)>();
        var probe = _sys.ActorOf(Sink.Props(inbox));
        WaitStarted(probe);
        conn.Tell(GetStatus.Instance, probe);
        _sys.Stop(probe);
        return inbox.Select(m => m.Item1).OfType<ConnectionStatus>().FirstOrDefault();
    }

    private static readonly Regex Token = new(@"\s*(?:(?<num>\d+)|(?<name>[A-Za-z_][A-Za-z_0-9]*)|(?<op><=|>=|==|!=|//|[<>+\-*/%(),]))", RegexOptions.Compiled);

    private (string Text, Cond Cond) ParseAssert(string statement)
    {
        if (!statement.StartsWith("assert ", StringComparison.Ordinal))
            throw new UnsupportedException($"%{{ {statement} }}%: only 'assert' statements are supported");
        var tokens = new List<string>();
        int pos = "assert ".Length;
        while (pos < statement.Length)
        {
            if (char.IsWhiteSpace(statement[pos])) { pos++; continue; }
            var m = Token.Match(statement, pos);
            if (!m.Success || m.Index != pos && statement[pos..m.Index].Trim().Length > 0)
                throw new UnsupportedException($"%{{ {statement} }}%: cannot read '{statement[pos..]}'");
            tokens.Add(m.Value.Trim());
            pos = m.Index + m.Length;
        }
        // Drop the message after a top-level comma.
        int depth = 0, cut = tokens.Count;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == "(") depth++;
            else if (tokens[i] == ")") depth--;
            else if (tokens[i] == "," && depth == 0) { cut = i; break; }
        }
        var p = new ExprParser(tokens.Take(cut).ToList(), statement);
        var cond = p.ParseCond();
        return (statement, cond);
    }

    internal abstract record Num
    {
        public abstract long Eval(Func<string, long> lookup);
    }

    private sealed record Lit(long V) : Num { public override long Eval(Func<string, long> lookup) => V; }
    private sealed record Var(string N) : Num { public override long Eval(Func<string, long> lookup) => lookup(N); }
    private sealed record Bin(string Op, Num L, Num R) : Num
    {
        public override long Eval(Func<string, long> lookup)
        {
            long l = L.Eval(lookup), r = R.Eval(lookup);
            return Op switch
            {
                "+" => l + r, "-" => l - r, "*" => l * r,
                "/" or "//" => r == 0 ? throw new DivideByZeroException() : (long)Math.Floor((double)l / r),
                "%" => l % r,
                _ => throw new InvalidOperationException(Op),
            };
        }
    }

    internal sealed record Cond(List<Num> Operands, List<string> Ops)
    {
        public bool Eval(Func<string, long> lookup, out string detail)
        {
            var values = Operands.Select(o => o.Eval(lookup)).ToList();
            var names = Operands.Select((o, i) => o is Var v ? $"{v.N}={values[i]}" : null).Where(x => x is not null);
            detail = string.Join(", ", names.DefaultIfEmpty(string.Join(" ", values)));
            for (int i = 0; i < Ops.Count; i++)
            {
                long a = values[i], b = values[i + 1];
                bool ok = Ops[i] switch
                {
                    "<" => a < b, "<=" => a <= b, ">" => a > b, ">=" => a >= b, "==" => a == b, "!=" => a != b,
                    _ => false,
                };
                if (!ok) return false;
            }
            return true;
        }
    }

    private sealed class ExprParser(List<string> tokens, string text)
    {
        private int _i;
        private string? Peek => _i < tokens.Count ? tokens[_i] : null;

        private UnsupportedException Unsupported(string why) => new($"%{{ {text} }}%: {why}");

        public Cond ParseCond()
        {
            var operands = new List<Num> { Sum() };
            var ops = new List<string>();
            while (Peek is "<" or "<=" or ">" or ">=" or "==" or "!=")
            {
                ops.Add(tokens[_i++]);
                operands.Add(Sum());
            }
            if (Peek is not null) throw Unsupported($"unexpected '{Peek}'");
            if (ops.Count == 0) throw Unsupported("an assertion needs a comparison");
            return new Cond(operands, ops);
        }

        private Num Sum()
        {
            var l = Product();
            while (Peek is "+" or "-")
            {
                string op = tokens[_i++];
                l = new Bin(op, l, Product());
            }
            return l;
        }

        private Num Product()
        {
            var l = Atom();
            while (Peek is "*" or "/" or "//" or "%")
            {
                string op = tokens[_i++];
                l = new Bin(op, l, Atom());
            }
            return l;
        }

        private Num Atom()
        {
            string? t = Peek;
            _i++;
            switch (t)
            {
                case null: throw Unsupported("the expression ends early");
                case "(":
                    var e = Sum();
                    if (Peek != ")") throw Unsupported("missing ')'");
                    _i++;
                    return e;
                case "-":
                    return new Bin("-", new Lit(0), Atom());
                default:
                    if (char.IsDigit(t[0])) return new Lit(long.Parse(t));
                    if (char.IsLetter(t[0]) || t[0] == '_')
                    {
                        if (!TcpInfo.ContainsKey(t) && !Constants.ContainsKey(t))
                            throw Unsupported(t.StartsWith("tcpi_")
                                ? $"{t} is not exposed by the stack's STATUS (ConnectionStatus); supported: {string.Join(", ", TcpInfo.Keys)}"
                                : $"unknown name '{t}'");
                        return new Var(t);
                    }
                    throw Unsupported($"unexpected '{t}'");
            }
        }
    }
}
