using Akka.Actor;

namespace TcpActors.Engine.Link;

/// <summary>
/// Two link endpoints joined in memory: what <see cref="A"/> sends arrives at <see cref="B"/> and the other way
/// round, each direction through its own <see cref="ImpairmentModel"/>. Undelayed copies are delivered
/// synchronously on the sending thread; delayed ones by the scheduler (in virtual time under TestScheduler).
/// A packet larger than the MTU (or than <c>gsoMaxSize</c> when given: super-segments pass whole, as over a TUN
/// device with offloads), or sent before the far endpoint was started, is dropped and counted; after an endpoint
/// is disposed nothing more is delivered to it.
/// </summary>
public sealed class MemoryWire
{
    private readonly Endpoint _a;
    private readonly Endpoint _b;

    public MemoryWire(IScheduler scheduler, int mtu = 1500, ImpairmentSettings? aToB = null, ImpairmentSettings? bToA = null,
        int gsoMaxSize = 0)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfNegative(gsoMaxSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(gsoMaxSize, 65535);
        _a = new Endpoint(mtu, gsoMaxSize);
        _b = new Endpoint(mtu, gsoMaxSize);
        _a.Connect(new ImpairedPath(new ImpairmentModel(aToB ?? ImpairmentSettings.None), scheduler, _b), _b);
        _b.Connect(new ImpairedPath(new ImpairmentModel(bToA ?? ImpairmentSettings.None), scheduler, _a), _a);
    }

    public ILink A => _a;

    public ILink B => _b;

    /// <summary>What happened to packets sent on <see cref="A"/>.</summary>
    public ImpairmentCounters AToBCounters => _a.Outbound.Counters;

    /// <summary>What happened to packets sent on <see cref="B"/>.</summary>
    public ImpairmentCounters BToACounters => _b.Outbound.Counters;

    private sealed class Endpoint(int mtu, int gsoMaxSize) : ILink, IPacketSink
    {
        private ImpairedPath? _outbound;
        private Endpoint? _peer;
        private volatile ILinkReceiver? _receiver;
        private volatile bool _disposed;

        public ImpairedPath Outbound => _outbound!;

        public int Mtu => mtu;

        public int GsoMaxSize => gsoMaxSize;

        public void Connect(ImpairedPath outbound, Endpoint peer)
        {
            _outbound = outbound;
            _peer = peer;
        }

        public void Send(ReadOnlySpan<byte> packet)
        {
            if (_disposed)
                return;
            ImpairedPath outbound = _outbound!;
            if (packet.Length > Math.Max(mtu, gsoMaxSize))
            {
                outbound.Counters.CountDroppedOversize();
                return;
            }

            if (_peer!._receiver is null)
            {
                // Not started yet, or already disposed.
                if (_peer._disposed)
                    outbound.Counters.CountDroppedClosed();
                else
                    outbound.Counters.CountDroppedNotStarted();
                return;
            }

            outbound.Submit(packet);
        }

        public void Start(ILinkReceiver receiver)
        {
            ArgumentNullException.ThrowIfNull(receiver);
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_receiver is not null)
                throw new InvalidOperationException("the link has already been started");
            _receiver = receiver;
        }

        bool IPacketSink.TryDeliver(ReadOnlySpan<byte> packet)
        {
            ILinkReceiver? receiver = _receiver;
            if (receiver is null || _disposed)
                return false;
            receiver.OnPacket(packet);
            return true;
        }

        public void Dispose()
        {
            _disposed = true;
            _receiver = null;
        }
    }
}
