using System.Buffers.Binary;

namespace TcpActors.Engine.Wire;

/// <summary>The flags of a <see cref="VirtioNetHeader"/> (virtio 1.x, 5.1.6 "Device Operation").</summary>
[Flags]
public enum VirtioNetFlags : byte
{
    None = 0,
    /// <summary>The checksum is partial: sum from CsumStart to the end, store at CsumStart + CsumOffset (CHECKSUM_PARTIAL).</summary>
    NeedsCsum = 1,
    /// <summary>The checksum was already verified (CHECKSUM_UNNECESSARY).</summary>
    DataValid = 2,
}

/// <summary>The GSO type of a <see cref="VirtioNetHeader"/>: how a packet larger than the MTU is to be cut.</summary>
public enum VirtioGsoType : byte
{
    /// <summary>Not a super-segment.</summary>
    None = 0,
    /// <summary>A TCP/IPv4 super-segment, cut into segments of GsoSize bytes of payload (TSO4).</summary>
    TcpV4 = 1,
    /// <summary>OR-ed into the type: the first segment carries CWR, the others not (TCP_ECN).</summary>
    Ecn = 0x80,
}

/// <summary>
/// struct virtio_net_hdr (10 bytes), which a TUN device opened with IFF_VNET_HDR puts before every packet:
/// flags (u8), gso_type (u8), hdr_len, gso_size, csum_start, csum_offset (u16 each, little-endian: virtio is
/// little-endian on x86 unless TUNSETVNETBE). Only what TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4) can produce is
/// accepted: other flags and GSO types (TCPv6, UDP) are malformed here.
/// </summary>
public readonly record struct VirtioNetHeader(
    VirtioNetFlags Flags,
    VirtioGsoType GsoType,
    ushort HdrLen,
    ushort GsoSize,
    ushort CsumStart,
    ushort CsumOffset)
{
    public const int Length = 10;

    /// <summary>csum_offset of the TCP checksum field within the TCP header.</summary>
    public const int TcpChecksumOffset = 16;

    /// <summary>The GSO type without the ECN bit.</summary>
    public VirtioGsoType BaseGsoType => GsoType & ~VirtioGsoType.Ecn;

    public bool NeedsCsum => (Flags & VirtioNetFlags.NeedsCsum) != 0;

    public bool IsGso => BaseGsoType != VirtioGsoType.None;

    /// <summary>
    /// Reads the header at the start of <paramref name="buffer"/>. <see cref="DropReason.Truncated"/> when shorter than
    /// 10 bytes; <see cref="DropReason.BadVirtioHeader"/> for unknown flags or GSO types, a GSO type with gso_size 0,
    /// or the ECN bit without a GSO type. Never throws.
    /// </summary>
    public static DropReason TryParse(ReadOnlySpan<byte> buffer, out VirtioNetHeader header)
    {
        header = default;
        if (buffer.Length < Length)
            return DropReason.Truncated;
        var flags = (VirtioNetFlags)buffer[0];
        var gso = (VirtioGsoType)buffer[1];
        if ((flags & ~(VirtioNetFlags.NeedsCsum | VirtioNetFlags.DataValid)) != 0)
            return DropReason.BadVirtioHeader;
        var baseType = gso & ~VirtioGsoType.Ecn;
        if (baseType is not (VirtioGsoType.None or VirtioGsoType.TcpV4))
            return DropReason.BadVirtioHeader;
        if (baseType == VirtioGsoType.None && gso != VirtioGsoType.None)
            return DropReason.BadVirtioHeader;
        header = new VirtioNetHeader(flags, gso,
            BinaryPrimitives.ReadUInt16LittleEndian(buffer[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(buffer[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(buffer[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(buffer[8..]));
        if (baseType == VirtioGsoType.TcpV4 && header.GsoSize == 0)
        {
            header = default;
            return DropReason.BadVirtioHeader;
        }
        return DropReason.None;
    }

    /// <summary>Writes the 10 bytes at the start of <paramref name="buffer"/>; returns 10.</summary>
    public int Write(Span<byte> buffer)
    {
        if (buffer.Length < Length)
            throw new ArgumentException($"a virtio_net_hdr needs {Length} bytes, the buffer has {buffer.Length}", nameof(buffer));
        buffer[0] = (byte)Flags;
        buffer[1] = (byte)GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[2..], HdrLen);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[8..], CsumOffset);
        return Length;
    }
}
