using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using TcpActors.Engine.Api;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Hosting;

/// <summary>Marker for <c>IRequiredActor&lt;TcpActorsManager&gt;</c>: the default stack's manager (the stack's own protocol).</summary>
public sealed class TcpActorsManager;

/// <summary>Marker for <c>IRequiredActor&lt;TcpActorsAkkaIoManager&gt;</c>: the default stack's Akka.IO-compatible manager.</summary>
public sealed class TcpActorsAkkaIoManager;

/// <summary>
/// A stack the host starts with the actor system. <paramref name="Link"/> makes the link factory (called once, when the
/// system starts; the factory itself is called again after each restart); with <paramref name="RestartBackoff"/>, the
/// stack makes a new link after a link failure (see <see cref="TcpStack.Start(ActorSystem, LinkFactory, Ipv4Address, Configuration.TcpSettings?, string?, ReadOnlySpan{byte}, ValueTuple{TimeSpan, TimeSpan}?)"/>).
/// </summary>
public sealed record TcpActorsStackOptions(string Name, Ipv4Address Address, Func<ActorSystem, LinkFactory> Link,
    (TimeSpan Min, TimeSpan Max)? RestartBackoff = null);

/// <summary>
/// Options of <see cref="TcpActorsHostingExtensions.WithTcpActors"/>. Every setting left null is not written, so HOCON
/// from elsewhere and then reference.conf apply; every setting given is written into the <c>tcp-actors</c> section
/// ahead of all other HOCON, so what is set here wins.
/// </summary>
public sealed class TcpActorsOptions
{
    public string? Dispatcher { get; set; }
    public int? DefaultMss { get; set; }
    public int? ReceiveWindow { get; set; }
    public int? SendBuffer { get; set; }
    public int? ReassemblyLimit { get; set; }
    public int? ReassemblyLimitTotal { get; set; }
    public bool? ReceiveWindowAutoTuning { get; set; }
    public int? ReceiveWindowInitial { get; set; }
    public Congestion.EcnMode? Ecn { get; set; }
    public TimeSpan? InitialRto { get; set; }
    public TimeSpan? MinRto { get; set; }
    public TimeSpan? MaxRto { get; set; }
    public int? SynRetries { get; set; }
    public int? SynAckRetries { get; set; }
    public int? Retries2 { get; set; }
    public TimeSpan? Msl { get; set; }
    public TimeSpan? DelayedAck { get; set; }
    public bool? KeepaliveEnabled { get; set; }
    public TimeSpan? KeepaliveIdle { get; set; }
    public TimeSpan? KeepaliveInterval { get; set; }
    public int? KeepaliveProbes { get; set; }
    public int? SynQueue { get; set; }
    public int? AcceptQueue { get; set; }
    public int? ChallengeAckLimit { get; set; }
    public int? EphemeralMin { get; set; }
    public int? EphemeralMax { get; set; }
    public TimeSpan? FinTimeout { get; set; }
    public int? WriteCommandsQueueMaxSize { get; set; }
    public long? WriteQueueMaxBytes { get; set; }

    public List<TcpActorsStackOptions> Stacks { get; } = new();

    /// <summary>A stack started with the system; the first one added (or the one named "default") is the default stack.</summary>
    public TcpActorsOptions AddStack(Ipv4Address address, Func<ActorSystem, ILink> link, string name = TcpActorsExtension.DefaultStackName)
    {
        ArgumentNullException.ThrowIfNull(link);
        Stacks.Add(new TcpActorsStackOptions(name, address, system =>
        {
            var l = link(system);
            return new LinkFactory(() => l, l.Mtu, l.GsoMaxSize);
        }));
        return this;
    }

    /// <summary>
    /// A stack started with the system on links made by a <see cref="LinkFactory"/>; with <paramref name="restartBackoff"/>,
    /// a failed link is replaced by a new one after the backoff (listeners are told Unbound and must bind again).
    /// </summary>
    public TcpActorsOptions AddStack(Ipv4Address address, Func<ActorSystem, LinkFactory> linkFactory,
        (TimeSpan Min, TimeSpan Max)? restartBackoff, string name = TcpActorsExtension.DefaultStackName)
    {
        ArgumentNullException.ThrowIfNull(linkFactory);
        Stacks.Add(new TcpActorsStackOptions(name, address, linkFactory, restartBackoff));
        return this;
    }

    /// <summary>The settings given, as HOCON (empty when none is).</summary>
    public string ToHocon()
    {
        var sb = new StringBuilder();
        void Put(string key, object? value)
        {
            if (value is null)
                return;
            string text = value switch
            {
                TimeSpan t => Duration(t),
                bool b => b ? "on" : "off",
                string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString()!,
            };
            sb.Append("tcp-actors.").Append(key).Append(" = ").Append(text).Append('\n');
        }
        Put("dispatcher", Dispatcher);
        Put("default-mss", DefaultMss);
        Put("receive-window", ReceiveWindow);
        Put("send-buffer", SendBuffer);
        Put("reassembly-limit", ReassemblyLimit);
        Put("reassembly-limit-total", ReassemblyLimitTotal);
        Put("receive-window-auto-tuning", ReceiveWindowAutoTuning);
        Put("receive-window-initial", ReceiveWindowInitial);
        Put("ecn", Ecn?.ToString().ToLowerInvariant());
        Put("initial-rto", InitialRto);
        Put("min-rto", MinRto);
        Put("max-rto", MaxRto);
        Put("syn-retries", SynRetries);
        Put("synack-retries", SynAckRetries);
        Put("retries2", Retries2);
        Put("msl", Msl);
        Put("delayed-ack", DelayedAck);
        Put("keepalive.enabled", KeepaliveEnabled);
        Put("keepalive.idle", KeepaliveIdle);
        Put("keepalive.interval", KeepaliveInterval);
        Put("keepalive.probes", KeepaliveProbes);
        Put("backlog.syn-queue", SynQueue);
        Put("backlog.accept-queue", AcceptQueue);
        Put("challenge-ack-limit", ChallengeAckLimit);
        Put("ephemeral-ports.min", EphemeralMin);
        Put("ephemeral-ports.max", EphemeralMax);
        Put("fin-timeout", FinTimeout);
        Put("akka-io.write-commands-queue-max-size", WriteCommandsQueueMaxSize);
        Put("akka-io.write-queue-max-bytes", WriteQueueMaxBytes);
        return sb.ToString();
    }

    private static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
            return "-" + Duration(-t);   // refused by TcpSettings with the key named
        // Akka's HOCON has no microseconds unit: a fraction of a millisecond is written as a decimal.
        return t.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms"
            : t.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture) + "ms";
    }
}

public static class TcpActorsHostingExtensions
{
    /// <summary>
    /// Adds TcpActors to an Akka.Hosting actor system: the options become HOCON (what they set wins), the extension
    /// starts with the system and starts the configured stacks, and the default stack's managers are registered for
    /// <c>IRequiredActor&lt;TcpActorsManager&gt;</c> and <c>IRequiredActor&lt;TcpActorsAkkaIoManager&gt;</c>.
    /// Without Microsoft.Extensions.Hosting, use <c>TcpActorsExtension.Get(system)</c> directly.
    /// </summary>
    public static AkkaConfigurationBuilder WithTcpActors(this AkkaConfigurationBuilder builder, Action<TcpActorsOptions>? configure = null)
    {
        var options = new TcpActorsOptions();
        configure?.Invoke(options);
        string hocon = options.ToHocon();
        if (hocon.Length > 0)
            builder.AddHocon(ConfigurationFactory.ParseString(hocon), HoconAddMode.Prepend);
        builder.WithExtension<TcpActorsExtensionProvider>();
        builder.WithActors((system, registry) =>
        {
            var tcp = TcpActorsExtension.Get(system);
            foreach (var s in options.Stacks)
                tcp.AddStack(s.Link(system), s.Address, s.Name, restartBackoff: s.RestartBackoff);
            if (options.Stacks.Count > 0)
            {
                registry.Register<TcpActorsManager>(tcp.Manager);
                registry.Register<TcpActorsAkkaIoManager>(tcp.AkkaIoManager);
            }
        });
        return builder;
    }
}
