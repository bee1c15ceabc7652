using TcpActors.Engine.Congestion;
using TcpActors.Engine.Io;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Connection;

/// <summary>
/// The TCP options of the connection: what the SYNs offer and what was negotiated (MSS, window scale and
/// timestamps of RFC 7323, SACK of RFC 2018), the options every later segment carries (TSval/TSecr, SACK
/// blocks with D-SACK of RFC 2883), the window shifts, TS.Recent with PAWS (RFC 7323 section 5), and RTT
/// samples from TSecr (section 4).
/// </summary>
internal sealed partial class ConnectionActor
{
    /// <summary>RFC 7323 5.5: TS.Recent is invalid after 24 days of idleness.</summary>
    private static readonly TimeSpan PawsIdle = TimeSpan.FromDays(24);
    private const int TimestampOptionLength = 12;

    private bool _wsOk, _tsOk, _sackOk;
    /// <summary>Snd.Wind.Shift: the peer's window field is shifted left by this (RFC 7323 2.3).</summary>
    private int _sndShift;
    /// <summary>Rcv.Wind.Shift: ours is shifted right by this on the wire.</summary>
    private int _rcvShift;
    private uint _tsOffset;
    private uint _tsRecent;
    private TimeSpan _tsRecentAt;
    private bool _tsRecentValid;
    /// <summary>Last.ACK.sent (RFC 7323 4.3): the ACK field of our last segment.</summary>
    private SeqNum _lastAckSent;
    /// <summary>A duplicate to report as the first SACK block of the next ACK (RFC 2883).</summary>
    private SackBlock? _dsack;
    private SackScoreboard? _scoreboard;

    private SackScoreboard Scoreboard => _scoreboard ??= new SackScoreboard();

    /// <summary>The largest RCV.WND: the setting with scaling, at most 65535 without.</summary>
    private int ReceiveWindowLimit => _wsOk ? (int)Math.Min(_receiveWindow, 65535L << _rcvShift) : Math.Min(65535, _receiveWindow);

    /// <summary>TSval: the clock in milliseconds plus the connection's offset (RFC 7323 section 5.4, 7.1).</summary>
    private uint TsNow => unchecked((uint)(long)Now.TotalMilliseconds + _tsOffset);

    /// <summary>SMSS for data: the peer's MSS less the timestamps option that every segment carries (like Linux).</summary>
    private int Smss => Math.Max(1, _sendMss - (_tsOk ? TimestampOptionLength : 0));

    /// <summary>The options of our SYN (RFC 9293 3.7.1, RFC 7323 1.3, RFC 2018 2): all that the settings enable.</summary>
    private TcpOptions SynOptions()
    {
        var s = _stack.Settings;
        var o = new TcpOptions { Mss = (ushort)_stack.Mss, SackPermitted = s.Sack };
        if (s.Timestamps)
            o.SetTimestamps(TsNow, 0);
        if (s.WindowScaling)
            o.WindowScale = (byte)s.ReceiveWindowShift;
        return o;
    }

    /// <summary>The options of our SYN-ACK: only those the peer's SYN offered (RFC 7323 1.3 and 2.2, RFC 2018 2).</summary>
    private TcpOptions SynAckOptions()
    {
        var o = new TcpOptions { Mss = (ushort)_stack.Mss, SackPermitted = _sackOk };
        if (_tsOk)
            o.SetTimestamps(TsNow, _tsRecent);
        if (_wsOk)
            o.WindowScale = (byte)_rcvShift;
        return o;
    }

    /// <summary>Passive side (or simultaneous open): the peer's SYN decides; we answer what it offered and we allow.</summary>
    private void NegotiateFromSyn(in TcpSegment syn)
    {
        var s = _stack.Settings;
        _tsOffset = _stack.Isn.TimestampOffset(_tuple);
        _sackOk = s.Sack && syn.Options.SackPermitted;
        _tsOk = s.Timestamps && syn.Options.HasTimestamps;
        _wsOk = s.WindowScaling && syn.Options.WindowScale is not null;
        ApplyNegotiation(syn);
    }

    /// <summary>Active side: the SYN-ACK decides; an option is on when our SYN offered it and the SYN-ACK carries it.</summary>
    private void NegotiateFromSynAck(in TcpSegment synAck)
    {
        var s = _stack.Settings;
        _sackOk = s.Sack && synAck.Options.SackPermitted;
        _tsOk = s.Timestamps && synAck.Options.HasTimestamps;
        _wsOk = s.WindowScaling && synAck.Options.WindowScale is not null;
        ApplyNegotiation(synAck);
    }

    private void ApplyNegotiation(in TcpSegment syn)
    {
        // RFC 7323 2.3: a shift above 14 is used as 14.
        _sndShift = _wsOk ? Math.Min(14, (int)syn.Options.WindowScale!.Value) : 0;
        _rcvShift = _wsOk ? _stack.Settings.ReceiveWindowShift : 0;
        _rcv.Wnd = (uint)Math.Max(0, ReceiveWindowLimit - _heldBytes);
        if (_tsOk)
        {
            _tsRecent = syn.Options.TsVal;
            _tsRecentAt = Now;
            _tsRecentValid = true;
        }
        SetSendMss(_sendMss);   // SMSS may have lost 12 bytes to the timestamps
    }

    /// <summary>SEG.WND as a window in octets: scaled, except on a SYN (RFC 7323 2.2).</summary>
    private uint ScaledWindow(in TcpSegment seg) => seg.Syn ? seg.Window : (uint)seg.Window << _sndShift;

    /// <summary>The window field we send: RCV.WND shifted right, unscaled on SYNs and at most 65535.</summary>
    private ushort WindowField(bool syn) => (ushort)Math.Min(65535u, syn ? _rcv.Wnd : _rcv.Wnd >> _rcvShift);

    /// <summary>The options of a non-SYN segment: TSval/TSecr when negotiated; SACK blocks (D-SACK first) on ACKs.</summary>
    private TcpOptions SegmentOptions(TcpFlags flags)
    {
        var o = new TcpOptions();
        if ((flags & TcpFlags.Rst) != 0)
            return o;
        if (_tsOk)
            o.SetTimestamps(TsNow, _tsRecent);
        if (_sackOk && (flags & TcpFlags.Ack) != 0)
        {
            if (_dsack is { } d)
                o.AddSack(d);
            Span<SackBlock> blocks = stackalloc SackBlock[TcpOptions.MaxSackBlocks];
            int n = _reassembler is { SegmentCount: > 0 } r ? r.GetSackBlocks(blocks) : 0;
            for (int i = 0; i < n && o.SackCount < TcpOptions.MaxSackBlocks; i++)
                o.AddSack(blocks[i]);
        }
        return o;
    }

    /// <summary>Room for data in a segment with <paramref name="options"/>: the peer's MSS counts only data, so options take from it (RFC 6691).</summary>
    private int PayloadRoom(in TcpOptions options) => Math.Max(1, Math.Min(Smss, _sendMss - options.Length));

    /// <summary>
    /// RFC 7323 5.3 R1, PAWS: a segment (not a RST) whose TSval is older than TS.Recent is an old duplicate.
    /// True when the segment is to be dropped (an ACK was sent).
    /// </summary>
    private bool PawsRejects(in TcpSegment seg)
    {
        if (!_tsOk || !seg.Options.HasTimestamps || seg.Rst || !_tsRecentValid)
            return false;
        if (Now - _tsRecentAt > PawsIdle)
        {
            _tsRecentValid = false;   // 5.5: too old to compare with
            return false;
        }
        if (unchecked((int)(seg.Options.TsVal - _tsRecent)) >= 0)
            return false;
        Counters.Add(TcpCounter.PawsDrops);
        SendAck();
        return true;
    }

    /// <summary>RFC 7323 4.3 (and 5.3 R3): TS.Recent follows the segment that the next ACK acknowledges.</summary>
    private void UpdateTsRecent(in TcpSegment seg)
    {
        if (!_tsOk || !seg.Options.HasTimestamps)
            return;
        if (unchecked((int)(seg.Options.TsVal - _tsRecent)) >= 0 && seg.Sequence <= _lastAckSent)
        {
            _tsRecent = seg.Options.TsVal;
            _tsRecentAt = Now;
            _tsRecentValid = true;
        }
    }

    /// <summary>RFC 7323 4.1: an ACK of new data echoes the TSval of the segment it answers: RTT = now - TSecr.</summary>
    private void SampleRttFromTimestamp(in TcpSegment seg)
    {
        if (!seg.Options.HasTimestamps || seg.Options.TsEcr == 0)
            return;
        int ms = unchecked((int)(TsNow - seg.Options.TsEcr));
        if (ms >= 0)
            _rtt.AddSample(TimeSpan.FromMilliseconds(ms));
    }

    /// <summary>RFC 2883: the octets [from, to) arrived again; the next ACK reports them first.</summary>
    private void NoteDuplicate(SeqNum from, SeqNum to)
    {
        if (_sackOk && from < to)
            _dsack = new SackBlock(from, to);
    }
}
