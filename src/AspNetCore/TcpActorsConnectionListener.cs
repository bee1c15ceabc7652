using System.Net;
using Microsoft.AspNetCore.Connections;
using TcpActors.Engine.Streams;

namespace TcpActors.AspNetCore;

/// <summary>A port of the stack bound for Kestrel.</summary>
internal sealed class TcpActorsConnectionListener(TcpActorsListener listener) : IConnectionListener
{
    public EndPoint EndPoint => listener.LocalEndPoint;

    /// <summary>The next connection, or null once the listener is unbound (Kestrel's accept loop then ends).</summary>
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await listener.TryAcceptAsync(cancellationToken).ConfigureAwait(false);
            return connection is null ? null : new TcpActorsConnectionContext(connection);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => listener.DisposeAsync();

    public ValueTask DisposeAsync() => listener.DisposeAsync();
}
