using TcpActors.Engine.Time;

namespace TcpActors.Engine.Io;

/// <summary>RFC 5961 section 7: at most N challenge ACKs per second across the stack (Linux tcp_challenge_ack_limit).</summary>
public sealed class ChallengeAckLimiter(IClock clock, int perSecond)
{
    private readonly object _gate = new();
    private long _second = -1;
    private int _sent;

    public bool TryAcquire()
    {
        long s = (long)clock.Now.TotalSeconds;
        lock (_gate)
        {
            if (s != _second)
            {
                _second = s;
                _sent = 0;
            }
            if (_sent >= perSecond)
                return false;
            _sent++;
            return true;
        }
    }
}
