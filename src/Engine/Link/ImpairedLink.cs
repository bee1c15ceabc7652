using Akka.Actor;

namespace TcpActors.Engine.Link;

/// <summary>
/// A decorator that makes any link bad: packets sent through it go through the <c>outbound</c> model before
/// <c>inner.Send</c>, packets arriving from the inner link go through the <c>inbound</c> model before the
/// receiver. Undelayed copies pass synchronously on the calling thread (the sender's, or the inner link's
/// delivery thread); delayed ones on the scheduler. Link failures pass straight through. After
/// <see cref="Dispose"/> (which disposes the inner link) nothing more is sent or delivered.
/// </summary>
public sealed class ImpairedLink : ILink
{
    private readonly ILink _inner;
    private readonly ImpairedPath _outbound;
    private readonly ImpairedPath _inbound;
    private readonly InnerSink _innerSink;
    private readonly Receiver _receiver;
    private int _started;

    public ImpairedLink(ILink inner, IScheduler scheduler, ImpairmentSettings outbound, ImpairmentSettings inbound)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(scheduler);
        _inner = inner;
        _innerSink = new InnerSink(inner);
        _receiver = new Receiver();
        _outbound = new ImpairedPath(new ImpairmentModel(outbound), scheduler, _innerSink);
        _inbound = new ImpairedPath(new ImpairmentModel(inbound), scheduler, _receiver);
        _receiver.Inbound = _inbound;
    }

    public int Mtu => _inner.Mtu;

    /// <summary>The inner link's: a super-segment is impaired as one packet (lost, delayed or duplicated whole).</summary>
    public int GsoMaxSize => _inner.GsoMaxSize;

    /// <summary>What happened to packets sent through this link.</summary>
    public ImpairmentCounters OutboundCounters => _outbound.Counters;

    /// <summary>What happened to packets arriving from the inner link.</summary>
    public ImpairmentCounters InboundCounters => _inbound.Counters;

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (_innerSink.Disposed)
            return;
        _outbound.Submit(packet);
    }

    public void Start(ILinkReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ObjectDisposedException.ThrowIf(_innerSink.Disposed, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("the link has already been started");
        _receiver.Target = receiver;
        _inner.Start(_receiver);
    }

    public void Dispose()
    {
        _innerSink.Disposed = true;
        _receiver.Target = null;
        _inner.Dispose();
    }

    private sealed class InnerSink(ILink inner) : IPacketSink
    {
        public volatile bool Disposed;

        public bool TryDeliver(ReadOnlySpan<byte> packet)
        {
            if (Disposed)
                return false;
            inner.Send(packet);
            return true;
        }
    }

    /// <summary>Receives from the inner link, feeds the inbound model, and is the inbound model's sink.</summary>
    private sealed class Receiver : ILinkReceiver, IPacketSink
    {
        public volatile ILinkReceiver? Target;
        public ImpairedPath? Inbound;

        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            if (Target is not null)
                Inbound!.Submit(packet);
        }

        public void OnLinkFailed(Exception cause) => Target?.OnLinkFailed(cause);

        public bool TryDeliver(ReadOnlySpan<byte> packet)
        {
            ILinkReceiver? target = Target;
            if (target is null)
                return false;
            target.OnPacket(packet);
            return true;
        }
    }
}
