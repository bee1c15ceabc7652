using Akka.Actor;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Time;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine;

/// <summary>
/// One userspace TCP/IPv4 endpoint on one link, inside an actor system. Send <c>Bind</c> and <c>Connect</c>
/// (TcpActors.Engine.Api) to <see cref="Manager"/>.
/// </summary>
/// <summary>
/// Makes the stack's link: at start, and again after each restart of the I/O actor. <paramref name="GsoMaxSize"/>
/// is the links' <see cref="ILink.GsoMaxSize"/> (0: no segmentation offload).
/// </summary>
public sealed record LinkFactory(Func<ILink> Create, int Mtu, int GsoMaxSize = 0);

public sealed class TcpStack
{
    public IActorRef Manager { get; }
    public TcpCounters Counters { get; }
    public TcpSettings Settings { get; }
    public Ipv4Address Address { get; }

    /// <summary>The actor system the stack runs in (where adapters such as the Stream API start their actors).</summary>
    public ActorSystem System { get; }

    /// <summary>The stack's pool of segment messages (tests look at how many it made).</summary>
    internal SegmentArrivedPool Arrivals { get; }

    /// <summary>The stack's pool of recycled Received messages (tests look at how many it made).</summary>
    internal ReceivedPool ReceivedMessages { get; }

    private TcpStack(ActorSystem system, IActorRef manager, TcpCounters counters, TcpSettings settings, Ipv4Address address,
        SegmentArrivedPool arrivals, ReceivedPool receivedMessages)
    {
        Arrivals = arrivals;
        ReceivedMessages = receivedMessages;
        System = system;
        Manager = manager;
        Counters = counters;
        Settings = settings;
        Address = address;
    }

    /// <summary>
    /// Starts a stack with address <paramref name="address"/> on <paramref name="link"/>. Settings default to the
    /// <c>tcp-actors</c> section of the system's configuration.
    /// </summary>
    public static TcpStack Start(ActorSystem system, ILink link, Ipv4Address address, TcpSettings? settings = null,
        string? name = null, ReadOnlySpan<byte> isnSecret = default) =>
        Start(system, new LinkFactory(() => link, link.Mtu, link.GsoMaxSize), address, settings, name, isnSecret);

    /// <summary>
    /// Starts a stack whose link is made by <paramref name="link"/>; with <paramref name="restartBackoff"/>, the
    /// I/O actor runs under a BackoffSupervisor: when the link fails, its connections are told (ErrorClosed), the
    /// failure is logged once, and after the backoff a new link is made and the stack starts again (listeners
    /// must be bound again: their handlers are told Unbound).
    /// </summary>
    public static TcpStack Start(ActorSystem system, LinkFactory link, Ipv4Address address, TcpSettings? settings = null,
        string? name = null, ReadOnlySpan<byte> isnSecret = default, (TimeSpan Min, TimeSpan Max)? restartBackoff = null) =>
        Start(system, link, address, settings, name, isnSecret, restartBackoff, clock: null);

    /// <summary>As above, with the stack's protocol clock given (tests count its reads); null: the scheduler's.</summary>
    internal static TcpStack Start(ActorSystem system, LinkFactory link, Ipv4Address address, TcpSettings? settings,
        string? name, ReadOnlySpan<byte> isnSecret, (TimeSpan Min, TimeSpan Max)? restartBackoff, IClock? clock)
    {
        // The stack's defaults (its dispatcher among them) become visible to the actor system.
        system.Settings.InjectTopLevelFallback(TcpSettings.DefaultConfig);
        settings ??= TcpSettings.Create(system.Settings.Config);
        var counters = new TcpCounters();
        clock ??= new SchedulerClock(system.Scheduler);
        var isn = isnSecret.IsEmpty ? IsnGenerator.CreateRandom() : new IsnGenerator(isnSecret);
        var limiter = new ChallengeAckLimiter(clock, settings.ChallengeAckLimit);
        var reassemblyBudget = new ReassemblyBudget(settings.ReassemblyLimitTotal, counters);
        int mss = Math.Max(88, link.Mtu - 40);
        var s = settings;
        var arrivals = new SegmentArrivedPool();   // outlives restarts of the I/O actor, as the counters do
        var receivedMessages = new ReceivedPool();
        var props = IoActor.Props(link.Create, io => new StackContext
        {
            Settings = s,
            Counters = counters,
            Clock = clock,
            Isn = isn,
            LocalAddress = address,
            Mss = mss,
            GsoMaxSize = link.GsoMaxSize > link.Mtu ? link.GsoMaxSize : 0,
            ChallengeAcks = limiter,
            ReassemblyBudget = reassemblyBudget,
            Io = io,
            Link = new LinkPort(counters),
            Arrivals = arrivals,
            ReceivedMessages = receivedMessages,
        }, settings.Dispatcher);
        if (restartBackoff is { } backoff)
        {
            props = Akka.Pattern.BackoffSupervisor.Props(Akka.Pattern.Backoff.OnFailure(props, "io", backoff.Min, backoff.Max, 0.2, -1))
                .WithDispatcher(settings.Dispatcher);
        }
        var manager = name is null ? system.ActorOf(props) : system.ActorOf(props, name);
        return new TcpStack(system, manager, counters, settings, address, arrivals, receivedMessages);
    }
}
