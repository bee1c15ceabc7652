using System.IO.Pipelines;

namespace TcpActors.Engine.Streams;

/// <summary>
/// A <see cref="TcpActorsConnection"/> as a <see cref="Stream"/>: reads come from its input pipe, writes go to its output
/// pipe (each write is flushed, so it waits while the output is over its pause threshold). Cancelling a read or a write
/// leaves the connection usable: nothing is lost. Reading 0 bytes means the peer closed its side. Disposing the stream
/// disposes the connection (FIN after the data).
/// </summary>
internal sealed class DuplexPipeStream(TcpActorsConnection connection) : Stream
{
    private readonly Stream _reader = connection.Pipe.Input.AsStream(leaveOpen: true);
    private readonly Stream _writer = connection.Pipe.Output.AsStream(leaveOpen: true);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _reader.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _reader.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _writer.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _writer.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _writer.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(buffer, cancellationToken);

    public override void Flush() => _writer.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => connection.DisposeAsync();
}
