using System.Text;
using Akka.Actor;
using TcpActors.Engine;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Status (port 11, like RFC 866 systat): the connection table as `ss -tin` shows it and the counters as
/// `nstat` does, as plain text, then close.
/// </summary>
public sealed class StatusService : ServiceHandler
{
    public const ushort Port = 11;
    private readonly TcpStack _stack;
    private readonly List<ConnectionStatus> _rows = new();
    private int _waiting = -1;
    private ICancelable? _deadline;

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    private sealed class Deadline
    {
        public static readonly Deadline Instance = new();
    }

    public StatusService(IActorRef connection, TcpStack stack) : base(connection) => _stack = stack;

    public static Props Props(IActorRef connection, TcpStack stack) => Akka.Actor.Props.Create(() => new StatusService(connection, stack));

    protected override void PreStart()
    {
        base.PreStart();
        _stack.Manager.Tell(ListConnections.Instance);
    }

    protected override void PostStop() => _deadline?.Cancel();

    protected override bool Handle(object message)
    {
        switch (message)
        {
            case ConnectionList list:
                _waiting = list.Connections.Count;
                foreach (var (_, c) in list.Connections)
                    c.Tell(GetStatus.Instance);
                // A connection that ends meanwhile never answers: report what came within a second.
                _deadline = Context.System.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromSeconds(1), Self, Deadline.Instance, Self);
                if (_waiting == 0)
                    Report();
                break;
            case ConnectionStatus s:
                _rows.Add(s);
                if (--_waiting == 0)
                    Report();
                break;
            case Deadline:
                if (_waiting > 0)
                {
                    _waiting = 0;
                    Report();
                }
                break;
            case Ack:
                Connection.Tell(Close.Instance);
                break;
            default:
                return false;
        }
        return true;
    }

    private void Report()
    {
        _deadline?.Cancel();
        Connection.Tell(new Write(Encoding.ASCII.GetBytes(Format(_stack, _rows)), Ack.Instance));
    }

    /// <summary>The report's text: one line per connection, then one line per counter.</summary>
    public static string Format(TcpStack stack, IEnumerable<ConnectionStatus> rows)
    {
        long heapBytes = GC.GetTotalMemory(forceFullCollection: false);   // before this report's own strings
        var sb = new StringBuilder();
        var list = rows.OrderBy(r => r.Tuple.LocalPort).ThenBy(r => r.Tuple.RemotePort).ToList();
        sb.Append($"TcpActors at {stack.Address}: {list.Count} connections\r\n");
        sb.Append($"{"State",-12} {"Recv-Q",7} {"Send-Q",7} {"Local Address:Port",-22} {"Peer Address:Port",-22} details\r\n");
        foreach (var r in list)
        {
            string rtt = r.SmoothedRtt is { } srtt ? $"{srtt.TotalMilliseconds:0.###}" : "-";
            sb.Append($"{StateName(r.State),-12} {r.ReceiveQueue,7} {r.SendQueue,7} {$"{r.Tuple.LocalAddress}:{r.Tuple.LocalPort}",-22} " +
                      $"{$"{r.Tuple.RemoteAddress}:{r.Tuple.RemotePort}",-22} rto:{r.Rto.TotalMilliseconds:0} rtt:{rtt} " +
                      $"snd_wnd:{r.SndWnd} rcv_wnd:{r.RcvWnd} retrans:{r.Retransmits} bytes_sent:{r.BytesSent} bytes_received:{r.BytesReceived}\r\n");
        }
        sb.Append("\r\nCounters\r\n");
        foreach (var (name, value) in stack.Counters.Snapshot())
            sb.Append($"Tcp{name,-28} {value}\r\n");
        // The runtime's own figures, so that a benchmark can divide allocations by segments over a transfer.
        sb.Append("\r\nProcess\r\n");
        sb.Append($"{"GcAllocatedBytes",-31} {GC.GetTotalAllocatedBytes(precise: false)}\r\n");
        sb.Append($"{"GcHeapBytes",-31} {heapBytes}\r\n");
        sb.Append($"{"GcGen0Collections",-31} {GC.CollectionCount(0)}\r\n");
        sb.Append($"{"GcGen1Collections",-31} {GC.CollectionCount(1)}\r\n");
        sb.Append($"{"GcGen2Collections",-31} {GC.CollectionCount(2)}\r\n");
        sb.Append($"{"GcPauseMilliseconds",-31} {(long)GC.GetTotalPauseDuration().TotalMilliseconds}\r\n");
        sb.Append($"{"ThreadPoolCompletedWorkItems",-31} {ThreadPool.CompletedWorkItemCount}\r\n");
        sb.Append($"{"ThreadCount",-31} {System.Diagnostics.Process.GetCurrentProcess().Threads.Count}\r\n");
        return sb.ToString();
    }

    /// <summary>The state as `ss` prints it.</summary>
    public static string StateName(TcpState s) => s switch
    {
        TcpState.Established => "ESTAB",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECV",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST-ACK",
        TcpState.TimeWait => "TIME-WAIT",
        TcpState.Listen => "LISTEN",
        _ => "CLOSED",
    };
}
