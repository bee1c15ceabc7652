using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Packetdrill.Script;

namespace TcpActors.Packetdrill.Runner;

/// <summary>
/// The system calls of a script, mapped onto the stack's application protocol (Akka.IO-shaped):
/// socket/bind/listen = Bind, accept = a Connected from the listener then Register, connect = Connect,
/// write/send = Write (with an ack), read/recv = the Received bytes held for the socket, close = Close (Abort with
/// SO_LINGER {1,0} or unread data, as Linux does per RFC 2525 2.17), shutdown(SHUT_WR) = ConfirmedClose (a half close).
/// </summary>
public sealed partial class ScriptRunner
{
    private readonly Dictionary<int, PdSocket> _fds = [];
    private readonly List<PdSocket> _closedSockets = [];
    private PdSocket? _lastConnection;
    private long _nextWriteId;

    private sealed class PendingCall
    {
        public required SyscallEvent Event { get; init; }
        public required Func<(long Result, string? Errno)?> Poll { get; init; }
        public required TimeSpan ExpectedEnd { get; init; }
        public required TimeSpan Tolerance { get; init; }
        /// <summary>poll() with a timeout: returns 0 at this time if nothing became ready.</summary>
        public TimeSpan? Deadline { get; init; }
    }

    private PendingCall? _pending;

    private static readonly Dictionary<string, int> Errnos = new()
    {
        ["EPERM"] = 1, ["ENOENT"] = 2, ["EINTR"] = 4, ["EIO"] = 5, ["EBADF"] = 9, ["EAGAIN"] = 11, ["EWOULDBLOCK"] = 11,
        ["EINVAL"] = 22, ["EPIPE"] = 32, ["ENOTSOCK"] = 88, ["EOPNOTSUPP"] = 95, ["EADDRINUSE"] = 98, ["ENETUNREACH"] = 101,
        ["ECONNABORTED"] = 103, ["ECONNRESET"] = 104, ["EISCONN"] = 106, ["ENOTCONN"] = 107, ["ETIMEDOUT"] = 110,
        ["ECONNREFUSED"] = 111, ["EHOSTUNREACH"] = 113, ["EALREADY"] = 114, ["EINPROGRESS"] = 115,
    };

    private const int ORdwr = 0x2, ONonblock = 0x800;

    // ------------------------------------------------------------------ the event

    private void Syscall(SyscallEvent s)
    {
        double t = Scheduled(s.Time)!.Value;
        if (_pending is not null)
            FinishPendingCall();   // one blocking call at a time: the next call waits for it
        AdvanceTo(Sec(t));
        double previous = _lastEventTime;
        _lastEventTime = t;
        TimeSpan expectedEnd = Sec(t);
        TimeSpan tol = _tolerance;
        if (s.EndTime is double e)
        {
            double end = s.Time.Kind == TimeKind.Relative ? previous + e : e;
            expectedEnd = Sec(end);
            var gap = TimeSpan.FromTicks(Math.Max(0, (expectedEnd - Sec(t)).Ticks) / 8);
            tol = gap > _tolerance ? gap : _tolerance;
        }
        TimeSpan? deadline = null;
        var poll = StartCall(s, ref deadline);
        var r = poll();
        if (r is not null)
        {
            Complete(s, r.Value, expectedEnd, tol);
            return;
        }
        _pending = new PendingCall { Event = s, Poll = poll, ExpectedEnd = expectedEnd, Tolerance = tol, Deadline = deadline };
        _log?.WriteLine($"{Fmt(_time.Now),10}   {s.Name}() blocks");
    }

    private void CheckPending()
    {
        if (_pending is not { } p) return;
        var r = p.Poll();
        if (r is null && p.Deadline is { } d && _time.Now >= d)
            r = (0, null);
        if (r is null) return;
        _pending = null;
        Complete(p.Event, r.Value, p.ExpectedEnd, p.Tolerance);
    }

    private void FinishPendingCall()
    {
        if (_pending is not { } p) return;
        var limit = p.ExpectedEnd + p.Tolerance;
        if (p.Deadline is { } d && d > limit) limit = d;
        _time.RunUntil(limit, () => { Collect(); return _pending is null; });
        if (_pending is not null)
        {
            _pending = null;
            var saved = _current;
            _current = p.Event;
            throw Fail($"the call blocked and did not return by {Fmt(limit)} (expected it to return at {Fmt(p.ExpectedEnd)})");
        }
    }

    private void Complete(SyscallEvent s, (long Result, string? Errno) r, TimeSpan expectedEnd, TimeSpan tol)
    {
        var saved = _current;
        _current = s;
        var now = _time.Now;
        string got = r.Result == -1 ? $"-1 {r.Errno}" : r.Result.ToString();
        string want = s.Result == -1 ? $"-1 {s.Errno}" : s.Result.ToString();
        if (r.Result != s.Result || (s.Result == -1 && s.Errno != r.Errno && !(s.Errno is "EAGAIN" or "EWOULDBLOCK" && r.Errno is "EAGAIN")))
            throw Fail($"{s.Name}() returned {got}, expected {want}");
        if (now < expectedEnd - tol || now > expectedEnd + tol)
            throw Fail($"{s.Name}() returned at {Fmt(now)}, expected at {Fmt(expectedEnd)} (tolerance {Fmt(tol)})");
        _log?.WriteLine($"{Fmt(now),10}   {s.Name}() = {got}");
        _current = saved;
    }

    // ------------------------------------------------------------------ calls

    private static Func<(long, string?)?> Now(long result, string? errno = null) => () => (result, errno);

    private Func<(long, string?)?> StartCall(SyscallEvent s, ref TimeSpan? deadline)
    {
        switch (s.Name)
        {
            case "socket":
                return Socket(s);
            case "bind":
                Sock(s).Bound = true;
                return Now(0);
            case "listen":
                return Listen(s);
            case "accept" or "accept4":
                return Accept(s);
            case "connect":
                return Connect(s);
            case "write" or "send":
                return WriteCall(s);
            case "read" or "recv":
                return ReadCall(s);
            case "close":
                return CloseCall(s);
            case "shutdown":
                return Shutdown(s);
            case "setsockopt":
                return SetSockOpt(s);
            case "getsockopt":
                return GetSockOpt(s);
            case "fcntl":
                return Fcntl(s);
            case "ioctl":
                return Ioctl(s);
            case "poll":
                return Poll(s, ref deadline);
            default:
                throw new UnsupportedException($"system call {s.Name}() is not supported by the runner");
        }
    }

    private static Expr Arg(SyscallEvent s, int i) => i < s.Args.Count ? s.Args[i]
        : throw new UnsupportedException($"{s.Name}() needs at least {i + 1} arguments");

    private static long Int(Expr e, string what) => e switch
    {
        IntExpr i => i.Value,
        ListExpr { Items: [IntExpr i] } => i.Value,
        _ => throw new UnsupportedException($"{what}: expected a number, found {e}"),
    };

    private static string Name(Expr e) => e is NameExpr n ? n.Name : e.ToString();

    private PdSocket Sock(SyscallEvent s)
    {
        long fd = Int(Arg(s, 0), $"{s.Name}() file descriptor");
        return _fds.TryGetValue((int)fd, out var sock) ? sock
            : throw Fail($"{s.Name}(): fd {fd} is not open in the script");
    }

    private PdSocket Connection(SyscallEvent s)
    {
        var sock = Sock(s);
        if (sock.Kind is SocketKind.Connection or SocketKind.Connecting)
            _lastConnection = sock;
        return sock;
    }

    private PdSocket NewSocket(int fd)
    {
        if (_fds.ContainsKey(fd))
            throw Fail($"fd {fd} is already open in the script");
        var inbox = new List<(object, IActorRef)>();
        var sink = _sys.ActorOf(Sink.Props(inbox), $"fd{fd}-{_nextWriteId++}");
        WaitStarted(sink);
        var sock = new PdSocket { Fd = fd, Sink = sink, Inbox = inbox };
        _fds[fd] = sock;
        return sock;
    }

    private Func<(long, string?)?> Socket(SyscallEvent s)
    {
        string type = Arg(s, 1).ToString();
        string proto = Arg(s, 2).ToString();
        if (!type.Split('|').Contains("SOCK_STREAM") || proto is not ("IPPROTO_TCP" or "0"))
            throw new UnsupportedException($"socket({type}, {proto}): only TCP stream sockets are supported");
        var sock = NewSocket((int)s.Result);
        sock.NonBlocking = type.Contains("SOCK_NONBLOCK");
        return Now(s.Result);
    }

    private Func<(long, string?)?> Listen(SyscallEvent s)
    {
        var sock = Sock(s);
        int backlog = (int)Int(Arg(s, 1), "listen() backlog");
        sock.Kind = SocketKind.Listening;
        _clientMode = false;
        // Linux's accept queue is full only when it holds more than the backlog: it takes backlog + 1.
        _stack.Manager.Tell(new Bind(sock.Sink, ListenPort, Math.Max(1, backlog + 1), sock.Options), sock.Sink);
        Collect();
        if (sock.Listener is null)
            throw Fail($"listen(): the stack did not answer Bind with Bound");
        return Now(0);
    }

    private Func<(long, string?)?> Accept(SyscallEvent s)
    {
        var listener = Sock(s);
        if (listener.Kind != SocketKind.Listening)
            return Now(-1, "EINVAL");
        int newFd = (int)s.Result;
        return () =>
        {
            if (listener.AcceptQueue.Count == 0)
                return listener.NonBlocking ? (-1, "EAGAIN") : null;
            var (conn, tuple) = listener.AcceptQueue.Dequeue();
            var sock = NewSocket(newFd < 0 ? _fds.Keys.DefaultIfEmpty(2).Max() + 1 : newFd);
            sock.Kind = SocketKind.Connection;
            sock.Connection = conn;
            sock.Tuple = tuple;
            sock.Established = true;
            sock.Options = listener.Options;
            sock.LingerAbort = listener.LingerAbort;
            _lastConnection = sock;
            conn.Tell(new Register(sock.Sink, KeepOpenOnPeerClosed: true), sock.Sink);
            CollectSocket(sock);
            return (sock.Fd, null);
        };
    }

    private Func<(long, string?)?> Connect(SyscallEvent s)
    {
        var sock = Sock(s);
        if (sock.Kind != SocketKind.Fresh)
            throw new UnsupportedException("connect() on a socket that is not fresh (a second connect, or connect on a listener)");
        sock.Kind = SocketKind.Connecting;
        _clientMode = true;
        _lastConnection = sock;
        _stack.Manager.Tell(new Connect(RemoteAddress, ListenPort, null, sock.Options), sock.Sink);
        Collect();
        if (sock.NonBlocking)
            return Now(-1, "EINPROGRESS");
        return () =>
        {
            CollectSocket(sock);
            if (sock.Established) return (0, null);
            if (sock.PendingError is { } err)
            {
                sock.PendingError = null;
                return (-1, err);
            }
            return null;
        };
    }

    private Func<(long, string?)?> WriteCall(SyscallEvent s)
    {
        var sock = Connection(s);
        long n = Int(Arg(s, 2), $"{s.Name}() length");
        bool more = false;
        if (s.Name == "send" && s.Args.Count > 3 && Arg(s, 3) is not IntExpr { Value: 0 })
        {
            var flags = Arg(s, 3) is OrExpr o ? o.Terms.Select(Name).ToList() : [Name(Arg(s, 3))];
            foreach (var f in flags)
                if (f != "MSG_MORE")
                    throw new UnsupportedException($"send() flag {f}: only MSG_MORE is supported");
            more = true;   // Write.More: a partial last segment waits for more, without PSH
        }
        if (sock.PendingError is { } err)
        {
            sock.PendingError = null;
            return Now(-1, err);
        }
        if (sock.ShutWr || sock.Closed || sock.Dead)
            return Now(-1, "EPIPE");
        if (sock.Kind != SocketKind.Connection && !sock.Established)
            return Now(-1, sock.Kind == SocketKind.Connecting ? "EAGAIN" : "ENOTCONN");
        long id = _nextWriteId++;
        sock.Connection!.Tell(new Write(new byte[n], new WriteDone(id), more), sock.Sink);
        Collect();
        return () =>
        {
            CollectSocket(sock);
            if (sock.WritesDone.Remove(id)) return (n, null);
            if (sock.WritesFailed.Remove(id, out _)) return (-1, "EPIPE");
            if (sock.NonBlocking)
                throw new UnsupportedException("a non-blocking write that does not fit the send buffer (the stack holds it whole; Linux would write part)");
            return null;
        };
    }

    private Func<(long, string?)?> ReadCall(SyscallEvent s)
    {
        var sock = Connection(s);
        long n = Int(Arg(s, 2), $"{s.Name}() length");
        if (s.Name == "recv" && s.Args.Count > 3 && Arg(s, 3) is not IntExpr { Value: 0 })
            throw new UnsupportedException($"recv() flags {Arg(s, 3)} are not supported");
        return () =>
        {
            CollectSocket(sock);
            if (sock.Unread > 0 && !sock.ShutRd)
            {
                long k = Math.Min(n, sock.Unread);
                sock.Unread -= k;
                return (k, null);
            }
            if (sock.PendingError is { } err)
            {
                sock.PendingError = null;
                return (-1, err);
            }
            if (sock.ShutRd || sock.PeerFin || sock.Dead)
                return (0, null);
            if (!sock.Established && sock.Kind != SocketKind.Connecting)
                return (-1, "ENOTCONN");
            return sock.NonBlocking ? (-1, "EAGAIN") : null;
        };
    }

    private Func<(long, string?)?> CloseCall(SyscallEvent s)
    {
        var sock = Sock(s);
        _fds.Remove(sock.Fd);
        sock.Closed = true;
        _closedSockets.Add(sock);
        switch (sock.Kind)
        {
            case SocketKind.Listening:
                sock.Listener?.Tell(Unbind.Instance, sock.Sink);
                // Linux resets the connections still waiting in the accept queue.
                foreach (var (conn, _) in sock.AcceptQueue)
                    conn.Tell(Abort.Instance, sock.Sink);
                break;
            case SocketKind.Connecting when !sock.Established:
                if (!sock.Dead)
                    CloseConnecting(sock);
                break;
            case SocketKind.Connection or SocketKind.Connecting:
                if (sock.Dead) break;
                if (sock.LingerAbort || (sock.Unread > 0 && !sock.ShutRd))
                    sock.Connection!.Tell(Abort.Instance, sock.Sink);   // SO_LINGER {1,0}, or unread data (RFC 2525 2.17): RST
                else if (!sock.ShutWr)
                    sock.Connection!.Tell(Close.Instance, sock.Sink);
                break;
        }
        Collect();
        return Now(0);
    }

    /// <summary>
    /// close() on a socket whose non-blocking connect is still in SYN-SENT: the stack deletes the TCB. The application
    /// protocol names the connection actor only in Connected, so the runner finds it among the stack manager's children
    /// (Identify, then GetStatus for its tuple).
    /// </summary>
    private void CloseConnecting(PdSocket sock)
    {
        var conn = sock.Connection ?? FindConnection(_clientLocalPort, ListenPort);
        if (conn is not null)
            conn.Tell(Close.Instance, sock.Sink);
        else
            _closeWhenConnected.Add(sock);
    }

    private IActorRef? FindConnection(ushort localPort, ushort remotePort)
    {
        var inbox = new List<(object, IActorRef)>();
        var probe = _sys.ActorOf(Sink.Props(inbox));
        WaitStarted(probe);
        try
        {
            _sys.ActorSelection(_stack.Manager.Path + "/*").Tell(new Identify("children"), probe);
            var children = inbox.Select(m => m.Item1).OfType<ActorIdentity>().Select(i => i.Subject).OfType<IActorRef>().ToList();
            inbox.Clear();
            foreach (var child in children)
            {
                child.Tell(GetStatus.Instance, probe);
                if (inbox.Select(m => m.Item1).OfType<ConnectionStatus>().Any(st => st.Tuple.LocalPort == localPort && st.Tuple.RemotePort == remotePort))
                    return child;
                inbox.Clear();
            }
            return null;
        }
        finally
        {
            _sys.Stop(probe);
        }
    }

    private readonly List<PdSocket> _closeWhenConnected = [];

    private Func<(long, string?)?> Shutdown(SyscallEvent s)
    {
        var sock = Connection(s);
        string how = Name(Arg(s, 1));
        bool rd = how is "SHUT_RD" or "SHUT_RDWR", wr = how is "SHUT_WR" or "SHUT_RDWR";
        if (!rd && !wr)
            throw new UnsupportedException($"shutdown({how})");
        if (!sock.Established)
            return Now(-1, "ENOTCONN");
        if (rd) sock.ShutRd = true;
        if (wr && !sock.ShutWr && !sock.Dead)
        {
            sock.ShutWr = true;
            sock.Connection!.Tell(ConfirmedClose.Instance, sock.Sink);   // FIN after the queued data; keep receiving
        }
        Collect();
        return Now(0);
    }

    private Func<(long, string?)?> Fcntl(SyscallEvent s)
    {
        var sock = Sock(s);
        string cmd = Name(Arg(s, 1));
        switch (cmd)
        {
            case "F_GETFL":
                return Now(ORdwr | (sock.NonBlocking ? ONonblock : 0));
            case "F_SETFL":
            {
                var flags = Arg(s, 2) is OrExpr o ? o.Terms.Select(Name).ToList() : [Name(Arg(s, 2))];
                foreach (var f in flags)
                    if (f is not ("O_RDWR" or "O_NONBLOCK" or "O_RDONLY" or "O_WRONLY"))
                        throw new UnsupportedException($"fcntl(F_SETFL, {f})");
                sock.NonBlocking = flags.Contains("O_NONBLOCK");
                return Now(0);
            }
            default:
                throw new UnsupportedException($"fcntl({cmd})");
        }
    }

    private Func<(long, string?)?> Ioctl(SyscallEvent s)
    {
        var sock = Connection(s);
        string req = Name(Arg(s, 1));
        if (req is not ("SIOCINQ" or "FIONREAD"))
            throw new UnsupportedException($"ioctl({req}): only SIOCINQ/FIONREAD are supported");
        long expected = Int(Arg(s, 2), "ioctl(SIOCINQ) value");
        CollectSocket(sock);
        long actual = sock.ShutRd ? 0 : sock.Unread;
        if (actual != expected)
            throw Fail($"ioctl({req}) gave [{actual}], expected [{expected}]");
        return Now(0);
    }

    // ------------------------------------------------------------------ socket options

    private Func<(long, string?)?> SetSockOpt(SyscallEvent s)
    {
        var sock = Sock(s);
        string level = Name(Arg(s, 1)), opt = Name(Arg(s, 2));
        var value = Arg(s, 3);
        bool connected = sock.Kind is SocketKind.Connection or SocketKind.Connecting;
        void BeforeOpen(string what)
        {
            if (connected)
                throw new UnsupportedException($"setsockopt({opt}) on a connected socket: the stack takes {what} only at Bind or Connect");
        }
        switch (opt)
        {
            case "SO_REUSEADDR" or "SO_REUSEPORT":
                sock.ReuseAddr = Int(value, opt) != 0;
                return Now(0);
            case "SO_LINGER":
            {
                if (value is not StructExpr st || st["onoff"] is not IntExpr onoff || st["linger"] is not IntExpr linger)
                    throw new UnsupportedException($"SO_LINGER value {value}");
                if (onoff.Value != 0 && linger.Value != 0)
                    throw new UnsupportedException("SO_LINGER with a linger time: the stack has no lingering close, only Close and Abort");
                sock.LingerAbort = onoff.Value != 0;
                return Now(0);
            }
            case "SO_KEEPALIVE":
                BeforeOpen("keepalive options");
                sock.Options = sock.Options with { Keepalive = Int(value, opt) != 0 };
                return Now(0);
            case "TCP_KEEPIDLE":
                BeforeOpen("keepalive options");
                sock.Options = sock.Options with { KeepaliveIdle = TimeSpan.FromSeconds(Int(value, opt)) };
                return Now(0);
            case "TCP_KEEPINTVL":
                BeforeOpen("keepalive options");
                sock.Options = sock.Options with { KeepaliveInterval = TimeSpan.FromSeconds(Int(value, opt)) };
                return Now(0);
            case "TCP_KEEPCNT":
                BeforeOpen("keepalive options");
                sock.Options = sock.Options with { KeepaliveProbes = (int)Int(value, opt) };
                return Now(0);
            case "TCP_NODELAY":
            {
                bool on = Int(value, opt) != 0;
                sock.Options = sock.Options with { NoDelay = on };   // for a Bind or Connect still to come, and getsockopt
                // Linux: TCP_NODELAY on an open connection turns Nagle off or on; on pushes what TCP_CORK, MSG_MORE
                // or Nagle holds back.
                if (sock.Connection is { } conn && !sock.Dead)
                    conn.Tell(new NoDelay(on), sock.Sink);
                Collect();
                return Now(0);
            }
            case "TCP_CORK":
            {
                bool on = Int(value, opt) != 0;
                if (sock.Connection is not { } corked)
                    throw new UnsupportedException("setsockopt(TCP_CORK) on a socket without a connection: the stack corks a connection (Cork command)");
                if (!sock.Dead)
                    corked.Tell(new Cork(on), sock.Sink);
                Collect();
                return Now(0);
            }
            default:
                throw new UnsupportedException($"setsockopt({level}, {opt}): {Why(opt)}");
        }
    }

    private static string Why(string opt) => opt switch
    {
        "TCP_MAXSEG" => "the stack takes no per-connection MSS",
        "TCP_USER_TIMEOUT" => "the stack has no user timeout (RFC 5482) setting",
        "SO_RCVBUF" or "SO_SNDBUF" => "buffer sizes are stack settings, not socket options",
        _ => "not supported by the runner",
    };

    private Func<(long, string?)?> GetSockOpt(SyscallEvent s)
    {
        var sock = Sock(s);
        string opt = Name(Arg(s, 2));
        var expectedExpr = Arg(s, 3);
        long actual;
        switch (opt)
        {
            case "SO_ERROR":
                CollectSocket(sock);
                actual = sock.PendingError is { } err ? Errnos[err] : 0;
                sock.PendingError = null;
                break;
            case "SO_REUSEADDR": actual = sock.ReuseAddr ? 1 : 0; break;
            case "SO_KEEPALIVE": actual = (sock.Options.Keepalive ?? _profile.Settings.KeepaliveEnabled) ? 1 : 0; break;
            case "TCP_KEEPIDLE": actual = (long)(sock.Options.KeepaliveIdle ?? _profile.Settings.KeepaliveIdle).TotalSeconds; break;
            case "TCP_KEEPINTVL": actual = (long)(sock.Options.KeepaliveInterval ?? _profile.Settings.KeepaliveInterval).TotalSeconds; break;
            case "TCP_KEEPCNT": actual = sock.Options.KeepaliveProbes ?? _profile.Settings.KeepaliveProbes; break;
            case "TCP_NODELAY": actual = (sock.Options.NoDelay ?? _profile.Settings.NoDelay) ? 1 : 0; break;
            case "TCP_MAXSEG":
            {
                // Linux: the send MSS (mss_cache: the peer's MSS less the timestamps option) once connected.
                if (sock.Connection is not { } conn)
                    throw new UnsupportedException("getsockopt(TCP_MAXSEG) on a socket that is not connected: the stack takes no per-socket MSS");
                actual = StatusOf(conn)?.SendMss ?? throw Fail("getsockopt(TCP_MAXSEG): the connection is gone");
                break;
            }
            default:
                throw new UnsupportedException($"getsockopt({opt}) is not supported by the runner");
        }
        long expected = expectedExpr switch
        {
            ListExpr { Items: [NameExpr n] } when Errnos.TryGetValue(n.Name, out int en) => en,
            _ => Int(expectedExpr, $"getsockopt({opt}) value"),
        };
        if (actual != expected)
            throw Fail($"getsockopt({opt}) gave [{actual}], expected [{expected}]");
        return Now(0);
    }

    // ------------------------------------------------------------------ poll

    private Func<(long, string?)?> Poll(SyscallEvent s, ref TimeSpan? deadline)
    {
        if (Arg(s, 0) is not ListExpr list)
            throw new UnsupportedException($"poll() argument {Arg(s, 0)}");
        var entries = new List<(PdSocket Sock, HashSet<string> Events, HashSet<string> Expected)>();
        foreach (var item in list.Items)
        {
            if (item is not StructExpr st || st["fd"] is not IntExpr fd || st["events"] is not { } ev)
                throw new UnsupportedException($"poll() entry {item}");
            if (!_fds.TryGetValue((int)fd.Value, out var sock))
                throw Fail($"poll(): fd {fd.Value} is not open");
            entries.Add((sock, Names(ev), st["revents"] is { } rev ? Names(rev) : []));
        }
        long timeoutMs = Int(Arg(s, 2), "poll() timeout");
        if (timeoutMs > 0)
            deadline = _time.Now + TimeSpan.FromMilliseconds(timeoutMs);
        bool mayBlock = timeoutMs != 0;
        return () =>
        {
            int ready = 0;
            var actual = new List<HashSet<string>>();
            foreach (var (sock, events, _) in entries)
            {
                var r = Revents(sock, events);
                actual.Add(r);
                if (r.Count > 0) ready++;
            }
            if (ready == 0 && mayBlock) return null;
            for (int i = 0; i < entries.Count; i++)
                if (!actual[i].SetEquals(entries[i].Expected))
                    throw Fail($"poll(): fd {entries[i].Sock.Fd} revents {Join(actual[i])}, expected {Join(entries[i].Expected)}");
            return (ready, null);
        };
    }

    private static HashSet<string> Names(Expr e) => e switch
    {
        OrExpr o => o.Terms.Select(Name).ToHashSet(),
        IntExpr { Value: 0 } => [],
        _ => [Name(e)],
    };

    private static string Join(HashSet<string> s) => s.Count == 0 ? "0" : string.Join('|', s.Order());

    private HashSet<string> Revents(PdSocket sock, HashSet<string> events)
    {
        foreach (var e in events)
            if (e is not ("POLLIN" or "POLLOUT" or "POLLRDHUP" or "POLLERR" or "POLLHUP" or "POLLRDNORM" or "POLLWRNORM"))
                throw new UnsupportedException($"poll() event {e}");
        CollectSocket(sock);
        var r = new HashSet<string>();
        bool readable = sock.Kind == SocketKind.Listening ? sock.AcceptQueue.Count > 0
            : sock.Unread > 0 || sock.PeerFin || sock.Dead || sock.ShutRd;
        bool writable = sock.Established && !sock.Dead && !sock.ShutWr;
        if (readable && events.Contains("POLLIN")) r.Add("POLLIN");
        if (readable && events.Contains("POLLRDNORM")) r.Add("POLLRDNORM");
        if (writable && events.Contains("POLLOUT")) r.Add("POLLOUT");
        if (writable && events.Contains("POLLWRNORM")) r.Add("POLLWRNORM");
        if ((sock.PeerFin || sock.ShutRd) && events.Contains("POLLRDHUP")) r.Add("POLLRDHUP");
        if (sock.PendingError is not null) r.Add("POLLERR");
        if (sock.Dead || (sock.ShutWr && sock.PeerFin)) r.Add("POLLHUP");
        return r;
    }

    // ------------------------------------------------------------------ what the stack tells a socket

    private static string ErrnoFor(string cause) =>
        cause.Contains("refused") ? "ECONNREFUSED"
        : cause.Contains("reset") ? "ECONNRESET"
        : cause.Contains("timed out") || cause.Contains("timeout") ? "ETIMEDOUT"
        : "EIO";

    private void CollectSocket(PdSocket sock)
    {
        while (sock.Inbox.Count > 0)
        {
            var batch = sock.Inbox.ToArray();
            sock.Inbox.Clear();
            foreach (var (m, sender) in batch)
            {
                switch (m)
                {
                    case Bound:
                        sock.Listener = sender;
                        break;
                    case Connected c when sock.Kind == SocketKind.Listening:
                        if (sock.Closed)
                            sender.Tell(Abort.Instance, sock.Sink);
                        else
                            sock.AcceptQueue.Enqueue((sender, c.Tuple));
                        break;
                    case Connected c:
                        sock.Connection = sender;
                        sock.Tuple = c.Tuple;
                        sock.Established = true;
                        sender.Tell(new Register(sock.Sink, KeepOpenOnPeerClosed: true), sock.Sink);
                        if (_closeWhenConnected.Remove(sock))
                            sender.Tell(Close.Instance, sock.Sink);
                        break;
                    case Received r:
                        sock.Unread += r.Data.Length;
                        break;
                    case PeerClosed:
                        sock.PeerFin = true;
                        break;
                    case ErrorClosed e:
                        sock.PendingError = ErrnoFor(e.Cause);
                        sock.Dead = true;
                        break;
                    case Aborted:
                        sock.Dead = true;
                        break;
                    case CommandFailed { Command: Engine.Api.Connect } f:
                        if (!sock.Closed)
                            sock.PendingError = ErrnoFor(f.Cause.Message);
                        sock.Dead = true;
                        _closeWhenConnected.Remove(sock);
                        break;
                    case CommandFailed { Command: Write { Ack: WriteDone d } } f:
                        sock.WritesFailed[d.Id] = f.Cause.Message;
                        break;
                    case WriteDone d:
                        sock.WritesDone.Add(d.Id);
                        break;
                    case ConnectionStatus st:
                        sock.LastStatus = st;
                        break;
                    // Closed, ConfirmedClosed, Unbound, other CommandFailed (e.g. a Close refused in a closing state): no socket state.
                }
            }
        }
    }
}
