using Microsoft.Extensions.ObjectPool;

namespace TcpActors.Engine.Io;

/// <summary>
/// Microsoft.Extensions.ObjectPool's <see cref="DefaultObjectPool{T}"/> (lock-free, allocation-free once warm), counting
/// the objects it had to make: in steady state the count stops growing, which is what the allocation tests check. Holds
/// at most <c>maximumRetained</c> idle objects; beyond that, returned ones go to the collector. Returned objects are
/// kept as they are: whoever returns one has already cleared what must not leak into the next use.
/// </summary>
internal sealed class CountingObjectPool<T> where T : class
{
    private readonly DefaultObjectPool<T> _pool;
    private long _created;

    public CountingObjectPool(Func<T> create, int maximumRetained) =>
        _pool = new DefaultObjectPool<T>(new Policy(this, create), maximumRetained);

    /// <summary>An idle object, or a new one when none is idle.</summary>
    public T Get() => _pool.Get();

    /// <summary>Gives an object back (any thread).</summary>
    public void Return(T item) => _pool.Return(item);

    /// <summary>How many objects the pool has made so far.</summary>
    public long Created => Interlocked.Read(ref _created);

    private sealed class Policy(CountingObjectPool<T> owner, Func<T> create) : IPooledObjectPolicy<T>
    {
        public T Create()
        {
            Interlocked.Increment(ref owner._created);
            return create();
        }

        public bool Return(T obj) => true;
    }
}
