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

    /// <summary>At open: becomes the writer if the lock is free, else forwards to the writer.</summary>
    private void Elect()
    {
        if (_remote is not null)
        {
            if (!ElectWriter(takingOver: false))
            {
                SetRole(SessionRole.Forwarder);
            }
            return;
        }
        if (CatalogDatabase.MissingFolder(DatabasePath) is CatalogException missing)
        {
            throw missing;
        }
        CatalogDatabase.ThrowIfForeign(DatabasePath); // before the lock file is created next to someone else's file
        if (!ElectWriter(takingOver: false))
        {
            SetRole(SessionRole.Forwarder);
        }
    }

    /// <summary>
    /// The one election, at open and after a writer left: takes the writer lock if it is free and becomes
    /// the writer (returns true), else links to the process that holds it (returns false). Retries while a
    /// writer is starting or handing over (the lock is held but no endpoint answers yet), backing off from
    /// 1 ms to 20 ms, up to <see cref="WriterSessionOptions.ElectionTimeout"/>; then throws
    /// <see cref="CatalogErrorCode.WriterUnavailable"/>.
    /// </summary>
    private bool ElectWriter(bool takingOver)
    {
        DateTime deadline = DateTime.UtcNow + _options.ElectionTimeout;
        int backoffMs = 1;
        while (true)
        {
            if (WriterLock.TryAcquire(LockTarget) is WriterLock held)
            {
                BecomeWriter(held, takingOver);
                return true;
            }
            TimeSpan left = deadline - DateTime.UtcNow;
            if (TryLink(left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100)))
            {
                return false;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw WriterUnavailable();
            }
            Thread.Sleep(backoffMs); // a backoff between attempts, not a wait for an event: there is none to wait on across processes
            backoffMs = Math.Min(backoffMs * 2, 20);
        }
    }

    private CatalogException WriterUnavailable() => new(CatalogErrorCode.WriterUnavailable, DatabasePath,
        $"{(WriterLock.DescribeHolder(LockTarget) is string holder ? char.ToUpperInvariant(holder[0]) + holder[1..] : "Another process")} holds the writer lock of '{DatabasePath}' but no writer answered at {Endpoint} within {_options.ElectionTimeout.TotalSeconds:0} s. " +
        "It may be stopped (Ctrl+Z, SIGSTOP) or busy past answering; and ScanTools forwards only between processes of the same user, so if it runs as another account, wait for it to finish or use another catalog.");

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
            if (_remote is not null)
            {
                _publisher = global::ScanTools.Remote.RemotePublisher.Connect(_remote, _brokerPassword, global::ScanTools.Remote.RemotePublishers.Options);
                // Alive for the consumer: the processes forwarding here, and this session's own forwarding id, under which
                // it sent the writes of runs it started before it was elected (they must not be taken for a dead producer's).
                _publisher.RelayedClients = () => _server?.ClientIds ?? Array.Empty<string>();
                _publisher.SessionClientId = ClientId;
            }
            else
            {
                _writer = new CatalogWriter(DatabasePath, _durability, _options.CacheSizeMiB) { MaintainNameIndex = _options.MaintainNameIndex };
                if (_options.MaxPageCount is long pages)
                {
                    _writer.LimitPages(pages);
                }
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
            _publisher?.Dispose();
            _publisher = null;
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
        var refused = new List<(IWriteProducer? Producer, RejectedWrite Write)>();
        var remoteRefusals = new List<(ConnectedClient Client, long Sequence, int Index, string Reason, int Rows)>();
        var brokerRefusals = new List<(SessionItem Item, int Rows, string Reason)>();
        var brokerDone = new List<SessionItem>();
        var applied = new List<SessionItem>(); // the writes of the open transaction, in order, for a replay

        // Applies one queued write or forwarded batch. Isolated, each write is a unit that SQLite may refuse
        // alone; that costs a savepoint per write (8% of a scan, measured), so it is done only in a replay.
        long ApplyItem(SessionItem item, bool isolate)
        {
            if (item.Kind == ItemKind.Write)
            {
                if (!isolate)
                {
                    writer.Apply(item.Write!);
                    return 0;
                }
                if (writer.TryApply(item.Write!) is not string reason)
                {
                    return 0;
                }
                refused.Add((item.Producer, new RejectedWrite(item.Write!, reason)));
                return item.Rows;
            }
            if (item.Kind == ItemKind.BrokerBatch)
            {
                return ApplyBatch(item.BrokerClient!, item.Sequence, item.Writes!, isolate,
                    (index, write, why) => brokerRefusals.Add((item, write.RowCount, why)));
            }
            ConnectedClient client = item.Client!;
            long sequence = item.Sequence;
            return ApplyBatch(client.ClientId, sequence, item.Writes!, isolate,
                (index, write, why) => remoteRefusals.Add((client, sequence, index, why, write.RowCount)));
        }

        // SQLite refused something in this transaction: undo it all, then apply the same writes again one
        // savepoint each, so that only the refused ones are left out (and reported to their producers).
        long Replay()
        {
            writer.RollbackForReplay();
            _applied.Clear();
            refused.Clear();
            remoteRefusals.Clear();
            brokerRefusals.Clear();
            writer.Begin();
            long refusedInReplay = 0;
            foreach (SessionItem item in applied)
            {
                refusedInReplay += ApplyItem(item, isolate: true);
            }
            return refusedInReplay;
        }

        while (_queue.TryTake(out SessionItem first, Timeout.Infinite))
        {
            long rows = 0, forwardedRows = 0, refusedRows = 0;
            bool flushRequested = false, replayed = false;
            long started = _clock.ElapsedTicks;
            applied.Clear();
            try
            {
                writer.Begin(); // inside: a BEGIN that fails (another process held SQLite's lock too long) fails these rows too
                SessionItem? next = first;
                while (next is SessionItem item)
                {
                    switch (item.Kind)
                    {
                        case ItemKind.Write:
                        case ItemKind.RemoteBatch:
                        case ItemKind.BrokerBatch:
                            rows += item.Rows; // counted first: if Apply throws, these rows failed too
                            if (item.Kind == ItemKind.BrokerBatch)
                            {
                                brokerDone.Add(item);
                            }
                            if (item.Kind == ItemKind.RemoteBatch)
                            {
                                forwardedRows += item.Rows;
                                acks[item.Client!] = item.Sequence;
                            }
                            applied.Add(item);
                            try
                            {
                                refusedRows += ApplyItem(item, isolate: replayed); // after a replay, the rest of it too
                            }
                            catch (Exception ex) when (!replayed && CatalogWriter.IsRefusalOfOneWrite(ex))
                            {
                                refusedRows = Replay();
                                replayed = true;
                            }
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
                refused.Clear();
                remoteRefusals.Clear();
                brokerRefusals.Clear();
                foreach (SessionItem b in brokerDone)
                {
                    b.Committed!.TrySetException(new CatalogException(CatalogErrorCode.WriteFailed, DatabasePath, $"Writing the catalog '{DatabasePath}' failed: {ex.Message}", ex));
                }
                brokerDone.Clear();
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
            MarkCommitted(rows - refusedRows);
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
            // Refusals first: a producer whose flush completes must already know what was refused.
            foreach ((IWriteProducer? producer, RejectedWrite write) in refused)
            {
                Refused(producer, write);
            }
            refused.Clear();
            foreach ((ConnectedClient client, long sequence, int index, string reason, int refusedCount) in remoteRefusals)
            {
                Interlocked.Add(ref _rejected, refusedCount);
                Interlocked.Increment(ref _rejectedWrites);
                client.Reject(sequence, index, reason);
            }
            remoteRefusals.Clear();
            foreach (SessionItem b in brokerDone)
            {
                int refusedHere = 0;
                foreach ((SessionItem item, int n, string _) in brokerRefusals)
                {
                    if (ReferenceEquals(item.Committed, b.Committed))
                    {
                        refusedHere += n;
                    }
                }
                if (refusedHere > 0)
                {
                    Interlocked.Add(ref _rejected, refusedHere);
                    Interlocked.Increment(ref _rejectedWrites);
                    _lastRejection = brokerRefusals.First(r => ReferenceEquals(r.Item.Committed, b.Committed)).Reason;
                }
                b.Committed!.TrySetResult(refusedHere);
            }
            brokerDone.Clear();
            brokerRefusals.Clear();
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

    /// <summary>
    /// Applies a forwarded batch unless this client's sequence shows it is already committed. With
    /// <paramref name="isolate"/>, each write is a unit: one the catalog refuses is undone and reported through
    /// <paramref name="refused"/> (its index in the batch, the write, why); the rest of the batch is applied,
    /// and the batch counts as applied. Without it, a refusal is thrown (and the caller replays isolated).
    /// </summary>
    /// <returns>The rows of the refused writes.</returns>
    private int ApplyBatch(string clientId, long sequence, IReadOnlyList<CatalogWrite> writes, bool isolate, Action<int, CatalogWrite, string> refused)
    {
        if (sequence <= AppliedSequenceOnConsumer(clientId))
        {
            return 0; // a resend of a batch the previous writer committed but could not acknowledge
        }
        int refusedRows = 0;
        for (int i = 0; i < writes.Count; i++)
        {
            if (!isolate)
            {
                _writer!.Apply(writes[i]);
            }
            else if (_writer!.TryApply(writes[i]) is string reason)
            {
                refusedRows += writes[i].RowCount;
                refused(i, writes[i], reason);
            }
        }
        _writer!.SetAppliedSequence(clientId, sequence);
        _applied[clientId] = sequence;
        return refusedRows;
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
    /// <summary>Clock reading when another process was last seen connected (0: never), for <see cref="LingerLeft"/>.</summary>
    private long _clientSeenTicks;

    /// <summary>
    /// How much longer this session should stay open once no holder in this process is left: while another process is
    /// connected, <see cref="WriterSessionOptions.IdleLinger"/> (asked again then); after the last one left, what remains
    /// of it; zero for a session that is not a catalog file's healthy writer or that no other process used.
    /// </summary>
    internal TimeSpan LingerLeft()
    {
        if (_role != SessionRole.Writer || _remote is not null || _server is not { } server || _fault is not null || _closing || _options.IdleLinger <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }
        if (server.ClientCount > 0)
        {
            Volatile.Write(ref _clientSeenTicks, Math.Max(1, _clock.ElapsedTicks));
            return _options.IdleLinger;
        }
        long seen = Volatile.Read(ref _clientSeenTicks);
        if (seen == 0)
        {
            return TimeSpan.Zero;
        }
        TimeSpan since = TimeSpan.FromSeconds((_clock.ElapsedTicks - seen) / (double)System.Diagnostics.Stopwatch.Frequency);
        return since < _options.IdleLinger ? _options.IdleLinger - since : TimeSpan.Zero;
    }

    /// <summary>While the session lingers (<see cref="WriterSessionRegistry"/>): the timer that asks <see cref="LingerLeft"/> again.</summary>
    internal Timer? LingerTimer;

    void IBatchSink.ClientsChanged(int connected)
    {
        if (connected > 0 || Volatile.Read(ref _clientSeenTicks) != 0)
        {
            Volatile.Write(ref _clientSeenTicks, Math.Max(1, _clock.ElapsedTicks)); // connected now, or the last one just left
        }
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
        _publisher?.Dispose();
        _lock?.Dispose();
        _link?.Dispose();
    }
}
