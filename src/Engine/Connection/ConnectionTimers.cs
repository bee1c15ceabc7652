namespace TcpActors.Engine.Connection;

// The connection's timers (Akka IWithTimers, one key each). Each is a message the actor sends itself.

/// <summary>RFC 6298 retransmission timer; also the SYN and SYN-ACK retransmission timer.</summary>
internal sealed class RetransmissionTimeout
{
    public static readonly RetransmissionTimeout Instance = new();
}

/// <summary>RFC 1122 4.2.3.2 delayed ACK.</summary>
internal sealed class DelayedAckTimeout
{
    public static readonly DelayedAckTimeout Instance = new();
}

/// <summary>RFC 9293 3.10.8: 2 MSL in TIME-WAIT.</summary>
internal sealed class TimeWaitTimeout
{
    public static readonly TimeWaitTimeout Instance = new();
}

/// <summary>RFC 1122 4.2.3.6 keepalive: idle time, then probe interval.</summary>
internal sealed class KeepaliveTimeout
{
    public static readonly KeepaliveTimeout Instance = new();
}

/// <summary>RFC 9293 3.8.6.1 persist timer: probe a zero window.</summary>
internal sealed class PersistTimeout
{
    public static readonly PersistTimeout Instance = new();
}

/// <summary>FIN-WAIT-2 after the application closed: give up on the peer's FIN (Linux tcp_fin_timeout).</summary>
internal sealed class FinWait2Timeout
{
    public static readonly FinWait2Timeout Instance = new();
}

/// <summary>RFC 8985 section 7: the probe timeout of the tail loss probe.</summary>
internal sealed class LossProbeTimeout
{
    public static readonly LossProbeTimeout Instance = new();
    private LossProbeTimeout() { }
}

/// <summary>RFC 8985 section 6.3: RACK's reordering timer.</summary>
internal sealed class RackTimeout
{
    public static readonly RackTimeout Instance = new();
    private RackTimeout() { }
}

/// <summary>Corked data (or data written with More) has waited long enough: send it.</summary>
internal sealed class CorkTimeout
{
    public static readonly CorkTimeout Instance = new();
    private CorkTimeout() { }
}

internal static class TimerKeys
{
    public const string Retransmission = "rto";
    public const string DelayedAck = "delack";
    public const string TimeWait = "2msl";
    public const string Keepalive = "keepalive";
    public const string Persist = "persist";
    public const string FinWait2 = "finwait2";
    public const string Cork = "cork";
    public const string LossProbe = "tlp";
    public const string Rack = "rack";
}
