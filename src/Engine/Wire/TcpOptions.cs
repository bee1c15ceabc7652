using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace TcpActors.Engine.Wire;

/// <summary>One SACK block (RFC 2018): the octets Left .. Right-1 were received.</summary>
public readonly record struct SackBlock(SeqNum Left, SeqNum Right)
{
    public override string ToString() => $"{Left.Value}:{Right.Value}";
}

/// <summary>Inline storage for up to four SACK blocks, so options never allocate.</summary>
[InlineArray(TcpOptions.MaxSackBlocks)]
public struct SackBlockArray
{
    private SackBlock _first;
}

/// <summary>The TCP option kinds the endpoint knows (IANA "TCP Option Kind Numbers").</summary>
public static class TcpOptionKind
{
    public const byte EndOfList = 0;
    public const byte NoOperation = 1;
    public const byte MaximumSegmentSize = 2;
    public const byte WindowScale = 3;
    public const byte SackPermitted = 4;
    public const byte Sack = 5;
    public const byte Timestamps = 8;
}

/// <summary>
/// The options of one TCP segment: MSS (RFC 9293 3.7.1), window scale and timestamps (RFC 7323),
/// SACK-permitted and SACK blocks (RFC 2018). Unknown options are skipped when parsing and not kept.
/// Written in the order and layout Linux uses (mss, sackOK, TS, nop, wscale; NOP-padded), so that
/// captures of this stack look like captures of Linux.
/// </summary>
public struct TcpOptions
{
    public const int MaxSackBlocks = 4;
    /// <summary>The TCP header has at most 40 bytes of options.</summary>
    public const int MaxLength = 40;

    public ushort? Mss;
    public byte? WindowScale;
    public bool SackPermitted;
    public bool HasTimestamps;
    public uint TsVal;
    public uint TsEcr;
    private SackBlockArray _sack;
    private byte _sackCount;

    public readonly int SackCount => _sackCount;
    public readonly SackBlock Sack(int i) => (uint)i < _sackCount ? _sack[i] : throw new ArgumentOutOfRangeException(nameof(i));
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<SackBlock> SackBlocks => ((ReadOnlySpan<SackBlock>)_sack)[.._sackCount];

    public void SetTimestamps(uint tsVal, uint tsEcr)
    {
        HasTimestamps = true;
        TsVal = tsVal;
        TsEcr = tsEcr;
    }

    /// <summary>Adds a SACK block; false when four are already held.</summary>
    public bool AddSack(SackBlock block)
    {
        if (_sackCount >= MaxSackBlocks)
            return false;
        _sack[_sackCount++] = block;
        return true;
    }

    public void ClearSack() => _sackCount = 0;

    public readonly bool IsEmpty => Mss is null && WindowScale is null && !SackPermitted && !HasTimestamps && _sackCount == 0;

    /// <summary>
    /// Parses the options area of a TCP header. EOL ends the list; NOP is skipped; an unknown option
    /// is skipped by its length. A length below 2, past the end of the area, or wrong for a known kind
    /// (MSS 4, WS 3, SACK-permitted 2, TS 10, SACK 2+8n with n 1..4) rejects the segment (RFC 9293
    /// section 3.1: be prepared for an illegal option length). Never throws.
    /// </summary>
    public static DropReason TryParse(ReadOnlySpan<byte> area, out TcpOptions options)
    {
        options = default;
        int i = 0;
        while (i < area.Length)
        {
            byte kind = area[i];
            if (kind == TcpOptionKind.EndOfList)
                break;
            if (kind == TcpOptionKind.NoOperation)
            {
                i++;
                continue;
            }
            if (i + 1 >= area.Length)
                return DropReason.BadOption;
            int len = area[i + 1];
            if (len < 2 || i + len > area.Length)
                return DropReason.BadOption;
            var body = area.Slice(i + 2, len - 2);
            switch (kind)
            {
                case TcpOptionKind.MaximumSegmentSize:
                    if (len != 4) return DropReason.BadOption;
                    options.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case TcpOptionKind.WindowScale:
                    if (len != 3) return DropReason.BadOption;
                    options.WindowScale = body[0];
                    break;
                case TcpOptionKind.SackPermitted:
                    if (len != 2) return DropReason.BadOption;
                    options.SackPermitted = true;
                    break;
                case TcpOptionKind.Timestamps:
                    if (len != 10) return DropReason.BadOption;
                    options.SetTimestamps(BinaryPrimitives.ReadUInt32BigEndian(body), BinaryPrimitives.ReadUInt32BigEndian(body[4..]));
                    break;
                case TcpOptionKind.Sack:
                    int n = (len - 2) / 8;
                    if ((len - 2) % 8 != 0 || n < 1 || n > MaxSackBlocks) return DropReason.BadOption;
                    options._sackCount = 0;
                    for (int b = 0; b < n; b++)
                        options.AddSack(new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8)..]), BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8 + 4)..])));
                    break;
            }
            i += len;
        }
        return DropReason.None;
    }

    /// <summary>How many SACK blocks fit beside the other options in 40 bytes.</summary>
    private readonly int SackBlocksThatFit()
    {
        int fixedLen = FixedLength();
        int room = MaxLength - fixedLen - 4;
        return room < 8 ? 0 : Math.Min(_sackCount, room / 8);
    }

    private readonly int FixedLength()
    {
        int len = 0;
        if (Mss.HasValue) len += 4;
        if (HasTimestamps) len += 12;
        else if (SackPermitted) len += 4;
        if (WindowScale.HasValue) len += 4;
        return len;
    }

    /// <summary>Bytes <see cref="Write"/> will produce: always a multiple of 4, at most 40.</summary>
    public readonly int Length
    {
        get
        {
            int blocks = SackBlocksThatFit();
            return FixedLength() + (blocks > 0 ? 4 + 8 * blocks : 0);
        }
    }

    /// <summary>
    /// Writes the options in Linux's layout: MSS; then sackOK+TS as one word pair (or NOP NOP TS, or
    /// NOP NOP sackOK); NOP wscale; NOP NOP SACK blocks (as many as fit). Returns the bytes written.
    /// </summary>
    public readonly int Write(Span<byte> dest)
    {
        int len = Length;
        if (dest.Length < len)
            throw new ArgumentException($"options need {len} bytes, the buffer has {dest.Length}", nameof(dest));
        int i = 0;
        if (Mss is ushort mss)
        {
            dest[i++] = TcpOptionKind.MaximumSegmentSize;
            dest[i++] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(dest[i..], mss);
            i += 2;
        }
        if (HasTimestamps)
        {
            if (SackPermitted)
            {
                dest[i++] = TcpOptionKind.SackPermitted;
                dest[i++] = 2;
            }
            else
            {
                dest[i++] = TcpOptionKind.NoOperation;
                dest[i++] = TcpOptionKind.NoOperation;
            }
            dest[i++] = TcpOptionKind.Timestamps;
            dest[i++] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(dest[i..], TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(dest[(i + 4)..], TsEcr);
            i += 8;
        }
        else if (SackPermitted)
        {
            dest[i++] = TcpOptionKind.NoOperation;
            dest[i++] = TcpOptionKind.NoOperation;
            dest[i++] = TcpOptionKind.SackPermitted;
            dest[i++] = 2;
        }
        if (WindowScale is byte ws)
        {
            dest[i++] = TcpOptionKind.NoOperation;
            dest[i++] = TcpOptionKind.WindowScale;
            dest[i++] = 3;
            dest[i++] = ws;
        }
        int blocks = SackBlocksThatFit();
        if (blocks > 0)
        {
            dest[i++] = TcpOptionKind.NoOperation;
            dest[i++] = TcpOptionKind.NoOperation;
            dest[i++] = TcpOptionKind.Sack;
            dest[i++] = (byte)(2 + 8 * blocks);
            for (int b = 0; b < blocks; b++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(dest[i..], _sack[b].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(dest[(i + 4)..], _sack[b].Right.Value);
                i += 8;
            }
        }
        return i;
    }

    /// <summary>packetdrill style: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7".</summary>
    public override readonly string ToString()
    {
        var sb = new StringBuilder();
        void Add(string s) { if (sb.Length > 0) sb.Append(','); sb.Append(s); }
        if (Mss is ushort m) Add($"mss {m}");
        if (SackPermitted) Add("sackOK");
        if (HasTimestamps) Add($"TS val {TsVal} ecr {TsEcr}");
        if (WindowScale is byte w) Add($"nop,wscale {w}");
        if (_sackCount > 0)
        {
            var blocks = new StringBuilder("sack");
            foreach (var b in SackBlocks) blocks.Append(' ').Append(b);
            Add(blocks.ToString());
        }
        return sb.ToString();
    }
}
