namespace TcpActors.Engine.Link;

/// <summary>Configures the kernel side of a TUN device with iproute2's <c>ip</c>.</summary>
public static class DeviceSetup
{
    /// <summary>
    /// Sets the MTU and TX queue length of <paramref name="device"/>, brings it up and gives the kernel side the
    /// address <paramref name="peerAddressCidr"/> (e.g. 198.18.0.1/24; replaced if already there). With
    /// <paramref name="netns"/> the device is looked up in that namespace (<c>ip -n</c>).
    /// </summary>
    public static void Configure(string? netns, string device, string peerAddressCidr, int mtu, int txQueueLen = 1000)
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
