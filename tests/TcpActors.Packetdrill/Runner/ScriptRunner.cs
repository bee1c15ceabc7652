using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// Runs one packetdrill script against a fresh stack on a probe link, in virtual time: one actor system per
/// script with Akka's TestScheduler, the stack's actors on the calling-thread dispatcher, so after each injected
/// packet or timer step the stack is at rest and everything it sent is already collected.
/// <para>Addresses (198.18.0.0/15 only): the stack is 198.18.0.2 ("local"), the script's peer 198.18.0.1 ("remote").
/// A listening socket binds port 8080 and the peer connects from 40000; connect() goes to the peer's 8080 from the
/// port the stack picks (learned from its SYN).</para>
/// </summary>
public sealed partial class ScriptRunner
{
    public static readonly Ipv4Address LocalAddress = Ipv4Address.Parse("198.18.0.2");
    public static readonly Ipv4Address RemoteAddress = Ipv4Address.Parse("198.18.0.1");
    public const ushort ListenPort = 8080;
    public const ushort RemoteClientPort = 40000;
    /// <summary>The wire sequence number of the script's inbound SYN with sequence 0.</summary>
    public const uint RemoteIsnBase = 1_000_000_000;
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMilliseconds(4);
    /// <summary>How long '*' waits at most for an outbound packet.</summary>
    public static readonly TimeSpan AnyTimeLimit = TimeSpan.FromMinutes(10);

    private static readonly Config SystemConfig = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = ERROR
        akka.stdout-loglevel = ERROR
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.test.calling-thread-dispatcher {
          type = "Akka.TestKit.CallingThreadDispatcherConfigurator, Akka.TestKit"
          throughput = 2147483647
        }
        tcp-actors.dispatcher = "akka.test.calling-thread-dispatcher"
        """);

    private readonly PdScript _script;
    private readonly Profile _profile;
    private readonly TextWriter? _log;
    private TimeSpan _tolerance = DefaultTolerance;

    private ActorSystem _sys = null!;
    private VirtualTime _time = null!;
    private ProbeLink _link = null!;
    private readonly List<(object Message, IActorRef Sender)> _wireInbox = [];
    private readonly Queue<OutPacket> _outbound = new();

    // Sequence-number mapping (README: inbound relative to the remote ISN of the last inbound SYN; outbound
    // relative to the stack's ISS learned from its SYN or SYN-ACK).
    private uint _remoteIsn = RemoteIsnBase;
    private uint _localIss;
    private bool _issKnown;
    private long _tsOffset;
    private bool _tsOffsetKnown;

    private bool _clientMode;
    private ushort _clientLocalPort;

    private double _lastEventTime;
    private ScriptEvent? _current;
    private int _eventsRun;

    private ScriptRunner(PdScript script, Profile profile, TextWriter? log)
    {
        _script = script;
        _profile = profile;
        _log = log;
    }

    /// <summary>Parses and runs a script file; never throws for a script problem (the result says what happened).</summary>
    public static ScriptResult RunFile(string path, TextWriter? log = null)
    {
        var sw = Stopwatch.StartNew();
        PdScript script;
        try
        {
            script = ScriptParser.ParseFile(path);
        }
        catch (ScriptSyntaxException e)
        {
            return new ScriptResult(path, Verdict.Fail, e.Message, sw.Elapsed, 0, "-");
        }
        return Run(script, log, sw);
    }

    public static ScriptResult Run(PdScript script, TextWriter? log = null, Stopwatch? sw = null)
    {
        sw ??= Stopwatch.StartNew();
        Profile profile;
        try
        {
            profile = Profile.Resolve(script, TcpSettings.Create(SystemConfig));
        }
        catch (UnsupportedException e)
        {
            return new ScriptResult(script.Path, Verdict.Unsupported, e.Message, sw.Elapsed, 0, "-");
        }
        var runner = new ScriptRunner(script, profile, log);
        try
        {
            runner.Execute();
            return new ScriptResult(script.Path, Verdict.Pass, null, sw.Elapsed, runner._eventsRun, profile.Name);
        }
        catch (UnsupportedException e)
        {
            return new ScriptResult(script.Path, Verdict.Unsupported, runner.Where() + e.Message, sw.Elapsed, runner._eventsRun, profile.Name);
        }
        catch (ScriptFailure e)
        {
            return new ScriptResult(script.Path, Verdict.Fail, e.Message, sw.Elapsed, runner._eventsRun, profile.Name);
        }
        finally
        {
            runner.Shutdown();
        }
    }

    private string Where() => _current is null ? "" : $"line {_current.Line}: {_current.Text}: ";

    private void Shutdown()
    {
        if (_sys is null) return;
        // The stack's actors run on the calling thread; terminating is quick and needs no wall-clock wait.
        _sys.Terminate().Wait(TimeSpan.FromSeconds(10));
        _sys.Dispose();
    }

    // ------------------------------------------------------------------ setup

    private void ApplyOptions()
    {
        foreach (var o in _script.Options)
        {
            switch (o.Name)
            {
                case "tolerance_usecs":
                    if (!long.TryParse(o.Value, out long us) || us < 0)
                        throw new UnsupportedException($"--tolerance_usecs={o.Value} is not a number of microseconds");
                    _tolerance = TimeSpan.FromTicks(us * 10);
                    break;
                case "mss":
                    // packetdrill's MSS for splitting TSO super-packets; our matcher joins segments instead (see MatchOutbound).
                    break;
                case "tcp_ts_tick_usecs":
                    // Only used to check TS val, which is not checked (packetdrill's default).
                    break;
                case "ip_version" when o.Value is "ipv4":
                    break;
                case "local_ip" or "remote_ip" or "gateway_ip" or "netmask_ip":
                    // Addresses are the runner's own (198.18.0.0/15); scripts never name them in packets.
                    break;
                default:
                    throw new UnsupportedException($"option --{o.Name}{(o.Value is null ? "" : "=" + o.Value)} is not supported by the runner");
            }
        }
    }

    private void Start()
    {
        _sys = ActorSystem.Create("pd", SystemConfig);
        _time = new VirtualTime(_sys.Scheduler);
        var wire = _sys.ActorOf(Sink.Props(_wireInbox), "wire");
        _link = new ProbeLink(wire, _sys.Scheduler, 1500);
        var stack = TcpStack.Start(_sys, _link, LocalAddress, _profile.Settings, isnSecret: new byte[16]);
        _stack = stack;
        // A round trip, so that the I/O actor has started (and started the link) before anything is injected.
        WaitStarted(stack.Manager);
        WaitStarted(wire);
    }

    /// <summary>
    /// Actor creation is asynchronous even on the calling-thread dispatcher; once an actor has answered Identify,
    /// everything told to it runs on the teller's thread. (A wall-clock wait for startup only, never for protocol time.)
    /// </summary>
    private static void WaitStarted(IActorRef actor)
    {
        if (!actor.Ask<ActorIdentity>(new Identify(null)).Wait(TimeSpan.FromSeconds(10)))
            throw new InvalidOperationException($"{actor.Path} did not start");
    }

    private TcpStack _stack = null!;

    // ------------------------------------------------------------------ the event loop

    private void Execute()
    {
        ApplyOptions();
        Start();
        _log?.WriteLine($"# {_script.Path}: profile {_profile.Name}");
        foreach (var n in _profile.Notes)
            _log?.WriteLine($"#   {n}");
        foreach (var ev in _script.Events)
        {
            _current = ev;
            switch (ev)
            {
                case PacketEvent { Direction: Direction.Inbound } p:
                    Inbound(p);
                    break;
                case PacketEvent p:
                    Outbound(p);
                    break;
                case SyscallEvent s:
                    Syscall(s);
                    break;
                case CodeEvent c:
                    Code(c);
                    break;
            }
            _eventsRun++;
        }
        _current = null;
        FinishPendingCall();
    }

    private static TimeSpan Sec(double s) => TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));

    private static string Fmt(TimeSpan t) => t.TotalSeconds.ToString("0.000###", CultureInfo.InvariantCulture) + "s";

    /// <summary>The event's scheduled time, from the script's start (null for '*').</summary>
    private double? Scheduled(EventTime t) => t.Kind switch
    {
        TimeKind.Absolute => t.Seconds,
        TimeKind.Relative => _lastEventTime + t.Seconds,
        _ => null,
    };

    /// <summary>README: tolerance is max(--tolerance_usecs (default 4 ms), 12.5% of the gap since the previous event).</summary>
    private TimeSpan Tolerance(double scheduled)
    {
        var gap = Sec(Math.Max(0, scheduled - _lastEventTime));
        var pct = TimeSpan.FromTicks(gap.Ticks / 8);
        return pct > _tolerance ? pct : _tolerance;
    }

    /// <summary>Moves virtual time to <paramref name="t"/> (never backwards), collecting what the stack does on the way.</summary>
    private void AdvanceTo(TimeSpan t)
    {
        if (t <= _time.Now)
        {
            Collect();
            return;
        }
        _time.RunUntil(t, () => { Collect(); return false; });
    }

    private ScriptFailure Fail(string message)
    {
        var ev = _current;
        string where = ev is null ? $"{_script.Path}: at the end of the script" : $"{_script.Path}:{ev.Line}: {ev.Text}";
        return new ScriptFailure($"{where}\n    {message.Replace("\n", "\n    ")}\n    (virtual time {Fmt(_time.Now)})");
    }

    // ------------------------------------------------------------------ collecting what the stack did

    /// <summary>Moves what the stack sent and told into the runner's queues and sockets; completes a pending blocking call.</summary>
    private void Collect()
    {
        if (_wireInbox.Count > 0)
        {
            foreach (var (m, _) in _wireInbox)
            {
                if (m is PacketSent ps)
                {
                    var p = Wire.Parse(ps.Packet, ps.At - _time.Origin);
                    if (p.Syn && !p.Flags.HasFlag(TcpFlags.Ack) && p.ParseError is null)
                    {
                        _clientLocalPort = p.SourcePort;
                    }
                    _outbound.Enqueue(p);
                }
            }
            _wireInbox.Clear();
        }
        foreach (var s in _fds.Values.Concat(_closedSockets))
            CollectSocket(s);
        CheckPending();
    }

    // ------------------------------------------------------------------ inbound packets

    private void Inbound(PacketEvent p)
    {
        foreach (var o in p.Options ?? [])
            if (o.Kind is OptionKind.FastOpen or OptionKind.Md5 or OptionKind.Experimental)
                throw new UnsupportedException($"inbound option '{o}' is not supported by the runner or the stack");
        double t = Scheduled(p.Time)!.Value;
        AdvanceTo(Sec(t));
        _lastEventTime = t;

        var flags = Wire.ParseFlags(p.Flags);
        uint seq;
        if ((flags & TcpFlags.Syn) != 0)
        {
            seq = unchecked(RemoteIsnBase + p.Start);
            _remoteIsn = seq;
        }
        else
            seq = unchecked(_remoteIsn + p.Start);
        uint ack = (flags & TcpFlags.Ack) != 0 && p.Ack is uint a ? unchecked(_localIss + a) : 0;
        var options = p.Options is null ? [] : p.Options.Select(MapInboundOption).ToList();
        var (sport, dport) = InboundPorts();
        var packet = Wire.Build(RemoteAddress, LocalAddress, sport, dport, flags, seq, ack, (ushort)p.Window!.Value,
            Wire.WriteOptions(options), p.Length, p.IpEcn is { } e ? (byte)Wire.EcnCodepoint(e) : (byte)0);
        _log?.WriteLine($"{Fmt(_time.Now),10} <{(p.IpEcn is { } n ? $" [{n}]" : "")} {p.Flags} {p.Start}:{p.End}({p.Length}){(p.Ack is { } x ? $" ack {x}" : "")} win {p.Window}");
        _link.Inject(packet);
        Collect();
    }

    private (ushort Source, ushort Destination) InboundPorts() =>
        _clientMode ? (ListenPort, _clientLocalPort) : (RemoteClientPort, ListenPort);

    private PacketOption MapInboundOption(PacketOption o) => o.Kind switch
    {
        // SACK blocks acknowledge our data: relative to our ISS.
        OptionKind.Sack => o with { Values = o.Values.Select(v => unchecked(_localIss + v)).ToList() },
        // TS ecr echoes our TS val: shift by what the stack's clock is ahead of the script's.
        OptionKind.Timestamp => o with { Values = [o.Values[0], unchecked((uint)(o.Values[1] + _tsOffset))] },
        _ => o,
    };

    // ------------------------------------------------------------------ outbound packets

    private void Outbound(PacketEvent p)
    {
        double? scheduled = Scheduled(p.Time);
        TimeSpan lo, hi;
        if (p.Time.Kind == TimeKind.Any)
        {
            lo = TimeSpan.MinValue;
            hi = _time.Now + AnyTimeLimit;
        }
        else if (p.Time.IsRange)
        {
            double a = scheduled!.Value;
            double b = p.Time.RangeEndRelative ? _lastEventTime + p.Time.RangeEnd!.Value : p.Time.RangeEnd!.Value;
            var tol = _tolerance;
            lo = Sec(a) - tol;
            hi = Sec(b) + tol;
        }
        else
        {
            var tol = Tolerance(scheduled!.Value);
            lo = Sec(scheduled.Value) - tol;
            hi = Sec(scheduled.Value) + tol;
        }

        if (_outbound.Count == 0)
            _time.RunUntil(hi, () => { Collect(); return _outbound.Count > 0; });
        if (_outbound.Count == 0)
            throw Fail($"expected {Describe(p)} by {Fmt(hi)}; the stack sent nothing");

        var actual = _outbound.Dequeue();
        if (actual.ParseError is not null)
            throw Fail($"expected {Describe(p)}; the stack sent a malformed packet ({actual.ParseError})");
        actual = JoinSegments(p, actual);
        string? mismatch = MatchOutbound(p, actual);
        if (mismatch is not null)
            throw Fail($"{mismatch}\n  expected: {Describe(p)}\n  actual:   {DescribeActual(actual)} at {Fmt(actual.At)}");
        if (actual.At < lo || actual.At > hi)
            throw Fail($"timing: expected {(p.Time.Kind == TimeKind.Any ? "any time" : $"between {Fmt(lo < TimeSpan.Zero ? TimeSpan.Zero : lo)} and {Fmt(hi)}")}, " +
                $"sent at {Fmt(actual.At)}\n  packet: {DescribeActual(actual)}");
        _log?.WriteLine($"{Fmt(actual.At),10} {DescribeActual(actual)}");
        _lastEventTime = actual.At.TotalSeconds;
        Collect();
    }

    /// <summary>
    /// TSO: Linux hands packetdrill one super-packet per burst (e.g. <c>P. 1:14601(14600)</c>) where the stack sends
    /// MSS-sized segments. When the script expects more data than the first segment holds, the contiguous segments
    /// that follow it (same ack, sent at the same instant, PSH/FIN only on the last) are joined into one.
    /// </summary>
    private OutPacket JoinSegments(PacketEvent p, OutPacket first)
    {
        if (p.Length <= first.Length || first.Length == 0 || first.Syn || first.Fin || (first.Flags & TcpFlags.Psh) != 0)
            return first;
        var joined = first;
        while (joined.Length < p.Length && _outbound.Count > 0)
        {
            var next = _outbound.Peek();
            if (next.ParseError is not null || next.At != joined.At || next.Ack != joined.Ack || next.Length == 0 || next.Syn
                || next.Seq != unchecked(joined.Seq + (uint)joined.Length) || ((joined.Flags ^ next.Flags) & ~(TcpFlags.Psh | TcpFlags.Fin)) != 0
                || next.IpEcn != joined.IpEcn)
                break;
            _outbound.Dequeue();
            joined = joined with { Flags = joined.Flags | next.Flags, Length = joined.Length + next.Length };
            if ((next.Flags & (TcpFlags.Psh | TcpFlags.Fin)) != 0)
                break;
        }
        return joined;
    }

    private string? MatchOutbound(PacketEvent p, OutPacket a)
    {
        var (rport, lport) = InboundPorts();
        if (a.Destination != RemoteAddress || a.Source != LocalAddress)
            return $"addresses: expected {LocalAddress} > {RemoteAddress}, sent {a.Source} > {a.Destination}";
        var expectedFlags = Wire.ParseFlags(p.Flags);
        if (a.Syn && (expectedFlags & TcpFlags.Syn) != 0 && !(expectedFlags.HasFlag(TcpFlags.Ack)))
        {
            // Our own SYN (active open): the tuple is now known.
            _clientLocalPort = a.SourcePort;
            (rport, lport) = InboundPorts();
        }
        if (a.DestinationPort != rport || a.SourcePort != lport)
            return $"ports: expected {lport} > {rport}, sent {a.SourcePort} > {a.DestinationPort}";
        if (a.Flags != expectedFlags)
            return $"flags: expected {p.Flags}, sent {Wire.FlagString(a.Flags)}";
        if (p.IpEcn is { } ecn && Wire.EcnCodepoint(ecn) is int want
            && (want == -1 ? a.IpEcn is not (1 or 2) : a.IpEcn != want))
            return $"IP ECN field: expected [{ecn}], sent [{Wire.EcnName(a.IpEcn)}]";
        if ((expectedFlags & TcpFlags.Syn) != 0)
        {
            uint iss = unchecked(a.Seq - p.Start);
            if (!_issKnown || _issTuplePort != a.SourcePort)
            {
                _localIss = iss;
                _issKnown = true;
                _issTuplePort = a.SourcePort;
            }
        }
        uint seq = unchecked(a.Seq - _localIss);
        if (seq != p.Start || a.Length != p.Length)
            return $"sequence: expected {p.Start}:{p.End}({p.Length}), sent {seq}:{unchecked(seq + (uint)a.Length)}({a.Length})";
        if ((expectedFlags & TcpFlags.Ack) != 0 && p.Ack is uint ack && unchecked(a.Ack - _remoteIsn) != ack)
            return $"ack: expected {ack}, sent {unchecked(a.Ack - _remoteIsn)}";
        if (p.Window is uint win && a.Window != win)
            return $"window: expected {win}, sent {a.Window}";
        if (!p.AnyOptions)
        {
            var expected = p.Options ?? [];
            string exp = string.Join(",", expected), act = string.Join(",", a.Options.Select(ActualOptionText));
            if (expected.Count != a.Options.Count)
                return $"options: expected <{exp}>, sent <{act}>";
            for (int i = 0; i < expected.Count; i++)
            {
                var e = expected[i];
                var o = a.Options[i];
                if (e.Kind != o.Kind)
                    return $"options: expected <{exp}>, sent <{act}>";
                switch (e.Kind)
                {
                    case OptionKind.Mss or OptionKind.WindowScale when e.Values[0] != o.Values[0]:
                        return $"options: expected <{exp}>, sent <{act}>";
                    case OptionKind.Timestamp:
                        if (!_tsOffsetKnown)
                        {
                            _tsOffset = (long)o.Values[0] - e.Values[0];
                            _tsOffsetKnown = true;
                        }
                        if (o.Values[1] != e.Values[1])   // TS val is not checked (packetdrill's default); ecr is
                            return $"options: TS ecr: expected {e.Values[1]}, sent {o.Values[1]}";
                        break;
                    case OptionKind.Sack:
                        var mapped = o.Values.Select(v => unchecked(v - _remoteIsn)).ToList();
                        if (!mapped.SequenceEqual(e.Values))
                            return $"options: expected <{exp}>, sent <{act}>";
                        break;
                }
            }
        }
        return null;
    }

    private ushort _issTuplePort;

    private string ActualOptionText(PacketOption o) => o.Kind == OptionKind.Sack
        ? new PacketOption(OptionKind.Sack, o.Values.Select(v => unchecked(v - _remoteIsn)).ToList()).ToString()
        : o.ToString();

    private static string Describe(PacketEvent p)
    {
        string s = $">{(p.IpEcn is { } e ? $" [{e}]" : "")} {p.Flags} {p.Start}:{p.End}({p.Length})";
        if (p.Ack is { } a) s += $" ack {a}";
        if (p.Window is { } w) s += $" win {w}";
        if (p.AnyOptions) s += " <...>";
        else if (p.Options is { Count: > 0 } o) s += $" <{string.Join(",", o)}>";
        return s;
    }

    private string DescribeActual(OutPacket a)
    {
        uint seq = unchecked(a.Seq - _localIss);
        string s = $"> [{Wire.EcnName(a.IpEcn)}] {Wire.FlagString(a.Flags)} {seq}:{unchecked(seq + (uint)a.Length)}({a.Length})";
        if ((a.Flags & TcpFlags.Ack) != 0) s += $" ack {unchecked(a.Ack - _remoteIsn)}";
        s += $" win {a.Window}";
        if (a.Options.Count > 0) s += $" <{string.Join(",", a.Options.Select(ActualOptionText))}>";
        return s;
    }
}
