using System.Collections.Concurrent;
using System.Diagnostics;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using StackExchange.Redis;

namespace ScanTools.Remote;

/// <summary>Settings of a publisher; the defaults suit a LAN broker.</summary>
public sealed record RemotePublisherOptions
{
    /// <summary>Rows per batch (one stream entry), at most.</summary>
    public int MaxBatchRows { get; init; } = 5_000;

    /// <summary>How long a batch waits for more writes before it is sent.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Rows sent but not yet committed by the consumer before writers wait (backpressure).</summary>
    public long MaxUnacknowledgedRows { get; init; } = 250_000;

    /// <summary>Entries on the stream (all producers') above which this publisher waits before adding more.</summary>
    public long MaxBacklog { get; init; } = 2_000;

    /// <summary>Without progress for this long, every batch not yet committed is sent again (the consumer skips what it has).</summary>
    public TimeSpan ResendAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a flush (the end of a scan) waits for the consumer to commit before it gives up and says so.</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the consumer's committed sequence is read while batches are outstanding.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// Sends this process's catalog writes to a remote catalog's stream on a Redis broker (XADD), one entry per
/// batch, each numbered (client id, sequence), and keeps every batch until the catalog's consumer reports it
/// committed (its committed sequence for this client, in the catalog's committed hash). Batches not committed
/// are sent again after a reconnect, a broker restart or a pause in progress; the consumer skips those it has,
/// by the catalog's record of each client's sequence. So nothing is lost that the scan was not told is lost,
/// and nothing is applied twice. One instance per computer and catalog: the process elected by the catalog's
/// <see cref="Sessions.WriterSession"/> on this computer publishes, and the others forward to it.
/// </summary>
public sealed class RemotePublisher : IDisposable
{
    private readonly RemoteCatalogAddress _address;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly RemotePublisherOptions _options;
    private readonly string _clientId = Guid.NewGuid().ToString("D");
    private readonly BlockingCollection<QueueItem> _queue = new(new LockedQueue<QueueItem>(), 10_000); // not ConcurrentQueue: see LockedQueue
    private readonly LinkedList<Pending> _unacked = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _waiters = new();
    private readonly object _gate = new();
    private readonly Thread _sender;
    private readonly CancellationTokenSource _stop = new();
    private long _nextSequence, _committed, _unackedRows;
    private long _published, _acknowledged, _resent, _acceptedRows, _committedRows, _relayed;
    private long _lastProgressTicks = Stopwatch.GetTimestamp();
    private volatile Exception? _fault;

    /// <summary>A write of this process, a flush of them, or a batch relayed for another process of this computer.</summary>
    private readonly record struct QueueItem(CatalogWrite? Write, TaskCompletionSource<long>? Flush, Relayed? Relay);

    /// <summary>Another process's batch, published under its own client id and sequence; <see cref="Committed"/> runs once the consumer committed it.</summary>
    private sealed record Relayed(string ClientId, long Sequence, List<CatalogWrite> Writes, int Rows, Action Committed);

    /// <summary>A batch on its way: this publisher's own (<see cref="Relay"/> null) or relayed.</summary>
    private sealed record Pending(string ClientId, long Sequence, byte[] Body, int Rows, Relayed? Relay = null)
    {
        public bool Sent { get; set; }

        /// <summary>The stream entry it was last added as.</summary>
        public RedisValue EntryId { get; set; }
    }

    private RemotePublisher(RemoteCatalogAddress address, ConnectionMultiplexer redis, RemotePublisherOptions options)
    {
        _address = address;
        _redis = redis;
        _db = redis.GetDatabase();
        _options = options;
        _redis.ConnectionRestored += (_, _) => Interlocked.Exchange(ref _lastProgressTicks, 0); // resend at once
        _sender = new Thread(SendLoop) { IsBackground = true, Name = "ScanTools publisher " + address.Catalog };
        _sender.Start();
    }

    /// <summary>The catalog's address (no credentials).</summary>
    public RemoteCatalogAddress Address => _address;

    /// <summary>This publisher's producer id on the stream.</summary>
    public string ClientId => _clientId;

    /// <summary>Connects to the broker.</summary>
    /// <exception cref="CatalogException">The broker cannot be reached or refuses the credentials (the message never holds the password).</exception>
    public static RemotePublisher Connect(RemoteCatalogAddress address, string? password, RemotePublisherOptions? options = null) =>
        new(address, RemoteConnection.Open(address, password), options ?? new RemotePublisherOptions());

    /// <summary>Counters for Get-ScanSession.</summary>
    public RemoteStatistics Statistics()
    {
        long backlog = -1;
        try
        {
            backlog = _db.StreamLength(_address.StreamKey);
        }
        catch (RedisException)
        {
        }
        lock (_gate)
        {
            return new RemoteStatistics(_address.ToString(), _clientId, Interlocked.Read(ref _published), Interlocked.Read(ref _acknowledged),
                Interlocked.Read(ref _resent), _unacked.Count, _unackedRows, Interlocked.Read(ref _acceptedRows), Interlocked.Read(ref _committedRows), backlog, _fault?.Message)
            {
                RelayedBatches = Interlocked.Read(ref _relayed),
                RelayingFor = RelayedClients?.Invoke().Count ?? 0,
            };
        }
    }

    /// <summary>Rows the consumer has reported committed, of this process's writes and those it relays (read without the broker).</summary>
    internal long CommittedRows => Interlocked.Read(ref _committedRows);

    internal void Write(CatalogWrite write, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        Interlocked.Add(ref _acceptedRows, write.RowCount);
        Add(new QueueItem(write, null, null), cancellationToken);
    }

    /// <summary>Queues for the sender; a sender that failed meanwhile is reported as that failure.</summary>
    private void Add(QueueItem item, CancellationToken cancellationToken)
    {
        try
        {
            _queue.Add(item, cancellationToken);
        }
        catch (InvalidOperationException) when (_queue.IsAddingCompleted)
        {
            ThrowIfFaulted();
            throw new ObjectDisposedException(nameof(RemotePublisher), "The publisher has stopped sending.");
        }
    }

    /// <summary>
    /// Publishes a batch of another process of this computer (which forwards to this one, the computer's elected
    /// publisher) under that process's client id and sequence, so the consumer's record of each client's sequence
    /// also drops the copies a failover resends. <paramref name="committed"/> is called, on the publisher's thread,
    /// once the consumer has committed it; until then the other process keeps it too.
    /// </summary>
    /// <exception cref="CatalogException">The publisher failed earlier.</exception>
    internal void Relay(string clientId, long sequence, List<CatalogWrite> writes, Action committed, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        int rows = Math.Max(1, writes.Sum(w => w.RowCount));
        Interlocked.Add(ref _acceptedRows, rows);
        Add(new QueueItem(null, null, new Relayed(clientId, sequence, writes, rows, committed)), cancellationToken);
    }

    /// <summary>The client ids of the processes relaying through this one, told to the consumer as alive with this one's.</summary>
    internal Func<IReadOnlyList<string>>? RelayedClients { get; set; }

    /// <summary>The forwarding id of the session that publishes: its runs begun before it was elected carry it, so it is told alive too.</summary>
    internal string? SessionClientId { get; set; }

    internal void Flush(CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        var sealedAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Add(new QueueItem(null, sealedAt, null), cancellationToken);
        long sequence = sealedAt.Task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
        Task done;
        lock (_gate)
        {
            if (sequence <= _committed)
            {
                return;
            }
            ThrowIfFaulted(); // the sender is gone: nobody would answer this waiter
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((sequence, tcs));
            done = tcs.Task;
        }
        try
        {
            done.WaitAsync(_options.CommitTimeout, cancellationToken).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            long outstanding;
            lock (_gate)
            {
                outstanding = _unackedRows;
            }
            throw NotCommitted(_address, _options.CommitTimeout, outstanding);
        }
    }

    /// <summary>The error of writes the consumer did not commit within <paramref name="limit"/>.</summary>
    internal static CatalogException NotCommitted(RemoteCatalogAddress address, TimeSpan limit, long rows) =>
        new(CatalogErrorCode.WriterUnavailable, address.ToString(),
            $"The catalog's consumer did not commit this computer's writes within {limit.TotalMinutes:0.#} minutes: {rows:N0} {(rows == 1 ? "row is" : "rows are")} kept for the broker's stream " +
            $"'{address.StreamKey}' but not yet in the catalog. Start the consumer (Start-ScanConsumer) on the computer that holds the catalog; " +
            "it commits them from the stream, unless the broker loses them first (a restart without persistence).");

    /// <summary>The publisher's failure when the broker refuses what retrying never changes (<see cref="RemoteConnection.IsRefusal"/>): it stops, and the command fails with this.</summary>
    private static CatalogException Refused(RemoteCatalogAddress address, RedisException ex) =>
        new(CatalogErrorCode.WriteFailed, address.ToString(), RemoteConnection.RefusalMessage(address, ex), ex);

    private void ThrowIfFaulted()
    {
        if (_fault is Exception f)
        {
            throw f as CatalogException ?? new CatalogException(CatalogErrorCode.WriteFailed, _address.ToString(), f.Message, f);
        }
    }

    private void SendLoop()
    {
        var batch = new List<CatalogWrite>();
        int rows = 0;
        TaskCompletionSource<long>? flushing = null; // taken from the queue and not answered yet
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TimeSpan wait = batch.Count == 0 ? (_unacked.Count > 0 ? _options.PollInterval : TimeSpan.FromMilliseconds(200)) : _options.Linger;
                bool got = _queue.TryTake(out var item, wait);
                flushing = got ? item.Flush : null;
                if (got && item.Write is CatalogWrite w)
                {
                    batch.Add(w);
                    rows += w.RowCount;
                }
                if (!got && batch.Count == 0 && _queue.IsCompleted)
                {
                    break; // disposing: everything handed over is on the stream (or kept for nobody: the process ends)
                }
                bool seal = batch.Count > 0 && (!got || rows >= _options.MaxBatchRows || item.Flush is not null);
                if (seal)
                {
                    Publish(new Pending(_clientId, 0, RemoteEntry.Body(batch), Math.Max(rows, 1))); // numbered by Publish
                    batch = new List<CatalogWrite>();
                    rows = 0;
                }
                if (got && item.Relay is Relayed relay)
                {
                    Publish(new Pending(relay.ClientId, relay.Sequence, RemoteEntry.Body(relay.Writes), relay.Rows, relay));
                    Interlocked.Increment(ref _relayed);
                }
                if (got && item.Flush is TaskCompletionSource<long> flush)
                {
                    flush.TrySetResult(Interlocked.Read(ref _nextSequence));
                }
                Settle();
                Heartbeat();
            }
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            // A refusal of the broker (a key of the wrong type, a command the ACL user may not run) left every call below
            // this loop: retrying never helps, so the publisher stops with what it means.
            Exception ex = failure is RedisException r && RemoteConnection.IsRefusal(r) ? Refused(_address, r) : failure;
            _fault = ex;
            lock (_gate)
            {
                foreach (var (_, done) in _waiters)
                {
                    done.TrySetException(ex);
                }
                _waiters.Clear();
            }
            // Nobody takes from the queue any more: later adds fail (and report the fault), and a flush already queued
            // hears of it instead of waiting for a sender that is gone.
            flushing?.TrySetException(ex);
            _queue.CompleteAdding();
            while (_queue.TryTake(out QueueItem left))
            {
                left.Flush?.TrySetException(ex);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long _lastHeartbeat;

    /// <summary>Tells the consumer this producer is alive (every second): runs of a producer that stopped are ended Failed.</summary>
    private void Heartbeat()
    {
        long now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(_lastHeartbeat, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastHeartbeat = now;
        try
        {
            long ticks = DateTime.UtcNow.Ticks;
            var alive = new List<HashEntry> { new(_clientId, ticks) };
            if (SessionClientId is string session)
            {
                alive.Add(new HashEntry(session, ticks));
            }
            foreach (string relayed in RelayedClients?.Invoke() ?? Array.Empty<string>())
            {
                alive.Add(new HashEntry(relayed, ticks));
            }
            _db.HashSet(_address.AliveKey, alive.ToArray()); // answered (once a second): a refusal is seen, not lost
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
        }
    }

    /// <summary>Keeps the batch (an own one numbered next) and adds it to the stream, waiting while the consumer is far behind.</summary>
    private void Publish(Pending pending)
    {
        while (!_stop.IsCancellationRequested)
        {
            Settle();
            bool full;
            lock (_gate)
            {
                full = _unackedRows >= _options.MaxUnacknowledgedRows && _unacked.Count > 0;
            }
            if (!full && Backlog() < _options.MaxBacklog)
            {
                break;
            }
            Thread.Sleep(_options.PollInterval); // backpressure: the consumer is behind; wait for its commits
        }
        if (pending.Relay is null)
        {
            pending = pending with { Sequence = Interlocked.Increment(ref _nextSequence) };
        }
        lock (_gate)
        {
            _unacked.AddLast(pending);
            _unackedRows += pending.Rows;
        }
        TrySend(pending);
    }

    private long Backlog()
    {
        try
        {
            return _db.StreamLength(_address.StreamKey);
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
            return 0; // the broker is away: sending fails too, and is retried
        }
    }

    private bool TrySend(Pending p)
    {
        try
        {
            p.EntryId = _db.StreamAdd(_address.StreamKey, RemoteEntry.Encode(p.ClientId, p.Sequence, Environment.MachineName, p.Body));
            if (!p.Sent)
            {
                Interlocked.Increment(ref _published);
            }
            p.Sent = true;
            return true;
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
            return false; // kept: sent again when the broker answers
        }
    }

    /// <summary>
    /// Reads the consumer's committed sequence of each client with a batch on its way (this one, and those it relays
    /// for); drops what it covers, telling relayed clients; resends when stuck.
    /// </summary>
    private void Settle()
    {
        string[] clients;
        lock (_gate)
        {
            if (_unacked.Count == 0)
            {
                return;
            }
            clients = _unacked.Select(p => p.ClientId).Distinct(StringComparer.Ordinal).ToArray();
        }
        var committedOf = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            RedisValue[] values = _db.HashGet(_address.CommittedKey, clients.Select(c => (RedisValue)c).ToArray());
            for (int i = 0; i < clients.Length; i++)
            {
                if (values[i].TryParse(out long c))
                {
                    committedOf[clients[i]] = c;
                }
            }
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
        }
        var done = new List<TaskCompletionSource>();
        var relayedDone = new List<Relayed>();
        lock (_gate)
        {
            bool progress = false;
            for (LinkedListNode<Pending>? node = _unacked.First; node is not null;)
            {
                LinkedListNode<Pending>? next = node.Next;
                Pending p = node.Value;
                if (committedOf.TryGetValue(p.ClientId, out long c) && p.Sequence <= c)
                {
                    _unackedRows -= p.Rows;
                    Interlocked.Add(ref _committedRows, p.Rows);
                    Interlocked.Increment(ref _acknowledged);
                    _unacked.Remove(node);
                    progress = true;
                    if (p.Relay is Relayed r)
                    {
                        relayedDone.Add(r);
                    }
                }
                node = next;
            }
            if (committedOf.TryGetValue(_clientId, out long own) && own > _committed)
            {
                _committed = own;
                _waiters.RemoveAll(w =>
                {
                    if (w.Sequence <= own)
                    {
                        done.Add(w.Done);
                        return true;
                    }
                    return false;
                });
            }
            if (progress)
            {
                Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());
            }
        }
        foreach (TaskCompletionSource d in done)
        {
            d.TrySetResult();
        }
        foreach (Relayed r in relayedDone)
        {
            r.Committed();
        }
        if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastProgressTicks)) > _options.ResendAfter)
        {
            List<Pending> again;
            lock (_gate)
            {
                again = _unacked.ToList();
            }
            if (again.Count > 0 && again[0].Sent && StillOnStream(again[0]))
            {
                // Nothing lost: the consumer is slow or not running. A copy would only fill the broker.
                Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());
                return;
            }
            foreach (Pending p in again) // in order: the consumer applies each client's batches in sequence only
            {
                if (p.Sent)
                {
                    Interlocked.Increment(ref _resent);
                }
                if (!TrySend(p))
                {
                    break;
                }
            }
            Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>True when the oldest batch not yet committed is still on the stream (not lost with a broker restart, nor dropped out of order).</summary>
    private bool StillOnStream(Pending p)
    {
        try
        {
            return !p.EntryId.IsNull && _db.StreamRange(_address.StreamKey, p.EntryId, p.EntryId, 1).Length == 1;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when a consumer of the catalog has read the stream in the last <paramref name="within"/>: writes will be
    /// committed. False when no consumer group exists yet or its consumers are all idle longer (none runs).
    /// </summary>
    public bool HasActiveConsumer(TimeSpan within) => HasActiveConsumer(_db, _address, within);

    /// <summary>
    /// <see cref="HasActiveConsumer(TimeSpan)"/> from a process that does not publish itself (it forwards to the one of
    /// this computer that does): asks the broker over a connection of its own, closed at once.
    /// </summary>
    /// <exception cref="CatalogException">The broker cannot be reached or refuses the credentials.</exception>
    public static bool HasActiveConsumer(RemoteCatalogAddress address, string? password, TimeSpan within)
    {
        using ConnectionMultiplexer redis = RemoteConnection.Open(address, password);
        return HasActiveConsumer(redis.GetDatabase(), address, within);
    }

    private static bool HasActiveConsumer(IDatabase db, RemoteCatalogAddress address, TimeSpan within)
    {
        try
        {
            // A consumer tells the alive hash every second (RemoteConsumer.SignLife). XINFO CONSUMERS' idle time is the
            // fallback for consumers of earlier versions: on Redis 7.0 a consumer's empty reads do not reset it.
            long since = (DateTime.UtcNow - within).Ticks;
            foreach (HashEntry e in db.HashGetAll(address.AliveKey))
            {
                if (e.Name.ToString().StartsWith(RemoteCatalogAddress.ConsumerAlivePrefix, StringComparison.Ordinal) && e.Value.TryParse(out long ticks) && ticks >= since)
                {
                    return true;
                }
            }
            if (!db.StreamGroupInfo(address.StreamKey).Any(g => g.Name == RemoteCatalogAddress.Group))
            {
                return false;
            }
            return db.StreamConsumerInfo(address.StreamKey, RemoteCatalogAddress.Group).Any(c => c.IdleTimeInMilliseconds < within.TotalMilliseconds);
        }
        catch (RedisException ex) when (RemoteConnection.IsRefusal(ex))
        {
            throw Refused(address, ex);
        }
        catch (RedisException)
        {
            return false; // no stream yet, or the broker is away
        }
    }

    /// <summary>
    /// Stops sending, after adding to the stream what was handed over (for up to 5 seconds, while the broker answers and
    /// the backlog allows). Does not wait for the consumer: call <see cref="Flush"/> first for that.
    /// </summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!_sender.Join(TimeSpan.FromSeconds(5)))
        {
            _stop.Cancel();
            _sender.Join();
        }
        _redis.Dispose();
        _stop.Dispose();
    }
}

/// <summary>What a publisher did: batches published, acknowledged (committed by the consumer) and sent again.</summary>
public sealed record RemoteStatistics(string Broker, string ClientId, long PublishedBatches, long AcknowledgedBatches, long ResentBatches,
    int UnacknowledgedBatches, long UnacknowledgedRows, long AcceptedRows, long CommittedRows, long Backlog, string? LastError)
{
    /// <summary>Of <see cref="PublishedBatches"/>, the batches of other processes of this computer that forward to this one, the computer's elected publisher.</summary>
    public long RelayedBatches { get; init; }

    /// <summary>How many other processes of this computer forward to this publisher now.</summary>
    public int RelayingFor { get; init; }

    /// <summary>The process that publishes (this one).</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;
}
