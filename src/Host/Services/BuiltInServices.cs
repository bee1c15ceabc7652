using Akka.Actor;
using TcpActors.Engine;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>Binds the built-in services (echo 7, discard 9, daytime 13, chargen 19, status 11) on a stack.</summary>
public static class BuiltInServices
{
    public static readonly IReadOnlyList<(string Name, ushort Port)> All =
    [
        ("echo", EchoService.Port),
        ("discard", DiscardService.Port),
        ("status", StatusService.Port),
        ("daytime", DaytimeService.Port),
        ("chargen", ChargenService.Port),
    ];

    /// <summary>Sends a Bind for each service to the stack, and one for discard on each of <paramref name="discardPorts"/>;
    /// the Bound replies go to <paramref name="replyTo"/>.</summary>
    public static void Bind(IActorRefFactory factory, TcpStack stack, TimeProvider clock, IActorRef replyTo, IEnumerable<string>? only = null,
        IEnumerable<int>? discardPorts = null)
    {
        var wanted = only?.ToHashSet(StringComparer.OrdinalIgnoreCase);
        string dispatcher = stack.Settings.Dispatcher;
        foreach (var (name, port) in All)
        {
            if (wanted is not null && !wanted.Contains(name))
                continue;
            Func<IActorRef, Props> handler = name switch
            {
                "echo" => EchoService.Props,
                "discard" => DiscardService.Props,
                "status" => c => StatusService.Props(c, stack),
                "daytime" => c => DaytimeService.Props(c, clock),
                _ => ChargenService.Props,
            };
            // Discard keeps nothing it receives: its data can stay in the stack's packet buffers (Register.PooledData).
            var acceptor = factory.ActorOf(ServiceAcceptor.Props(handler, dispatcher, pooledData: name == "discard"), $"service-{name}");
            stack.Manager.Tell(new Bind(acceptor, port), replyTo);
        }
        foreach (int port in discardPorts ?? [])
        {
            var acceptor = factory.ActorOf(ServiceAcceptor.Props(DiscardService.Props, dispatcher, pooledData: true), $"service-discard-{port}");
            stack.Manager.Tell(new Bind(acceptor, (ushort)port), replyTo);
        }
    }
}
