namespace ScanTools.Sessions;

/// <summary>
/// Bounds the rows queued in a session: a producer waits while the queue is full, which is what keeps
/// memory flat when the walk outruns the disk. A batch larger than the whole budget is let through
/// alone rather than waiting forever.
/// </summary>
internal sealed class RowBudget
{
    private readonly object _gate = new();
    private long _limit;
    private long _inUse;
    private Exception? _closed;
    private readonly Queue<object> _waiting = new();

    public RowBudget(long limit) => _limit = limit;

    /// <summary>Changes the bound; producers waiting on a lower one are woken when it rises.</summary>
    public long Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
        set
        {
            lock (_gate)
            {
                _limit = value;
                Monitor.PulseAll(_gate);
            }
        }
    }

    public long InUse
    {
        get
        {
            lock (_gate)
            {
                return _inUse;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="rows"/> fit, then takes them. Producers are served in the order they
    /// arrived: without that, a waiter can lose the race for room again and again and stall far longer
    /// than its fair share (seen as 300+ ms waits with seven processes forwarding).
    /// </summary>
    public void Take(long rows, CancellationToken cancellationToken)
    {
        // Registered and disposed outside the lock: the callback takes the lock, and disposing a
        // registration waits for a running callback, so doing either while holding the lock deadlocks
        // with a Cancel() on another thread (it hung every hand-over once a stopping token was passed here).
        using CancellationTokenRegistration reg = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static g => { lock (g!) { Monitor.PulseAll(g); } }, _gate)
            : default;
        lock (_gate)
        {
            var ticket = new object();
            _waiting.Enqueue(ticket);
            try
            {
                while (_closed is null && (_waiting.Peek() != ticket || (_inUse > 0 && _inUse + rows > _limit)))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Monitor.Wait(_gate);
                }
                cancellationToken.ThrowIfCancellationRequested();
                if (_closed is not null)
                {
                    throw _closed;
                }
                _inUse += rows;
            }
            finally
            {
                Remove(ticket);
                Monitor.PulseAll(_gate); // the next in line may fit now
            }
        }
    }

    private void Remove(object ticket)
    {
        if (_waiting.Peek() == ticket)
        {
            _waiting.Dequeue();
            return;
        }
        // Cancelled or failed while not at the head: take it out of the line.
        int count = _waiting.Count;
        for (int i = 0; i < count; i++)
        {
            object t = _waiting.Dequeue();
            if (t != ticket)
            {
                _waiting.Enqueue(t);
            }
        }
    }

    public void Return(long rows)
    {
        lock (_gate)
        {
            _inUse -= rows;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Wakes every waiting producer with <paramref name="reason"/>; later takes fail the same way.</summary>
    public void Close(Exception reason)
    {
        lock (_gate)
        {
            _closed ??= reason;
            Monitor.PulseAll(_gate);
        }
    }
}
