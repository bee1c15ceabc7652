using System.Runtime.InteropServices;
using System.Text;

namespace TcpActors.Engine.Link;

/// <summary>
/// A Linux TUN device opened through /dev/net/tun with IFF_TUN | IFF_NO_PI: every read returns one IPv4 (or
/// IPv6) packet, every write injects one, with no extra header. The descriptor is non-blocking:
/// <see cref="Read"/> returns 0 when no packet is waiting (see <see cref="WaitReadable"/>).
/// A device created beforehand with <c>ip tuntap add NAME mode tun user $USER</c> opens without privileges.
/// The device lives in the network namespace of the thread that opens it (see NetworkNamespace.Run).
/// Opened with offloads (<see cref="Open(string, bool)"/>), the device also has IFF_VNET_HDR, a 10-byte
/// struct virtio_net_hdr before every packet (TUNSETVNETHDRSZ) and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4): the kernel
/// hands over and takes TCP/IPv4 super-segments of up to 64 KB with partial checksums (see TunLink).
/// </summary>
public sealed unsafe class TunDevice : IDisposable
{
    private readonly FdHandle _handle;

    private TunDevice(FdHandle handle, string name, bool offload)
    {
        _handle = handle;
        Name = name;
        Offload = offload;
    }

    /// <summary>Opened with IFF_VNET_HDR and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4): reads and writes carry a virtio_net_hdr.</summary>
    public bool Offload { get; }

    /// <summary>The interface name the kernel gave the device (a pattern such as "tun%d" is resolved).</summary>
    public string Name { get; }

    internal FdHandle Handle => _handle;

    /// <summary>
    /// Opens (and, with CAP_NET_ADMIN, creates) the TUN device <paramref name="name"/> in the calling thread's
    /// network namespace. A non-persistent device disappears when it is disposed.
    /// </summary>
    public static TunDevice Open(string name) => Open(name, "/dev/net/tun");

    /// <summary>
    /// As <see cref="Open(string)"/>; with <paramref name="offload"/> also IFF_VNET_HDR, TUNSETVNETHDRSZ 10 and
    /// TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4). A kernel that refuses any of them gives a <see cref="TunException"/>
    /// that names the step.
    /// </summary>
    public static TunDevice Open(string name, bool offload) => Open(name, "/dev/net/tun", offload);

    /// <summary>Opens through another clone device node (tests use a private node to act as an unprivileged user).</summary>
    internal static TunDevice Open(string name, string controlPath, bool offload = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length >= TunNative.IFNAMSIZ || name.Any(c => c is '/' or ' ' or ':' || char.IsControl(c) || c > 126))
            throw new ArgumentException($"'{name}' is not a valid interface name (at most {TunNative.IFNAMSIZ - 1} ASCII characters, no '/', ':' or space)", nameof(name));
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("TUN devices are supported on Linux only");

        int fd = TunNative.Open(controlPath, TunNative.O_RDWR | TunNative.O_NONBLOCK | TunNative.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string hint = errno switch
            {
                TunNative.ENOENT => $" ({controlPath} is missing: load the tun module or, in a container, pass --device /dev/net/tun)",
                TunNative.EACCES or TunNative.EPERM => $" ({controlPath} is not accessible to this user: run as root, or make it mode 0666 as most distributions do)",
                _ => "",
            };
            throw new TunException($"opening TUN device {name} failed: cannot open {controlPath}: {TunNative.Describe(errno)}{hint}", errno);
        }

        var handle = new FdHandle(fd);
        try
        {
            TunNative.IfReq req = default;
            for (int i = 0; i < nameBytes.Length; i++)
                req.Name[i] = nameBytes[i];
            req.Flags = (short)(TunNative.IFF_TUN | TunNative.IFF_NO_PI | (offload ? TunNative.IFF_VNET_HDR : 0));
            if (TunNative.Ioctl(fd, TunNative.TUNSETIFF, &req) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                string hint = errno switch
                {
                    TunNative.EPERM or TunNative.EACCES =>
                        $" (run as root or create it with `ip tuntap add {name} mode tun user $USER`)",
                    TunNative.EINVAL =>
                        $" ({name} may already exist as a TAP device or with other flags, e.g. multi_queue{(offload ? " or without vnet_hdr" : "")})",
                    TunNative.EBUSY =>
                        $" ({name} is already open by another process)",
                    _ => "",
                };
                throw new TunException($"opening TUN device {name} failed: {TunNative.Describe(errno)}{hint}", errno);
            }

            int length = 0;
            while (length < TunNative.IFNAMSIZ && req.Name[length] != 0)
                length++;
            string actual = Encoding.ASCII.GetString(req.Name, length);
            if (offload)
                EnableOffloads(fd, actual);
            return new TunDevice(handle, actual, offload);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>TUNSETVNETHDRSZ 10, then TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4); throws naming the ioctl the kernel refused.</summary>
    private static void EnableOffloads(int fd, string name)
    {
        int size = Wire.VirtioNetHeader.Length;
        if (TunNative.Ioctl(fd, TunNative.TUNSETVNETHDRSZ, &size) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TunException($"enabling offloads on TUN device {name} failed: TUNSETVNETHDRSZ {size}: {TunNative.Describe(errno)}" +
                " (the kernel does not take a 10-byte virtio_net_hdr; open the device without offloads)", errno);
        }
        const uint offloads = TunNative.TUN_F_CSUM | TunNative.TUN_F_TSO4;
        if (TunNative.Ioctl(fd, TunNative.TUNSETOFFLOAD, (nuint)offloads) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TunException($"enabling offloads on TUN device {name} failed: TUNSETOFFLOAD(TUN_F_CSUM|TUN_F_TSO4): {TunNative.Describe(errno)}" +
                " (the kernel refuses checksum or TSO4 offload on TUN; set TcpActors:Offload false)", errno);
        }
    }

    /// <summary>
    /// Reads one packet into <paramref name="buffer"/>: its length, or 0 when none is waiting. A packet longer
    /// than the buffer is truncated by the kernel.
    /// </summary>
    public int Read(Span<byte> buffer)
    {
        int n = TryRead(buffer, out int errno);
        if (n >= 0)
            return n;
        throw new TunException($"reading from TUN device {Name} failed: {TunNative.Describe(errno)}", errno);
    }

    /// <summary>Writes one packet. Throws <see cref="TunException"/> when the kernel refuses it (EIO while the device is down).</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        if (!TryWrite(packet, out int errno))
            throw new TunException($"writing {packet.Length} bytes to TUN device {Name} failed: {TunNative.Describe(errno)}", errno);
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> (-1: forever) for a packet; true when one is waiting.</summary>
    public bool WaitReadable(int timeoutMilliseconds)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            TunNative.PollFd pfd = new() { Fd = _handle.Fd, Events = TunNative.POLLIN };
            while (true)
            {
                int r = TunNative.Poll(&pfd, 1, timeoutMilliseconds);
                if (r >= 0)
                    return r > 0 && (pfd.Revents & TunNative.POLLIN) != 0;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != TunNative.EINTR)
                    throw new TunException($"waiting on TUN device {Name} failed: {TunNative.Describe(errno)}", errno);
            }
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>One read(): the length; 0 when no packet is waiting (EAGAIN); -1 with <paramref name="errno"/> on failure. Allocates nothing.</summary>
    internal int TryRead(Span<byte> buffer, out int errno)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            while (true)
            {
                nint n;
                fixed (byte* p = buffer)
                    n = TunNative.Read(_handle.Fd, p, (nuint)buffer.Length);
                if (n >= 0)
                {
                    errno = 0;
                    return (int)n;
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno == TunNative.EINTR)
                    continue;
                if (errno == TunNative.EAGAIN)
                {
                    errno = 0;
                    return 0;
                }
                return -1;
            }
        }
        catch (ObjectDisposedException)
        {
            errno = TunNative.EBADF;
            return -1;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>
    /// One write(): true when the kernel took the whole packet. A write on a TUN descriptor is one packet and
    /// atomic, so concurrent writers need no lock. Allocates nothing.
    /// </summary>
    internal bool TryWrite(ReadOnlySpan<byte> packet, out int errno)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            while (true)
            {
                nint n;
                fixed (byte* p = packet)
                    n = TunNative.Write(_handle.Fd, p, (nuint)packet.Length);
                if (n >= 0)
                {
                    // tun_get_user consumes the whole iovec or fails; a short count would be a kernel surprise.
                    errno = n == packet.Length ? 0 : TunNative.EIO;
                    return n == packet.Length;
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != TunNative.EINTR)
                    return false;
            }
        }
        catch (ObjectDisposedException)
        {
            errno = TunNative.EBADF;
            return false;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>
    /// One writev() of <paramref name="header"/> and <paramref name="packet"/> without copying them; with
    /// <paramref name="patchAt"/> &gt;= 0 the two bytes of the packet there are replaced by <paramref name="patch"/> on the
    /// way (a super-segment's partial checksum). True when the kernel took it all. Allocates nothing.
    /// </summary>
    internal bool TryWrite(ReadOnlySpan<byte> header, ReadOnlySpan<byte> packet, int patchAt, ushort patch, out int errno)
    {
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            byte* patchBytes = stackalloc byte[2];
            patchBytes[0] = (byte)(patch >> 8);
            patchBytes[1] = (byte)patch;
            TunNative.IoVec* iov = stackalloc TunNative.IoVec[4];
            int total = header.Length + packet.Length;
            while (true)
            {
                nint n;
                fixed (byte* h = header)
                fixed (byte* p = packet)
                {
                    int count;
                    iov[0] = new TunNative.IoVec { Base = h, Length = (nuint)header.Length };
                    if (patchAt < 0)
                    {
                        iov[1] = new TunNative.IoVec { Base = p, Length = (nuint)packet.Length };
                        count = 2;
                    }
                    else
                    {
                        iov[1] = new TunNative.IoVec { Base = p, Length = (nuint)patchAt };
                        iov[2] = new TunNative.IoVec { Base = patchBytes, Length = 2 };
                        iov[3] = new TunNative.IoVec { Base = p + patchAt + 2, Length = (nuint)(packet.Length - patchAt - 2) };
                        count = 4;
                    }
                    n = TunNative.Writev(_handle.Fd, iov, count);
                }
                if (n >= 0)
                {
                    errno = n == total ? 0 : TunNative.EIO;
                    return n == total;
                }
                errno = Marshal.GetLastPInvokeError();
                if (errno != TunNative.EINTR)
                    return false;
            }
        }
        catch (ObjectDisposedException)
        {
            errno = TunNative.EBADF;
            return false;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>Closes the descriptor (after any read or write in progress returns). A non-persistent device is destroyed.</summary>
    public void Dispose() => _handle.Dispose();
}
