namespace TcpActors.Engine.Link;

/// <summary>Configures the kernel side of a TUN device with iproute2's <c>ip</c>.</summary>
public static class DeviceSetup
{
    /// <summary>The TX queue length devices get unless told otherwise: room for the ACKs of a 4 MiB send buffer's burst.</summary>
    public const int DefaultTxQueueLength = 8192;

    /// <summary>
    /// Sets the MTU and TX queue length of <paramref name="device"/>, brings it up and gives the kernel side the
    /// address <paramref name="peerAddressCidr"/> (e.g. 198.18.0.1/24; replaced if already there). With
    /// <paramref name="netns"/> the device is looked up in that namespace (<c>ip -n</c>). The TX queue holds what the
    /// kernel sends towards the stack while the stack's thread is busy (writing a burst, say); Linux gives a TUN
    /// device 500, and at 1000 a sender's burst overflowed it with the peer's ACKs (bench/README.md, round 5).
    /// </summary>
    public static void Configure(string? netns, string device, string peerAddressCidr, int mtu, int txQueueLen = DefaultTxQueueLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        ArgumentException.ThrowIfNullOrEmpty(peerAddressCidr);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(txQueueLen);
        string[] ns = netns is null ? [] : ["-n", netns];
        IpCommand.Ip([.. ns, "link", "set", "dev", device, "mtu", mtu.ToString(), "txqueuelen", txQueueLen.ToString()]);
        IpCommand.Ip([.. ns, "addr", "replace", peerAddressCidr, "dev", device]);
        IpCommand.Ip([.. ns, "link", "set", "dev", device, "up"]);
    }
}
