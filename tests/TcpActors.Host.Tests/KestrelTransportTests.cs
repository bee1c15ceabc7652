using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TcpActors.AspNetCore;
using TcpActors.Engine;
using TcpActors.Engine.Link;
using TcpActors.Engine.Streams;
using TcpActors.Engine.Wire;
using TcpActors.Host.Dashboard;
using Xunit.Abstractions;

namespace TcpActors.Host.Tests;

/// <summary>
/// ASP.NET Core served by Kestrel over a TcpActors stack (the TcpActors.AspNetCore transport), reached by HttpClient
/// whose connections are the Stream API's on a second stack, across the in-memory wire (real time).
/// </summary>
public sealed class KestrelTransportTests : IAsyncLifetime
{
    private static readonly Ipv4Address ClientAddress = Ipv4Address.Parse("198.18.0.1");
    private static readonly Ipv4Address ServerAddress = Ipv4Address.Parse("198.18.0.2");
    private readonly ITestOutputHelper _output;
    private readonly ActorSystem _system;
    private readonly TcpStack _client;
    private readonly TcpStack _server;
    private readonly List<IPEndPoint> _clientEndPoints = new();

    public KestrelTransportTests(ITestOutputHelper output)
    {
        _output = output;
        _system = ActorSystem.Create("kestrel", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var wire = new MemoryWire(_system.Scheduler, 1500, new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1), Loss: 0.01, Seed: 5),
            new ImpairmentSettings(Delay: TimeSpan.FromMilliseconds(1), Loss: 0.01, Seed: 6));
        _client = TcpStack.Start(_system, wire.A, ClientAddress);
        _server = TcpStack.Start(_system, wire.B, ServerAddress);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _system.Terminate();

    /// <summary>An HttpClient whose every connection is a TcpActors connection from the client stack.</summary>
    private HttpClient Client()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var conn = await TcpActorsClient.ConnectAsync(_client, new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port),
                    cancellationToken: ct);
                lock (_clientEndPoints)
                    _clientEndPoints.Add(conn.LocalEndPoint);
                return conn.Stream;
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    [Fact]
    public async Task A_minimal_api_answers_over_the_stack_and_a_large_body_goes_both_ways()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenTcpActors(ServerAddress.ToIPAddress(), 8080));
        builder.WebHost.UseTcpActors(_ => _server);
        await using var app = builder.Build();
        app.MapGet("/hello", (HttpContext http) => $"hello {http.Connection.RemoteIpAddress}:{http.Connection.RemotePort} from {http.Connection.LocalIpAddress}:{http.Connection.LocalPort}");
        app.MapPost("/reverse", async (HttpContext http) =>
        {
            var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms);
            var data = ms.ToArray();
            Array.Reverse(data);
            http.Response.ContentType = "application/octet-stream";
            await http.Response.Body.WriteAsync(data);
        });
        await app.StartAsync();
        Assert.Contains("http://198.18.0.2:8080", app.Urls);

        using var http = Client();
        string hello = await http.GetStringAsync("http://198.18.0.2:8080/hello");
        _output.WriteLine(hello);
        var local = Assert.Single(_clientEndPoints);
        Assert.Equal($"hello 198.18.0.1:{local.Port} from 198.18.0.2:8080", hello);

        var body = new byte[1 << 20];
        new Random(1).NextBytes(body);
        var response = await http.PostAsync("http://198.18.0.2:8080/reverse", new ByteArrayContent(body));
        response.EnsureSuccessStatusCode();
        var back = await response.Content.ReadAsByteArrayAsync();
        Array.Reverse(back);
        Assert.True(body.AsSpan().SequenceEqual(back), "the body came back different");
        Assert.Single(_clientEndPoints);   // keep-alive: one connection for both requests

        await app.StopAsync();
    }

    [Fact]
    public async Task The_dashboard_serves_its_page_and_a_status_that_lists_the_callers_own_connection()
    {
        await using var app = await DashboardServer.StartAsync(_server, 80);
        using var http = Client();

        string page = await http.GetStringAsync("http://198.18.0.2/");
        Assert.Contains("<title>TcpActors dashboard</title>", page);
        Assert.Contains("/api/status", page);
        Assert.DoesNotContain("https://", page);   // nothing is fetched from elsewhere

        using var status = await http.GetFromJsonAsync<JsonDocument>("http://198.18.0.2/api/status");
        _output.WriteLine(status!.RootElement.ToString());
        var root = status.RootElement;
        Assert.Equal("198.18.0.2", root.GetProperty("address").GetString());
        var local = Assert.Single(_clientEndPoints);
        var mine = root.GetProperty("connections").EnumerateArray()
            .Single(c => c.GetProperty("remote").GetString() == $"198.18.0.1:{local.Port}");
        Assert.Equal("198.18.0.2:80", mine.GetProperty("local").GetString());
        Assert.Equal("ESTAB", mine.GetProperty("state").GetString());
        Assert.True(mine.GetProperty("bytesReceived").GetInt64() > 0);
        Assert.True(mine.GetProperty("cwnd").GetInt32() > 0);
        Assert.True(root.GetProperty("counters").GetProperty("PassiveOpens").GetInt64() >= 1);
        await app.StopAsync();
    }

    [Fact]
    public async Task Kestrel_binds_only_the_stacks_address_and_unbinds_on_stop()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.ListenTcpActors(ServerAddress.ToIPAddress(), 8081));
        builder.WebHost.UseTcpActors(_ => _server);
        var app = builder.Build();
        app.MapGet("/", () => "ok");
        await app.StartAsync();
        await app.StopAsync();
        await app.DisposeAsync();

        // The port is free again: the stack binds it for someone else.
        await using var listener = await TcpActorsListener.BindAsync(_server, 8081);
        Assert.Equal(8081, listener.LocalEndPoint.Port);
        var factory = new TcpActorsTransportFactory(Microsoft.Extensions.Options.Options.Create(new TcpActorsTransportOptions { Stack = _ => _server }),
            new ServiceCollection().BuildServiceProvider());
        Assert.True(factory.CanBind(new IPEndPoint(ServerAddress.ToIPAddress(), 80)));
        Assert.False(factory.CanBind(new IPEndPoint(IPAddress.Loopback, 80)));
        Assert.False(factory.CanBind(new IPEndPoint(IPAddress.IPv6Loopback, 80)));
    }
}
