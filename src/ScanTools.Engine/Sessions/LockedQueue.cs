using System.Collections;
using System.Collections.Concurrent;

namespace ScanTools.Sessions;

/// <summary>
/// A first-in, first-out queue that never reports itself empty while it holds an item: a <see cref="Queue{T}"/>
/// behind one lock, used alone or as the store of a <see cref="BlockingCollection{T}"/>. Use it instead of
/// <see cref="ConcurrentQueue{T}"/> (BlockingCollection's default) wherever one thread takes while others add and
/// a false "empty" would matter.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ConcurrentQueue{T}.TryDequeue"/> can return false while the queue holds items whose
/// <c>Enqueue</c> has returned, when an enqueuer that is growing the queue into a new segment is paused between
/// two writes (dotnet/runtime issue 132736, fixed in pull request 132737; the .NET 10.0.12 runtime here still
/// publishes the freeze flag before the tail, and .NET 8, under PowerShell 7.4, has the same code).
/// <see cref="BlockingCollection{T}"/> then throws "The underlying collection was modified from outside of the
/// BlockingCollection&lt;T&gt;" to its taker. For the catalog's writer that ended the whole session: about one
/// first scan in a fresh process in 150 failed so (bench smoke runs, 2 cores, walkers at a lower priority,
/// which are preempted more often), and a fresh-clone CI run failed on it.
/// </para>
/// <para>
/// The lock costs nothing measurable here: items are whole folder listings or broker batches, thousands a
/// second at most, and the lock is held for one array store.
/// </para>
/// </remarks>
internal sealed class LockedQueue<T> : IProducerConsumerCollection<T>
{
    private readonly Queue<T> _items = new();
    private readonly object _gate = new();

    /// <summary>The number of items held at this moment.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    bool ICollection.IsSynchronized => false;

    object ICollection.SyncRoot => throw new NotSupportedException("LockedQueue has no SyncRoot: it synchronizes itself.");

    /// <summary>Adds <paramref name="item"/> at the end. Always true.</summary>
    public bool TryAdd(T item)
    {
        lock (_gate)
        {
            _items.Enqueue(item);
        }
        return true;
    }

    /// <summary>Takes the oldest item; false only when the queue is empty.</summary>
    public bool TryTake(out T item)
    {
        lock (_gate)
        {
            return _items.TryDequeue(out item!);
        }
    }

    /// <summary>A copy of the items, oldest first.</summary>
    public T[] ToArray()
    {
        lock (_gate)
        {
            return _items.ToArray();
        }
    }

    public void CopyTo(T[] array, int index)
    {
        lock (_gate)
        {
            _items.CopyTo(array, index);
        }
    }

    void ICollection.CopyTo(Array array, int index) => ((ICollection)ToArray()).CopyTo(array, index);

    /// <summary>Enumerates a snapshot, oldest first.</summary>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
