using Microsoft.Data.Sqlite;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>The writer role: the lock, the only write connection, and the endpoint other processes forward to.</summary>
public sealed partial class WriterSession : IBatchSink
{
    private WriterLock? _lock;
    private CatalogWriter? _writer;
    private EndpointServer? _server;
    private Durability? _pendingDurability;

    /// <summary>Highest applied batch sequence per forwarding client; valid for committed state only.</summary>
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);

    string IBatchSink.CatalogKey => Key;

    /// <summary>
    /// Becomes the writer if the lock is free, else connects to the writer; retries while a writer is
    /// starting or handing over, up to <see cref="WriterSessionOptions.ElectionTimeout"/>.
    /// </summary>
    private void Elect()
    {
        string? folder = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            throw new CatalogException(CatalogErrorCode.FolderNotFound, DatabasePath,
                $"The folder '{folder}' for the catalog '{DatabasePath}' does not exist. Create it, or choose another -Database.");
        }
        CatalogDatabase.ThrowIfForeign(DatabasePath); // before the lock file is created next to someone else's file
        DateTime deadline = DateTime.UtcNow + _options.ElectionTimeout;
        int backoffMs = 2;
        while (true)
        {
            if (WriterLock.TryAcquire(DatabasePath) is WriterLock held)
            {
                BecomeWriter(held);
                return;
            }
            if (TryLink())
            {
                SetRole(SessionRole.Forwarder);
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw WriterUnavailable();
            }
            Thread.Sleep(backoffMs);
            backoffMs = Math.Min(backoffMs * 2, 50);
        }
    }

    private CatalogException WriterUnavailable() => new(CatalogErrorCode.WriterUnavailable, DatabasePath,
        $"Another process holds the writer lock of '{DatabasePath}' but no writer answered at {Endpoint} within {_options.ElectionTimeout.TotalSeconds:0} s. " +
        "ScanTools forwards only between processes of the same user: if that process runs as another account, wait for it to finish or use another catalog.");

    /// <summary>For tests: how many rows this process's own producers may have queued now.</summary>
    internal long OwnQueueLimit => _budget.Limit;

    /// <summary>Until this clock reading, a writer that took over counts on clients reconnecting; 0 when not.</summary>
    private long _expectClientsUntil;

    /// <summary>
    /// Opens the write connection and the endpoint. Called with the lock held; releases it on failure.
    /// <paramref name="takingOver"/>: the previous writer just left, so its clients are about to reconnect
    /// and resend; this process's producers get a fair share from the start instead of filling a deep queue
    /// that the resends would wait behind (measured: 20,000 own rows committed first, 50 ms more for all).
    /// </summary>
    private void BecomeWriter(WriterLock held, bool takingOver = false)
    {
        try
        {
            _writer = new CatalogWriter(DatabasePath, _durability, _options.CacheSizeMiB);
            if (_options.MaxPageCount is long pages)
            {
                _writer.LimitPages(pages);
            }
            try
            {
                _server = new EndpointServer(Endpoint, this);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException or System.Net.Sockets.SocketException)
            {
                throw new CatalogException(CatalogErrorCode.WriterUnavailable, DatabasePath,
                    $"This process would be the writer of '{DatabasePath}' but cannot open its local endpoint: {ex.Message}", ex);
            }
        }
        catch
        {
            _writer?.Dispose();
            _writer = null;
            held.Dispose();
            throw;
        }
        _lock = held;
        if (takingOver)
        {
            Volatile.Write(ref _expectClientsUntil, _clock.ElapsedTicks + (long)(_options.TakeOverGrace.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));
        }
        ((IBatchSink)this).ClientsChanged(_server.ClientCount); // deep while alone, a fair share once others connect
        SetRole(SessionRole.Writer);
    }

    /// <summary>Applies queued writes (this process's and forwarded batches) until the queue is completed and drained.</summary>
    private void RunWriter()
    {
        CatalogWriter writer = _writer!;
        writer.FailAbandonedRuns();
        var flushes = new List<TaskCompletionSource>();
        var acks = new Dictionary<ConnectedClient, long>();
        while (_queue.TryTake(out SessionItem first, Timeout.Infinite))
        {
            long rows = 0, forwardedRows = 0;
            bool flushRequested = false;
            long started = _clock.ElapsedTicks;
            try
            {
                writer.Begin(); // inside: a BEGIN that fails (another process held SQLite's lock too long) fails these rows too
                SessionItem? next = first;
                while (next is SessionItem item)
                {
                    switch (item.Kind)
                    {
                        case ItemKind.Write:
                            rows += item.Rows; // counted first: if Apply throws, these rows failed too
                            writer.Apply(item.Write!);
                            break;
                        case ItemKind.RemoteBatch:
                            rows += item.Rows;
                            forwardedRows += item.Rows;
                            ApplyBatch(item.Client!.ClientId, item.Sequence, item.Writes!);
                            acks[item.Client] = item.Sequence;
                            break;
                        case ItemKind.Flush:
                            flushes.Add(item.Flushed!);
                            flushRequested = true;
                            break;
                        case ItemKind.Durability:
                            // PRAGMA synchronous cannot change inside a transaction; it applies from the next one.
                            _pendingDurability = item.Durability;
                            break;
                    }
                    next = null;
                    TimeSpan open = TimeSpan.FromTicks((long)((_clock.ElapsedTicks - started) * (double)TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency));
                    if (flushRequested || rows >= _options.MaxTransactionRows || open >= _options.MaxCommitDelay)
                    {
                        break;
                    }
                    if (_queue.TryTake(out SessionItem more))
                    {
                        next = more;
                    }
                    else if (rows < _options.LingerBelowRows && !_queue.IsAddingCompleted)
                    {
                        TimeSpan wait = _options.CommitLinger < _options.MaxCommitDelay - open ? _options.CommitLinger : _options.MaxCommitDelay - open;
                        if (wait > TimeSpan.Zero && _queue.TryTake(out more, wait))
                        {
                            next = more;
                        }
                    }
                }
                writer.Commit();
            }
            catch (Exception ex)
            {
                if (writer.InTransaction)
                {
                    writer.Rollback();
                }
                _applied.Clear();
                Interlocked.Add(ref _failed, rows); // forwarded rows too: accepted here, not committed
                _budget.Return(rows - forwardedRows);
                _forwardedBudget.Return(forwardedRows);
                Fail(ex, flushes);
                return;
            }
            if (_pendingDurability is Durability raised)
            {
                _pendingDurability = null;
                writer.SetDurability(raised);
            }
            MarkCommitted(rows);
            Interlocked.Increment(ref _transactions);
            long expectUntil = Volatile.Read(ref _expectClientsUntil);
            if (expectUntil != 0 && _clock.ElapsedTicks >= expectUntil)
            {
                Volatile.Write(ref _expectClientsUntil, 0); // the grace is over: from now on only the clients that did connect count
                ((IBatchSink)this).ClientsChanged(_server!.ClientCount);
            }
            FirstCommitAsWriterUtc ??= DateTime.UtcNow;
            _budget.Return(rows - forwardedRows);
            _forwardedBudget.Return(forwardedRows);
            foreach (TaskCompletionSource f in flushes)
            {
                f.TrySetResult();
            }
            flushes.Clear();
            foreach ((ConnectedClient client, long sequence) in acks)
            {
                client.Acknowledge(sequence);
            }
            acks.Clear();
        }

        // Drained: everything read from clients is committed and its acknowledgement queued. Tell them,
        // and let the next writer in at once: folding the WAL back can happen while it starts.
        bool handingOver = _server is { ClientCount: > 0 };
        if (handingOver)
        {
            writer.LeaveWalForSuccessor();
        }
        _server?.SayGoodbye();
        _lock?.Dispose();
        _lock = null;
        if (handingOver)
        {
            return; // a TRUNCATE checkpoint would hold SQLite's write lock and delay the next writer; its checkpointer takes over
        }
        try
        {
            writer.Checkpoint();
        }
        catch (SqliteException)
        {
            // Another connection is reading; SQLite checkpoints later.
        }
    }

    /// <summary>Applies a forwarded batch unless this client's sequence shows it is already committed.</summary>
    private void ApplyBatch(string clientId, long sequence, IReadOnlyList<CatalogWrite> writes)
    {
        if (sequence <= AppliedSequenceOnConsumer(clientId))
        {
            return; // a resend of a batch the previous writer committed but could not acknowledge
        }
        foreach (CatalogWrite w in writes)
        {
            _writer!.Apply(w);
        }
        _writer!.SetAppliedSequence(clientId, sequence);
        _applied[clientId] = sequence;
    }

    private long AppliedSequenceOnConsumer(string clientId)
    {
        if (!_applied.TryGetValue(clientId, out long last))
        {
            last = _writer!.AppliedSequence(clientId);
            _applied[clientId] = last;
        }
        return last;
    }

    void IBatchSink.Enqueue(ConnectedClient client, long sequence, List<CatalogWrite> writes, CancellationToken stopping)
    {
        int rows = 0;
        foreach (CatalogWrite w in writes)
        {
            rows += w.RowCount;
        }
        _forwardedBudget.Take(rows, stopping); // a full queue stops reading from this client: backpressure
        MarkAccepted(rows);
        if (!TryAdd(SessionItem.ForRemote(client, sequence, writes, rows)))
        {
            _forwardedBudget.Return(rows);
            Interlocked.Add(ref _accepted, -rows); // not ours: the client keeps it and resends it elsewhere
            ThrowIfUnusable();
            throw Closed();
        }
    }

    void IBatchSink.RequireDurability(Durability durability) => RequireDurability(durability);

    /// <summary>
    /// Fair shares: with N other processes connected, this process's producers are one of N + 1 and queue
    /// no more than that share of the forwarded bound (measured: with the same bound as all forwarders
    /// together, the local producer took 57% of every transaction and each forwarder waited 200-300 ms).
    /// </summary>
    void IBatchSink.ClientsChanged(int connected)
    {
        int others = connected == 0 && Volatile.Read(ref _expectClientsUntil) != 0 ? 1 : connected;
        _budget.Limit = others > 0
            ? Math.Max(1, Math.Min(_options.MaxPendingRows, _options.MaxForwardedPendingRows / (others + 1)))
            : _options.MaxPendingRows;
    }

    private void ReleaseWriterResources()
    {
        _server?.Dispose();
        CloseWalKeeper(); // first: the write connection stays the last one, and closes the catalog as it always does
        _writer?.Dispose();
        _lock?.Dispose();
        _link?.Dispose();
    }
}
