using Akka.Actor;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcpActors.Engine;

namespace TcpActors.Host.Device;

/// <summary>
/// The endpoint's device environment as a service: <see cref="Open"/> is called by <c>WithTcpActors</c> when the actor
/// system starts, just before the stack starts (it validates the options and makes the namespace); <see cref="Close"/>
/// deletes the namespace after the stack stopped (and Dispose does it if the host failed before that).
/// </summary>
internal sealed class EndpointDevice(IOptions<EndpointOptions> options, ILogger<EndpointService> log) : IDisposable
{
    private readonly Lock _gate = new();
    private DeviceEnvironment? _environment;

    /// <summary>The namespace the endpoint made, or null when it runs in the host's own (or before Open).</summary>
    public string? NamespaceName => _environment?.Namespace?.Name;

    public LinkFactory Open(ActorSystem system)
    {
        lock (_gate)
        {
            if (_environment is not null)
                throw new InvalidOperationException("the endpoint's device environment is already open");
            var o = options.Value;
            o.Validate();
            log.LogInformation("TcpActors endpoint: {Options}", o);
            _environment = DeviceEnvironment.Create(o, log, system.Scheduler);
            return _environment.LinkFactory;
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            _environment?.Dispose();
            _environment = null;
        }
    }

    public void Dispose() => Close();
}
