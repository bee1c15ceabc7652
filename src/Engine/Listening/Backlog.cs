using TcpActors.Engine.Io;

namespace TcpActors.Engine.Listening;

/// <summary>
/// The listen backlog: the SYN queue (connections in SYN-RECEIVED) and the accept queue (ESTABLISHED but not
/// yet registered by the application), each bounded. A SYN is admitted only when both have room.
/// </summary>
public sealed class Backlog(int synQueueLimit, int acceptQueueLimit)
{
    private readonly HashSet<FourTuple> _syn = new();
    private readonly HashSet<FourTuple> _accept = new();

    public int SynQueue => _syn.Count;
    public int AcceptQueue => _accept.Count;

    public bool TryAdmit(FourTuple tuple)
    {
        if (_syn.Count >= synQueueLimit || _accept.Count >= acceptQueueLimit)
            return false;
        return _syn.Add(tuple);
    }

    public void Established(FourTuple tuple)
    {
        if (_syn.Remove(tuple))
            _accept.Add(tuple);
    }

    public void Accepted(FourTuple tuple) => _accept.Remove(tuple);

    public void Gone(FourTuple tuple)
    {
        _syn.Remove(tuple);
        _accept.Remove(tuple);
    }
}
