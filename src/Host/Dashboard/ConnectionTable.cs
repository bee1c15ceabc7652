using Akka.Actor;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Host.Services;

namespace TcpActors.Host.Dashboard;

/// <summary>The stack's connection table and counters, as the dashboard's /api/status serves them (JSON).</summary>
public sealed record StatusReport(
    string Address,
    DateTimeOffset Time,
    IReadOnlyList<ConnectionRow> Connections,
    IReadOnlyDictionary<string, long> Counters,
    ProcessFigures Process);

/// <summary>One connection, with the figures `ss -tin` shows.</summary>
public sealed record ConnectionRow(
    string Local,
    string Remote,
    int LocalPort,
    int RemotePort,
    string State,
    int ReceiveQueue,
    int SendQueue,
    long BytesSent,
    long BytesReceived,
    int Cwnd,
    int? Ssthresh,
    double? SrttMs,
    double RtoMs,
    int Retransmits,
    uint SndWnd,
    uint RcvWnd,
    string CongestionControl,
    bool ReadingSuspended);

public sealed record ProcessFigures(long GcAllocatedBytes, int GcGen0Collections, long GcPauseMilliseconds, int ThreadCount);

public static class ConnectionTable
{
    /// <summary>
    /// Asks the stack for its connections and each of them for its status (like the status service on port 11); a
    /// connection that does not answer within <paramref name="timeout"/> (it ended meanwhile) is left out.
    /// </summary>
    public static async Task<StatusReport> GatherAsync(TcpStack stack, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var list = await stack.Manager.Ask<ConnectionList>(ListConnections.Instance, timeout, cancellationToken).ConfigureAwait(false);
        var asks = list.Connections.Select(async c =>
        {
            try
            {
                return await c.Connection.Ask<ConnectionStatus>(GetStatus.Instance, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return null;
            }
        });
        var statuses = await Task.WhenAll(asks).ConfigureAwait(false);
        var rows = statuses.OfType<ConnectionStatus>()
            .OrderBy(s => s.Tuple.LocalPort).ThenBy(s => s.Tuple.RemoteAddress.ToString()).ThenBy(s => s.Tuple.RemotePort)
            .Select(Row)
            .ToList();
        return new StatusReport(stack.Address.ToString(), DateTimeOffset.UtcNow, rows, stack.Counters.Snapshot(),
            new ProcessFigures(GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), (long)GC.GetTotalPauseDuration().TotalMilliseconds,
                ThreadPool.ThreadCount));
    }

    public static ConnectionRow Row(ConnectionStatus s) => new(
        $"{s.Tuple.LocalAddress}:{s.Tuple.LocalPort}",
        $"{s.Tuple.RemoteAddress}:{s.Tuple.RemotePort}",
        s.Tuple.LocalPort,
        s.Tuple.RemotePort,
        StatusService.StateName(s.State),
        s.ReceiveQueue,
        s.SendQueue,
        s.BytesSent,
        s.BytesReceived,
        s.Cwnd,
        s.Ssthresh == int.MaxValue ? null : s.Ssthresh,
        s.SmoothedRtt?.TotalMilliseconds,
        s.Rto.TotalMilliseconds,
        s.Retransmits,
        s.SndWnd,
        s.RcvWnd,
        s.CongestionControl,
        s.ReadingSuspended);
}
