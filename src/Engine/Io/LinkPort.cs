using TcpActors.Engine.Link;

namespace TcpActors.Engine.Io;

/// <summary>
/// Where the stack's connections and listeners put their packets on the link, from their own threads (no hop
/// through the I/O actor). The I/O actor attaches the link it made and detaches it before disposing it; a send
/// while no link is attached (before start, after a failure, during a restart) is dropped, as the dead link
/// would have dropped it. Every <see cref="ILink.Send"/> is
/// thread-safe (TunLink: one write() per packet; MemoryWire/ImpairedLink: an impairment model under a lock;
/// ProbeLink: a Tell).
/// </summary>
internal sealed class LinkPort(TcpCounters counters)
{
    private volatile ILink? _link;

    /// <summary>The link the stack sends on, or null.</summary>
    public ILink? Current => _link;

    public void Attach(ILink link) => _link = link;

    public void Detach() => _link = null;

    /// <summary>Puts one IPv4 packet on the current link (the span is only used during the call).</summary>
    public void Send(ReadOnlySpan<byte> packet)
    {
        ILink? link = _link;
        if (link is null)
            return;
        link.Send(packet);
        counters.Add(TcpCounter.PacketsOut);
    }
}
