using Akka.Configuration;
using TcpActors.Engine.Configuration;

namespace TcpActors.Engine.AkkaIo;

/// <summary>The <c>tcp-actors.akka-io</c> section: limits of the Akka.IO compatibility layer.</summary>
public sealed record AkkaIoSettings
{
    public const string Section = "tcp-actors.akka-io";

    /// <summary>Writes queued per connection behind the one being buffered; one more is refused.</summary>
    public int WriteCommandsQueueMaxSize { get; init; } = 128;

    /// <summary>Bytes the queued writes of one connection may hold; one more is refused.</summary>
    public long WriteQueueMaxBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Akka.IO's own <c>akka.io.tcp.register-timeout</c> (5 s by default; null when infinite): a connection whose
    /// handler does not send Register in time is aborted, as Akka.IO's is.
    /// </summary>
    public TimeSpan? RegisterTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public static AkkaIoSettings Create(Config config)
    {
        var c = config.WithFallback(TcpSettings.DefaultConfig).GetConfig(Section);
        int count = c.GetInt("write-commands-queue-max-size");
        long bytes = c.GetLong("write-queue-max-bytes");
        if (count < 1)
            throw new ConfigurationException($"{Section}.write-commands-queue-max-size: {count} must be at least 1");
        if (bytes < 1)
            throw new ConfigurationException($"{Section}.write-queue-max-bytes: {bytes} must be at least 1");
        TimeSpan? registerTimeout = TimeSpan.FromSeconds(5);
        if (config.HasPath("akka.io.tcp.register-timeout"))
        {
            string text = config.GetString("akka.io.tcp.register-timeout");
            registerTimeout = text is "infinite" or "off" ? null : config.GetTimeSpan("akka.io.tcp.register-timeout");
        }
        return new AkkaIoSettings { WriteCommandsQueueMaxSize = count, WriteQueueMaxBytes = bytes, RegisterTimeout = registerTimeout };
    }
}
