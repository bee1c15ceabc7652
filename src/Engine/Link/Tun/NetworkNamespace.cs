using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace TcpActors.Engine.Link;

/// <summary>
/// A named Linux network namespace (<c>ip netns add</c>), deleted on <see cref="Dispose"/>. Code runs inside it
/// through <see cref="Run{T}"/>: on a new thread that has joined the namespace with setns(). Sockets and TUN
/// devices created there stay in the namespace when used from other threads. Needs CAP_SYS_ADMIN (root).
/// </summary>
public sealed partial class NetworkNamespace : IDisposable
{
    /// <summary>Names of namespaces this class may delete when it finds a stale one.</summary>
    public const string OwnPrefix = "tcpa-";

    private const string NetnsDirectory = "/var/run/netns";
    private int _disposed;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>
    /// Creates the namespace <paramref name="name"/>. A stale namespace of that name is deleted first if its
    /// name starts with <see cref="OwnPrefix"/> (one of ours, left by a crashed run); any other existing one is
    /// an error.
    /// </summary>
    public static NetworkNamespace Create(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!ValidName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a valid namespace name (letters, digits, '.', '_', '-'; at most 64)", nameof(name));
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("network namespaces are supported on Linux only");
        if (Exists(name))
        {
            if (!name.StartsWith(OwnPrefix, StringComparison.Ordinal))
                throw new TunException($"network namespace {name} already exists and was not made by TcpActors (its name lacks the prefix '{OwnPrefix}'): not touching it");
            IpCommand.Ip("netns", "del", name);
        }
        IpCommand.Ip("netns", "add", name);
        return new NetworkNamespace(name);
    }

    /// <summary>Whether a namespace of this name is mounted under /var/run/netns.</summary>
    public static bool Exists(string name) => File.Exists(Path.Combine(NetnsDirectory, name));

    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated new thread that has joined this namespace, waits for it and
    /// returns its result (or rethrows its exception). The thread ends afterwards, so no pooled thread is ever
    /// left in the namespace.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = $"netns {Name}",
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="action"/> inside the namespace (see <see cref="Run{T}"/>).</summary>
    public void Run(Action action) => Run<object?>(() =>
    {
        action();
        return null;
    });

    /// <summary>Runs <c>ip -n NAME ARGS</c> and returns its output; throws with its stderr when it fails.</summary>
    public string Exec(params string[] ipArgs)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return IpCommand.Ip(["-n", Name, .. ipArgs]);
    }

    /// <summary>Runs <c>ip netns exec NAME PROGRAM ARGS</c> (at most <paramref name="timeout"/>, default 30 s) without throwing on a non-zero exit.</summary>
    public CommandResult ExecProgram(string program, IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return IpCommand.Run("ip", ["netns", "exec", Name, program, .. args], timeout ?? IpCommand.DefaultTimeout);
    }

    private unsafe void Enter()
    {
        string path = Path.Combine(NetnsDirectory, Name);
        int fd = TunNative.Open(path, TunNative.O_RDONLY | TunNative.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TunException($"entering network namespace {Name} failed: cannot open {path}: {TunNative.Describe(errno)}", errno);
        }
        try
        {
            if (TunNative.SetNs(fd, TunNative.CLONE_NEWNET) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new TunException($"entering network namespace {Name} failed: setns: {TunNative.Describe(errno)}" +
                    (errno == TunNative.EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : ""), errno);
            }
        }
        finally
        {
            TunNative.Close(fd);
        }
    }

    /// <summary>
    /// Deletes the namespace (<c>ip netns del</c>). The kernel frees it once nothing holds it: a TUN descriptor
    /// or socket still open inside keeps it (and its devices) alive, so dispose those first.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (Exists(Name))
            IpCommand.Ip("netns", "del", Name);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ValidName();
}
