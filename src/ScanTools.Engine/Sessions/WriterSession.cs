using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// The one writer of one catalog in this process. Producers on any thread hand it writes; a single
/// consumer thread owns the catalog's only write connection and applies them in large prepared
/// transactions, committing on size, when the queue runs dry, or after a short delay. Producers wait
/// when too many rows are queued. A failed transaction stops the session and every producer hears
/// of it; closing drains and commits everything accepted first.
/// </summary>
/// <remarks>Obtain one through <see cref="WriterSessionRegistry.Acquire"/>, never directly.</remarks>
public sealed class WriterSession
{
    private readonly BlockingCollection<SessionItem> _queue = new(new ConcurrentQueue<SessionItem>());
    private readonly RowBudget _budget;
    private readonly WriterSessionOptions _options;
    private readonly CatalogWriter _writer;
    private readonly Thread _consumer;
    private readonly DateTime _openedUtc = DateTime.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Durability _durability;

    private long _accepted, _committed, _failed, _transactions;
    private long _firstAcceptTicks = -1, _lastCommitTicks = -1;
    private DateTime? _lastCommitUtc;
    private volatile CatalogException? _fault;
    private volatile bool _closing;
    private readonly ManualResetEventSlim _stopped = new();
    internal int References;

    internal WriterSession(string databasePath, string key, WriterSessionOptions options)
    {
        options.Validate();
        DatabasePath = databasePath;
        Key = key;
        _options = options;
        _durability = options.Durability;
        _budget = new RowBudget(options.MaxPendingRows);
        _writer = new CatalogWriter(databasePath, options.Durability, options.CacheSizeMiB); // throws here, to the first acquirer, if unusable
        if (options.MaxPageCount is long pages)
        {
            _writer.LimitPages(pages);
        }
        _consumer = new Thread(ConsumeLoop)
        {
            IsBackground = true,
            Name = "ScanTools writer " + Path.GetFileName(databasePath),
        };
        _consumer.Start();
    }

    /// <summary>The canonical path of the catalog.</summary>
    public string DatabasePath { get; }

    internal string Key { get; }

    /// <summary>True once a failed write stopped the session.</summary>
    public bool IsFaulted => _fault is not null;

    internal bool IsClosing => _closing;

    /// <summary>A snapshot of the counters.</summary>
    public SessionStatistics Statistics()
    {
        long accepted = Interlocked.Read(ref _accepted);
        long committed = Interlocked.Read(ref _committed);
        long failed = Interlocked.Read(ref _failed);
        long first = Interlocked.Read(ref _firstAcceptTicks);
        long last = Interlocked.Read(ref _lastCommitTicks);
        double seconds = first >= 0 && last > first ? TimeSpan.FromTicks(last - first).TotalSeconds : 0;
        return new SessionStatistics
        {
            DatabasePath = DatabasePath,
            Role = SessionRole.Writer,
            References = Volatile.Read(ref References),
            AcceptedRows = accepted,
            CommittedRows = committed,
            FailedRows = failed,
            PendingRows = Math.Max(0, accepted - committed - failed),
            Transactions = Interlocked.Read(ref _transactions),
            RowsPerSecond = seconds > 0 ? committed / seconds : 0,
            OpenedUtc = _openedUtc,
            LastCommitUtc = _lastCommitUtc,
            LastError = _fault?.Message,
            IsFaulted = _fault is not null,
            WriterProcessId = Environment.ProcessId,
        };
    }

    /// <summary>Queues a write, waiting while the queue is full.</summary>
    /// <exception cref="CatalogException">The session failed earlier or is closed.</exception>
    internal void Enqueue(CatalogWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        ThrowIfUnusable();
        int rows = write.RowCount;
        _budget.Take(rows, cancellationToken);
        if (Interlocked.Read(ref _firstAcceptTicks) < 0)
        {
            Interlocked.CompareExchange(ref _firstAcceptTicks, _clock.Elapsed.Ticks, -1);
        }
        Interlocked.Add(ref _accepted, rows);
        if (!TryAdd(SessionItem.ForWrite(write, rows)))
        {
            Interlocked.Add(ref _failed, rows);
            _budget.Return(rows);
            _stopped.Wait(); // the consumer is failing or closing: report why once it has settled
            ThrowIfUnusable();
            throw Closed();
        }
    }

    /// <summary>Completes when everything queued before the call is committed; faults if it cannot be.</summary>
    internal Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryAdd(SessionItem.ForFlush(done)))
        {
            _stopped.Wait();
            ThrowIfUnusable();
            throw Closed();
        }
        return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
    }

    /// <summary>Raises durability to Full for every later commit (never lowers it).</summary>
    internal void RequireDurability(Durability durability)
    {
        if (durability == Durability.Full && _durability != Durability.Full)
        {
            _durability = Durability.Full;
            TryAdd(SessionItem.ForDurability(Durability.Full));
        }
    }

    /// <summary>Stops taking writes, commits everything queued, and closes the connection. Blocks until done.</summary>
    internal void Close()
    {
        _closing = true;
        try
        {
            _queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
        }
        _consumer.Join();
    }

    private bool TryAdd(SessionItem item)
    {
        try
        {
            return _queue.TryAdd(item);
        }
        catch (InvalidOperationException)
        {
            return false; // adding completed: closing
        }
    }

    private void ThrowIfUnusable()
    {
        if (_fault is CatalogException fault)
        {
            throw new CatalogException(fault.Code, DatabasePath, fault.Message, fault);
        }
        if (_closing)
        {
            throw Closed();
        }
    }

    private CatalogException Closed() =>
        new(CatalogErrorCode.SessionClosed, DatabasePath, $"The writer session for '{DatabasePath}' is closed and takes no more writes.");

    private void ConsumeLoop()
    {
        var flushes = new List<TaskCompletionSource>();
        try
        {
            while (_queue.TryTake(out SessionItem first, Timeout.Infinite))
            {
                long rows = 0;
                bool flushRequested = false;
                _writer.Begin();
                long started = _clock.ElapsedTicks;
                try
                {
                    SessionItem? next = first;
                    while (next is SessionItem item)
                    {
                        switch (item.Kind)
                        {
                            case ItemKind.Write:
                                rows += item.Rows; // counted first: if Apply throws, these rows failed too
                                _writer.Apply(item.Write!);
                                break;
                            case ItemKind.Flush:
                                flushes.Add(item.Flushed!);
                                flushRequested = true;
                                break;
                            case ItemKind.Durability:
                                ApplyDurability(item.Durability);
                                break;
                        }
                        next = null;
                        if (flushRequested || rows >= _options.MaxTransactionRows)
                        {
                            break;
                        }
                        if (_queue.TryTake(out SessionItem more))
                        {
                            next = more;
                        }
                        else if (rows < _options.LingerBelowRows && !_queue.IsAddingCompleted)
                        {
                            TimeSpan open = TimeSpan.FromTicks((long)((_clock.ElapsedTicks - started) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                            TimeSpan wait = _options.CommitLinger < _options.MaxCommitDelay - open ? _options.CommitLinger : _options.MaxCommitDelay - open;
                            if (wait > TimeSpan.Zero && _queue.TryTake(out more, wait))
                            {
                                next = more;
                            }
                        }
                    }
                    _writer.Commit();
                }
                catch (Exception ex)
                {
                    _writer.Rollback();
                    Interlocked.Add(ref _failed, rows);
                    _budget.Return(rows);
                    Fail(ex, flushes);
                    return;
                }
                if (_pendingDurability is Durability raised)
                {
                    _pendingDurability = null;
                    _writer.SetDurability(raised);
                }
                Interlocked.Add(ref _committed, rows);
                Interlocked.Increment(ref _transactions);
                Interlocked.Exchange(ref _lastCommitTicks, _clock.Elapsed.Ticks);
                _lastCommitUtc = DateTime.UtcNow;
                _budget.Return(rows);
                foreach (TaskCompletionSource f in flushes)
                {
                    f.TrySetResult();
                }
                flushes.Clear();
            }
            // Queue completed and drained: fold the WAL back before closing.
            try
            {
                _writer.Checkpoint();
            }
            catch (SqliteException)
            {
                // Another connection is reading; SQLite checkpoints later.
            }
        }
        catch (Exception ex)
        {
            Fail(ex, flushes);
        }
        finally
        {
            _writer.Dispose();
            _stopped.Set();
        }
    }

    private void ApplyDurability(Durability durability)
    {
        // PRAGMA synchronous cannot change inside a transaction; it applies from the next one.
        _pendingDurability = durability;
    }

    private Durability? _pendingDurability;

    /// <summary>Stops the session: every queued and later producer gets the error; nothing is dropped silently.</summary>
    private void Fail(Exception ex, List<TaskCompletionSource> flushes)
    {
        CatalogException fault = ex switch
        {
            CatalogException c => c,
            SqliteException s => CatalogDatabase.Translate(s, DatabasePath, writing: true),
            _ => new CatalogException(CatalogErrorCode.WriteFailed, DatabasePath,
                $"Writing the catalog '{DatabasePath}' failed: {ex.Message}", ex),
        };
        try
        {
            _queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
        }
        // Account for every queued row before anyone can observe the fault, so counts always add up.
        var queuedFlushes = new List<TaskCompletionSource>(flushes);
        while (_queue.TryTake(out SessionItem item))
        {
            if (item.Kind == ItemKind.Write)
            {
                Interlocked.Add(ref _failed, item.Rows);
                _budget.Return(item.Rows);
            }
            if (item.Flushed is not null)
            {
                queuedFlushes.Add(item.Flushed);
            }
        }
        _fault = fault;
        _budget.Close(new CatalogException(fault.Code, DatabasePath, fault.Message, fault));
        foreach (TaskCompletionSource f in queuedFlushes)
        {
            f.TrySetException(new CatalogException(fault.Code, DatabasePath, fault.Message, fault));
        }
    }

    private enum ItemKind
    {
        Write,
        Flush,
        Durability,
    }

    private readonly record struct SessionItem(ItemKind Kind, CatalogWrite? Write, int Rows, TaskCompletionSource? Flushed, Durability Durability)
    {
        public static SessionItem ForWrite(CatalogWrite w, int rows) => new(ItemKind.Write, w, rows, null, default);

        public static SessionItem ForFlush(TaskCompletionSource tcs) => new(ItemKind.Flush, null, 0, tcs, default);

        public static SessionItem ForDurability(Durability d) => new(ItemKind.Durability, null, 0, null, d);
    }
}
