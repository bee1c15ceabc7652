using Akka.Actor;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Time;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>What every actor of one stack shares: settings, counters, the clock, the ISN generator, its address.</summary>
internal sealed class StackContext
{
    public required TcpSettings Settings { get; init; }
    public required TcpCounters Counters { get; init; }
    public required IClock Clock { get; init; }
    public required IsnGenerator Isn { get; init; }
    public required Ipv4Address LocalAddress { get; init; }
    /// <summary>The MSS we announce: the link MTU less 40 bytes of IPv4 and TCP headers.</summary>
    public required int Mss { get; init; }
    /// <summary>The link's segmentation offload (<see cref="Link.ILink.GsoMaxSize"/>): the largest packet it takes, 0 when none.</summary>
    public int GsoMaxSize { get; init; }
    public required ChallengeAckLimiter ChallengeAcks { get; init; }
    /// <summary>Out-of-order bytes all connections may hold together (tcp-actors.reassembly-limit-total).</summary>
    public required ReassemblyBudget ReassemblyBudget { get; init; }
    /// <summary>The I/O actor: the stack's manager, and where segments for no known connection go.</summary>
    public required IActorRef Io { get; init; }
    /// <summary>Where connections and listeners send their packets, on their own thread (the I/O actor attaches its link).</summary>
    public required LinkPort Link { get; init; }
    /// <summary>The connections by 4-tuple, written by the I/O actor, read by the link's thread (<see cref="Demultiplexer"/>).</summary>
    public ConnectionTable Connections { get; } = new();
    /// <summary>The messages the link's thread hands straight to connections, reused (<see cref="SegmentArrivedPool"/>).</summary>
    public SegmentArrivedPool Arrivals { get; init; } = new();
    /// <summary>The Received messages of handlers that recycle them (<see cref="ReceivedPool"/>).</summary>
    public ReceivedPool ReceivedMessages { get; init; } = new();
    /// <summary>The connections whose ACK waits for the end of the link's read batch (<see cref="AckBatch"/>).</summary>
    public AckBatch AckBatch { get; } = new();

    /// <summary>
    /// What the Props of every connection actor of the stack share: its dispatcher, <c>tcp-actors.connection-mailbox</c>
    /// and the producer (one object for all connections instead of a Props, Deploy and producer per actor).
    /// </summary>
    public Props ConnectionProps => _connectionProps ??= Connection.ConnectionActor.Template(Settings.Dispatcher, Connection.ConnectionMailbox.ConfigPath);

    private Props? _connectionProps;
}
