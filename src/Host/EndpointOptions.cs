namespace TcpActors.Host;

/// <summary>The hosted endpoint's settings: the "TcpActors" section of config/appsettings.json,
/// overridable by environment variables (TcpActors__Mtu=9000) and the command line (--TcpActors:Mtu 9000).</summary>
public sealed class EndpointOptions
{
    public const string Section = "TcpActors";

    /// <summary>Name of the TUN device the endpoint creates and binds.</summary>
    public string Device { get; set; } = "tcpa0";

    /// <summary>Link MTU in bytes (68..65535).</summary>
    public int Mtu { get; set; } = 1500;

    /// <summary>The userspace stack's own IPv4 address (inside 198.18.0.0/15 by default).</summary>
    public string LocalAddress { get; set; } = "198.18.0.2";

    /// <summary>The kernel's address on the TUN device: the peer that reaches the stack.</summary>
    public string PeerAddress { get; set; } = "198.18.0.1";

    public int PrefixLength { get; set; } = 24;

    public override string ToString() =>
        $"device={Device} mtu={Mtu} local={LocalAddress} peer={PeerAddress}/{PrefixLength}";
}
