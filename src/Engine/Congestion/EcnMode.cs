namespace TcpActors.Engine.Congestion;

/// <summary>Whether a connection uses Explicit Congestion Notification (RFC 3168): Linux's net.ipv4.tcp_ecn.</summary>
public enum EcnMode
{
    /// <summary>Never (tcp_ecn = 0): our SYNs do not ask, and a peer's request is not accepted.</summary>
    Off,
    /// <summary>Request and accept (tcp_ecn = 1): our SYNs carry ECE and CWR (RFC 3168 6.1.1).</summary>
    On,
    /// <summary>Accept only (tcp_ecn = 2, Linux's default): a SYN that asks gets a SYN-ACK with ECE; ours do not ask.</summary>
    Passive,
}

public static class EcnModes
{
    /// <summary>Parses a configuration value: off, on, passive, or Linux's 0, 1, 2 (case-insensitive); null if unknown.</summary>
    public static EcnMode? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "off" or "0" or "false" or "no" => EcnMode.Off,
        "on" or "1" or "true" or "yes" => EcnMode.On,
        "passive" or "2" => EcnMode.Passive,
        _ => null,
    };
}
