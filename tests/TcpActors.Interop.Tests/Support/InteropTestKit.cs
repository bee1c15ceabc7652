using System.Diagnostics;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using TcpActors.Engine;
using TcpActors.Engine.Api;
using TcpActors.Engine.Link;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// Base of the kernel interop tests: a real-time actor system (the stack on its own dispatcher,
/// tcp-actors.stack-dispatcher), a namespace of the test's own with the TUN device, and helpers for kernel
/// sockets in it. Dispose stops the actor system (the I/O actor closes the link) and then deletes the namespace,
/// also when the test failed or the system did not stop cleanly.
/// </summary>
public abstract class InteropTestKit : Akka.TestKit.Xunit2.TestKit
{
    protected static readonly Config RealTime = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NamespaceFixture? _ns;

    /// <param name="offload">Open the namespace's TUN device with offloads (IFF_VNET_HDR, checksum and TSO4).</param>
    protected InteropTestKit(ITestOutputHelper output, Config? config = null, bool offload = false)
        : base(config is null ? RealTime : config.WithFallback(RealTime), output: output)
    {
        if (InteropEnvironment.IsCi || InteropEnvironment.MissingPrerequisite() is null)
        {
            try
            {
                _ns = new NamespaceFixture(offload: offload);
            }
            catch
            {
                base.Dispose(true);
                throw;
            }
        }
    }

    protected NamespaceFixture Ns => _ns!;

    /// <summary>A stack at 198.18.0.2 on the device, its link optionally wrapped (an impairment, a filter).</summary>
    protected TcpStack StartStack(Func<ILink, ILink>? wrap = null)
    {
        ILink link = Ns.CreateLink();
        if (wrap is not null)
            link = wrap(link);
        return TcpStack.Start(Sys, link, NamespaceFixture.StackAddress);
    }

    /// <summary>Binds <paramref name="handler"/> on <paramref name="port"/> and waits for Bound.</summary>
    protected void BindAndWait(TcpStack stack, IActorRef handler, ushort port)
    {
        var binder = CreateTestProbe();
        stack.Manager.Tell(new Bind(handler, port), binder);
        binder.ExpectMsg<Bound>(Wait);
    }

    /// <summary>For helpers outside the test class.</summary>
    public void Bind(TcpStack stack, IActorRef handler, ushort port) => BindAndWait(stack, handler, port);

    /// <summary>For helpers outside the test class.</summary>
    public Socket ConnectClient(ushort port) => ConnectKernelClient(port);

    /// <summary>A kernel TCP socket in the namespace, connected to the stack's <paramref name="port"/> within <see cref="Wait"/>.</summary>
    protected Socket ConnectKernelClient(ushort port)
    {
        var client = Ns.CreateSocket(SocketType.Stream, ProtocolType.Tcp);
        client.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        client.SendTimeout = (int)Wait.TotalMilliseconds;
        using var cts = new CancellationTokenSource(Wait);
        client.ConnectAsync(NamespaceFixture.StackEndPoint(port), cts.Token).AsTask().GetAwaiter().GetResult();
        return client;
    }

    protected static string Counters(TcpStack stack) =>
        string.Join(", ", stack.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"));

    protected static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            Assert.True(n > 0, $"the connection closed after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    /// <summary>`ip netns exec NS ss -tan` (all TCP sockets of the namespace, numeric).</summary>
    protected string KernelSockets()
    {
        var r = Ns.Namespace.ExecProgram("ss", ["-tan"], TimeSpan.FromSeconds(10));
        Assert.True(r.ExitCode == 0, $"ss failed: {r.StandardError}");
        return r.StandardOutput;
    }

    /// <summary>Logs a transfer's size, time and rate to the test output.</summary>
    protected double Report(string what, long bytes, TimeSpan elapsed)
    {
        double mbps = bytes / 1e6 / Math.Max(elapsed.TotalSeconds, 1e-9);
        Output.WriteLine($"{what}: {bytes / 1e6:0.###} MB in {elapsed.TotalSeconds:0.000} s = {mbps:0.00} MB/s");
        return mbps;
    }

    protected static Stopwatch Timer() => Stopwatch.StartNew();

    protected override void Dispose(bool disposing)
    {
        try
        {
            // Stop the actors (the I/O actor disposes the link) before the namespace goes.
            base.Dispose(disposing);
        }
        finally
        {
            if (disposing)
                _ns?.Dispose();
        }
    }
}
