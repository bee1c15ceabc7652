// TraceSummary FILE.nettrace [top]
// Prints, from a trace taken with `dotnet-trace collect --profile gc-verbose,dotnet-sampled-thread-time`:
//  - GC allocation ticks (one per ~100 KB allocated) by type and by the first TcpActors/Akka frame that allocated;
//  - thread samples (~100 Hz per thread): by thread, by top managed frame (exclusive), and by method (inclusive),
//    separately for samples in managed code (running) and in native code (mostly blocked: read(), waits).
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length < 1) { Console.Error.WriteLine("usage: TraceSummary FILE.nettrace [top]"); return 2; }
int top = args.Length > 1 ? int.Parse(args[1]) : 25;
string etlx = TraceLog.CreateFromEventPipeDataFile(args[0], Path.ChangeExtension(args[0], ".etlx"));
using var log = new TraceLog(etlx);

var allocByType = new Dictionary<string, long>();
var allocBySite = new Dictionary<string, long>();
long allocTotal = 0;
var running = new Dictionary<string, int>();   // exclusive: top managed frame, managed samples
var inclusive = new Dictionary<string, int>(); // inclusive: every method on the stack, managed samples
var byThread = new Dictionary<string, (int managed, int native)>();
var byThreadEntry = new Dictionary<string, int>(); // managed samples by thread and the outermost TcpActors/Akka frame: what each thread runs
int managedSamples = 0, nativeSamples = 0;

static string Name(TraceCallStack s) => $"{s.CodeAddress.ModuleName}!{s.CodeAddress.FullMethodName}";
static bool Ours(string n) => n.Contains("TcpActors") || n.Contains("Akka");

foreach (var ev in log.Events)
{
    if (ev is GCAllocationTickTraceData a)
    {
        long amount = a.AllocationAmount64;
        allocTotal += amount;
        allocByType[a.TypeName ?? "?"] = allocByType.GetValueOrDefault(a.TypeName ?? "?") + amount;
        string site = "?";
        for (var s = ev.CallStack(); s != null; s = s.Caller)
        {
            var n = Name(s);
            if (Ours(n) && !n.Contains("Akka.Dispatch") && !n.Contains("Akka.Actor.ActorCell")) { site = n; break; }
        }
        string key = $"{a.TypeName} <- {site}";
        allocBySite[key] = allocBySite.GetValueOrDefault(key) + amount;
    }
    else if (ev.ProviderName == "Microsoft-DotNETCore-SampleProfiler" && ev.EventName.StartsWith("Thread/Sample"))
    {
        var stack = ev.CallStack();
        int type = ev.PayloadNames.Length > 0 ? Convert.ToInt32(ev.PayloadValue(0)) : 0;  // 1 external (native), 2 managed
        string thread = ev.Thread()?.ThreadInfo ?? ev.ThreadID.ToString();
        var t = byThread.GetValueOrDefault(thread);
        if (type == 2) { managedSamples++; t.managed++; } else { nativeSamples++; t.native++; }
        byThread[thread] = t;
        if (type != 2 || stack == null) continue;
        running[Name(stack)] = running.GetValueOrDefault(Name(stack)) + 1;
        string entry = "(no TcpActors/Akka frame)";
        for (var s = stack; s != null; s = s.Caller)
            if (Ours(Name(s)) && !Name(s).Contains("Akka.Dispatch") && !Name(s).Contains("Akka.Actor.ActorCell") && !Name(s).Contains("Mailbox"))
                entry = Name(s);
        string threadEntry = $"{thread}  {entry}";
        byThreadEntry[threadEntry] = byThreadEntry.GetValueOrDefault(threadEntry) + 1;
        var seen = new HashSet<string>();
        for (var s = stack; s != null; s = s.Caller)
            if (seen.Add(Name(s)))
                inclusive[Name(s)] = inclusive.GetValueOrDefault(Name(s)) + 1;
    }
}

void Print<T>(string title, IEnumerable<KeyValuePair<string, T>> rows, Func<T, string> fmt)
{
    Console.WriteLine($"\n## {title}");
    foreach (var (k, v) in rows.Take(top))
        Console.WriteLine($"{fmt(v),14}  {k}");
}

Console.WriteLine($"trace {args[0]}: {allocTotal / 1e6:F1} MB sampled by allocation ticks; {managedSamples} managed + {nativeSamples} native thread samples");
Print("allocated bytes by type", allocByType.OrderByDescending(kv => kv.Value), v => $"{v / 1e6:F1} MB {100.0 * v / Math.Max(1, allocTotal),5:F1}%");
Print("allocated bytes by type and allocating TcpActors/Akka method", allocBySite.OrderByDescending(kv => kv.Value), v => $"{v / 1e6:F1} MB {100.0 * v / Math.Max(1, allocTotal),5:F1}%");
Print("thread samples by thread (managed / native)", byThread.OrderByDescending(kv => kv.Value.managed + kv.Value.native).Select(kv => new KeyValuePair<string, string>(kv.Key, $"{kv.Value.managed} / {kv.Value.native}")), v => v);
Print("managed samples by top frame (exclusive)", running.OrderByDescending(kv => kv.Value), v => $"{v} {100.0 * v / Math.Max(1, managedSamples),5:F1}%");
Print("managed samples by method on the stack (inclusive)", inclusive.OrderByDescending(kv => kv.Value), v => $"{v} {100.0 * v / Math.Max(1, managedSamples),5:F1}%");
Print("managed samples by thread and outermost TcpActors/Akka frame (what each thread runs)", byThreadEntry.OrderByDescending(kv => kv.Value), v => $"{v} {100.0 * v / Math.Max(1, managedSamples),5:F1}%");
return 0;
