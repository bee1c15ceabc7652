using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Hosting;
using TcpActors.Engine.Wire;
using TcpActors.Host;
using TcpActors.Host.Device;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args);
builder.Services.Configure<EndpointOptions>(builder.Configuration.GetSection(EndpointOptions.Section));
var endpoint = builder.Configuration.GetSection(EndpointOptions.Section).Get<EndpointOptions>() ?? new EndpointOptions();

builder.Services.AddSingleton<EndpointDevice>();
builder.Services.AddAkka("tcpactors", (akka, services) =>
{
    // User settings win over the stack's defaults.
    if (!string.IsNullOrWhiteSpace(endpoint.Hocon))
        akka.AddHocon(endpoint.Hocon, HoconAddMode.Prepend);
    akka.AddHocon(TcpSettings.DefaultConfig, HoconAddMode.Append);
    // The host stops the stack itself (FIN, grace period, RST) before the actor system goes down.
    akka.AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
    akka.ConfigureLoggers(loggers => loggers.AddLoggerFactory());
    // The stack starts with the actor system, on the TUN device in the endpoint's namespace (made just before it starts,
    // deleted by EndpointService after it stopped); after a link failure it makes a new device after a backoff.
    akka.WithTcpActors(tcp => tcp.AddStack(Ipv4Address.Parse(endpoint.LocalAddress),
        system => services.GetRequiredService<EndpointDevice>().Open(system),
        restartBackoff: (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30))));
});
builder.Services.AddSingleton<EndpointService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<EndpointService>());
// After the endpoint: the dashboard starts once the stack runs and stops before it.
builder.Services.AddHostedService<TcpActors.Host.Dashboard.DashboardService>();

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (Exception e)
{
    // A configuration the endpoint cannot run with (an option out of range, libpcap missing for a capture, no TUN
    // device): one line that names it, and exit code 1 rather than the runtime's abort on an unhandled exception.
    // The hosting layers may wrap it; their wrappers say nothing of their own.
    while (e is AggregateException or System.Reflection.TargetInvocationException && e.InnerException is not null)
        e = e.InnerException;
    Console.Error.WriteLine($"TcpActors endpoint failed: {e.Message}");
    return 1;
}
return 0;
