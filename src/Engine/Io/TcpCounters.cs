using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// Stack-wide counters, like Linux's nstat: segments in and out, drops by reason, resets, retransmissions,
/// opens. Updated from several actors, so every field is changed with Interlocked; read with <see cref="Snapshot"/>.
/// </summary>
public sealed class TcpCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _other = new long[Enum.GetValues<TcpCounter>().Length];

    public void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);
    public void Add(TcpCounter counter, long n = 1) => Interlocked.Add(ref _other[(int)counter], n);

    public long this[DropReason reason] => Interlocked.Read(ref _drops[(int)reason]);
    public long this[TcpCounter counter] => Interlocked.Read(ref _other[(int)counter]);

    public long TotalDrops
    {
        get
        {
            long t = 0;
            for (int i = 1; i < _drops.Length; i++) t += Interlocked.Read(ref _drops[i]);
            return t;
        }
    }

    /// <summary>Every non-zero counter by name (drops as "Drop.Reason").</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in Enum.GetValues<DropReason>())
            if (r != DropReason.None && this[r] != 0) d["Drop." + r] = this[r];
        foreach (var c in Enum.GetValues<TcpCounter>())
            if (this[c] != 0) d[c.ToString()] = this[c];
        return d;
    }
}

/// <summary>What the stack counts besides drops at the wire (names after Linux's MIB where one exists).</summary>
public enum TcpCounter
{
    PacketsIn,
    PacketsOut,
    InSegs,
    OutSegs,
    RetransSegs,
    InRsts,
    OutRsts,
    ActiveOpens,
    PassiveOpens,
    AttemptFails,
    EstabResets,
    CurrEstab,
    Timeouts,
    ListenOverflows,
    ListenDrops,
    /// <summary>Segments for no connection and no listener (answered with RST per RFC 9293 3.10.7.1).</summary>
    NoPort,
    /// <summary>Segments addressed to an address that is not the stack's.</summary>
    NotForUs,
    /// <summary>Segments a connection discarded as unacceptable (RFC 9293 3.10.7.4 first check) or out of place.</summary>
    SegmentsDiscarded,
    ChallengeAcks,
    ChallengeAcksSuppressed,
    DelayedAcks,
    /// <summary>ACKs sent at the end of a read batch for two or more segments of it (tcp-actors.ack-coalescing).</summary>
    CoalescedAcks,
    KeepaliveProbes,
    KeepaliveTimeouts,
    ZeroWindowProbes,
    /// <summary>Sender SWS avoidance's override timeout sent a sliver of window it had held (RFC 9293 3.8.6.2.1 rule 4).</summary>
    SwsOverrides,
    /// <summary>Segments we sent that advertised a zero receive window (the application was not reading).</summary>
    ZeroWindowsAdvertised,
    FastRetransmits,
    IcmpEchoReplies,
    IcmpIn,
    SynDataDiscarded,
    ReassemblyDrops,
    /// <summary>Out-of-order bytes dropped because the stack's reassembly budget (tcp-actors.reassembly-limit-total) was spent.</summary>
    ReassemblyBudgetDrops,
    /// <summary>Gauge: out-of-order bytes held by all connections (charged against tcp-actors.reassembly-limit-total).</summary>
    ReassemblyBytesHeld,
    /// <summary>Connections that negotiated ECN (RFC 3168 6.1.1).</summary>
    EcnConnections,
    /// <summary>Data segments that arrived with CE in the IP header (RFC 3168 section 5) on ECN connections.</summary>
    EcnCeReceived,
    /// <summary>cwnd reductions caused by an ECN-Echo (RFC 3168 6.1.2), Linux TCPECNRecv-like (ECE acted on).</summary>
    EcnCwndReductions,
    ConnectionFailures,
    /// <summary>Old duplicates dropped by PAWS (RFC 7323 section 5), Linux PAWSEstabRejected.</summary>
    PawsDrops,
    /// <summary>Retransmissions sent in SACK-based loss recovery (RFC 6675), Linux TCPSackRecovery-like.</summary>
    SackRetransmits,
    /// <summary>Retransmissions found lost by SACK evidence and sent again without waiting for the timer.</summary>
    LostRetransmits,
    /// <summary>Tail loss probes sent (RFC 8985 section 7), Linux TCPLossProbes.</summary>
    LossProbes,
    /// <summary>Losses a tail loss probe repaired (its ACK went beyond it), Linux TCPLossProbeRecovery.</summary>
    LossProbeRecoveries,
    /// <summary>Fast recoveries started by RACK's time-based rule (RFC 8985 6.2) before DupThresh said so: at a probe timeout, on a probe's ACK, or at the reordering timer.</summary>
    RackFastRecoveries,
    /// <summary>Duplicate segments reported with a D-SACK block (RFC 2883).</summary>
    DsacksSent,
    /// <summary>Segments sent larger than one MSS, for the link to cut (segmentation offload, <see cref="Link.ILink.GsoMaxSize"/>).</summary>
    SuperSegmentsOut,
    /// <summary>Gauge: connection actors alive (every TCB, TIME-WAIT included).</summary>
    ConnectionActors,
    /// <summary>Gauge: packet buffers rented and not yet returned.</summary>
    PacketBuffersInUse,
}
