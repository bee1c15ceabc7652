using System.Buffers;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>How a connection was opened.</summary>
internal sealed record ConnectionParams(
    StackContext Stack,
    FourTuple Tuple,
    ConnectionOptions Options,
    /// <summary>Active OPEN: who asked (told Connected or CommandFailed). Passive: null.</summary>
    IActorRef? Commander,
    Connect? ConnectCommand,
    /// <summary>Passive OPEN: the listener and the handler named in its Bind, and the SYN that arrived.</summary>
    IActorRef? Listener,
    IActorRef? BindHandler,
    TcpSegment? Syn,
    /// <summary>Passive OPEN: the ECN field of the SYN's IP header (RFC 3168 6.1.1).</summary>
    byte SynEcn = 0);

/// <summary>
/// One TCP connection (RFC 9293). Its behaviours are the states of Figure 5, one partial file each
/// (ConnectionActor.SynSent.cs ... ConnectionActor.TimeWait.cs); SEGMENT ARRIVES for the synchronized states
/// is in ConnectionActor.SegmentArrives.cs, step by step in the RFC's order. CLOSED is the stopped actor;
/// LISTEN is the listener actor. This file holds the TCB, output, timers and the shared close paths.
/// </summary>
internal sealed partial class ConnectionActor : UntypedActor, IWithTimers
{
    private readonly StackContext _stack;
    private readonly FourTuple _tuple;
    /// <summary>From <see cref="ConnectionParams"/>: the actor keeps these, not the record (which holds the SYN).</summary>
    private readonly ConnectionOptions _options;
    private readonly IActorRef? _commander;
    private readonly Connect? _connectCommand;
    private readonly IActorRef? _listener;
    private readonly IActorRef? _bindHandler;
    /// <summary>Passive OPEN: the SYN to answer, until PreStart has.</summary>
    private ConnectionParams? _opening;
    private readonly SendSequenceSpace _snd = new();
    private readonly ReceiveSequenceSpace _rcv = new();
    private readonly SendBuffer _sendBuffer;
    /// <summary>Out-of-order data (RFC 9293 3.10.7.4 seventh): made when the first segment beyond RCV.NXT is held.</summary>
    private Reassembler? _reassembler;
    private Reassembler Reassembly => _reassembler ??= new Reassembler(_stack.Settings.ReassemblyLimit);
    private RttEstimator _rtt;
    private readonly CongestionAlgorithm _ccAlgorithm;
    /// <summary>cwnd and ssthresh (RFC 5681), made on first use (a connection that has sent nothing holds none) for <see cref="_ccMss"/>.</summary>
    private ICongestionControl? _ccState;
    /// <summary>The SMSS congestion control starts from: the default, then what the handshake fixed.</summary>
    private int _ccMss;
    private ICongestionControl Cc => _ccState ??= CongestionControl.Create(_ccAlgorithm, _ccMss);
    /// <summary>cwnd without making the state: before first use it is RFC 6928's IW.</summary>
    private int CcCwnd => _ccState?.Cwnd ?? CongestionControl.InitialWindow(_ccMss);
    private bool CcInRecovery => _ccState is { InRecovery: true };

    private TcpState _state;
    /// <summary>The peer's MSS (RFC 9293 3.7.1: 536 when it sends none).</summary>
    private int _sendMss;
    private IActorRef? _handler;
    private bool _keepOpenOnPeerClosed;
    /// <summary>Events not yet told to the application, in order: no handler yet, or reading is suspended.</summary>
    private List<object>? _heldForHandler;
    /// <summary>Bytes of the <see cref="Received"/> in <see cref="_heldForHandler"/>: they close the window.</summary>
    private int _heldBytes;
    /// <summary>SuspendReading, or pull mode between ResumeReadings: data is held and the window shrinks.</summary>
    private bool _readingSuspended;
    /// <summary>The receive window this connection offers when nothing is held (SO_RCVBUF, or tcp-actors.receive-window, auto-tuned up to it).</summary>
    private int _receiveWindow;
    /// <summary>RCV.NXT + the window of the last ACK we sent: the right edge the peer knows.</summary>
    private SeqNum _advertisedRightEdge;

    /// <summary>TCP_CORK is on.</summary>
    private bool _cork;
    /// <summary>The last Write said More (MSG_MORE): the tail of the send buffer waits for more and has no PSH.</summary>
    private bool _moreQueued;
    /// <summary>Push (or uncork, or the cork ceiling) asked that the held tail go out now.</summary>
    private bool _pushHeld;
    /// <summary>The persist timer fired as sender SWS avoidance's override timeout (RFC 9293 3.8.6.2.1 rule 4).</summary>
    private bool _swsOverride;
    /// <summary>tcp(7): "there is a 200 millisecond ceiling on the time for which output is corked by TCP_CORK".</summary>
    private static readonly TimeSpan CorkCeiling = TimeSpan.FromMilliseconds(200);
    private bool _finQueued;
    private bool _finSent;
    /// <summary>Retransmissions of the segment at SND.UNA since it was last acknowledged.</summary>
    private int _retries;
    private int _totalRetransmits;
    private bool _synRetransmitted;
    private SeqNum? _recover;
    private SeqNum _lastSentStart;
    /// <summary>End of the highest retransmitted octet not yet acknowledged: an ACK that covers retransmitted data gives no RTT sample.</summary>
    private SeqNum? _retransmittedHigh;
    private int _dupAcks;
    /// <summary>Bytes sent by limited transmit since the last new ACK: not part of FlightSize for ssthresh (RFC 5681 3.2 step 2).</summary>
    private int _limitedTransmitBytes;
    private int _segmentsSinceAck;
    /// <summary>ACKs still to be sent at once rather than delayed (quick-ACK mode, Linux icsk_ack.quick).</summary>
    private int _quickAcks;
    private bool _dataReceived;
    /// <summary>When the last data segment arrived (ESTABLISHED until one has): Linux icsk_ack.lrcvtime.</summary>
    private TimeSpan _lastDataAt;
    private int _keepaliveProbes;
    /// <summary>A zero-window probe sent the octet at SND.NXT without advancing SND.NXT (it lies beyond the window).</summary>
    private bool _windowProbeOut;
    /// <summary>Zero-window probes sent in this zero-window episode: the probe interval is the RTO doubled this often.</summary>
    private int _persistBackoffs;
    private bool _keepalive;
    // Keepalive's times and probe count: read from the options or settings when used, not kept per connection.
    /// <summary>TCP_NODELAY: ConnectionOptions.NoDelay, else tcp-actors.no-delay; off means the Nagle algorithm runs.</summary>
    private bool NoDelayInEffect => _noDelay ?? _options.NoDelay ?? _stack.Settings.NoDelay;

    /// <summary>Set by the NoDelay command (TCP_NODELAY after open); null: the options' or the stack's.</summary>
    private bool? _noDelay;

    private TimeSpan KeepaliveIdle => _options.KeepaliveIdle ?? _stack.Settings.KeepaliveIdle;
    private TimeSpan KeepaliveInterval => _options.KeepaliveInterval ?? _stack.Settings.KeepaliveInterval;
    private int KeepaliveMaxProbes => _options.KeepaliveProbes ?? _stack.Settings.KeepaliveProbes;
    private IActorRef? _closeCommander;
    private ITcpCommand? _closeCommand;
    /// <summary>The stack sent our FIN on the application's behalf after PeerClosed (no Close command to answer).</summary>
    private bool _closedOnBehalf;
    private long _bytesSent, _bytesReceived;
    private Exception? _failure;
    private bool _closedDeliberately;
    private bool _countedEstablished;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The connection's Props: a copy of the stack's template (<see cref="StackContext.ConnectionProps"/>: dispatcher,
    /// <see cref="ConnectionMailbox"/>, producer, all shared) that adds the params. No expression is compiled and no
    /// constructor is looked up by reflection per connection, and the connection keeps 72 bytes of Props, not ~200.
    /// </summary>
    public static Props Props(ConnectionParams p) => new ConnectionProps(p.Stack.ConnectionProps, p);

    /// <summary>The template of a stack's connection Props.</summary>
    internal static Props Template(string dispatcher, string mailbox) =>
        Akka.Actor.Props.CreateBy(Producer.Instance).WithDispatcher(dispatcher).WithMailbox(mailbox);

    private sealed class ConnectionProps(Props template, ConnectionParams p) : Akka.Actor.Props(template)
    {
        private ConnectionParams? _params = p;

        /// <summary>Once: a connection is never restarted (its supervisors stop it), so the params go with the actor.</summary>
        public override ActorBase NewActor()
        {
            var p = _params ?? throw new InvalidOperationException("a connection actor is not restarted");
            _params = null;
            try
            {
#pragma warning disable AK1000 // this is the Props: Akka calls NewActor from ActorOf
                return new ConnectionActor(p);
#pragma warning restore AK1000
            }
            catch (Exception e)
            {
                throw new ConnectionNotCreatedException(e);
            }
        }
    }

    /// <summary>The template's producer; <see cref="ConnectionProps"/> makes the actor itself.</summary>
    private sealed class Producer : IIndirectActorProducer
    {
        public static readonly Producer Instance = new();

        public Type ActorType => typeof(ConnectionActor);

        public ActorBase Produce() => throw new InvalidOperationException("connection actors are made by their ConnectionProps");

        public void Release(ActorBase actor)
        {
        }
    }

    public ConnectionActor(ConnectionParams p)
    {
        _options = p.Options;
        _commander = p.Commander;
        _connectCommand = p.ConnectCommand;
        _listener = p.Listener;
        _bindHandler = p.BindHandler;
        _opening = p;
        _stack = p.Stack;
        _tuple = p.Tuple;
        var s = _stack.Settings;
        _sendBuffer = new SendBuffer(p.Options.SendBufferSize ?? s.SendBuffer)
        {
            AutoTuned = p.Options.SendBufferSize is null && s.SendBufferMax > s.SendBuffer,
        };
        _rtt = new RttEstimator(s.InitialRto, s.MinRto, s.MaxRto);
        _sendMss = s.DefaultMss;
        _ccAlgorithm = p.Options.CongestionControl ?? s.CongestionControl;
        _ccMss = _sendMss;
        _receiveWindow = InitialReceiveWindow(p);
        _rcv.Wnd = (uint)Math.Min(65535, _receiveWindow);   // until window scaling is negotiated
        _readingSuspended = p.Options.PullMode;
        _keepalive = p.Options.Keepalive ?? s.KeepaliveEnabled;
    }

    /// <summary>
    /// Protocol time for the message being handled, read from the stack's clock once per message (as Linux refreshes
    /// tcp_mstamp once per packet): every step of a segment's processing asks for it, and each read of the scheduler's
    /// clock is a clock_gettime (6% of the read thread's samples in bulk, perf). In virtual time nothing changes:
    /// the TestScheduler's clock stands still while a message is handled. Forgotten at the start of every message
    /// and of PreStart and PostStop (<see cref="ForgetNow"/>).
    /// </summary>
    private TimeSpan Now => _now != NotRead ? _now : _now = _stack.Clock.Now;
    private TimeSpan _now = NotRead;
    private static readonly TimeSpan NotRead = TimeSpan.MinValue;

    private void ForgetNow() => _now = NotRead;

    /// <summary>The handshake fixed the peer's MSS: the congestion window starts from RFC 6928's IW for it.</summary>
    private void SetSendMss(int mss)
    {
        _sendMss = mss;
        _ccMss = Smss;
        _ccState = null;   // starts again from RFC 6928's IW for this MSS when first used
    }
    private TcpCounters Counters => _stack.Counters;
    private bool IsPassive => _listener is not null;

    protected override void PreStart()
    {
        ForgetNow();
        Counters.Add(TcpCounter.ConnectionActors);
        var opening = _opening!;
        _opening = null;
        if (opening.Syn is { } syn)
            OpenPassive(syn, opening.SynEcn);
        else
            OpenActive();
    }

    /// <summary>
    /// Each state's behaviour, by <see cref="_state"/>. Not Akka's Become: its behaviour stack (with the death-watch
    /// sets that come with it) and a delegate per state cost an idle connection ~500 bytes. Nobody watches a
    /// connection actor for the stack either: it tells the I/O actor and its listener <see cref="ConnectionGone"/> as it stops.
    /// </summary>
    protected override void OnReceive(object message)
    {
        bool handled = _state switch
        {
            TcpState.SynSent => SynSent(message),
            TcpState.SynReceived => SynReceived(message),
            TcpState.Established => Established(message),
            TcpState.FinWait1 => FinWait1(message),
            TcpState.FinWait2 => FinWait2(message),
            TcpState.CloseWait => CloseWait(message),
            TcpState.Closing => Closing(message),
            TcpState.LastAck => LastAck(message),
            TcpState.TimeWait => TimeWait(message),
            _ => false,
        };
        if (!handled)
            Unhandled(message);
    }

    // ---------------------------------------------------------------- state changes

    private void Enter(TcpState state)
    {
        if (state == TcpState.TimeWait && _state != TcpState.TimeWait)
            _stack.Io.Tell(new ConnectionInTimeWait(_tuple), Self);
        if (state == TcpState.Established && !_countedEstablished)
        {
            _countedEstablished = true;
            Counters.Add(TcpCounter.CurrEstab);
            _lastDataAt = Now;
            if (_ecn is { Enabled: false })
                _ecn = null;   // not negotiated: only the handshake's segments asked it; an idle connection keeps nothing
        }
        _state = state;
    }

    /// <summary>CLOSED: delete the TCB (the actor stops; PostStop releases what it held).</summary>
    private void EnterClosed()
    {
        _closedDeliberately = true;
        _state = TcpState.Closed;
        Timers.CancelAll();
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        ForgetNow();
        if (_failure is not null && IsSynchronized(_state))
        {
            // A connection that failed inside is contained by its supervisor: the peer gets a RST and the
            // application the cause; every other connection goes on.
            SendReset(_snd.Nxt);
            TellApplication(new ErrorClosed($"connection failed: {_failure.GetType().Name}: {_failure.Message}"));
        }
        else if (_failure is not null && _commander is { } commander && _state == TcpState.SynSent)
        {
            commander.Tell(new CommandFailed(_connectCommand!, new TcpException($"connection failed: {_failure.Message}")));
        }
        else if (!_closedDeliberately && IsSynchronized(_state))
        {
            // Stopped from outside (the stack or its link went away): the application still hears of it.
            TellApplication(new ErrorClosed("the stack stopped: the connection is gone"));
        }
        if (_countedEstablished)
            Counters.Add(TcpCounter.CurrEstab, -1);
        Counters.Add(TcpCounter.ConnectionActors, -1);
        // What was held for the application is told before the actor goes (the last event, e.g. ErrorClosed, is behind it).
        if (_handler is not null)
            DrainHeld(ignoreSuspension: true, windowUpdate: false);
        _sendBuffer.Clear();
        _reassembler?.Clear();
        SyncReassemblyCharge();
        DropHeld();
        _state = TcpState.Closed;
        // Instead of death watch: the tables that route to this actor forget it.
        var gone = new ConnectionGone(_tuple);
        _stack.Io.Tell(gone, Self);
        _listener?.Tell(gone, Self);
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        bool handled = false;
        ForgetNow();
        try
        {
            handled = base.AroundReceive(receive, message);
            return handled;
        }
        catch (Exception e)
        {
            _failure ??= e;
            throw;
        }
        finally
        {
            // A segment's packet buffer goes back once the segment is processed, whatever the state did with it
            // (unless its data went to the application as a pooled Received, which then owns the buffer). The
            // message goes back to its pool too, when the state handled it: an unhandled one is published on the
            // event stream, and one that failed is the supervisor's to see, so those stay as they are.
            if (message is SegmentArrived m)
            {
                if (handled)
                    m.Recycle();
                else
                    m.Release();
            }
        }
    }

    private static bool IsSynchronized(TcpState s) => s is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1
        or TcpState.FinWait2 or TcpState.CloseWait or TcpState.Closing or TcpState.LastAck;

    // ---------------------------------------------------------------- output

    /// <summary>
    /// Sends one segment. The window field is RCV.WND (less what waits for the application to register), shifted
    /// right by our window scale except on a SYN. <paramref name="options"/> default to the connection's
    /// (timestamps, SACK blocks); a SYN passes its own.
    /// </summary>
    private void Emit(TcpFlags flags, SeqNum seq, SeqNum ack, int dataOffset = 0, int dataLength = 0, TcpOptions? options = null,
        bool newData = false)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        byte ipEcn = 0;
        if (_ecn is { Enabled: true } ecn)
            flags = ecn.Outgoing(flags, newData && dataLength > 0, out ipEcn);   // RFC 3168 6.1: ECE, CWR, ECT(0)
        var tcp = new TcpSegment
        {
            SourcePort = _tuple.LocalPort,
            DestinationPort = _tuple.RemotePort,
            Sequence = seq,
            Acknowledgment = (flags & TcpFlags.Ack) != 0 ? ack : default,
            Flags = flags,
            Window = (flags & TcpFlags.Rst) != 0 ? (ushort)0 : WindowField(syn),
        };
        tcp.Options = options ?? SegmentOptions(flags);
        if ((flags & TcpFlags.Ack) != 0)
        {
            _lastAckSent = ack;
            if (_dsack is not null && tcp.Options.SackCount > 0)
            {
                _dsack = null;
                Counters.Add(TcpCounter.DsacksSent);
            }
        }
        int headers = Ipv4Packet.MinHeaderLength + tcp.WrittenHeaderLength;
        byte[] buffer = PacketBuffers.Rent(Counters, headers + dataLength);
        if (dataLength > 0)
            _sendBuffer.CopyTo(dataOffset, buffer.AsSpan(headers, dataLength));
        int n = tcp.WritePacket(buffer, _tuple.LocalAddress, _tuple.RemoteAddress, buffer.AsSpan(headers, dataLength), typeOfService: ipEcn);
        Counters.Add(TcpCounter.OutSegs);
        if (tcp.Window == 0 && (flags & TcpFlags.Rst) == 0)
            Counters.Add(TcpCounter.ZeroWindowsAdvertised);
        if ((flags & TcpFlags.Rst) != 0)
            Counters.Add(TcpCounter.OutRsts);
        _stack.Link.Send(buffer.AsSpan(0, n));   // straight onto the link, on this actor's thread
        PacketBuffers.Return(Counters, buffer);
        if ((flags & TcpFlags.Ack) != 0)
        {
            if ((flags & TcpFlags.Rst) == 0)
                _advertisedRightEdge = ack + (uint)tcp.Window;
            _segmentsSinceAck = 0;
            if (_quickAcks > 0)
                _quickAcks--;   // Linux tcp_dec_quickack_mode: every ACK sent uses one
            _delayedAckDue = Disarmed;   // nothing owed; the Akka timer, if out, is ignored when it fires
        }
    }

    /// <summary>&lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;.</summary>
    private void SendAck() => Emit(TcpFlags.Ack, _snd.Nxt, _rcv.Nxt);

    private void SendReset(SeqNum seq) => Emit(TcpFlags.Rst, seq, default);

    /// <summary>RFC 5961 challenge ACK, rate-limited across the stack (section 7).</summary>
    private void SendChallengeAck()
    {
        if (_stack.ChallengeAcks.TryAcquire())
        {
            Counters.Add(TcpCounter.ChallengeAcks);
            SendAck();
        }
        else
        {
            Counters.Add(TcpCounter.ChallengeAcksSuppressed);
        }
    }

    private void SendSyn() => Emit(TcpFlags.Syn | EcnSynFlags, _snd.Iss, default, options: SynOptions());

    private void SendSynAck() => Emit(TcpFlags.Syn | TcpFlags.Ack | Ecn.SynAckFlags, _snd.Iss, _rcv.Nxt, options: SynAckOptions());

    /// <summary>Sends queued data (and the FIN when it is due) as far as the peer's window and cwnd allow.</summary>
    private void TrySend()
    {
        if (PipeRecovery)
        {
            SendInRecovery();
            return;
        }
        bool sent = false;
        while (!_finSent && SendNewSegment(CongestionRoom))
            sent = true;
        if (sent)
            ScheduleLossProbe();   // RFC 8985 7.2: after new data went out
    }

    /// <summary>
    /// Sends one new segment from SND.NXT (data, with the FIN if it is the last and CLOSE was asked; or the FIN
    /// alone) if the peer's window and <paramref name="cwndRoom"/> allow. False when nothing was sent.
    /// </summary>
    private bool SendNewSegment(int cwndRoom)
    {
        int sentOffset = _snd.InFlight;
        int unsent = _sendBuffer.Count - sentOffset;
        if (unsent > 0)
        {
            var options = SegmentOptions(TcpFlags.Ack);
            int room = PayloadRoom(options);
            int most = SegmentSizing.MaxPayload(room, options.Length, _stack.Mss, _stack.GsoMaxSize);
            int len = Math.Min(Math.Min(unsent, most), _snd.Usable);
            if (len <= 0)
            {
                if (_snd.Wnd == 0 && _snd.InFlight == 0)
                    StartPersistTimer();
                return false;
            }
            len = SegmentSizing.FitCongestionRoom(len, room, cwndRoom);   // a super-segment: whole segments within cwnd
            // RFC 5681: no more than cwnd in flight. Whole segments only while something is in flight (its ACK
            // will open cwnd again), so that cwnd does not cut the stream into small segments.
            if (cwndRoom < len && _snd.InFlight > 0)
                return false;
            if (!CcInRecovery && !_rtoRecovery && (long)_snd.InFlight + len > CcCwnd)
                _limitedTransmitBytes += len;   // beyond cwnd: sent by limited transmit
            bool last = len == unsent;
            if (last && (_cork || _moreQueued) && !_pushHeld && !_finQueued && len < room)
            {
                // TCP_CORK / MSG_MORE: a partial last segment waits for more data, at most the ceiling.
                if (!Timers.IsTimerActive(TimerKeys.Cork))
                    Timers.StartSingleTimer(TimerKeys.Cork, CorkTimeout.Instance, CorkCeiling);
                return false;
            }
            bool fin = last && _finQueued && _pendingWrite is null;
            if (len < room)
            {
                // RFC 9293 3.8.6.2.1 and 3.7.4: a short segment waits for the ACK of an earlier short one (Nagle),
                // or for more window than a sliver (sender SWS avoidance; with nothing in flight the persist timer
                // is the override timeout, rule 4).
                int queued = unsent + (_pendingWrite is null ? 0 : _pendingWrite.Data.Length - _pendingWriteOffset);
                var verdict = SendRules.Decide(len, room, queued, _snd.Usable, _snd.MaxWnd, nagle: !NoDelayInEffect,
                    _snd.SmallSegmentUnacked, force: fin || _pushHeld || _swsOverride);
                if (verdict != SendVerdict.Send)
                {
                    if (verdict == SendVerdict.HoldForWindow && _snd.InFlight == 0)
                        StartPersistTimer();
                    return false;
                }
            }
            // PSH on the segment that empties the buffer (RFC 9293 3.9.1), unless the last write said More; and, as
            // Linux's forced push, at least once every half of the peer's largest window; and on a loss probe.
            bool push = (last && !_moreQueued) || _snd.PushIsDue(_snd.Nxt + len) || _probePush;
            if (push)
                _snd.Pushed = _snd.Nxt + len;
            var flags = TcpFlags.Ack | (push ? TcpFlags.Psh : 0) | (fin ? TcpFlags.Fin : 0);
            if (last)
            {
                _pushHeld = false;
                Timers.Cancel(TimerKeys.Cork);
            }
            Emit(flags, _snd.Nxt, _rcv.Nxt, sentOffset, len, options, newData: true);
            _prr?.OnSent(len + (fin ? 1 : 0));
            if (len > room)
                Counters.Add(TcpCounter.SuperSegmentsOut);
            _lastSentStart = _snd.Nxt;
            _bytesSent += len;
            if (len != room && len % room != 0)
                _snd.Sml = _snd.Nxt + len;   // a short segment (or a super-segment with a short tail): Linux tcp_minshall_update
            _snd.Nxt += len + (fin ? 1 : 0);
            _finSent = fin;
            OnSegmentSent();
            return true;
        }
        if (_finQueued && _pendingWrite is null)
        {
            Emit(TcpFlags.Fin | TcpFlags.Ack, _snd.Nxt, _rcv.Nxt);
            _lastSentStart = _snd.Nxt;
            _snd.Nxt += 1;
            _finSent = true;
            OnSegmentSent();
            return true;
        }
        return false;
    }

    /// <summary>
    /// What cwnd lets out beyond SND.NXT: cwnd - FlightSize (RFC 5681 3.1), plus up to two segments for the first
    /// two duplicate ACKs outside recovery (limited transmit, RFC 3042 section 2).
    /// </summary>
    private int CongestionRoom
    {
        get
        {
            long cwnd = CcCwnd;
            if (_stack.Settings.LimitedTransmit && _recover is null && _dupAcks is > 0 and < 3)
                cwnd += (long)Math.Min(_dupAcks, 2) * Smss;
            return (int)Math.Clamp(cwnd - _snd.InFlight, 0, int.MaxValue);
        }
    }

    private void OnSegmentSent()
    {
        _windowProbeOut = false;   // the segment carried the probe's octet again (it starts at the old SND.NXT)
        if (!_tsOk)
            _rtt.StartTiming(_lastSentStart, _snd.Nxt, Now);   // with timestamps every ACK gives a sample
        if (!Timers.IsTimerActive(TimerKeys.Retransmission))
            StartRetransmissionTimer();
        else if (_rtoDeadline == Disarmed)
            RestartRetransmissionTimer();   // 5.1: the timer was stopped (5.2) but its Akka timer is still out
        Timers.Cancel(TimerKeys.Persist);
    }

    /// <summary>When the retransmission timer expires (RFC 6298), and when the Akka timer behind it fires (never later).</summary>
    private TimeSpan _rtoDeadline, _rtoTimerFiresAt;

    /// <summary>The deadline of a retransmission timer that is stopped while its Akka timer is still out.</summary>
    private static readonly TimeSpan Disarmed = TimeSpan.MaxValue;

    /// <summary>
    /// RFC 6298 5.2: all data acknowledged, the timer stops. The Akka timer is left out (cancelling and starting it
    /// again with the next segment allocates, once per round trip in request/response); when it fires it is ignored.
    /// </summary>
    private void StopRetransmissionTimer() => _rtoDeadline = Disarmed;

    private void StartRetransmissionTimer()
    {
        TimeSpan rto = _rtt.Rto;
        _rtoDeadline = _rtoTimerFiresAt = Now + rto;
        Timers.StartSingleTimer(TimerKeys.Retransmission, RetransmissionTimeout.Instance, rto);
    }

    /// <summary>
    /// RFC 6298 5.3: an ACK of new data restarts the timer to expire after RTO. Restarting an Akka timer allocates,
    /// so only the deadline moves when the running timer fires no later than it: on firing early the timer is
    /// re-armed for what is left (<see cref="RetransmissionTimerFired"/>). The timer still expires RTO after the
    /// last ACK, with one re-arm per RTO instead of one restart per ACK.
    /// </summary>
    private void RestartRetransmissionTimer()
    {
        _rtoDeadline = Now + _rtt.Rto;
        _rtoTimerFiresAt = ArmTimerBy(TimerKeys.Retransmission, RetransmissionTimeout.Instance, _rtoDeadline, _rtoTimerFiresAt);
    }

    /// <summary>The Akka timer fired: false when it fired before the deadline and was re-armed for the rest.</summary>
    private bool RetransmissionTimerFired()
    {
        if (_rtoDeadline == Disarmed)
            return false;   // stopped (5.2): nothing to do, and no re-arm
        if (_rtoDeadline <= Now)
            return true;
        _rtoTimerFiresAt = ArmTimerBy(TimerKeys.Retransmission, RetransmissionTimeout.Instance, _rtoDeadline, _rtoTimerFiresAt);
        return false;
    }

    /// <summary>
    /// The deadline timers' common step (retransmission, delayed ACK, loss probe, RACK): makes sure the Akka timer
    /// <paramref name="key"/> fires by <paramref name="due"/>. A timer already out that fires no later
    /// (<paramref name="firesAt"/>) is left alone, since starting one allocates: when it fires early, its handler
    /// arms it again for the rest. Returns when the timer fires now.
    /// </summary>
    private TimeSpan ArmTimerBy(string key, object message, TimeSpan due, TimeSpan firesAt)
    {
        if (firesAt <= due && Timers.IsTimerActive(key))
            return firesAt;
        TimeSpan left = due - Now;
        Timers.StartSingleTimer(key, message, left > TimeSpan.Zero ? left : TimeSpan.Zero);
        return due;
    }

    // ---------------------------------------------------------------- timers

    /// <summary>
    /// Our SYN or SYN-ACK went out again. Karn's algorithm (RFC 6298 section 3): an ACK of it may answer either
    /// copy, so the running RTT measurement is dropped; the handshake then gives no sample and data starts with
    /// an RTO of 3 s (5.7).
    /// </summary>
    private void OnSynRetransmitted()
    {
        _rtt.OnRetransmit();
        _synRetransmitted = true;
        _totalRetransmits++;
        Counters.Add(TcpCounter.RetransSegs);
    }

    private void OnRetransmissionTimeout()
    {
        Counters.Add(TcpCounter.Timeouts);
        switch (_state)
        {
            case TcpState.SynSent:
                if (_retries >= _stack.Settings.SynRetries)
                {
                    FailOpen(new TcpException($"connect to {_tuple.RemoteAddress}:{_tuple.RemotePort} timed out after {_retries} SYN retransmissions"));
                    return;
                }
                _retries++;
                _rtt.Backoff();
                StartRetransmissionTimer();
                SendSyn();
                OnSynRetransmitted();
                return;
            case TcpState.SynReceived:
                if (_retries >= _stack.Settings.SynAckRetries)
                {
                    // The handshake was never completed: drop the embryonic connection silently, like Linux.
                    Counters.Add(TcpCounter.AttemptFails);
                    EnterClosed();
                    return;
                }
                _retries++;
                _rtt.Backoff();
                StartRetransmissionTimer();
                SendSynAck();
                OnSynRetransmitted();
                return;
        }
        if (_snd.InFlight == 0)
            return;
        if (_retries >= _stack.Settings.Retries2)
        {
            AbortWithError($"retransmission timeout: {_retries} retransmissions unacknowledged", sendReset: false);
            return;
        }
        _rtt.Backoff();                 // RFC 6298 5.5
        StartRetransmissionTimer();     // 5.6
        EnterTimeoutRecovery();         // 5.4, and RFC 5681 3.1: LW = 1 SMSS
        _retries++;
    }

    /// <summary>When the delayed ACK is due (<see cref="Disarmed"/>: none is owed), and when the Akka timer behind it fires.</summary>
    private TimeSpan _delayedAckDue = Disarmed, _delayedAckTimerFiresAt;

    /// <summary>
    /// Data arrived that is not acknowledged at once: the ACK is due the delayed-ACK time after the first such segment.
    /// Like the retransmission timer, the Akka timer is not cancelled when an ACK goes out (that and starting it again
    /// would allocate once per round trip in request/response): a timer still out that fires no later than the new
    /// deadline is re-armed for the rest when it fires.
    /// </summary>
    private void StartDelayedAckTimer()
    {
        if (_delayedAckDue != Disarmed)
            return;
        _delayedAckDue = Now + _stack.Settings.DelayedAck;
        _delayedAckTimerFiresAt = ArmTimerBy(TimerKeys.DelayedAck, DelayedAckTimeout.Instance, _delayedAckDue, _delayedAckTimerFiresAt);
    }

    private void OnDelayedAckTimeout()
    {
        if (_delayedAckDue == Disarmed)
            return;
        if (_delayedAckDue > Now)
        {
            _delayedAckTimerFiresAt = ArmTimerBy(TimerKeys.DelayedAck, DelayedAckTimeout.Instance, _delayedAckDue, _delayedAckTimerFiresAt);
            return;
        }
        _delayedAckDue = Disarmed;
        if (_segmentsSinceAck > 0)
        {
            Counters.Add(TcpCounter.DelayedAcks);
            SendAck();
        }
    }

    /// <summary>The window is zero with data waiting: the first probe follows after the RTO (RFC 1122 4.2.2.17).</summary>
    private void StartPersistTimer()
    {
        if (Timers.IsTimerActive(TimerKeys.Persist))
            return;
        _persistBackoffs = 0;
        Timers.StartSingleTimer(TimerKeys.Persist, PersistTimeout.Instance, PersistInterval);
    }

    /// <summary>
    /// RTO doubled per probe sent, capped at max-rto. The backoff is the persist timer's own (like Linux, which
    /// clears it when the window opens): it does not inflate the RTO used for retransmission.
    /// </summary>
    private TimeSpan PersistInterval
    {
        get
        {
            long ticks = _rtt.Rto.Ticks, max = _stack.Settings.MaxRto.Ticks;
            for (int i = 0; i < _persistBackoffs && ticks < max; i++)
                ticks = Math.Min(max, ticks * 2);
            return TimeSpan.FromTicks(ticks);
        }
    }

    /// <summary>
    /// RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: probe a zero window with one octet, backing off. When the window is open
    /// but sender SWS avoidance held a sliver of it with nothing in flight, this is the override timeout (3.8.6.2.1
    /// rule 4, "convenient to combine ... with the timer used to probe zero windows"): what the window allows goes.
    /// </summary>
    private void OnPersistTimeout()
    {
        int unsent = _sendBuffer.Count - _snd.InFlight;
        if (unsent <= 0 || _finSent)
            return;
        if (_snd.Wnd != 0)
        {
            if (_snd.InFlight == 0 && SendsData)
            {
                Counters.Add(TcpCounter.SwsOverrides);
                _swsOverride = true;
                TrySend();
                _swsOverride = false;
            }
            return;
        }
        Counters.Add(TcpCounter.ZeroWindowProbes);
        // The probe octet is sent beyond the window; it is retransmitted by the probe timer, not the RTO timer.
        Emit(TcpFlags.Ack, _snd.Nxt, _rcv.Nxt, _snd.InFlight, 1);
        _windowProbeOut = true;
        _persistBackoffs++;
        Timers.StartSingleTimer(TimerKeys.Persist, PersistTimeout.Instance, PersistInterval);
    }

    private void RestartKeepalive()
    {
        if (!_keepalive)
            return;
        _keepaliveProbes = 0;
        Timers.StartSingleTimer(TimerKeys.Keepalive, KeepaliveTimeout.Instance, KeepaliveIdle);
    }

    /// <summary>RFC 1122 4.2.3.6: after the idle time, probe every interval; abort after the last unanswered probe.</summary>
    private void OnKeepaliveTimeout()
    {
        if (!_keepalive || _state is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait2))
            return;
        if (_keepaliveProbes >= KeepaliveMaxProbes)
        {
            Counters.Add(TcpCounter.KeepaliveTimeouts);
            AbortWithError($"keepalive timeout: {_keepaliveProbes} probes unanswered", sendReset: true);
            return;
        }
        _keepaliveProbes++;
        Counters.Add(TcpCounter.KeepaliveProbes);
        // <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data: an old sequence number the peer must acknowledge.
        Emit(TcpFlags.Ack, _snd.Nxt - 1, _rcv.Nxt);
        Timers.StartSingleTimer(TimerKeys.Keepalive, KeepaliveTimeout.Instance, KeepaliveInterval);
    }

    private void StartTimeWait()
    {
        Timers.Cancel(TimerKeys.Retransmission);
        Timers.Cancel(TimerKeys.Persist);
        Timers.Cancel(TimerKeys.Keepalive);
        Timers.Cancel(TimerKeys.FinWait2);
        Timers.Cancel(TimerKeys.DelayedAck);
        _delayedAckDue = Disarmed;
        Timers.StartSingleTimer(TimerKeys.TimeWait, TimeWaitTimeout.Instance, 2 * _stack.Settings.Msl);
    }

    /// <summary>
    /// The ACK that every second segment owes may wait for the end of the link's read batch (<see cref="AckBatch"/>),
    /// up to tcp-actors.ack-coalescing segments: true when it waits (the delayed-ACK timer still bounds it).
    /// </summary>
    private bool AckWaitsForBatchEnd()
    {
        if (_segmentsSinceAck >= _stack.Settings.AckCoalescing || !_stack.AckBatch.CanWait)
            return false;
        if (!_ackWaitsForBatch)
        {
            _ackWaitsForBatch = true;
            _stack.AckBatch.Add(Self);
        }
        return true;
    }

    private bool _ackWaitsForBatch;

    /// <summary>Timer messages (and the end of a read batch) common to every synchronized state.</summary>
    private bool HandleTimer(object message)
    {
        switch (message)
        {
            case BatchEnded:
                _ackWaitsForBatch = false;
                if (_segmentsSinceAck >= 2)
                {
                    Counters.Add(TcpCounter.CoalescedAcks);
                    SendAck();   // one ACK for the segments of the batch
                }
                return true;
            case RetransmissionTimeout:
                if (RetransmissionTimerFired() && !LossProbeTakesOverTimeout())
                    OnRetransmissionTimeout();
                return true;
            case DelayedAckTimeout:
                OnDelayedAckTimeout();
                return true;
            case PersistTimeout:
                OnPersistTimeout();
                return true;
            case KeepaliveTimeout:
                OnKeepaliveTimeout();
                return true;
            case FinWait2Timeout:
                EnterClosed();
                return true;
            case CorkTimeout:
                PushHeld();
                return true;
            case LossProbeTimeout:
                _ = OnLossProbeTimeout();
                return true;
            case RackTimeout:
                OnRackTimeout();
                return true;
            case TimeWaitTimeout:
                EnterClosed();
                return true;
            default:
                return false;
        }
    }

    // ---------------------------------------------------------------- the application

    /// <summary>Events go to the handler in order: behind data that is held for it.</summary>
    private void TellApplication(object message)
    {
        if (_handler is not null && _heldForHandler is not { Count: > 0 })
        {
            _handler.Tell(message, Self);
            return;
        }
        if (_commander is { } c && _state == TcpState.SynSent)
        {
            c.Tell(message, Self);
            return;
        }
        (_heldForHandler ??= []).Add(message);
    }

    /// <summary>
    /// Hands in-order data that lies in <paramref name="segment"/>'s packet buffer to the application: the buffer itself
    /// (the Received takes it over) when the handler registered for pooled data, else a copy the application owns.
    /// </summary>
    private void DeliverData(ReadOnlyMemory<byte> data, SegmentArrived segment)
    {
        if (data.IsEmpty)
            return;
        if (_pooledData && _handler is not null && segment.TakeBuffer() is { } buffer)
            DeliverData(_recycleReceived ? _stack.ReceivedMessages.Rent(data, buffer, Counters) : new Received(data, buffer, Counters));
        else
            DeliverData(new Received(data.ToArray()));
    }

    /// <summary>
    /// Hands in-order data to the application. Its data must not be written to afterwards by anyone: it is the
    /// application's own copy, or a packet buffer handed over to a handler that asked for pooled data.
    /// </summary>
    private void DeliverData(Received msg)
    {
        var data = msg.Data;
        if (data.IsEmpty)
            return;
        _bytesReceived += data.Length;
        if (_handler is not null && !_readingSuspended && _heldForHandler is not { Count: > 0 })
        {
            _handler.Tell(msg, Self);
            NoteDelivered(data.Length);
            if (_options.PullMode)
                _readingSuspended = true;   // pull mode: one Received per ResumeReading
            return;
        }
        // Held until the application registers or resumes reading: the bytes come off the window, so the peer
        // can send at most a window's worth more (RCV.NXT moves right by as much as RCV.WND shrinks: the right
        // edge stays put, the window is never shrunk, RFC 9293 3.8.6).
        (_heldForHandler ??= []).Add(msg);
        _heldBytes += data.Length;
        _rcv.Wnd = (uint)Math.Max(0, ReceiveWindowLimit - _heldBytes);
    }

    /// <summary>
    /// Tells the handler what was held, in order, until reading is suspended again (in pull mode after one
    /// Received), then reopens the window by what was delivered. A window update is sent when the right edge
    /// moves by at least min(window / 2, MSS) beyond what the peer knows (receiver SWS avoidance, RFC 9293 3.8.6.2.2).
    /// </summary>
    private void DrainHeld(bool ignoreSuspension = false, bool windowUpdate = true)
    {
        if (_handler is null || _heldForHandler is not { Count: > 0 } held)
            return;
        int n = 0;
        while (n < held.Count && (ignoreSuspension || !_readingSuspended))
        {
            var m = held[n++];
            _handler.Tell(m, Self);
            if (m is Received r)
            {
                _heldBytes -= r.Data.Length;
                NoteDelivered(r.Data.Length);
                if (_options.PullMode)
                    _readingSuspended = true;
            }
        }
        held.RemoveRange(0, n);
        if (held.Count == 0)
            _heldForHandler = null;
        _rcv.Wnd = (uint)Math.Max(0, ReceiveWindowLimit - _heldBytes);
        if (windowUpdate && IsSynchronized(_state) && _state is not (TcpState.SynReceived or TcpState.CloseWait or TcpState.LastAck or TcpState.Closing)
            && (_rcv.Nxt + _rcv.Wnd) - _advertisedRightEdge >= Math.Min(ReceiveWindowLimit / 2, _stack.Mss))
            SendAck();   // window update
    }

    /// <summary>The handler registered with <see cref="Register.PooledData"/>: in-order data goes to it in packet buffers.</summary>
    private bool _pooledData;

    /// <summary>... and with <see cref="Register.RecycleReceived"/>: in Received messages from the stack's pool.</summary>
    private bool _recycleReceived;

    /// <summary>Held events are dropped (ABORT, detach, stop): pooled data in them goes back to the pool.</summary>
    private void DropHeld()
    {
        if (_heldForHandler is { } held)
        {
            foreach (var m in held)
                (m as Received)?.Release();
        }
        _heldForHandler = null;
    }

    private void OnRegister(Register r)
    {
        bool first = _handler is null;
        _handler = r.Handler;
        _pooledData = r.PooledData || r.RecycleReceived;
        _recycleReceived = r.RecycleReceived;
        _keepOpenOnPeerClosed = r.KeepOpenOnPeerClosed;
        if (first && IsPassive)
            _listener!.Tell(new ConnectionAccepted(_tuple));
        DrainHeld();
    }

    /// <summary>SuspendReading / ResumeReading: stop delivering (the window closes as data is held), or go on.</summary>
    private void OnReading(bool resume)
    {
        _readingSuspended = !resume;
        if (resume)
            DrainHeld();
    }

    /// <summary>The application goes away: nothing more is told to it; held data is dropped and the window reopens.</summary>
    private void OnDetach()
    {
        if (_handler is null && IsPassive)
            _listener!.Tell(new ConnectionAccepted(_tuple));
        _handler = ActorRefs.Nobody;
        _pooledData = false;
        _recycleReceived = false;
        _closeCommander = null;
        _pendingWriter = null;
        DropHeld();
        _heldBytes = 0;
        _readingSuspended = false;
        _rcv.Wnd = (uint)ReceiveWindowLimit;
        Sender.Tell(Detached.Instance);
    }

    /// <summary>Announce ESTABLISHED to whoever opened the connection.</summary>
    private void AnnounceConnected()
    {
        var connected = new Connected(_tuple);
        if (_commander is { } commander)
            commander.Tell(connected, Self);
        else if (_bindHandler is { } bindHandler)
            bindHandler.Tell(connected, Self);
        if (IsPassive)
            _listener!.Tell(new ConnectionEstablished(_tuple));
    }

    /// <summary>
    /// SEND (RFC 9293 3.10.2): copy into the send buffer. A write that does not fit waits, and its ack is sent
    /// once all of it is in the buffer (Akka.IO semantics: one pending write at a time; another is refused).
    /// </summary>
    private void OnWrite(Write w)
    {
        if (_pendingWrite is not null)
        {
            Sender.Tell(new CommandFailed(w, new TcpException(
                $"a write of {_pendingWrite.Data.Length} bytes is still pending: wait for its ack before writing again")));
            return;
        }
        int taken = _sendBuffer.Append(w.Data.Span);
        if (taken > 0 || w.Data.Length == 0)
            _moreQueued = w.More;
        if (taken < w.Data.Length)
        {
            _pendingWrite = w;
            _pendingWriteOffset = taken;
            _pendingWriter = Sender;
        }
        else if (w.Ack is not null)
        {
            Sender.Tell(w.Ack);
        }
        if (_state is TcpState.Established or TcpState.CloseWait)
            TrySend();
    }

    /// <summary>Sends the tail that corking or Write.More holds back.</summary>
    private void PushHeld()
    {
        _pushHeld = true;
        if (_state is TcpState.Established or TcpState.CloseWait)
            TrySend();
        if (_sendBuffer.Count <= _snd.InFlight)
            _pushHeld = false;   // nothing waits: later writes are held again
    }

    /// <summary>After an ACK freed send-buffer space: move more of the pending write in; ack it when complete.</summary>
    private void FillFromPendingWrite()
    {
        if (_pendingWrite is not { } w)
            return;
        _pendingWriteOffset += _sendBuffer.Append(w.Data.Span[_pendingWriteOffset..]);
        if (_pendingWriteOffset < w.Data.Length)
            return;
        _pendingWrite = null;
        if (w.Ack is not null)
            _pendingWriter?.Tell(w.Ack);
        _pendingWriter = null;
    }

    private Write? _pendingWrite;
    private int _pendingWriteOffset;
    private IActorRef? _pendingWriter;

    private void RefuseClosing(ITcpCommand cmd) =>
        Sender.Tell(new CommandFailed(cmd, new TcpException($"connection closing: {cmd.GetType().Name} is not possible in {_state}")));

    /// <summary>What the connection holds beyond its fixed state (tests assert that an idle connection holds none of it).</summary>
    internal ConnectionStorage Storage => new(_sendBuffer.AllocatedBytes, _reassembler?.HoldsStorage ?? false, _heldForHandler is not null,
        _scoreboard is not null, _rxtLog is not null || _relost is not null || _prr is not null, _pendingWrite is not null);

    private ConnectionStatus Status() => new(_tuple, _state, _snd.Una.Value, _snd.Nxt.Value, _snd.Wnd, _rcv.Nxt.Value, _rcv.Wnd,
        _sendBuffer.Count, _reassembler?.BufferedBytes ?? 0, _rtt.Rto, _rtt.SmoothedRtt, _totalRetransmits, _bytesSent, _bytesReceived,
        (int)Math.Min(int.MaxValue, _prr?.Cwnd ?? Cc.Cwnd), Cc.Ssthresh, Cc.Name, _sndShift, _rcvShift, _wsOk, _tsOk, _sackOk,
        _heldBytes, _readingSuspended, NoDelayInEffect, _sendBuffer.Capacity,
        Smss, _countedEstablished ? Now - _lastDataAt : TimeSpan.Zero);

    /// <summary>The commands every state answers the same way. False when the state must decide.</summary>
    private bool HandleCommon(object message)
    {
        switch (message)
        {
            case GetStatus:
                Sender.Tell(Status());
                return true;
            case Register r:
                OnRegister(r);
                return true;
            case SuspendReading:
                OnReading(resume: false);
                return true;
            case ResumeReading:
                OnReading(resume: true);
                return true;
            case Detach:
                OnDetach();
                return true;
            case Cork cork:
                _cork = cork.On;
                if (!cork.On)
                    PushHeld();   // Linux tcp_sock_set_cork(false): push what waits
                return true;
            case Push:
                PushHeld();
                return true;
            case NoDelay noDelay:
                _noDelay = noDelay.On;
                if (noDelay.On)
                    PushHeld();   // Linux tcp_sock_set_nodelay: push pending frames
                return true;
            default:
                return HandleTimer(message);
        }
    }

    // ---------------------------------------------------------------- closing paths

    /// <summary>
    /// CLOSING, LAST-ACK and TIME-WAIT answer the user alike (RFC 9293 3.10.2, 3.10.4, 3.10.5): SEND and CLOSE
    /// get "error: connection closing"; ABORT gets "ok" and deletes the TCB without a RST.
    /// </summary>
    private bool AfterBothClosed(object message)
    {
        switch (message)
        {
            case SegmentArrived m:
                SegmentArrives(m);
                return true;
            case Write or Close or ConfirmedClose:
                RefuseClosing((ITcpCommand)message);
                return true;
            case Abort:
                Sender.Tell(Aborted.Instance);
                EnterClosed();
                return true;
            default:
                return HandleCommon(message);
        }
    }

    /// <summary>CLOSE in ESTABLISHED or CLOSE-WAIT: queue the FIN after the data (RFC 9293 3.10.4).</summary>
    private void QueueFin(ITcpCommand cmd)
    {
        _closeCommand = cmd;
        _closeCommander = Sender;
        _finQueued = true;
    }

    /// <summary>ABORT (RFC 9293 3.10.5): RST in the synchronized states, flush, CLOSED; the application is told Aborted.</summary>
    private void OnAbort()
    {
        if (_state is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait)
        {
            SendReset(_snd.Nxt);
            Counters.Add(TcpCounter.EstabResets);
        }
        DropHeld();   // ABORT flushes what was not delivered
        Sender.Tell(Aborted.Instance);
        if (_handler is not null && !_handler.Equals(Sender))
            _handler.Tell(Aborted.Instance, Self);
        EnterClosed();
    }

    /// <summary>The connection dies: the application is told the cause; a RST goes to the peer if asked.</summary>
    private void AbortWithError(string cause, bool sendReset)
    {
        if (sendReset)
            SendReset(_snd.Nxt);
        Counters.Add(TcpCounter.ConnectionFailures);
        TellApplication(new ErrorClosed(cause));
        if (_closeCommander is not null && !_closeCommander.Equals(_handler))
            _closeCommander.Tell(new ErrorClosed(cause), Self);
        EnterClosed();
    }

    /// <summary>The connection was reset by the peer (RFC 9293 3.10.7.4 second check).</summary>
    private void ResetByPeer()
    {
        Counters.Add(TcpCounter.InRsts);
        if (_state is TcpState.Established or TcpState.CloseWait)
            Counters.Add(TcpCounter.EstabResets);
        if (_state is TcpState.Closing or TcpState.LastAck or TcpState.TimeWait)
        {
            EnterClosed();
            return;
        }
        TellApplication(new ErrorClosed("connection reset by peer"));
        if (_closeCommander is not null && !_closeCommander.Equals(_handler))
            _closeCommander.Tell(new ErrorClosed("connection reset by peer"), Self);
        EnterClosed();
    }

    /// <summary>An active OPEN that cannot complete: the commander gets CommandFailed with the cause.</summary>
    private void FailOpen(Exception cause)
    {
        Counters.Add(TcpCounter.AttemptFails);
        _commander?.Tell(new CommandFailed(_connectCommand!, cause), Self);
        EnterClosed();
    }

    /// <summary>Our FIN was acknowledged after CLOSE: tell whoever closed.</summary>
    private void NotifyCloseDone(bool bothFinsDone)
    {
        if (_closeNotified)
            return;
        object? done = _closeCommand switch
        {
            Close => Closed.Instance,
            ConfirmedClose when bothFinsDone => ConfirmedClosed.Instance,
            // Closed on the application's behalf after PeerClosed (Akka.IO's default).
            null when bothFinsDone && _closedOnBehalf => Closed.Instance,
            _ => null,
        };
        if (done is null)
            return;
        if (bothFinsDone)
            DrainHeld(ignoreSuspension: true, windowUpdate: false);   // the data and PeerClosed come first
        _closeNotified = true;
        _closeCommander?.Tell(done, Self);
        if (_handler is not null && !_handler.Equals(_closeCommander))
            _handler.Tell(done, Self);
    }

    private bool _closeNotified;
}

/// <summary>Storage a connection allocates on demand: the send ring's bytes, and whether each of the rest exists.</summary>
internal readonly record struct ConnectionStorage(int SendRingBytes, bool ReassemblyList, bool HeldEvents, bool SackScoreboard,
    bool RetransmitLog, bool PendingWrite)
{
    public bool None => SendRingBytes == 0 && !ReassemblyList && !HeldEvents && !SackScoreboard && !RetransmitLog && !PendingWrite;
}

/// <summary>
/// The connection actor's constructor threw: there is no actor, so no PostStop will say <see cref="ConnectionGone"/>;
/// its supervisor (listener or I/O actor) forgets it instead.
/// </summary>
internal sealed class ConnectionNotCreatedException(Exception cause) : Exception($"connection actor not created: {cause.Message}", cause);
