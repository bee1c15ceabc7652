using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using TcpActors.Engine.Streams;

namespace TcpActors.AspNetCore;

/// <summary>One connection of the stack as Kestrel sees it: its transport is the connection's duplex pipe.</summary>
internal sealed class TcpActorsConnectionContext : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private static long _lastId;
    private readonly TcpActorsConnection _connection;

    public TcpActorsConnectionContext(TcpActorsConnection connection)
    {
        _connection = connection;
        ConnectionId = $"tcpa-{Interlocked.Increment(ref _lastId):x}";
        Transport = connection.Pipe;
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
        ConnectionClosed = connection.ConnectionClosed;
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set(connection);   // the stack's connection itself (GetStatusAsync, Tuple)
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => _connection.Abort(abortReason.Message);

    public override ValueTask DisposeAsync() => _connection.DisposeAsync();
}
