using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TcpActors.Host.Dashboard;

/// <summary>
/// Serves the dashboard on TcpActors:DashboardPort (80; 0 turns it off) of the endpoint's address, over the stack.
/// Registered after <see cref="EndpointService"/>: it starts once the stack runs, and stops (Kestrel closes its
/// connections) before the stack shuts down.
/// </summary>
internal sealed class DashboardService(IOptions<EndpointOptions> options, EndpointService endpoint, ILoggerFactory loggerFactory,
    ILogger<DashboardService> log) : IHostedService
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.DashboardPort == 0 || endpoint.Stack is not { } stack)
            return;
        _app = await DashboardServer.StartAsync(stack, o.DashboardPort, loggerFactory, cancellationToken);
        string exec = endpoint.NamespaceName is { } ns ? $"ip netns exec {ns} " : "";
        string url = DashboardServer.Url(IPAddress.Parse(o.LocalAddress), o.DashboardPort);
        log.LogInformation("Dashboard: {Exec}curl {Url} (the page) | {Exec}curl {Url}api/status (JSON)", exec, url, exec, url);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is null)
            return;
        try
        {
            await _app.StopAsync(cancellationToken);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
