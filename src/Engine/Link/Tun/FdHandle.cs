using System.Runtime.InteropServices;

namespace TcpActors.Engine.Link;

/// <summary>
/// A file descriptor that is closed exactly once, and only after the last call using it has returned
/// (every syscall holds a reference): a Send racing a Dispose can never write to a reused descriptor.
/// </summary>
internal sealed class FdHandle : SafeHandle
{
    public FdHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => (int)handle < 0;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => TunNative.Close((int)handle) == 0;
}
