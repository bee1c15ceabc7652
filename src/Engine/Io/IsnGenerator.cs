using System.Buffers.Binary;
using System.Security.Cryptography;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
/// M a timer ticking every 4 microseconds, F SipHash-2-4 truncated to 32 bits. Pure: time is passed in.
/// </summary>
public sealed class IsnGenerator
{
    /// <summary>Smallest accepted key, in bytes.</summary>
    public const int MinKeyBytes = 16;

    private readonly SipHash _f;

    /// <param name="secretKey">At least 16 bytes; longer keys are folded into SipHash's 128-bit key.</param>
    public IsnGenerator(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length < MinKeyBytes)
            throw new ArgumentException($"the secret key must be at least {MinKeyBytes} bytes", nameof(secretKey));
        _f = SipHash.FromKey(secretKey);
    }

    /// <summary>A generator with a fresh key from <see cref="RandomNumberGenerator"/>.</summary>
    public static IsnGenerator CreateRandom()
    {
        Span<byte> key = stackalloc byte[MinKeyBytes];
        RandomNumberGenerator.Fill(key);
        var g = new IsnGenerator(key);
        CryptographicOperations.ZeroMemory(key);
        return g;
    }

    /// <summary>The ISN for a new connection with <paramref name="tuple"/> at time <paramref name="now"/>.</summary>
    public SeqNum Next(in FourTuple tuple, TimeSpan now)
    {
        uint m = unchecked((uint)(now.Ticks / 40)); // 40 ticks of 100 ns = 4 us
        return new SeqNum(unchecked(m + F(tuple)));
    }

    /// <summary>
    /// The per-connection offset added to TSval (RFC 7323 section 7.1, like Linux's tsoffset): keyed like the ISN
    /// but over a different message, so that timestamps reveal neither uptime nor F.
    /// </summary>
    public uint TimestampOffset(in FourTuple tuple)
    {
        Span<byte> msg = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(msg, tuple.LocalAddress.Value);
        BinaryPrimitives.WriteUInt16BigEndian(msg[4..], tuple.LocalPort);
        BinaryPrimitives.WriteUInt32BigEndian(msg[6..], tuple.RemoteAddress.Value);
        BinaryPrimitives.WriteUInt16BigEndian(msg[10..], tuple.RemotePort);
        msg[12] = (byte)'T';
        return (uint)_f.Hash(msg);
    }

    /// <summary>The keyed part F of RFC 6528 section 3.</summary>
    internal uint F(in FourTuple tuple)
    {
        Span<byte> msg = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(msg, tuple.LocalAddress.Value);
        BinaryPrimitives.WriteUInt16BigEndian(msg[4..], tuple.LocalPort);
        BinaryPrimitives.WriteUInt32BigEndian(msg[6..], tuple.RemoteAddress.Value);
        BinaryPrimitives.WriteUInt16BigEndian(msg[10..], tuple.RemotePort);
        return (uint)_f.Hash(msg);
    }
}
