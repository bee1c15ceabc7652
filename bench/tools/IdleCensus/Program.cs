using Akka.Actor;
using Microsoft.Diagnostics.Runtime;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Io;
using TcpActors.Engine.Tests.Support;
using TcpActors.Host.Services;

// usage: IdleCensus [N=10000] [discard|connection|echo] [top=40]
// discard: the host's discard service; connection: one actor registers all (the connection actor alone);
// echo: the host's echo service, a handler actor per connection.
int n = args.Length > 0 ? int.Parse(args[0]) : 10_000;
string mode = args.Length > 1 ? args[1] : "discard";
int top = args.Length > 2 ? int.Parse(args[2]) : 40;

var system = ActorSystem.Create("census", "akka.loglevel = WARNING");
var link = new HandshakingPeersLink();
var stack = TcpStack.Start(system, link, link.StackAddress);
IActorRef handler = mode switch
{
    "connection" => system.ActorOf(Props.Create<RegisterAll>().WithDispatcher(stack.Settings.Dispatcher), "register-all"),
    "echo" => system.ActorOf(ServiceAcceptor.Props(EchoService.Props, stack.Settings.Dispatcher), "service-echo"),
    _ => system.ActorOf(DiscardService.Props(stack.Settings.Dispatcher), "service-discard"),
};
var bound = await stack.Manager.Ask(new Bind(handler, 9), TimeSpan.FromSeconds(10));
Console.WriteLine($"{bound}; mode {mode}; {n} connections");

var before = Census(out long heap0);
for (int opened = 0; opened < n;)
{
    int batch = Math.Min(100, n - opened);   // within the listen backlog (128)
    link.Open(batch, 9);
    opened += batch;
    var until = DateTime.UtcNow.AddSeconds(10);
    while (stack.Counters[TcpCounter.CurrEstab] < opened && DateTime.UtcNow < until)
    {
        link.Answer();
        await Task.Delay(5);
    }
}
await Task.Delay(1000);   // registrations and delayed work settle
Console.WriteLine($"established {stack.Counters[TcpCounter.CurrEstab]}, SYN-ACKs {link.SynAcks}, other segments {link.Others}");
var after = Census(out long heap1);
Console.WriteLine($"GC.GetTotalMemory(true): {heap0:N0} -> {heap1:N0} = {(heap1 - heap0) / (double)n:N0} B per connection");

var rows = after.Select(kv =>
{
    before.TryGetValue(kv.Key, out var b);
    return (Type: kv.Key, Count: kv.Value.Count - b.Count, Bytes: kv.Value.Bytes - b.Bytes);
}).Where(r => r.Bytes != 0).OrderByDescending(r => r.Bytes).ToList();
long total = rows.Sum(r => r.Bytes);
Console.WriteLine($"heap census delta: {total:N0} B = {total / (double)n:N0} B per connection");
Console.WriteLine($"{"objects/conn",12} {"B/conn",8}  type");
foreach (var r in rows.Take(top))
    Console.WriteLine($"{r.Count / (double)n,12:N2} {r.Bytes / (double)n,8:N1}  {r.Type}");
await system.Terminate();

static Dictionary<string, (long Count, long Bytes)> Census(out long heapBytes)
{
    heapBytes = GC.GetTotalMemory(forceFullCollection: true);
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    var result = new Dictionary<string, (long, long)>();
    using var target = DataTarget.CreateSnapshotAndAttach(Environment.ProcessId);
    var runtime = target.ClrVersions[0].CreateRuntime();
    foreach (var obj in runtime.Heap.EnumerateObjects())
    {
        if (!obj.IsValid || obj.IsFree)
            continue;
        string name = obj.Type?.Name ?? "?";
        result.TryGetValue(name, out var v);
        result[name] = (v.Item1 + 1, v.Item2 + (long)obj.Size);
    }
    return result;
}

/// <summary>One actor for all connections: registers each with itself (no actor per connection).</summary>
sealed class RegisterAll : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is Connected)
            Sender.Tell(new Register(Self));
    }
}
