using System.IO.Pipelines;
using TcpActors.Engine.Api;

namespace TcpActors.Engine.Streams;

/// <summary>
/// How a <see cref="TcpActorsConnection"/> buffers between the stack and the application.
/// <para>
/// Receiving: bytes the application has not read yet wait in the input pipe. Once more than
/// <see cref="InputPauseThreshold"/> wait there, the connection stops taking data from the stack (SuspendReading), so
/// the stack holds what still arrives and the receive window it advertises closes: the peer stops sending. Once the
/// application has read the pipe down to <see cref="InputResumeThreshold"/>, the connection resumes (ResumeReading) and
/// the window opens again. Memory per connection stays bounded by the pause threshold plus the receive window.
/// </para>
/// <para>
/// Sending: the application's writes complete (<c>FlushAsync</c>, <c>Stream.WriteAsync</c>) while the output pipe
/// holds less than <see cref="OutputPauseThreshold"/>; the connection hands the pipe's bytes to the stack in writes of at
/// most <see cref="MaxWriteSize"/> bytes, each acknowledged (in the send buffer) before the next is taken from the pipe.
/// A full send buffer therefore fills the pipe and then makes the application's writes wait.
/// </para>
/// </summary>
public sealed record TcpActorsStreamOptions
{
    public static readonly TcpActorsStreamOptions Default = new();

    public long InputPauseThreshold { get; init; } = 64 * 1024;
    public long InputResumeThreshold { get; init; } = 32 * 1024;
    public long OutputPauseThreshold { get; init; } = 64 * 1024;
    public long OutputResumeThreshold { get; init; } = 32 * 1024;
    public int MaxWriteSize { get; init; } = 64 * 1024;

    /// <summary>Socket options of the connection (keepalive, buffer sizes, congestion control); pull mode is not allowed.</summary>
    public ConnectionOptions ConnectionOptions { get; init; } = ConnectionOptions.Default;

    internal void Validate()
    {
        if (InputPauseThreshold < 1 || InputResumeThreshold < 0 || InputResumeThreshold > InputPauseThreshold)
            throw new ArgumentOutOfRangeException(nameof(InputResumeThreshold), "need 0 <= InputResumeThreshold <= InputPauseThreshold, InputPauseThreshold >= 1");
        if (OutputPauseThreshold < 1 || OutputResumeThreshold < 0 || OutputResumeThreshold > OutputPauseThreshold)
            throw new ArgumentOutOfRangeException(nameof(OutputResumeThreshold), "need 0 <= OutputResumeThreshold <= OutputPauseThreshold, OutputPauseThreshold >= 1");
        if (MaxWriteSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxWriteSize), MaxWriteSize, "MaxWriteSize must be at least 1");
        if (ConnectionOptions.PullMode)
            throw new ArgumentException("pull mode is the Stream API's own business: leave ConnectionOptions.PullMode off", nameof(ConnectionOptions));
    }

    internal PipeOptions InputPipeOptions() =>
        new(pauseWriterThreshold: InputPauseThreshold, resumeWriterThreshold: InputResumeThreshold, useSynchronizationContext: false);

    internal PipeOptions OutputPipeOptions() =>
        new(pauseWriterThreshold: OutputPauseThreshold, resumeWriterThreshold: OutputResumeThreshold, useSynchronizationContext: false);
}

/// <summary>The connection failed or ended abnormally (reset by the peer, timed out, refused, aborted).</summary>
public sealed class TcpActorsConnectionException(string message, Exception? inner = null) : IOException(message, inner);
