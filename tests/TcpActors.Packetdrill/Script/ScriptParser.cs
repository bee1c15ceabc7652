using System.Globalization;
using System.Text;

namespace TcpActors.Packetdrill.Script;

/// <summary>
/// A recursive-descent parser for packetdrill scripts, over the raw text with a cursor that tracks line and
/// column. Written from the language description (packetdrill's README, the scripts), not from its grammar file.
/// <code>
/// script   := option* init? event*
/// option   := "--" name ("=" value)?                    (one per line, before the events)
/// init     := "`" text "`"
/// event    := time (packet | syscall | "%{" code "}%")
/// time     := "*" | "+"? number ("~" "+"? number)?
/// packet   := ("&lt;" | "&gt;") flags start ":" end "(" len ")" ("ack" n)? ("win" n)? ("&lt;" (option ("," option)* | "...") "&gt;")?
/// syscall  := ("..." time)? name "(" args? ")" "=" result errno? ("(" note ")")?
/// </code>
/// Comments: <c>//</c> to the end of the line and <c>/* ... */</c>.
/// </summary>
public sealed class ScriptParser
{
    private readonly string _file;
    private readonly string _s;
    private int _pos;
    private int _line = 1;
    private int _col = 1;

    private ScriptParser(string file, string text)
    {
        _file = file;
        _s = text;
    }

    public static PdScript ParseFile(string path) => Parse(path, File.ReadAllText(path));

    public static PdScript Parse(string file, string text) => new ScriptParser(file, text).ParseScript();

    // ------------------------------------------------------------------ cursor

    private bool AtEnd => _pos >= _s.Length;
    private char Peek(int k = 0) => _pos + k < _s.Length ? _s[_pos + k] : '\0';

    private char Advance()
    {
        char c = _s[_pos++];
        if (c == '\n') { _line++; _col = 1; }
        else _col++;
        return c;
    }

    private bool LookingAt(string t) => string.CompareOrdinal(_s, _pos, t, 0, t.Length) == 0;

    private ScriptSyntaxException Error(string message) => new(_file, _line, _col, message);

    private ScriptSyntaxException Error(int line, int col, string message) => new(_file, line, col, message);

    /// <summary>Skips blanks and comments; newlines too unless <paramref name="stopAtNewline"/>.</summary>
    private void SkipSpace(bool stopAtNewline = false)
    {
        while (!AtEnd)
        {
            char c = Peek();
            if (c == '\n')
            {
                if (stopAtNewline) return;
                Advance();
            }
            else if (c is ' ' or '\t' or '\r' or '\f' or '\v')
                Advance();
            else if (c == '/' && Peek(1) == '/')
                while (!AtEnd && Peek() != '\n') Advance();
            else if (c == '/' && Peek(1) == '*')
            {
                int l = _line, col = _col;
                Advance(); Advance();
                while (!AtEnd && !(Peek() == '*' && Peek(1) == '/')) Advance();
                if (AtEnd) throw Error(l, col, "unterminated /* comment");
                Advance(); Advance();
            }
            else if (c == '#' && _col == 1 && Peek(1) == '!')
                while (!AtEnd && Peek() != '\n') Advance();   // a shebang line
            else
                return;
        }
    }

    /// <summary>Skips blanks and comments on the current line only; true when the line (or file) ended.</summary>
    private bool AtLineEnd()
    {
        SkipSpace(stopAtNewline: true);
        return AtEnd || Peek() == '\n';
    }

    private void Expect(char c, string what)
    {
        SkipSpace(stopAtNewline: true);
        if (Peek() != c)
            throw Error($"expected '{c}' {what}, found {Describe()}");
        Advance();
    }

    private string Describe()
    {
        if (AtEnd) return "end of file";
        if (Peek() == '\n') return "end of line";
        int end = _pos;
        while (end < _s.Length && !char.IsWhiteSpace(_s[end]) && end - _pos < 20) end++;
        return $"'{_s[_pos..Math.Max(end, _pos + 1)]}'";
    }

    private string Word()
    {
        var sb = new StringBuilder();
        while (!AtEnd && (char.IsLetterOrDigit(Peek()) || Peek() == '_'))
            sb.Append(Advance());
        return sb.ToString();
    }

    private string LineText(int startPos)
    {
        int end = _s.IndexOf('\n', startPos);
        return (end < 0 ? _s[startPos..] : _s[startPos..end]).Trim();
    }

    // ------------------------------------------------------------------ script

    private PdScript ParseScript()
    {
        var options = new List<ScriptOption>();
        InitCommand? init = null;
        var events = new List<ScriptEvent>();
        while (true)
        {
            SkipSpace();
            if (AtEnd) break;
            if (LookingAt("--"))
            {
                if (events.Count > 0) throw Error("an options line must come before the first event");
                options.Add(ParseOption());
            }
            else if (Peek() == '`')
            {
                if (events.Count > 0) throw Error("the init command must come before the first event");
                if (init is not null) throw Error("a second init command");
                init = ParseInit();
            }
            else
                events.Add(ParseEvent());
        }
        return new PdScript(_file, options, init, events);
    }

    private ScriptOption ParseOption()
    {
        int line = _line;
        Advance(); Advance();
        string name = Word();
        if (name.Length == 0) throw Error("expected an option name after '--'");
        string? value = null;
        if (Peek() == '=')
        {
            Advance();
            var sb = new StringBuilder();
            while (!AtEnd && !char.IsWhiteSpace(Peek())) sb.Append(Advance());
            value = sb.ToString();
            if (value.Length == 0) throw Error($"expected a value for --{name}");
        }
        if (!AtLineEnd()) throw Error($"unexpected {Describe()} after --{name}");
        return new ScriptOption(name, value, line);
    }

    private InitCommand ParseInit()
    {
        int line = _line, col = _col;
        Advance();
        var sb = new StringBuilder();
        while (!AtEnd && Peek() != '`') sb.Append(Advance());
        if (AtEnd) throw Error(line, col, "unterminated init command (missing closing '`')");
        Advance();
        return new InitCommand(sb.ToString().Trim(), line);
    }

    // ------------------------------------------------------------------ events

    private ScriptEvent ParseEvent()
    {
        int line = _line, col = _col, start = _pos;
        var time = ParseTime();
        SkipSpace(stopAtNewline: true);
        string text = LineText(start);
        if (Peek() is '<' or '>')
            return ParsePacket(line, col, time, text);
        if (time.Kind == TimeKind.Any || time.IsRange)
            throw Error(line, col, "'*' and time ranges are allowed only on outbound packets");
        if (LookingAt("%{"))
            return ParseCode(line, col, time, text);
        return ParseSyscall(line, col, time, text);
    }

    private EventTime ParseTime()
    {
        if (Peek() == '*')
        {
            Advance();
            return new EventTime(TimeKind.Any, 0);
        }
        bool rel = false;
        if (Peek() == '+') { Advance(); rel = true; }
        double t = Number("a time");
        if (Peek() == '~')
        {
            Advance();
            bool endRel = false;
            if (Peek() == '+') { Advance(); endRel = true; }
            double end = Number("the end of a time range");
            return new EventTime(rel ? TimeKind.Relative : TimeKind.Absolute, t, end, endRel);
        }
        return new EventTime(rel ? TimeKind.Relative : TimeKind.Absolute, t);
    }

    /// <summary>A non-negative decimal number: <c>0</c>, <c>.1</c>, <c>0.100</c>, <c>1.5</c>.</summary>
    private double Number(string what)
    {
        int start = _pos;
        while (!AtEnd && (char.IsDigit(Peek()) || (Peek() == '.' && Peek(1) != '.'))) Advance();
        string text = _s[start.._pos];
        if (text.Length == 0 || !double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v))
            throw Error($"expected {what}, found {Describe()}");
        return v;
    }

    private uint UInt(string what)
    {
        SkipSpace(stopAtNewline: true);
        int start = _pos;
        while (!AtEnd && char.IsDigit(Peek())) Advance();
        if (start == _pos || !uint.TryParse(_s[start.._pos], NumberStyles.None, CultureInfo.InvariantCulture, out uint v))
        {
            _pos = start;
            throw Error($"expected {what} (an unsigned 32-bit number), found {Describe()}");
        }
        return v;
    }

    private const string FlagChars = "SFRP.EWU-";

    private PacketEvent ParsePacket(int line, int col, EventTime time, string text)
    {
        var dir = Advance() == '<' ? Direction.Inbound : Direction.Outbound;
        if (dir == Direction.Inbound && (time.Kind == TimeKind.Any || time.IsRange))
            throw Error(line, col, "'*' and time ranges are allowed only on outbound packets");
        SkipSpace(stopAtNewline: true);
        string? ipEcn = null;
        if (Peek() == '[')
        {
            int el = _line, ec = _col;
            Advance();
            ipEcn = Word();
            Expect(']', "after the ECN codepoint");
            if (ipEcn is not ("noecn" or "ect0" or "ect1" or "ce" or "ect01"))
                throw Error(el, ec, $"unknown ECN codepoint '[{ipEcn}]' (noecn, ect0, ect1, ce, ect01)");
            if (ipEcn == "ect01" && dir == Direction.Inbound)
                throw Error(el, ec, "'[ect01]' (either ECT) is allowed only on outbound packets");
            SkipSpace(stopAtNewline: true);
        }
        var flags = new StringBuilder();
        while (!AtEnd && !char.IsWhiteSpace(Peek()))
        {
            if (!FlagChars.Contains(Peek()))
                throw Error($"unknown TCP flag '{Peek()}' (flags are S F R P . E W U, or - for none)");
            flags.Append(Advance());
        }
        if (flags.Length == 0) throw Error("expected TCP flags");
        SkipSpace(stopAtNewline: true);
        int rl = _line, rc = _col;
        uint start = UInt("the start sequence number");
        Expect(':', "between the start and end sequence numbers");
        uint end = UInt("the end sequence number");
        Expect('(', "before the payload length");
        uint len = UInt("the payload length");
        Expect(')', "after the payload length");
        if (unchecked(end - start) != len)
            throw Error(rl, rc, $"sequence range {start}:{end} does not hold {len} bytes");
        uint? ack = null, win = null;
        List<PacketOption>? options = null;
        bool any = false;
        while (!AtLineEnd())
        {
            if (Peek() == '<')
            {
                if (options is not null || any) throw Error("a second option list");
                Advance();
                SkipSpace(stopAtNewline: true);
                if (LookingAt("..."))
                {
                    Advance(); Advance(); Advance();
                    any = true;
                    Expect('>', "after '<...'");
                }
                else
                    options = ParseOptions();
                continue;
            }
            int wl = _line, wc = _col;
            string w = Word();
            switch (w)
            {
                case "ack":
                    if (ack is not null) throw Error(wl, wc, "a second 'ack'");
                    ack = UInt("the ack number");
                    break;
                case "win":
                    if (win is not null) throw Error(wl, wc, "a second 'win'");
                    win = UInt("the window");
                    if (win > 65535) throw Error(wl, wc, $"window {win} does not fit the 16-bit field");
                    break;
                case "":
                    throw Error($"unexpected {Describe()} in a packet line");
                default:
                    throw Error(wl, wc, $"unknown packet attribute '{w}' (expected ack, win or an option list)");
            }
        }
        if (dir == Direction.Inbound && win is null)
            throw Error(line, col, "an inbound packet needs 'win'");
        return new PacketEvent(line, col, time, text, dir, flags.ToString(), start, end, (int)len, ack, win, options, any, ipEcn);
    }

    private List<PacketOption> ParseOptions()
    {
        var list = new List<PacketOption>();
        while (true)
        {
            SkipSpace(stopAtNewline: true);
            int ol = _line, oc = _col;
            string name = Word();
            switch (name)
            {
                case "mss":
                    list.Add(new PacketOption(OptionKind.Mss, [UInt("the MSS")]));
                    break;
                case "sackOK":
                    list.Add(new PacketOption(OptionKind.SackOk, []));
                    break;
                case "nop":
                    list.Add(new PacketOption(OptionKind.Nop, []));
                    break;
                case "eol":
                    list.Add(new PacketOption(OptionKind.Eol, []));
                    break;
                case "wscale":
                    list.Add(new PacketOption(OptionKind.WindowScale, [UInt("the window scale")]));
                    break;
                case "TS":
                {
                    SkipSpace(stopAtNewline: true);
                    if (Word() != "val") throw Error("expected 'val' after 'TS'");
                    uint val = UInt("the TS value");
                    SkipSpace(stopAtNewline: true);
                    if (Word() != "ecr") throw Error("expected 'ecr' after the TS value");
                    uint ecr = UInt("the TS echo reply");
                    list.Add(new PacketOption(OptionKind.Timestamp, [val, ecr]));
                    break;
                }
                case "sack":
                {
                    var blocks = new List<uint>();
                    while (true)
                    {
                        SkipSpace(stopAtNewline: true);
                        if (!char.IsDigit(Peek())) break;
                        blocks.Add(UInt("a SACK block start"));
                        Expect(':', "in a SACK block");
                        blocks.Add(UInt("a SACK block end"));
                    }
                    if (blocks.Count == 0) throw Error("expected SACK blocks after 'sack'");
                    list.Add(new PacketOption(OptionKind.Sack, blocks));
                    break;
                }
                case "FO" or "md5" or "exp":
                {
                    // Kept for the runner to report as unsupported; skip the option's body.
                    while (!AtEnd && Peek() is not (',' or '>' or '\n')) Advance();
                    list.Add(new PacketOption(name switch { "FO" => OptionKind.FastOpen, "md5" => OptionKind.Md5, _ => OptionKind.Experimental }, []));
                    break;
                }
                case "":
                    throw Error($"expected a TCP option, found {Describe()}");
                default:
                    throw Error(ol, oc, $"unknown TCP option '{name}'");
            }
            SkipSpace(stopAtNewline: true);
            if (Peek() == ',') { Advance(); continue; }
            if (Peek() == '>') { Advance(); return list; }
            throw Error($"expected ',' or '>' in an option list, found {Describe()}");
        }
    }

    private CodeEvent ParseCode(int line, int col, EventTime time, string text)
    {
        Advance(); Advance();
        int start = _pos;
        while (!AtEnd && !LookingAt("}%")) Advance();
        if (AtEnd) throw Error(line, col, "unterminated %{ block (missing '}%')");
        string code = _s[start.._pos];
        Advance(); Advance();
        if (!AtLineEnd()) throw Error($"unexpected {Describe()} after '}}%'");
        return new CodeEvent(line, col, time, text, code.Trim());
    }

    private SyscallEvent ParseSyscall(int line, int col, EventTime time, string text)
    {
        double? end = null;
        if (LookingAt("..."))
        {
            Advance(); Advance(); Advance();
            end = Number("the end time of a blocking call");
            SkipSpace(stopAtNewline: true);
        }
        int nl = _line, nc = _col;
        string name = Word();
        if (name.Length == 0 || !char.IsLetter(name[0]))
            throw Error(nl, nc, $"expected a packet ('<' or '>'), a system call or %{{, found {Describe()}");
        Expect('(', $"after '{name}'");
        var args = new List<Expr>();
        SkipSpace(stopAtNewline: true);
        if (Peek() != ')')
        {
            while (true)
            {
                args.Add(ParseExpr());
                SkipSpace(stopAtNewline: true);
                if (Peek() == ',') { Advance(); continue; }
                break;
            }
        }
        Expect(')', $"to close the arguments of {name}");
        Expect('=', $"before the result of {name}");
        SkipSpace(stopAtNewline: true);
        long result = Integer("the return value");
        string? errno = null, note = null;
        SkipSpace(stopAtNewline: true);
        if (char.IsLetter(Peek()))
            errno = Word();
        SkipSpace(stopAtNewline: true);
        if (Peek() == '(')
        {
            int pl = _line, pc = _col;
            Advance();
            int depth = 1, s = _pos;
            while (!AtEnd && Peek() != '\n')
            {
                if (Peek() == '(') depth++;
                if (Peek() == ')' && --depth == 0) break;
                Advance();
            }
            if (Peek() != ')') throw Error(pl, pc, "unterminated '(' note after the result");
            note = _s[s.._pos];
            Advance();
        }
        if (!AtLineEnd()) throw Error($"unexpected {Describe()} after the result of {name}");
        return new SyscallEvent(line, col, time, text, end, name, args, result, errno, note);
    }

    private long Integer(string what)
    {
        SkipSpace(stopAtNewline: true);
        int start = _pos;
        bool neg = false;
        if (Peek() == '-') { Advance(); neg = true; }
        long v;
        if (Peek() == '0' && Peek(1) is 'x' or 'X')
        {
            Advance(); Advance();
            int h = _pos;
            while (!AtEnd && Uri.IsHexDigit(Peek())) Advance();
            if (h == _pos || !long.TryParse(_s[h.._pos], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v))
            {
                _pos = start;
                throw Error($"expected {what}, found {Describe()}");
            }
        }
        else
        {
            int d = _pos;
            while (!AtEnd && char.IsDigit(Peek())) Advance();
            if (d == _pos || !long.TryParse(_s[d.._pos], NumberStyles.None, CultureInfo.InvariantCulture, out v))
            {
                throw Error($"expected {what}, found {Describe()}");
            }
        }
        return neg ? -v : v;
    }

    private Expr ParseExpr()
    {
        var first = ParseTerm();
        SkipSpace(stopAtNewline: true);
        if (Peek() != '|') return first;
        var terms = new List<Expr> { first };
        while (Peek() == '|')
        {
            Advance();
            terms.Add(ParseTerm());
            SkipSpace(stopAtNewline: true);
        }
        return new OrExpr(terms);
    }

    private Expr ParseTerm()
    {
        SkipSpace(stopAtNewline: true);
        char c = Peek();
        if (LookingAt("..."))
        {
            Advance(); Advance(); Advance();
            return new EllipsisExpr();
        }
        if (char.IsDigit(c) || (c == '-' && char.IsDigit(Peek(1))))
            return new IntExpr(Integer("a number"));
        if (char.IsLetter(c) || c == '_')
            return new NameExpr(Word());
        if (c == '"')
        {
            int l = _line, col = _col;
            Advance();
            var sb = new StringBuilder();
            while (!AtEnd && Peek() != '"' && Peek() != '\n')
            {
                if (Peek() == '\\') Advance();
                sb.Append(Advance());
            }
            if (Peek() != '"') throw Error(l, col, "unterminated string");
            Advance();
            return new StringExpr(sb.ToString());
        }
        if (c == '[')
        {
            Advance();
            var items = new List<Expr>();
            SkipSpace(stopAtNewline: true);
            if (Peek() != ']')
            {
                while (true)
                {
                    items.Add(ParseExpr());
                    SkipSpace(stopAtNewline: true);
                    if (Peek() == ',') { Advance(); continue; }
                    break;
                }
            }
            Expect(']', "to close a list");
            return new ListExpr(items);
        }
        if (c == '{')
        {
            Advance();
            var fields = new List<KeyValuePair<string, Expr>>();
            SkipSpace(stopAtNewline: true);
            if (Peek() != '}')
            {
                while (true)
                {
                    SkipSpace(stopAtNewline: true);
                    string key = Word();
                    if (key.Length == 0) throw Error($"expected a field name, found {Describe()}");
                    Expect('=', $"after the field name '{key}'");
                    fields.Add(new(key, ParseExpr()));
                    SkipSpace(stopAtNewline: true);
                    if (Peek() == ',') { Advance(); continue; }
                    break;
                }
            }
            Expect('}', "to close a struct");
            return new StructExpr(fields);
        }
        throw Error($"expected an argument, found {Describe()}");
    }
}
