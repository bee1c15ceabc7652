using System.Runtime.InteropServices;

namespace TcpActors.Engine.Link;

/// <summary>
/// The few libc calls a TUN device and a network namespace need (Linux only). Every call sets the last
/// P/Invoke error; read it with <see cref="Marshal.GetLastPInvokeError"/> right after a -1.
/// </summary>
internal static unsafe partial class TunNative
{
    private const string Libc = "libc";

    public const int O_RDONLY = 0x0;
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;
    /// <summary>Every read and write carries a struct virtio_net_hdr before the packet.</summary>
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>_IOW('T', 202, int).</summary>
    public const uint TUNSETIFF = 0x400454CA;
    /// <summary>_IOW('T', 208, unsigned int): the offloads the reader/writer handles (TUN_F_*), passed by value.</summary>
    public const uint TUNSETOFFLOAD = 0x400454D0;
    /// <summary>_IOW('T', 216, int): the size of the vnet header (10: struct virtio_net_hdr), passed by pointer.</summary>
    public const uint TUNSETVNETHDRSZ = 0x400454D8;

    /// <summary>TUNSETOFFLOAD: the stack completes partial checksums (and may leave its own partial).</summary>
    public const uint TUN_F_CSUM = 0x01;
    /// <summary>TUNSETOFFLOAD: TCP/IPv4 segmentation offload both ways (requires TUN_F_CSUM).</summary>
    public const uint TUN_F_TSO4 = 0x02;

    public const int CLONE_NEWNET = 0x40000000;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    public const short POLLIN = 0x001;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    public const int IFNAMSIZ = 16;

    /// <summary>struct ifreq: a 16-byte name, then a 24-byte union whose first member (ifr_flags) is a short.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct IfReq
    {
        public fixed byte Name[IFNAMSIZ];
        public short Flags;
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>ioctl is variadic; on the Linux ABIs .NET runs on an integer or pointer argument passes the same way.</summary>
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, IfReq* argument);

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, int* argument);

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nuint argument);

    [LibraryImport(Libc, EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(int fd, IoVec* iov, int count);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nsType);

    [LibraryImport(Libc, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int ENOTTY = 25;
    public const int EBADFD = 77;
    public const int EMSGSIZE = 90;
    public const int ENOBUFS = 105;

    /// <summary>"EPERM (Operation not permitted)".</summary>
    public static string Describe(int errno)
    {
        string name = errno switch
        {
            EPERM => "EPERM",
            ENOENT => "ENOENT",
            EINTR => "EINTR",
            EIO => "EIO",
            EBADF => "EBADF",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EACCES => "EACCES",
            EFAULT => "EFAULT",
            EBUSY => "EBUSY",
            ENODEV => "ENODEV",
            EINVAL => "EINVAL",
            EMFILE => "EMFILE",
            ENOTTY => "ENOTTY",
            EBADFD => "EBADFD",
            EMSGSIZE => "EMSGSIZE",
            ENOBUFS => "ENOBUFS",
            _ => $"errno {errno}",
        };
        return $"{name} ({Marshal.GetPInvokeErrorMessage(errno)})";
    }
}
