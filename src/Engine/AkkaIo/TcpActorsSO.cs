using System.Net.Sockets;
using Akka.IO;

namespace TcpActors.Engine.AkkaIo;

/// <summary>
/// TCP socket options that Akka.IO 1.5 has no class for (its <c>Inet.SO</c> has only ReceiveBufferSize,
/// SendBufferSize, ReuseAddress and TrafficClass). They are ordinary <see cref="Inet.SocketOption"/>s: given to
/// Akka.IO's own Tcp manager they set the kernel socket's options, given to TcpActors they set the connection's.
/// </summary>
public static class TcpActorsSO
{
    /// <summary>SO_KEEPALIVE, with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT when given.</summary>
    public sealed class KeepAlive(bool on, TimeSpan? idle = null, TimeSpan? interval = null, int? count = null) : Inet.SocketOption
    {
        public bool On { get; } = on;
        public TimeSpan? Idle { get; } = idle;
        public TimeSpan? Interval { get; } = interval;
        public int? Count { get; } = count;

        public override void BeforeServerSocketBind(Socket s) => Apply(s);
        public override void AfterConnect(Socket s) => Apply(s);

        private void Apply(Socket s)
        {
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, On);
            if (Idle is { } i)
                s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Ceiling(i.TotalSeconds));
            if (Interval is { } v)
                s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)Math.Ceiling(v.TotalSeconds));
            if (Count is { } c)
                s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, c);
        }

        public override string ToString() => $"KeepAlive({On}, idle {Idle}, interval {Interval}, count {Count})";
    }

    /// <summary>TCP_NODELAY: on (Akka.IO's default) sends short segments at once; off runs the Nagle algorithm.</summary>
    public sealed class TcpNoDelay(bool on) : Inet.SocketOption
    {
        public bool On { get; } = on;

        public override void BeforeServerSocketBind(Socket s) => s.NoDelay = On;
        public override void AfterConnect(Socket s) => s.NoDelay = On;

        public override string ToString() => $"TcpNoDelay({On})";
    }
}
