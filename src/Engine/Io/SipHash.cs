using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace TcpActors.Engine.Io;

/// <summary>SipHash-2-4 (Aumasson and Bernstein), the keyed PRF behind ISNs and ephemeral port offsets.</summary>
internal readonly struct SipHash
{
    private readonly ulong _k0, _k1;

    public SipHash(ulong k0, ulong k1)
    {
        _k0 = k0;
        _k1 = k1;
    }

    /// <summary>Key from bytes: a 16-byte key is used as is; other lengths are XOR-folded into 16 bytes.</summary>
    public static SipHash FromKey(ReadOnlySpan<byte> key)
    {
        Span<byte> k = stackalloc byte[16];
        k.Clear();
        for (int i = 0; i < key.Length; i++)
            k[i % 16] ^= key[i];
        var h = new SipHash(BinaryPrimitives.ReadUInt64LittleEndian(k), BinaryPrimitives.ReadUInt64LittleEndian(k[8..]));
        k.Clear();
        return h;
    }

    public ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575UL ^ _k0;
        ulong v1 = 0x646f72616e646f6dUL ^ _k1;
        ulong v2 = 0x6c7967656e657261UL ^ _k0;
        ulong v3 = 0x7465646279746573UL ^ _k1;
        int whole = data.Length & ~7;
        for (int i = 0; i < whole; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }
        ulong b = (ulong)data.Length << 56;
        for (int j = 0; j < (data.Length & 7); j++)
            b |= (ulong)data[whole + j] << (8 * j);
        v3 ^= b;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= b;
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++)
            Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
    }
}
