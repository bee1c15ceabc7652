namespace TcpActors.Engine.Congestion;

/// <summary>The congestion control algorithms a connection can use (tcp-actors.congestion-control).</summary>
public enum CongestionAlgorithm
{
    /// <summary>RFC 9438, the default (as in Linux, Windows and Apple's stacks).</summary>
    Cubic,
    /// <summary>RFC 5681 with the NewReno modification of RFC 6582.</summary>
    NewReno,
}

/// <summary>Creates the strategy of one connection, and what the algorithms share.</summary>
public static class CongestionControl
{
    /// <summary>RFC 6928: IW = min(10*MSS, max(2*MSS, 14600)).</summary>
    public static int InitialWindow(int smss) => Math.Min(10 * smss, Math.Max(2 * smss, 14600));

    public static ICongestionControl Create(CongestionAlgorithm algorithm, int smss) => algorithm switch
    {
        CongestionAlgorithm.NewReno => new NewReno(smss),
        CongestionAlgorithm.Cubic => new Cubic(smss),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    /// <summary>Parses a configuration value ("cubic", "newreno"; case-insensitive); null if unknown.</summary>
    public static CongestionAlgorithm? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "cubic" => CongestionAlgorithm.Cubic,
        "newreno" or "reno" => CongestionAlgorithm.NewReno,
        _ => null,
    };
}
