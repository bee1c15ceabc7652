namespace TcpActors.Engine.Wire;

/// <summary>The control bits of the TCP header (RFC 9293 section 3.1; ECE and CWR from RFC 3168).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

public static class TcpFlagsExtensions
{
    /// <summary>packetdrill / tcpdump style: "S.", "P.", "F.", "R", "." for a bare ACK.</summary>
    public static string ToShortString(this TcpFlags f)
    {
        Span<char> c = stackalloc char[9];
        int n = 0;
        if ((f & TcpFlags.Syn) != 0) c[n++] = 'S';
        if ((f & TcpFlags.Fin) != 0) c[n++] = 'F';
        if ((f & TcpFlags.Rst) != 0) c[n++] = 'R';
        if ((f & TcpFlags.Psh) != 0) c[n++] = 'P';
        if ((f & TcpFlags.Urg) != 0) c[n++] = 'U';
        if ((f & TcpFlags.Ece) != 0) c[n++] = 'E';
        if ((f & TcpFlags.Cwr) != 0) c[n++] = 'W';
        if ((f & TcpFlags.Ack) != 0) c[n++] = '.';
        return new string(c[..n]);
    }
}
