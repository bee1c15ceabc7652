using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TcpActors.Host;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args);
builder.Services.Configure<EndpointOptions>(builder.Configuration.GetSection(EndpointOptions.Section));
builder.Services.AddHostedService<EndpointService>();

using var host = builder.Build();
await host.RunAsync();

namespace TcpActors.Host
{
    /// <summary>The hosted endpoint. For now it reports its configuration and waits for Ctrl+C / SIGTERM;
    /// the TUN link and the stack arrive with the issues that build them.</summary>
    internal sealed class EndpointService(IOptions<EndpointOptions> options, ILogger<EndpointService> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            log.LogInformation("TcpActors endpoint configured: {Options}", options.Value);
            log.LogInformation("The TUN link is not built yet: nothing is served. Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            catch (OperationCanceledException)
            {
            }
            log.LogInformation("TcpActors endpoint stopped.");
        }
    }
}
