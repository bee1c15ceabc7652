using System.Collections.Concurrent;
using Akka.Actor;
using TcpActors.Engine.AkkaIo;
using TcpActors.Engine.Configuration;
using TcpActors.Engine.Io;
using TcpActors.Engine.Link;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Api;

/// <summary>
/// The stack inside an actor system: <c>TcpActorsExtension.Get(system)</c> or <c>system.TcpActors()</c>. It reads the
/// <c>tcp-actors</c> section of the system's configuration (an invalid value fails here, naming the key), and creates and
/// owns the stacks: one per link and address, each with a manager that speaks the stack's own protocol
/// (<see cref="Bind"/>, <see cref="Connect"/>) and one that speaks Akka.IO's (<see cref="AkkaIo.AkkaIoManager"/>).
/// Their actors stop with the system (the link is disposed then).
/// </summary>
public sealed class TcpActorsExtension : IExtension
{
    /// <summary>The name of the stack that <see cref="DefaultStack"/> prefers.</summary>
    public const string DefaultStackName = "default";

    private readonly ActorSystem _system;
    private readonly ConcurrentDictionary<string, TcpActorsStack> _stacks = new();
    private readonly Lock _gate = new();
    private string? _first;

    public TcpActorsExtension(ExtendedActorSystem system)
    {
        _system = system;
        Settings = TcpSettings.Create(system.Settings.Config);
        AkkaIoSettings = AkkaIoSettings.Create(system.Settings.Config);
    }

    public static TcpActorsExtension Get(ActorSystem system) => system.WithExtension<TcpActorsExtension, TcpActorsExtensionProvider>();

    /// <summary>The <c>tcp-actors</c> settings of the system (a stack may be given its own).</summary>
    public TcpSettings Settings { get; }

    public AkkaIoSettings AkkaIoSettings { get; }

    /// <summary>
    /// Starts a stack with <paramref name="address"/> on <paramref name="link"/>. Its actors are named
    /// <c>tcp-actors-NAME</c> and <c>tcp-actors-NAME-akka-io</c>. A name already in use is refused.
    /// </summary>
    public TcpActorsStack AddStack(ILink link, Ipv4Address address, string name = DefaultStackName, TcpSettings? settings = null,
        ReadOnlySpan<byte> isnSecret = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        return AddStack(new LinkFactory(() => link, link.Mtu), address, name, settings, isnSecret);
    }

    /// <summary>
    /// Starts a stack with <paramref name="address"/> on links made by <paramref name="link"/>; with
    /// <paramref name="restartBackoff"/>, the stack runs under a BackoffSupervisor and makes a new link after a link
    /// failure (its listeners are told Unbound and must bind again).
    /// </summary>
    public TcpActorsStack AddStack(LinkFactory link, Ipv4Address address, string name = DefaultStackName, TcpSettings? settings = null,
        ReadOnlySpan<byte> isnSecret = default, (TimeSpan Min, TimeSpan Max)? restartBackoff = null)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (string.IsNullOrEmpty(name) || !ActorPath.IsValidPathElement(name))
            throw new ArgumentException($"'{name}' is not a valid stack name (it becomes part of actor names)", nameof(name));
        lock (_gate)
        {
            if (_stacks.ContainsKey(name))
                throw new InvalidOperationException($"a stack named '{name}' already exists");
            settings ??= Settings;
            var stack = TcpStack.Start(_system, link, address, settings, $"tcp-actors-{name}", isnSecret, restartBackoff);
            var akkaIo = _system.ActorOf(TcpActors.Engine.AkkaIo.AkkaIoManager.Props(stack, AkkaIoSettings), $"tcp-actors-{name}-akka-io");
            var s = new TcpActorsStack(name, stack, akkaIo);
            _stacks[name] = s;
            _first ??= name;
            return s;
        }
    }

    /// <summary>Stops a stack's actors (its connections and listeners with them) and forgets it.</summary>
    public bool RemoveStack(string name)
    {
        lock (_gate)
        {
            if (!_stacks.TryRemove(name, out var s))
                return false;
            _system.Stop(s.AkkaIoManager);
            _system.Stop(s.Manager);
            if (_first == name)
                _first = _stacks.Keys.FirstOrDefault();
            return true;
        }
    }

    public IReadOnlyCollection<TcpActorsStack> Stacks => _stacks.Values.ToList();

    public bool TryGetStack(string name, out TcpActorsStack stack) => _stacks.TryGetValue(name, out stack!);

    public TcpActorsStack GetStack(string name) =>
        _stacks.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"no stack named '{name}'");

    /// <summary>The stack named "default", else the first one added.</summary>
    public TcpActorsStack DefaultStack
    {
        get
        {
            if (_stacks.TryGetValue(DefaultStackName, out var s))
                return s;
            string? first = _first;
            if (first is not null && _stacks.TryGetValue(first, out s))
                return s;
            throw new InvalidOperationException("no TcpActors stack has been added: call AddStack(link, address) first");
        }
    }

    /// <summary>The default stack's manager (the stack's own protocol: Bind, Connect).</summary>
    public IActorRef Manager => DefaultStack.Manager;

    /// <summary>The default stack's Akka.IO-compatible manager: send it what you would send to <c>Context.System.Tcp()</c>.</summary>
    public IActorRef AkkaIoManager => DefaultStack.AkkaIoManager;
}

/// <summary>One stack owned by the extension.</summary>
public sealed class TcpActorsStack(string name, TcpStack stack, IActorRef akkaIoManager)
{
    public string Name { get; } = name;
    public TcpStack Stack { get; } = stack;
    /// <summary>The stack's own protocol (TcpActors.Engine.Api): Bind, Connect.</summary>
    public IActorRef Manager => Stack.Manager;
    /// <summary>Akka.IO's protocol (Akka.IO.Tcp): Bind, Connect and the rest, answered with Akka.IO's events.</summary>
    public IActorRef AkkaIoManager { get; } = akkaIoManager;
    public Ipv4Address Address => Stack.Address;
    public TcpCounters Counters => Stack.Counters;
}

public sealed class TcpActorsExtensionProvider : ExtensionIdProvider<TcpActorsExtension>
{
    public override TcpActorsExtension CreateExtension(ExtendedActorSystem system) => new(system);
}

public static class TcpActorsSystemExtensions
{
    /// <summary>The TcpActors extension of this system.</summary>
    public static TcpActorsExtension TcpActors(this ActorSystem system) => TcpActorsExtension.Get(system);
}
