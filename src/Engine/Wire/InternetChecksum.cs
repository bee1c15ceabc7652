using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TcpActors.Engine.Wire;

/// <summary>
/// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the
/// data taken as big-endian 16-bit words; plus the incremental update of RFC 1624.
/// <para>
/// Partial sums are values in 0..0xFFFF in network word order, so they can be added across pieces
/// (pseudo-header, header, payload). Every piece but the last must have an even length.
/// The sum is computed on native (little-endian) words with 256/128-bit vectors when the hardware has
/// them, and byte-swapped once at the end (RFC 1071 section 2(B): the sum is byte-order independent).
/// </para>
/// </summary>
public static class InternetChecksum
{
    /// <summary>One's complement sum of <paramref name="data"/> added to <paramref name="partial"/>; result in 0..0xFFFF.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Accumulate(ReadOnlySpan<byte> data, uint partial = 0)
    {
        ulong native = SumNative(data);
        uint folded = Fold(native);
        uint network = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)folded) : folded;
        return Fold(network + (ulong)partial);
    }

    /// <summary>The checksum field value for a partial sum: its one's complement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(uint partial) => (ushort)~Fold(partial);

    /// <summary>The checksum of one buffer (e.g. an IPv4 header with its checksum field zeroed).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Accumulate(data));

    /// <summary>True when data that contains its own checksum field sums to 0xFFFF (i.e. is intact).</summary>
    public static bool IsValid(ReadOnlySpan<byte> data, uint partial = 0) => Accumulate(data, partial) == 0xFFFF;

    /// <summary>The sum of the TCP/UDP pseudo-header (RFC 9293 section 3.1): addresses, zero, protocol, length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PseudoHeader(uint source, uint destination, byte protocol, int length) =>
        Fold((ulong)(source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (uint)length);

    /// <summary>
    /// RFC 1624 equation 3: the new checksum after one 16-bit word of the covered data changes from
    /// <paramref name="oldWord"/> to <paramref name="newWord"/>: HC' = ~(~HC + ~m + m').
    /// </summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord) =>
        (ushort)~Fold((uint)(ushort)~checksum + (uint)(ushort)~oldWord + newWord);

    /// <summary>RFC 1624 update for a 32-bit field (an address or a sequence number).</summary>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue)
    {
        ushort c = Update(checksum, (ushort)(oldValue >> 16), (ushort)(newValue >> 16));
        return Update(c, (ushort)oldValue, (ushort)newValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        uint s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        return s;
    }

    /// <summary>Sum of the buffer as native-order 16-bit words, unfolded (the one's complement sum is Fold of it).</summary>
    internal static ulong SumNative(ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint n = (nuint)data.Length;
        nuint i = 0;
        ulong total = 0;

        if (Vector256.IsHardwareAccelerated && n >= 64)
        {
            var mask = Vector256.Create(0xFFFFu);
            while (n - i >= 64)
            {
                // Each step adds < 2^17 to a 32-bit lane: 16,384 steps cannot overflow it.
                var acc0 = Vector256<uint>.Zero;
                var acc1 = Vector256<uint>.Zero;
                nuint steps = Math.Min((n - i) / 64, 16384);
                for (nuint s = 0; s < steps; s++, i += 64)
                {
                    var v0 = Vector256.LoadUnsafe(ref p, i).AsUInt32();
                    var v1 = Vector256.LoadUnsafe(ref p, i + 32).AsUInt32();
                    acc0 += (v0 & mask) + (v0 >> 16);
                    acc1 += (v1 & mask) + (v1 >> 16);
                }
                var (a, b) = Vector256.Widen(acc0);
                var (c, d) = Vector256.Widen(acc1);
                total += Vector256.Sum(a + b + c + d);
            }
        }

        if (Vector128.IsHardwareAccelerated && n - i >= 16)
        {
            var mask = Vector128.Create(0xFFFFu);
            while (n - i >= 16)
            {
                var acc = Vector128<uint>.Zero;
                nuint steps = Math.Min((n - i) / 16, 16384);
                for (nuint s = 0; s < steps; s++, i += 16)
                {
                    var v = Vector128.LoadUnsafe(ref p, i).AsUInt32();
                    acc += (v & mask) + (v >> 16);
                }
                var (a, b) = Vector128.Widen(acc);
                total += Vector128.Sum(a + b);
            }
        }

        // Scalar fallback: 32-bit words into a 64-bit accumulator (RFC 1071 section 2(C), "parallel summation").
        while (n - i >= 8)
        {
            ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i));
            total += (w & 0xFFFFFFFF) + (w >> 32);
            i += 8;
        }
        if (n - i >= 4)
        {
            total += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i));
            i += 4;
        }
        if (n - i >= 2)
        {
            total += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref p, i));
            i += 2;
        }
        if (n - i == 1)
        {
            // The odd last byte is the high-order byte of a word padded with zero (network order);
            // in a native little-endian word that is the low byte.
            byte last = Unsafe.Add(ref p, i);
            total += BitConverter.IsLittleEndian ? last : (uint)last << 8;
        }
        return total;
    }

    /// <summary>The textbook loop (RFC 1071 section 4.1), one big-endian word at a time: the oracle and the benchmark baseline.</summary>
    internal static uint AccumulateReference(ReadOnlySpan<byte> data, uint partial = 0)
    {
        ulong sum = partial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return Fold(sum);
    }
}
