using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using TcpActors.Engine;
using TcpActors.Engine.Streams;

namespace TcpActors.AspNetCore;

/// <summary>Options of the Kestrel transport over a TcpActors stack.</summary>
public sealed class TcpActorsTransportOptions
{
    /// <summary>The stack to serve on; asked when Kestrel binds (after the hosted services that start the stack).</summary>
    public Func<IServiceProvider, TcpStack>? Stack { get; set; }

    /// <summary>Connections established but not yet taken by Kestrel; more are reset.</summary>
    public int Backlog { get; set; } = 128;

    /// <summary>The pipes' thresholds and the connections' socket options.</summary>
    public TcpActorsStreamOptions StreamOptions { get; set; } = TcpActorsStreamOptions.Default;

    /// <summary>
    /// TCP_NODELAY for connections whose <see cref="StreamOptions"/> do not choose: on, as Kestrel's socket transport
    /// (SocketTransportOptions.NoDelay): a response's last short segment goes without waiting for an ACK.
    /// </summary>
    public bool NoDelay { get; set; } = true;
}

/// <summary>
/// Kestrel's transport over a TcpActors stack: an <see cref="IConnectionListenerFactory"/> that binds IPv4 endpoints
/// with the stack's address. As an <see cref="IConnectionListenerFactorySelector"/> it takes only those, so Kestrel
/// can serve other endpoints on the kernel's sockets at the same time.
/// </summary>
public sealed class TcpActorsTransportFactory(IOptions<TcpActorsTransportOptions> options, IServiceProvider services)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private TcpStack Stack => (options.Value.Stack ?? throw new InvalidOperationException(
        "TcpActorsTransportOptions.Stack is not set: say which stack Kestrel serves on (UseTcpActors)"))(services);

    public bool CanBind(EndPoint endpoint) =>
        endpoint is IPEndPoint ip && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.Address.Equals(Stack.Address.ToIPAddress());

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip || !CanBind(ip))
            throw new NotSupportedException($"the TcpActors transport binds IPv4 endpoints of the stack's address {Stack.Address}, not {endpoint}");
        if (ip.Port == 0)
            throw new NotSupportedException("the TcpActors transport needs a port to bind (not 0)");
        var o = options.Value;
        var streamOptions = o.StreamOptions.ConnectionOptions.NoDelay is null
            ? o.StreamOptions with { ConnectionOptions = o.StreamOptions.ConnectionOptions with { NoDelay = o.NoDelay } }
            : o.StreamOptions;
        var listener = await TcpActorsListener.BindAsync(Stack, (ushort)ip.Port, o.Backlog, streamOptions, cancellationToken).ConfigureAwait(false);
        return new TcpActorsConnectionListener(listener);
    }
}
