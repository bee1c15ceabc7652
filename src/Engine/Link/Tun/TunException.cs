namespace TcpActors.Engine.Link;

/// <summary>A TUN device or network namespace operation failed; <see cref="Errno"/> is the C errno when there is one.</summary>
public sealed class TunException : IOException
{
    public TunException(string message, int errno = 0, Exception? inner = null)
        : base(message, inner) => Errno = errno;

    /// <summary>The C errno, or 0 when the failure did not come from a system call.</summary>
    public int Errno { get; }
}
