using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using TcpActors.Engine;

namespace TcpActors.AspNetCore;

public static class TcpActorsWebHostExtensions
{
    /// <summary>
    /// Serves Kestrel's endpoints with the stack's address over the stack (other endpoints stay on the kernel's
    /// sockets). Listen on them with <see cref="ListenTcpActors"/> or <c>options.Listen(address, port)</c>.
    /// </summary>
    public static IWebHostBuilder UseTcpActors(this IWebHostBuilder builder, Func<IServiceProvider, TcpStack> stack,
        Action<TcpActorsTransportOptions>? configure = null) =>
        builder.ConfigureServices(services => services.AddTcpActorsTransport(stack, configure));

    /// <summary>The transport's services (see <see cref="UseTcpActors"/>); register it after Kestrel's own.</summary>
    public static IServiceCollection AddTcpActorsTransport(this IServiceCollection services, Func<IServiceProvider, TcpStack> stack,
        Action<TcpActorsTransportOptions>? configure = null)
    {
        services.Configure<TcpActorsTransportOptions>(o =>
        {
            o.Stack = stack;
            configure?.Invoke(o);
        });
        services.AddSingleton<IConnectionListenerFactory, TcpActorsTransportFactory>();
        return services;
    }

    /// <summary>Listens on <paramref name="port"/> of the stack's address <paramref name="address"/>.</summary>
    public static void ListenTcpActors(this KestrelServerOptions options, IPAddress address, int port, Action<ListenOptions>? configure = null) =>
        options.Listen(new IPEndPoint(address, port), configure ?? (_ => { }));
}
