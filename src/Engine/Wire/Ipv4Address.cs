using System.Net;
using System.Net.Sockets;

namespace TcpActors.Engine.Wire;

/// <summary>An IPv4 address as a 32-bit number in host order (198.18.0.1 is 0xC6120001).</summary>
public readonly record struct Ipv4Address(uint Value)
{
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xFFFFFFFF);

    public static Ipv4Address Parse(string text)
    {
        if (!TryParse(text, out var a))
            throw new FormatException($"'{text}' is not a dotted-quad IPv4 address");
        return a;
    }

    /// <summary>Strict dotted-quad: four decimal parts 0..255 (no shorthand such as "10.1").</summary>
    public static bool TryParse(string? text, out Ipv4Address address)
    {
        address = default;
        if (text is null)
            return false;
        uint value = 0;
        int parts = 0, digits = 0, part = 0;
        foreach (char c in text)
        {
            if (c == '.')
            {
                if (digits == 0 || ++parts > 3)
                    return false;
                value = value << 8 | (uint)part;
                part = 0;
                digits = 0;
            }
            else if (c is >= '0' and <= '9' && digits < 3)
            {
                part = part * 10 + (c - '0');
                digits++;
                if (part > 255)
                    return false;
            }
            else
            {
                return false;
            }
        }
        if (parts != 3 || digits == 0)
            return false;
        address = new Ipv4Address(value << 8 | (uint)part);
        return true;
    }

    public static Ipv4Address FromIPAddress(IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetwork
            ? Parse(ip.ToString())
            : throw new ArgumentException($"{ip} is not an IPv4 address", nameof(ip));

    public IPAddress ToIPAddress() =>
        new([(byte)(Value >> 24), (byte)(Value >> 16), (byte)(Value >> 8), (byte)Value]);

    /// <summary>0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4 (multicast) or 240.0.0.0/4 including broadcast:
    /// never a valid source of a TCP segment (RFC 1122 section 3.2.1.3, RFC 9293 section 3.9.1).</summary>
    public bool IsInvalidSource => (Value >> 24) is 0 or 127 || Value >= 0xE0000000;

    public bool IsMulticastOrBroadcast => Value >= 0xE0000000;

    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
}
