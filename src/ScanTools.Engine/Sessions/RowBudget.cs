namespace ScanTools.Sessions;

/// <summary>
/// Bounds the rows queued in a session: a producer waits while the queue is full, which is what keeps
/// memory flat when the walk outruns the disk. A batch larger than the whole budget is let through
/// alone rather than waiting forever.
/// </summary>
internal sealed class RowBudget
{
    private readonly object _gate = new();
    private readonly long _limit;
    private long _inUse;
    private Exception? _closed;

    public RowBudget(long limit) => _limit = limit;

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

    /// <summary>Waits until <paramref name="rows"/> fit, then takes them.</summary>
    /// <exception cref="OperationCanceledException">The token fired while waiting.</exception>
    public void Take(long rows, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            using CancellationTokenRegistration reg = cancellationToken.CanBeCanceled
                ? cancellationToken.Register(static g => { lock (g!) { Monitor.PulseAll(g); } }, _gate)
                : default;
            while (_closed is null && _inUse > 0 && _inUse + rows > _limit)
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
