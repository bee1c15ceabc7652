using System.Buffers;

namespace TcpActors.Engine.Connection;

/// <summary>
/// The bytes the application queued that are not yet acknowledged, starting at SND.UNA: the part in flight
/// (SND.UNA..SND.NXT, the retransmission queue) and the part not yet sent. A ring buffer rented from the shared
/// ArrayPool when the first byte is queued, grown on demand up to its capacity, and returned as soon as
/// everything is acknowledged: a connection with nothing unacknowledged (an idle one) holds no buffer, and a
/// request/response exchange rents and returns one without allocating.
/// </summary>
public sealed class SendBuffer(int capacity)
{
    private int _capacity = capacity;
    private byte[] _ring = [];
    private int _head;
    private int _count;

    /// <summary>How many bytes may be queued; <see cref="GrowCapacity"/> raises it (send-buffer auto-tuning).</summary>
    public int Capacity => _capacity;
    public int Count => _count;
    public int Free => _capacity - _count;

    /// <summary>The connection raises the capacity with cwnd (tcp-actors.send-buffer-max); false when the application chose it.</summary>
    public bool AutoTuned { get; init; }

    /// <summary>Raises <see cref="Capacity"/> to <paramref name="capacity"/> if that is more; it never shrinks (Linux's tcp_sndbuf_expand).</summary>
    public void GrowCapacity(int capacity)
    {
        if (capacity > _capacity)
            _capacity = capacity;
    }

    /// <summary>Bytes of the ring held now (0 when nothing is queued).</summary>
    public int AllocatedBytes => _ring.Length;

    /// <summary>Queues as much of <paramref name="data"/> as fits; returns how many bytes were taken.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        if (n == 0)
            return 0;
        EnsureRoom(_count + n);
        int tail = (_head + _count) % _ring.Length;
        int first = Math.Min(n, _ring.Length - tail);
        data[..first].CopyTo(_ring.AsSpan(tail));
        data[first..n].CopyTo(_ring);
        _count += n;
        return n;
    }

    /// <summary>Drops <paramref name="n"/> acknowledged bytes from the front.</summary>
    public void Acknowledge(int n)
    {
        if ((uint)n > (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"only {_count} bytes are queued");
        _count -= n;
        _head = _count == 0 ? 0 : (_head + n) % _ring.Length;
        if (_count == 0)
            ReturnRing();
    }

    /// <summary>Copies <c>dest.Length</c> bytes starting <paramref name="offset"/> bytes after SND.UNA.</summary>
    public void CopyTo(int offset, Span<byte> dest)
    {
        if (offset < 0 || offset + dest.Length > _count)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + dest.Length}) is outside the {_count} queued bytes");
        if (dest.Length == 0)
            return;
        int start = (_head + offset) % _ring.Length;
        int first = Math.Min(dest.Length, _ring.Length - start);
        _ring.AsSpan(start, first).CopyTo(dest);
        _ring.AsSpan(0, dest.Length - first).CopyTo(dest[first..]);
    }

    public void Clear()
    {
        ReturnRing();
        _head = 0;
        _count = 0;
    }

    private void ReturnRing()
    {
        if (_ring.Length > 0)
            ArrayPool<byte>.Shared.Return(_ring);
        _ring = [];
    }

    private void EnsureRoom(int needed)
    {
        if (needed <= _ring.Length)
            return;
        int size = Math.Max(4096, _ring.Length);
        while (size < needed)
            size *= 2;
        size = Math.Min(size, Math.Max(_capacity, needed));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_count > 0)
        {
            int first = Math.Min(_count, _ring.Length - _head);
            _ring.AsSpan(_head, first).CopyTo(bigger);
            _ring.AsSpan(0, _count - first).CopyTo(bigger.AsSpan(first));
        }
        ReturnRing();
        _ring = bigger;
        _head = 0;
    }
}
