using System.Buffers.Binary;
using System.Security.Cryptography;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Io;

/// <summary>
/// Ephemeral port selection by RFC 6056 section 3.3.4, Algorithm 4 ("Double-Hash Port Selection"):
/// port = min + (F(dst) + table[G(dst)]) mod N, probing successive ports until one is free.
/// The table is seeded from <see cref="Random"/>; F and G are SipHash-2-4 under the secret key. Not thread-safe.
/// </summary>
public sealed class EphemeralPorts
{
    /// <summary>Entries of the per-destination-bucket counter table.</summary>
    public const int TableLength = 256;

    private readonly ushort _min;
    private readonly int _count;
    private readonly SipHash _hash;
    private readonly uint[] _table = new uint[TableLength];

    /// <param name="min">Lowest port of the range (RFC 6056 recommends 1024..65535; Linux uses 32768..60999).</param>
    /// <param name="max">Highest port of the range, inclusive.</param>
    /// <param name="secretKey">Key of F and G (16 bytes recommended); empty: a random key from <see cref="RandomNumberGenerator"/>.</param>
    /// <param name="random">Seeds the counter table; a new unseeded <see cref="Random"/> when null.</param>
    public EphemeralPorts(ushort min = 32768, ushort max = 60999, ReadOnlySpan<byte> secretKey = default, Random? random = null)
    {
        if (min < 1)
            throw new ArgumentException("the lowest ephemeral port must be at least 1", nameof(min));
        if (min > max)
            throw new ArgumentException("min must not exceed max", nameof(max));
        _min = min;
        _count = max - min + 1;
        if (secretKey.IsEmpty)
        {
            Span<byte> key = stackalloc byte[16];
            RandomNumberGenerator.Fill(key);
            _hash = SipHash.FromKey(key);
            CryptographicOperations.ZeroMemory(key);
        }
        else
        {
            _hash = SipHash.FromKey(secretKey);
        }
        random ??= new Random();
        for (int i = 0; i < _table.Length; i++)
            _table[i] = (uint)random.Next();
    }

    /// <summary>
    /// Picks a local port for a connection to remote such that inUse(port) is false;
    /// false when every port in the range is in use for that destination.
    /// </summary>
    public bool TryAllocate(Ipv4Address local, Ipv4Address remote, ushort remotePort, Func<ushort, bool> inUse, out ushort port)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        uint offset = Hash((byte)'F', local, remote, remotePort);
        int index = (int)(Hash((byte)'G', local, remote, remotePort) % TableLength);
        uint start = (uint)(((ulong)offset + _table[index]) % (uint)_count);
        for (int probe = 0; probe < _count; probe++)
        {
            var candidate = (ushort)(_min + (start + (uint)probe) % (uint)_count);
            if (!inUse(candidate))
            {
                // Step the bucket's counter past the probed ports, so the next pick for this bucket moves on.
                _table[index] = unchecked(_table[index] + (uint)probe + 1);
                port = candidate;
                return true;
            }
        }
        port = 0;
        return false;
    }

    /// <summary>F (tag 'F') and G (tag 'G') of RFC 6056 Algorithm 4: independent keyed hashes of the destination.</summary>
    private uint Hash(byte tag, Ipv4Address local, Ipv4Address remote, ushort remotePort)
    {
        Span<byte> msg = stackalloc byte[11];
        msg[0] = tag;
        BinaryPrimitives.WriteUInt32BigEndian(msg[1..], local.Value);
        BinaryPrimitives.WriteUInt32BigEndian(msg[5..], remote.Value);
        BinaryPrimitives.WriteUInt16BigEndian(msg[9..], remotePort);
        return (uint)_hash.Hash(msg);
    }
}
