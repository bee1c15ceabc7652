using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Streams;

/// <summary>Active OPEN for code outside actors: a connection of the stack as a Stream and a pipe.</summary>
public static class TcpActorsClient
{
    /// <summary>
    /// Connects to <paramref name="remote"/> (an IPv4 endpoint) through <paramref name="stack"/>. Fails with
    /// <see cref="TcpActorsConnectionException"/> when the stack's connect fails (refused, timed out); cancelling returns
    /// at once, and a connection that is established afterwards is reset.
    /// </summary>
    public static async Task<TcpActorsConnection> ConnectAsync(TcpStack stack, IPEndPoint remote, TcpActorsStreamOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException($"{remote} is not an IPv4 endpoint", nameof(remote));
        options ??= TcpActorsStreamOptions.Default;
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var connect = new Connect(Ipv4Address.FromIPAddress(remote.Address), checked((ushort)remote.Port), null, options.ConnectionOptions);
        var connected = new TaskCompletionSource<TcpActorsConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var adapter = stack.System.ActorOf(ConnectionAdapter.PropsOutgoing(stack, options, connect, connected));
        await using var registration = cancellationToken.Register(() => adapter.Tell(ConnectionAdapter.CancelConnect.Instance, ActorRefs.NoSender));
        return await connected.Task.ConfigureAwait(false);
    }

    /// <summary>Connects to <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static Task<TcpActorsConnection> ConnectAsync(TcpStack stack, Ipv4Address address, ushort port, TcpActorsStreamOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ConnectAsync(stack, new IPEndPoint(address.ToIPAddress(), port), options, cancellationToken);
}
