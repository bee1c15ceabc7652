using Akka.Actor;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Wire;
using TcpActors.Host.Device;
using TcpActors.Host.Services;

namespace TcpActors.Host;

/// <summary>
/// The hosted endpoint: the stack runs on the namespace's TUN device (started by WithTcpActors), this serves the built-in
/// services, and on Ctrl+C / SIGTERM stops accepting, closes connections with FIN within the grace period,
/// resets the rest, and removes the device.
/// </summary>
internal sealed class EndpointService(IOptions<EndpointOptions> options, ActorSystem system, EndpointDevice device,
    ILogger<EndpointService> log) : IHostedService
{
    private TcpStack? _stack;

    /// <summary>The running stack (null before StartAsync).</summary>
    public TcpStack? Stack => _stack;

    /// <summary>The namespace the endpoint made, or null when it runs in the host's own.</summary>
    public string? NamespaceName => device.NamespaceName;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        try
        {
            // Started by WithTcpActors with the actor system (Program.cs), after EndpointDevice made the namespace.
            _stack = TcpActorsExtension.Get(system).DefaultStack.Stack;
            var binder = system.ActorOf(Props.Create(() => new ServiceBinder(_stack, o.Services, o.DiscardPorts, log)), "services");
            string exec = device.NamespaceName is { } ns ? $"ip netns exec {ns} " : "";
            log.LogInformation("Listening on {Address}: {Services}", o.LocalAddress,
                string.Join(", ", BuiltInServices.All.Where(s => o.Services.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).Select(s => $"{s.Name} {s.Port}")
                    .Concat(o.DiscardPorts.Select(p => $"discard {p}"))));
            log.LogInformation("Reach it with: {Exec}ping -c 3 {Address} | {Exec}nc {Address} 7 (echo) | {Exec}nc {Address} 11 (status)",
                exec, o.LocalAddress, exec, o.LocalAddress, exec, o.LocalAddress);
        }
        catch
        {
            device.Close();
            throw;
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_stack is not null)
            {
                var grace = options.Value.ShutdownGrace;
                var done = await _stack.Manager.Ask<ShutdownComplete>(new Shutdown(grace), grace + TimeSpan.FromSeconds(5), cancellationToken);
                log.LogInformation("Stopped: {Closed} connections closed with FIN, {Reset} reset", done.Closed, done.Reset);
                await _stack.Manager.GracefulStop(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e)
        {
            log.LogWarning(e, "The stack did not stop cleanly");
        }
        finally
        {
            device.Close();
        }
    }

    /// <summary>Binds the services and binds them again after the stack restarted (their listeners were told Unbound).</summary>
    private sealed class ServiceBinder : UntypedActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        private readonly TcpStack _stack;
        private readonly List<string> _services;
        private readonly List<int> _discardPorts;
        private readonly ILogger _log;

        public ServiceBinder(TcpStack stack, List<string> services, List<int> discardPorts, ILogger log)
        {
            _stack = stack;
            _services = services;
            _discardPorts = discardPorts;
            _log = log;
        }

        protected override void PreStart() => BuiltInServices.Bind(Context, _stack, TimeProvider.System, Self, _services, _discardPorts);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Bound b:
                    _log.LogDebug("bound port {Port}", b.Port);
                    break;
                case Unbound:
                    // The stack restarted after a link failure: bind everything again once it is back.
                    foreach (var child in Context.GetChildren())
                        Context.Stop(child);
                    Timers.StartSingleTimer("rebind", Rebind.Instance, TimeSpan.FromSeconds(2));
                    break;
                case Rebind:
                    if (!Context.GetChildren().Any())
                        BuiltInServices.Bind(Context, _stack, TimeProvider.System, Self, _services, _discardPorts);
                    break;
                case CommandFailed f:
                    _log.LogError("{Command} failed: {Cause}", f.Command, f.Cause.Message);
                    break;
            }
        }

        private sealed class Rebind
        {
            public static readonly Rebind Instance = new();
        }
    }
}
