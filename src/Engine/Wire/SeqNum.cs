using System.Runtime.CompilerServices;

namespace TcpActors.Engine.Wire;

/// <summary>
/// A TCP sequence or acknowledgment number: a point in the 2^32 sequence space (RFC 9293 section 3.4).
/// Comparison is modulo 2^32: <c>a &lt; b</c> means b lies less than 2^31 ahead of a.
/// Every sequence number in the engine is a <see cref="SeqNum"/>, never a raw uint.
/// </summary>
public readonly struct SeqNum : IEquatable<SeqNum>, IComparable<SeqNum>
{
    public readonly uint Value;

    public SeqNum(uint value) => Value = value;

    public static implicit operator SeqNum(uint value) => new(value);
    public static explicit operator uint(SeqNum s) => s.Value;

    /// <summary>Advance by <paramref name="n"/> octets (wraps modulo 2^32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SeqNum operator +(SeqNum s, int n) => new(unchecked(s.Value + (uint)n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SeqNum operator +(SeqNum s, uint n) => new(unchecked(s.Value + n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SeqNum operator -(SeqNum s, int n) => new(unchecked(s.Value - (uint)n));

    /// <summary>Signed distance from <paramref name="b"/> to <paramref name="a"/> (a - b), in -2^31 .. 2^31-1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    public static bool operator <(SeqNum a, SeqNum b) => a - b < 0;
    public static bool operator >(SeqNum a, SeqNum b) => a - b > 0;
    public static bool operator <=(SeqNum a, SeqNum b) => a - b <= 0;
    public static bool operator >=(SeqNum a, SeqNum b) => a - b >= 0;
    public static bool operator ==(SeqNum a, SeqNum b) => a.Value == b.Value;
    public static bool operator !=(SeqNum a, SeqNum b) => a.Value != b.Value;

    /// <summary>lo &lt;= this &lt; hi, modulo 2^32 (the "=&lt; ... &lt;" tests of RFC 9293 section 3.4).</summary>
    public bool InRange(SeqNum lo, SeqNum hi) => unchecked(Value - lo.Value) < unchecked(hi.Value - lo.Value);

    /// <summary>lo &lt; this &lt;= hi, modulo 2^32 (the acceptable-ACK test SND.UNA &lt; SEG.ACK =&lt; SND.NXT).</summary>
    public bool InRangeExclusiveInclusive(SeqNum lo, SeqNum hi) =>
        unchecked(Value - lo.Value - 1) < unchecked(hi.Value - lo.Value);

    public static SeqNum Max(SeqNum a, SeqNum b) => a >= b ? a : b;
    public static SeqNum Min(SeqNum a, SeqNum b) => a <= b ? a : b;

    public int CompareTo(SeqNum other) => Math.Sign(this - other);
    public bool Equals(SeqNum other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is SeqNum s && s.Value == Value;
    public override int GetHashCode() => (int)Value;
    public override string ToString() => Value.ToString();
}
