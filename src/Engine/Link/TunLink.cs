using System.Buffers;
using System.Runtime.InteropServices;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Link;

/// <summary>
/// A link over a <see cref="TunDevice"/>. Arriving packets are read by one dedicated background thread into one
/// reusable buffer and handed to the receiver on that thread (nothing is allocated per packet). The thread reads
/// until the device is empty (and, with <see cref="BusyPollReads"/>, that many times more), then sleeps in poll() on
/// the device and an eventfd that <see cref="Dispose"/> signals, so Dispose never waits on a blocked read().
/// <see cref="Send"/> is one synchronous write() per packet: a TUN write is one packet and atomic, so sends from
/// several threads need no lock. A packet the kernel refuses (device down, no buffer space, malformed) is dropped and
/// counted; a read error, an unexpected write error or a receiver that throws goes to
/// <see cref="ILinkReceiver.OnLinkFailed"/> once, and the read thread ends.
/// <para>
/// On a device opened with offloads (<see cref="TunDevice.Offload"/>) every read brings a virtio_net_hdr and a
/// packet of up to 64 KB (a TCP/IPv4 GSO super-segment): the header is checked and stripped, a partial TCP checksum
/// is completed in place (<see cref="TcpOffload.CompleteArriving"/>), and the receiver gets the plain IPv4 packet; a
/// bad header is dropped and counted (<see cref="OffloadDrops"/>). <see cref="Send"/> takes plain IPv4 packets up to
/// <see cref="GsoMaxSize"/>: a TCP packet larger than the MTU goes out as a TCPV4 super-segment that the kernel cuts
/// into MTU-sized segments; the header and the packet go in one writev() without a copy.
/// </para>
/// </summary>
public sealed unsafe class TunLink : ILink
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(5);

    private readonly TunDevice _device;
    private readonly bool _ownsDevice;
    private ILinkReceiver? _receiver;
    private FdHandle? _wake;
    private Thread? _thread;
    private volatile bool _disposed;
    private int _failed;
    private long _packetsIn;
    private long _packetsOut;
    private long _sendDrops;
    private long _oversizeDrops;
    private int _lastSendErrno;
    private long _superSegmentsIn;
    private long _superSegmentsOut;
    private long _offloadDrops;
    private long _busyPolledPackets;
    private int _lastOffloadDrop;

    /// <param name="device">The open device; disposed with the link when <paramref name="ownsDevice"/>.</param>
    /// <param name="mtu">The device's MTU as configured on the kernel side (ip link set DEV mtu M).</param>
    /// <param name="busyPollReads">How many more times the read thread tries the empty device before it sleeps in
    /// poll() (<see cref="BusyPollReads"/>); 0, the default, sleeps at once.</param>
    public TunLink(TunDevice device, int mtu = 1500, bool ownsDevice = true, int busyPollReads = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(busyPollReads);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(busyPollReads, MaxBusyPollReads);
        _device = device;
        _ownsDevice = ownsDevice;
        Mtu = mtu;
        BusyPollReads = busyPollReads;
    }

    /// <summary>The largest <see cref="BusyPollReads"/> (about a millisecond of reads).</summary>
    public const int MaxBusyPollReads = 10_000;

    public int Mtu { get; }

    /// <summary>
    /// Busy polling, as Linux's net.core.busy_read: after a batch, the read thread tries the empty device this many
    /// more times (one non-blocking read() each, no clock) before it sleeps in poll(), so that a packet arriving soon
    /// after (the next request of a request/response exchange) is taken without the cost of waking a sleeping thread.
    /// It spends CPU for latency; the batch's end is signalled before the spinning starts.
    /// </summary>
    public int BusyPollReads { get; }

    /// <summary>Packets the read thread took while busy polling, i.e. without sleeping and being woken for them.</summary>
    public long BusyPolledPackets => Interlocked.Read(ref _busyPolledPackets);

    /// <summary>With offloads the largest IPv4 packet <see cref="Send"/> takes (65535), else 0.</summary>
    public int GsoMaxSize => _device.Offload ? Ipv4Packet.MaxTotalLength : 0;

    public TunDevice Device => _device;

    /// <summary>Offload mode: GSO super-segments (gso_type TCPV4) read from the device.</summary>
    public long SuperSegmentsIn => Interlocked.Read(ref _superSegmentsIn);

    /// <summary>Offload mode: packets larger than the MTU written as GSO super-segments for the kernel to cut.</summary>
    public long SuperSegmentsOut => Interlocked.Read(ref _superSegmentsOut);

    /// <summary>Offload mode: packets read with a virtio_net_hdr that is malformed or does not fit the packet; see <see cref="LastOffloadDrop"/>.</summary>
    public long OffloadDrops => Interlocked.Read(ref _offloadDrops);

    /// <summary>Why the last packet counted in <see cref="OffloadDrops"/> was dropped.</summary>
    public DropReason LastOffloadDrop => (DropReason)Volatile.Read(ref _lastOffloadDrop);

    /// <summary>Packets read from the device and handed to the receiver.</summary>
    public long PacketsIn => Interlocked.Read(ref _packetsIn);

    /// <summary>Packets the kernel accepted.</summary>
    public long PacketsOut => Interlocked.Read(ref _packetsOut);

    /// <summary>Packets the kernel refused (device down, no buffer space, malformed); see <see cref="LastSendErrno"/>.</summary>
    public long SendDrops => Interlocked.Read(ref _sendDrops);

    /// <summary>Packets larger than <see cref="Mtu"/> (offload mode: than <see cref="GsoMaxSize"/>, or not TCP), never written.</summary>
    public long OversizeDrops => Interlocked.Read(ref _oversizeDrops);

    /// <summary>The errno of the last refused write, 0 if none.</summary>
    public int LastSendErrno => Volatile.Read(ref _lastSendErrno);

    public void Start(ILinkReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _receiver, receiver, null) is not null)
            throw new InvalidOperationException("the link has already been started");
        int efd = TunNative.EventFd(0, TunNative.EFD_NONBLOCK | TunNative.EFD_CLOEXEC);
        if (efd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TunException($"starting the link on TUN device {_device.Name} failed: eventfd: {TunNative.Describe(errno)}", errno);
        }
        _wake = new FdHandle(efd);
        _thread = new Thread(ReadLoop)
        {
            IsBackground = true,
            Name = $"tun-read {_device.Name}",
        };
        _thread.Start();
    }

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (_disposed)
            return;
        int errno;
        if (_device.Offload)
        {
            if (SendWithHeader(packet, out errno))
                return;
            if (errno == 0)
            {
                Interlocked.Increment(ref _oversizeDrops);
                return;
            }
        }
        else
        {
            if (packet.Length > Mtu)
            {
                Interlocked.Increment(ref _oversizeDrops);
                return;
            }
            if (_device.TryWrite(packet, out errno))
            {
                Interlocked.Increment(ref _packetsOut);
                return;
            }
        }
        if (_disposed)
            return;
        switch (errno)
        {
            // What a peer or a congested path would do with the packet: drop it.
            case TunNative.EIO:       // the interface is down
            case TunNative.EAGAIN:
            case TunNative.ENOBUFS:
            case TunNative.ENOMEM:
            case TunNative.EINVAL:    // not a packet the kernel accepts
            case TunNative.EMSGSIZE:
                Interlocked.Increment(ref _sendDrops);
                Volatile.Write(ref _lastSendErrno, errno);
                return;
            default:
                Interlocked.Increment(ref _sendDrops);
                Volatile.Write(ref _lastSendErrno, errno);
                Fail(new TunException($"writing to TUN device {_device.Name} failed: {TunNative.Describe(errno)}", errno));
                return;
        }
    }

    /// <summary>
    /// Offload mode: the virtio_net_hdr and the packet in one writev(). Packets within the MTU go with their full
    /// checksum, flags 0 and GSO NONE: the codec computed that checksum already, and the packet stays correct for
    /// whatever the kernel does with it (forwarding, a capture on the device). Larger TCP packets get TCPV4 GSO and
    /// NEEDS_CSUM with the pseudo-header sum in their checksum field. True when written; false with errno 0 when
    /// nothing can cut the packet (larger than the MTU and not TCP), else with the write's errno.
    /// </summary>
    private bool SendWithHeader(ReadOnlySpan<byte> packet, out int errno)
    {
        errno = 0;
        if (packet.Length > Ipv4Packet.MaxTotalLength
            || !TcpOffload.ForSending(packet, Mtu, out var header, out int checksumAt, out ushort partial))
            return false;
        Span<byte> vnet = stackalloc byte[VirtioNetHeader.Length];
        header.Write(vnet);
        if (!_device.TryWrite(vnet, packet, checksumAt, partial, out errno))
            return false;
        Interlocked.Increment(ref _packetsOut);
        if (header.IsGso)
            Interlocked.Increment(ref _superSegmentsOut);
        return true;
    }

    private void ReadLoop()
    {
        Io.LinkThread.MarkCurrent();   // the stack's dispatcher may run actors here (Io.LinkThreadExecutor)
        if (_device.Offload)
        {
            ReadPackets(VirtioNetHeader.Length + Ipv4Packet.MaxTotalLength, headerLength: VirtioNetHeader.Length);
            return;
        }
        ReadPackets(Mtu, headerLength: 0);
    }

    /// <summary>Offload mode: checks and strips the header and completes a partial checksum; false when the packet is dropped.</summary>
    private bool TakeHeader(Span<byte> read, out int superSegment)
    {
        superSegment = 0;
        var reason = VirtioNetHeader.TryParse(read, out var header);
        if (reason == DropReason.None)
            reason = TcpOffload.CompleteArriving(read[VirtioNetHeader.Length..], header);
        if (reason != DropReason.None)
        {
            Interlocked.Increment(ref _offloadDrops);
            Volatile.Write(ref _lastOffloadDrop, (int)reason);
            return false;
        }
        superSegment = header.IsGso ? 1 : 0;
        return true;
    }

    private void ReadPackets(int bufferSize, int headerLength)
    {
        ILinkReceiver receiver = _receiver!;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        bool wakeAdded = false;
        FdHandle wake = _wake!;
        try
        {
            wake.DangerousAddRef(ref wakeAdded);
            TunNative.PollFd* fds = stackalloc TunNative.PollFd[2];
            bool delivered = false;
            int spins = 0;           // empty reads left before poll()
            bool spinning = false;   // an empty read since the last packet, and no poll() since
            while (!_disposed)
            {
                int n = _device.TryRead(buffer.AsSpan(0, bufferSize), out int errno);
                if (n > 0)
                {
                    if (headerLength > 0)
                    {
                        if (!TakeHeader(buffer.AsSpan(0, n), out int superSegment))
                            continue;
                        if (superSegment != 0)
                            Interlocked.Increment(ref _superSegmentsIn);
                    }
                    Interlocked.Increment(ref _packetsIn);
                    if (spinning)
                        Interlocked.Increment(ref _busyPolledPackets);
                    spinning = false;
                    receiver.OnPacket(new ReadOnlySpan<byte>(buffer, headerLength, n - headerLength));
                    delivered = true;
                    spins = BusyPollReads;
                    continue;
                }
                if (n < 0)
                {
                    if (!_disposed)
                        Fail(new TunException($"reading from TUN device {_device.Name} failed: {TunNative.Describe(errno)}", errno));
                    return;
                }

                // Nothing waiting: what this batch owes goes out (the ACKs that waited for its end), then, after
                // BusyPollReads more tries, sleep until a packet arrives or Dispose signals the eventfd.
                if (delivered)
                {
                    delivered = false;
                    receiver.OnBatchEnd();
                }
                if (spins > 0)
                {
                    spins--;
                    spinning = true;
                    continue;
                }
                spinning = false;
                if (!PollDevice(fds, wake.Fd, out int pollErrno))
                {
                    if (!_disposed)
                        Fail(new TunException($"waiting on TUN device {_device.Name} failed: {TunNative.Describe(pollErrno)}", pollErrno));
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // The receiver threw: nothing sensible can be delivered after that.
            if (!_disposed)
                Fail(e);
        }
        finally
        {
            if (wakeAdded)
                wake.DangerousRelease();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>poll() on the device and the wake-up eventfd; false on an error (or a hang-up of the device).</summary>
    private bool PollDevice(TunNative.PollFd* fds, int wakeFd, out int errno)
    {
        bool added = false;
        FdHandle device = _device.Handle;
        try
        {
            device.DangerousAddRef(ref added);
            fds[0] = new TunNative.PollFd { Fd = device.Fd, Events = TunNative.POLLIN };
            fds[1] = new TunNative.PollFd { Fd = wakeFd, Events = TunNative.POLLIN };
            while (true)
            {
                int r = TunNative.Poll(fds, 2, -1);
                if (r >= 0)
                    break;
                errno = Marshal.GetLastPInvokeError();
                if (errno != TunNative.EINTR)
                    return false;
            }
            const short bad = TunNative.POLLERR | TunNative.POLLHUP | TunNative.POLLNVAL;
            if ((fds[0].Revents & bad) != 0 && (fds[0].Revents & TunNative.POLLIN) == 0)
            {
                errno = (fds[0].Revents & TunNative.POLLNVAL) != 0 ? TunNative.EBADF : TunNative.EIO;
                return false;
            }
            errno = 0;
            return true;
        }
        catch (ObjectDisposedException)
        {
            errno = TunNative.EBADF;
            return false;
        }
        finally
        {
            if (added)
                device.DangerousRelease();
        }
    }

    private void Fail(Exception cause)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0)
            _receiver?.OnLinkFailed(cause);
    }

    /// <summary>
    /// Stops the read thread (waking it through the eventfd, joining it for at most 5 s unless called on it) and
    /// closes the device if the link owns it. Nothing is delivered or sent afterwards. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        FdHandle? wake = _wake;
        if (wake is not null)
        {
            bool added = false;
            try
            {
                wake.DangerousAddRef(ref added);
                ulong one = 1;
                TunNative.Write(wake.Fd, (byte*)&one, sizeof(ulong));
            }
            finally
            {
                if (added)
                    wake.DangerousRelease();
            }
            Thread? thread = _thread;
            if (thread is not null && thread != Thread.CurrentThread)
                thread.Join(JoinTimeout);
            wake.Dispose();
        }
        if (_ownsDevice)
            _device.Dispose();
    }
}
