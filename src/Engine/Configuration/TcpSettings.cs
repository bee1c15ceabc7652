using Akka.Configuration;
using TcpActors.Engine.Congestion;

namespace TcpActors.Engine.Configuration;

/// <summary>
/// Every tunable of the stack, read from the <c>tcp-actors</c> section of the Akka configuration
/// (defaults in reference.conf, Linux's where the RFCs leave a choice). An invalid value fails at
/// startup with a <see cref="ConfigurationException"/> that names the key.
/// </summary>
public sealed record TcpSettings
{
    public const string Section = "tcp-actors";

    public string Dispatcher { get; init; } = "tcp-actors.stack-dispatcher";
    public int DefaultMss { get; init; } = 536;
    public int ReceiveWindow { get; init; } = 4194304;
    public int SendBuffer { get; init; } = 262144;
    public int SendBufferMax { get; init; } = 4194304;
    public int ReassemblyLimit { get; init; } = 4194304;
    /// <summary>Out-of-order bytes held by all connections of a stack together (tcp-actors.reassembly-limit-total).</summary>
    public int ReassemblyLimitTotal { get; init; } = 64 << 20;
    /// <summary>Receive-window auto-tuning (Linux tcp_moderate_rcvbuf): start at <see cref="ReceiveWindowInitial"/>, grow up to <see cref="ReceiveWindow"/>.</summary>
    public bool ReceiveWindowAutoTuning { get; init; } = true;
    /// <summary>The window an auto-tuned connection starts with (Linux tcp_rmem[1]).</summary>
    public int ReceiveWindowInitial { get; init; } = 131072;
    /// <summary>ECN (RFC 3168), Linux tcp_ecn: off (0), on (1: request and accept), passive (2: accept when asked).</summary>
    public EcnMode Ecn { get; init; } = EcnMode.Passive;
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(120);
    public int SynRetries { get; init; } = 6;
    public int SynAckRetries { get; init; } = 5;
    public int Retries2 { get; init; } = 15;
    public TimeSpan Msl { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(40);
    public int QuickAcks { get; init; } = 16;
    /// <summary>tcp-actors.ack-coalescing: at most this many segments under one ACK at the end of a read batch (2 or less: off).</summary>
    public int AckCoalescing { get; init; } = 32;
    public bool KeepaliveEnabled { get; init; }
    public TimeSpan KeepaliveIdle { get; init; } = TimeSpan.FromHours(2);
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(75);
    public int KeepaliveProbes { get; init; } = 9;
    public int SynQueue { get; init; } = 128;
    public int AcceptQueue { get; init; } = 128;
    public int ChallengeAckLimit { get; init; } = 1000;
    public ushort EphemeralMin { get; init; } = 32768;
    public ushort EphemeralMax { get; init; } = 60999;
    public TimeSpan FinTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public CongestionAlgorithm CongestionControl { get; init; } = CongestionAlgorithm.Cubic;
    public bool LimitedTransmit { get; init; } = true;
    /// <summary>tcp-actors.proportional-rate-reduction: RFC 9937 PRR in SACK-based fast recovery (on, as Linux).</summary>
    public bool ProportionalRateReduction { get; init; } = true;
    /// <summary>tcp-actors.no-delay: TCP_NODELAY for connections that do not set ConnectionOptions.NoDelay (off: Nagle runs).</summary>
    public bool NoDelay { get; init; }
    public bool TailLossProbe { get; init; } = true;
    public bool Rack { get; init; } = true;
    public TimeSpan TailLossProbeSlack { get; init; } = TimeSpan.FromMilliseconds(2);
    public TimeSpan TailLossProbeDelayedAck { get; init; } = TimeSpan.FromMilliseconds(200);
    public bool TailLossProbeInRecovery { get; init; }
    public bool WindowScaling { get; init; } = true;
    public bool Timestamps { get; init; } = true;
    public bool Sack { get; init; } = true;

    /// <summary>RFC 7323 2.3: the largest window a shift of 14 can announce.</summary>
    public const int MaxReceiveWindow = 65535 << 14;

    /// <summary>The window scale we announce: the smallest shift that fits the receive window in 16 bits (at most 14).</summary>
    public int ReceiveWindowShift
    {
        get
        {
            int shift = 0;
            while ((ReceiveWindow >> shift) > 65535 && shift < 14)
                shift++;
            return shift;
        }
    }

    /// <summary>The built-in defaults (reference.conf).</summary>
    public static Config DefaultConfig { get; } = ConfigurationFactory.FromResource<TcpSettings>("TcpActors.Engine.Configuration.reference.conf");

    public static TcpSettings Default { get; } = Create(DefaultConfig);

    /// <summary>Reads the <c>tcp-actors</c> section of <paramref name="config"/>, falling back to the defaults.</summary>
    public static TcpSettings Create(Config config)
    {
        var merged = ReferenceEquals(config, DefaultConfig) ? config : config.WithFallback(DefaultConfig);
        var c = merged.GetConfig(Section);
        var s = new TcpSettings
        {
            Dispatcher = c.GetString("dispatcher"),
            DefaultMss = Int(c, "default-mss", 88, 65495),
            ReceiveWindow = Int(c, "receive-window", 1, MaxReceiveWindow),
            SendBuffer = Int(c, "send-buffer", 1, int.MaxValue),
            SendBufferMax = Int(c, "send-buffer-max", 1, int.MaxValue),
            ReassemblyLimit = Int(c, "reassembly-limit", 0, int.MaxValue),
            ReassemblyLimitTotal = Int(c, "reassembly-limit-total", 0, int.MaxValue),
            ReceiveWindowAutoTuning = Bool(c, "receive-window-auto-tuning"),
            ReceiveWindowInitial = Int(c, "receive-window-initial", 1, MaxReceiveWindow),
            Ecn = EcnSetting(c, "ecn"),
            InitialRto = Duration(c, "initial-rto"),
            MinRto = Duration(c, "min-rto"),
            MaxRto = Duration(c, "max-rto"),
            SynRetries = Int(c, "syn-retries", 0, 127),
            SynAckRetries = Int(c, "synack-retries", 0, 127),
            Retries2 = Int(c, "retries2", 1, 127),
            Msl = Duration(c, "msl"),
            DelayedAck = Duration(c, "delayed-ack", allowZero: true),
            QuickAcks = Int(c, "quick-acks", 0, 65535),
            AckCoalescing = Int(c, "ack-coalescing", 0, 65535),
            KeepaliveEnabled = Bool(c, "keepalive.enabled"),
            KeepaliveIdle = Duration(c, "keepalive.idle"),
            KeepaliveInterval = Duration(c, "keepalive.interval"),
            KeepaliveProbes = Int(c, "keepalive.probes", 1, 127),
            SynQueue = Int(c, "backlog.syn-queue", 1, 65535),
            AcceptQueue = Int(c, "backlog.accept-queue", 1, 65535),
            ChallengeAckLimit = Int(c, "challenge-ack-limit", 1, int.MaxValue),
            EphemeralMin = (ushort)Int(c, "ephemeral-ports.min", 1024, 65535),
            EphemeralMax = (ushort)Int(c, "ephemeral-ports.max", 1024, 65535),
            FinTimeout = Duration(c, "fin-timeout"),
            CongestionControl = Algorithm(c, "congestion-control"),
            LimitedTransmit = Bool(c, "limited-transmit"),
            ProportionalRateReduction = Bool(c, "proportional-rate-reduction"),
            NoDelay = Bool(c, "no-delay"),
            TailLossProbe = Bool(c, "tail-loss-probe.enabled"),
            Rack = Bool(c, "rack"),
            TailLossProbeSlack = Duration(c, "tail-loss-probe.slack", allowZero: true),
            TailLossProbeDelayedAck = Duration(c, "tail-loss-probe.delayed-ack", allowZero: true),
            TailLossProbeInRecovery = Bool(c, "tail-loss-probe.in-recovery"),
            WindowScaling = Bool(c, "window-scaling"),
            Timestamps = Bool(c, "timestamps"),
            Sack = Bool(c, "sack"),
        };
        if (s.SendBufferMax < s.SendBuffer)
            throw Invalid("send-buffer-max", $"{s.SendBufferMax} is below send-buffer ({s.SendBuffer})");
        if (s.MinRto > s.MaxRto)
            throw Invalid("min-rto", $"{s.MinRto} is above max-rto ({s.MaxRto})");
        if (s.InitialRto < s.MinRto || s.InitialRto > s.MaxRto)
            throw Invalid("initial-rto", $"{s.InitialRto} is outside [min-rto, max-rto]");
        if (s.ReceiveWindow > 65535 && !s.WindowScaling)
            throw Invalid("receive-window", $"{s.ReceiveWindow} needs window-scaling = on (without it at most 65535)");
        if (s.EphemeralMin > s.EphemeralMax)
            throw Invalid("ephemeral-ports.min", $"{s.EphemeralMin} is above ephemeral-ports.max ({s.EphemeralMax})");
        return s;
    }

    private static ConfigurationException Invalid(string key, string why) => new($"{Section}.{key}: {why}");

    private static int Int(Config c, string key, int min, int max)
    {
        int v;
        try { v = c.GetInt(key); }
        catch (Exception e) when (e is not ConfigurationException) { throw Invalid(key, $"'{c.GetString(key)}' is not an integer"); }
        if (v < min || v > max)
            throw Invalid(key, $"{v} is outside {min}..{max}");
        return v;
    }

    private static CongestionAlgorithm Algorithm(Config c, string key)
    {
        string? text = c.GetString(key);
        return Congestion.CongestionControl.Parse(text) ?? throw Invalid(key, $"'{text}' is not one of cubic, newreno");
    }

    private static EcnMode EcnSetting(Config c, string key)
    {
        string? text = c.GetString(key);
        return EcnModes.Parse(text) ?? throw Invalid(key, $"'{text}' is not one of off, on, passive (or Linux's 0, 1, 2)");
    }

    private static bool Bool(Config c, string key)
    {
        try { return c.GetBoolean(key); }
        catch (Exception e) when (e is not ConfigurationException) { throw Invalid(key, $"'{c.GetString(key)}' is not on/off"); }
    }

    private static TimeSpan Duration(Config c, string key, bool allowZero = false)
    {
        TimeSpan v;
        try { v = c.GetTimeSpan(key, null, allowInfinite: false); }
        catch (Exception e) when (e is not ConfigurationException)
        {
            // HOCON's parser refuses a negative duration outright; say what is wrong with it.
            string text = c.GetString(key) ?? "";
            throw Invalid(key, text.TrimStart().StartsWith('-')
                ? $"'{text}' must be {(allowZero ? "zero or more" : "positive")}"
                : $"'{text}' is not a duration (e.g. 200ms, 1s, 2h)");
        }
        if (v < TimeSpan.Zero || (!allowZero && v == TimeSpan.Zero))
            throw Invalid(key, $"{v} must be {(allowZero ? "zero or more" : "positive")}");
        return v;
    }
}
