namespace TcpActors.Engine.Link;

/// <summary>
/// How a link mistreats packets in one direction. Probabilities are per packet (<see cref="Loss"/>,
/// <see cref="Duplication"/>) or per delivered copy (<see cref="Reordering"/>, <see cref="Corruption"/>).
/// </summary>
/// <param name="Loss">Probability that a packet is dropped.</param>
/// <param name="Duplication">Probability that a packet that is not lost is delivered twice.</param>
/// <param name="Reordering">Probability that a delivery is held back by <paramref name="ReorderDelay"/> (plus or minus
/// <paramref name="ReorderJitter"/>, uniformly), so that later packets overtake it.</param>
/// <param name="ReorderDelay">The extra delay of a reordered delivery.</param>
/// <param name="ReorderJitter">The half-width of the uniform spread around <paramref name="ReorderDelay"/>.</param>
/// <param name="Delay">The base delay of every delivery.</param>
/// <param name="Corruption">Probability that a delivery has one random bit flipped.</param>
/// <param name="Seed">Seed of the model's <see cref="Random"/>: the same seed gives the same decisions.</param>
public sealed record ImpairmentSettings(
    double Loss = 0,
    double Duplication = 0,
    double Reordering = 0,
    TimeSpan ReorderDelay = default,
    TimeSpan ReorderJitter = default,
    TimeSpan Delay = default,
    double Corruption = 0,
    int Seed = 1)
{
    /// <summary>A perfect link: every packet delivered once, at once, intact.</summary>
    public static readonly ImpairmentSettings None = new();
}

/// <summary>One copy of a packet to deliver: after <see cref="Delay"/>, with bit <see cref="CorruptBitIndex"/> flipped.</summary>
/// <param name="Delay">How long after the send the copy arrives.</param>
/// <param name="CorruptBitIndex">The bit to flip (bit <c>i % 8</c> of byte <c>i / 8</c>), or -1 for an intact copy.</param>
public readonly record struct Delivery(TimeSpan Delay, int CorruptBitIndex)
{
    public bool IsCorrupt => CorruptBitIndex >= 0;

    /// <summary>Flips the chosen bit in <paramref name="packet"/> (a copy of the sent packet); nothing if intact.</summary>
    public void Apply(Span<byte> packet)
    {
        if (CorruptBitIndex >= 0)
            packet[CorruptBitIndex >> 3] ^= (byte)(1 << (CorruptBitIndex & 7));
    }
}

/// <summary>
/// What an impaired path did, updated atomically (readable from any thread). The model counts
/// <see cref="Packets"/>, <see cref="Lost"/>, <see cref="Duplicated"/>, <see cref="Reordered"/> and
/// <see cref="Corrupted"/>; the link around it counts the rest.
/// </summary>
public sealed class ImpairmentCounters
{
    private long _packets, _lost, _duplicated, _reordered, _corrupted;
    private long _delivered, _droppedOversize, _droppedNotStarted, _droppedClosed;

    /// <summary>Packets the model decided on.</summary>
    public long Packets => Interlocked.Read(ref _packets);
    /// <summary>Packets the model dropped.</summary>
    public long Lost => Interlocked.Read(ref _lost);
    /// <summary>Packets delivered twice.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);
    /// <summary>Deliveries held back by the reorder delay.</summary>
    public long Reordered => Interlocked.Read(ref _reordered);
    /// <summary>Deliveries with a flipped bit.</summary>
    public long Corrupted => Interlocked.Read(ref _corrupted);
    /// <summary>Copies handed to the far side (receiver or inner link).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    /// <summary>Packets larger than the link's MTU, dropped before the model saw them.</summary>
    public long DroppedOversize => Interlocked.Read(ref _droppedOversize);
    /// <summary>Packets sent before the far side was started, dropped before the model saw them.</summary>
    public long DroppedNotStarted => Interlocked.Read(ref _droppedNotStarted);
    /// <summary>Copies that came due after the far side was disposed.</summary>
    public long DroppedClosed => Interlocked.Read(ref _droppedClosed);

    internal void CountPacket() => Interlocked.Increment(ref _packets);
    internal void CountLost() => Interlocked.Increment(ref _lost);
    internal void CountDuplicated() => Interlocked.Increment(ref _duplicated);
    internal void CountReordered() => Interlocked.Increment(ref _reordered);
    internal void CountCorrupted() => Interlocked.Increment(ref _corrupted);
    internal void CountDelivered() => Interlocked.Increment(ref _delivered);
    internal void CountDroppedOversize() => Interlocked.Increment(ref _droppedOversize);
    internal void CountDroppedNotStarted() => Interlocked.Increment(ref _droppedNotStarted);
    internal void CountDroppedClosed() => Interlocked.Increment(ref _droppedClosed);

    public override string ToString() =>
        $"packets={Packets} lost={Lost} duplicated={Duplicated} reordered={Reordered} corrupted={Corrupted} " +
        $"delivered={Delivered} oversize={DroppedOversize} notStarted={DroppedNotStarted} closed={DroppedClosed}";
}

/// <summary>
/// A seeded model of a bad link in one direction: decides, packet by packet, whether it is lost, duplicated,
/// delayed, reordered or corrupted. Pure and deterministic for a given <see cref="ImpairmentSettings.Seed"/>
/// and sequence of calls; thread-safe (calls are serialized).
/// </summary>
public sealed class ImpairmentModel
{
    private readonly ImpairmentSettings _settings;
    private readonly Random _random;
    private readonly Lock _lock = new();

    public ImpairmentModel(ImpairmentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        CheckProbability(settings.Loss, nameof(settings.Loss));
        CheckProbability(settings.Duplication, nameof(settings.Duplication));
        CheckProbability(settings.Reordering, nameof(settings.Reordering));
        CheckProbability(settings.Corruption, nameof(settings.Corruption));
        CheckDelay(settings.ReorderDelay, nameof(settings.ReorderDelay));
        CheckDelay(settings.ReorderJitter, nameof(settings.ReorderJitter));
        CheckDelay(settings.Delay, nameof(settings.Delay));
        _settings = settings;
        _random = new Random(settings.Seed);
    }

    public ImpairmentSettings Settings => _settings;

    public ImpairmentCounters Counters { get; } = new();

    /// <summary>
    /// Decides the fate of one packet of <paramref name="length"/> bytes: writes 0 (lost), 1, or 2 (duplicated)
    /// deliveries into <paramref name="deliveries"/> (at least 2 long) and returns how many. Every delivery
    /// waits <see cref="ImpairmentSettings.Delay"/>; a reordered one waits
    /// <see cref="ImpairmentSettings.ReorderDelay"/> plus or minus a uniform jitter more (never less than zero
    /// in total); a corrupted one names a uniformly random bit of the packet to flip (an empty packet cannot be
    /// corrupted).
    /// </summary>
    public int Decide(int length, Span<Delivery> deliveries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (deliveries.Length < 2)
            throw new ArgumentException("room for two deliveries is needed", nameof(deliveries));

        lock (_lock)
        {
            Counters.CountPacket();
            if (_settings.Loss > 0 && _random.NextDouble() < _settings.Loss)
            {
                Counters.CountLost();
                return 0;
            }

            int count = 1;
            if (_settings.Duplication > 0 && _random.NextDouble() < _settings.Duplication)
            {
                Counters.CountDuplicated();
                count = 2;
            }

            for (int i = 0; i < count; i++)
            {
                TimeSpan delay = _settings.Delay;
                if (_settings.Reordering > 0 && _random.NextDouble() < _settings.Reordering)
                {
                    Counters.CountReordered();
                    long jitter = _settings.ReorderJitter.Ticks;
                    long offset = jitter == 0 ? 0 : (long)((_random.NextDouble() * 2 - 1) * jitter);
                    delay += _settings.ReorderDelay + TimeSpan.FromTicks(offset);
                    if (delay < TimeSpan.Zero)
                        delay = TimeSpan.Zero;
                }

                int bit = -1;
                if (_settings.Corruption > 0 && length > 0 && _random.NextDouble() < _settings.Corruption)
                {
                    Counters.CountCorrupted();
                    bit = (int)_random.NextInt64((long)length * 8);
                }

                deliveries[i] = new Delivery(delay, bit);
            }

            return count;
        }
    }

    private static void CheckProbability(double p, string name)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(name, p, "a probability must be between 0 and 1");
    }

    private static void CheckDelay(TimeSpan delay, string name)
    {
        if (delay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, delay, "a delay cannot be negative");
    }
}
