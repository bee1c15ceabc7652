using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TcpActors.AspNetCore;
using TcpActors.Engine;

namespace TcpActors.Host.Dashboard;

/// <summary>
/// The live dashboard: an ASP.NET Core app served by Kestrel over the stack itself (the TcpActors transport), so
/// that the page's own connection is one of the rows it shows. GET / is the page (plain HTML and JS, nothing fetched
/// from elsewhere), GET /api/status the connection table and counters as JSON.
/// </summary>
public static class DashboardServer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>
    /// Starts a web app on <paramref name="port"/> of the stack's address. Its logs go to <paramref name="loggerFactory"/>
    /// (the host's) when given. Stop it with StopAsync and dispose it.
    /// </summary>
    public static async Task<WebApplication> StartAsync(TcpStack stack, int port, ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        // The dashboard's only endpoint is on the stack: no URLs from the environment, no kernel sockets.
        builder.Configuration.Sources.Clear();
        if (loggerFactory is not null)
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(loggerFactory);
        }
        else
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }
        // Part of a host (or a test) that has its own lifetime: no Ctrl+C handling and no "Application started" here.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrel(k => k.ListenTcpActors(stack.Address.ToIPAddress(), port));
        builder.WebHost.UseTcpActors(_ => stack);
        var app = builder.Build();
        Map(app, stack);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return app;
    }

    /// <summary>The dashboard's routes on any app.</summary>
    public static void Map(WebApplication app, TcpStack stack)
    {
        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/status", async (HttpContext http) =>
        {
            var report = await ConnectionTable.GatherAsync(stack, TimeSpan.FromSeconds(1), http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(report, Json);
        });
    }

    /// <summary>The dashboard's URL for the log: reachable from the endpoint's namespace.</summary>
    public static string Url(IPAddress address, int port) => port == 80 ? $"http://{address}/" : $"http://{address}:{port}/";

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
