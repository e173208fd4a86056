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
/// and nothing is applied twice. One instance per process and catalog (<see cref="RemotePublisherLease"/>).
/// </summary>
public sealed class RemotePublisher : IDisposable
{
    private readonly RemoteCatalogAddress _address;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly RemotePublisherOptions _options;
    private readonly string _clientId = Guid.NewGuid().ToString("D");
    private readonly BlockingCollection<(CatalogWrite? Write, TaskCompletionSource<long>? Flush)> _queue = new(new ConcurrentQueue<(CatalogWrite?, TaskCompletionSource<long>?)>(), 10_000);
    private readonly LinkedList<Pending> _unacked = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _waiters = new();
    private readonly object _gate = new();
    private readonly Thread _sender;
    private readonly CancellationTokenSource _stop = new();
    private long _nextSequence, _committed, _unackedRows;
    private long _published, _acknowledged, _resent, _acceptedRows, _committedRows;
    private long _lastProgressTicks = Stopwatch.GetTimestamp();
    private volatile Exception? _fault;

    private sealed record Pending(long Sequence, byte[] Body, int Rows)
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
                Interlocked.Read(ref _resent), _unacked.Count, _unackedRows, Interlocked.Read(ref _acceptedRows), Interlocked.Read(ref _committedRows), backlog, _fault?.Message);
        }
    }

    internal void Write(CatalogWrite write, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        Interlocked.Add(ref _acceptedRows, write.RowCount);
        _queue.Add((write, null), cancellationToken);
    }

    internal void Flush(CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        var sealedAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((null, sealedAt), cancellationToken);
        long sequence = sealedAt.Task.WaitAsync(cancellationToken).GetAwaiter().GetResult();
        Task done;
        lock (_gate)
        {
            if (sequence <= _committed)
            {
                return;
            }
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
                outstanding = _unacked.Count;
            }
            throw new CatalogException(CatalogErrorCode.WriterUnavailable, _address.ToString(),
                $"The catalog's consumer did not commit this process's writes within {_options.CommitTimeout.TotalMinutes:0.#} minutes: {outstanding:N0} {(outstanding == 1 ? "batch is" : "batches are")} on the broker's stream " +
                $"'{_address.StreamKey}' but not yet in the catalog. Start the consumer (Start-ScanConsumer) on the computer that holds the catalog; " +
                "it commits them from the stream, unless the broker loses them first (a restart without persistence).");
        }
    }

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
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TimeSpan wait = batch.Count == 0 ? (_unacked.Count > 0 ? _options.PollInterval : TimeSpan.FromMilliseconds(200)) : _options.Linger;
                bool got = _queue.TryTake(out var item, wait);
                if (got && item.Write is CatalogWrite w)
                {
                    batch.Add(w);
                    rows += w.RowCount;
                }
                bool seal = batch.Count > 0 && (!got || rows >= _options.MaxBatchRows || item.Flush is not null);
                if (seal)
                {
                    Publish(batch, rows);
                    batch = new List<CatalogWrite>();
                    rows = 0;
                }
                if (got && item.Flush is TaskCompletionSource<long> flush)
                {
                    flush.TrySetResult(Interlocked.Read(ref _nextSequence));
                }
                Settle();
                Heartbeat();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _fault = ex;
            lock (_gate)
            {
                foreach (var (_, done) in _waiters)
                {
                    done.TrySetException(ex);
                }
                _waiters.Clear();
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
            _db.HashSet(_address.AliveKey, _clientId, DateTime.UtcNow.Ticks, flags: CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
        }
    }

    /// <summary>Numbers the batch, keeps it, and adds it to the stream, waiting while the consumer is far behind.</summary>
    private void Publish(List<CatalogWrite> writes, int rows)
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
        var pending = new Pending(Interlocked.Increment(ref _nextSequence), RemoteEntry.Body(writes), Math.Max(rows, 1));
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
        catch (RedisException)
        {
            return 0; // the broker is away: sending fails too, and is retried
        }
    }

    private bool TrySend(Pending p)
    {
        try
        {
            p.EntryId = _db.StreamAdd(_address.StreamKey, RemoteEntry.Encode(_clientId, p.Sequence, Environment.MachineName, p.Body));
            if (!p.Sent)
            {
                Interlocked.Increment(ref _published);
            }
            p.Sent = true;
            return true;
        }
        catch (RedisException)
        {
            return false; // kept: sent again when the broker answers
        }
    }

    /// <summary>Reads the consumer's committed sequence for this client; drops what it covers; resends when stuck.</summary>
    private void Settle()
    {
        if (_unacked.Count == 0)
        {
            return;
        }
        long committed = -1;
        try
        {
            RedisValue v = _db.HashGet(_address.CommittedKey, _clientId);
            if (v.TryParse(out long c))
            {
                committed = c;
            }
        }
        catch (RedisException)
        {
        }
        var done = new List<TaskCompletionSource>();
        lock (_gate)
        {
            if (committed > _committed)
            {
                _committed = committed;
                Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());
                while (_unacked.First is { } first && first.Value.Sequence <= committed)
                {
                    _unackedRows -= first.Value.Rows;
                    Interlocked.Add(ref _committedRows, first.Value.Rows);
                    Interlocked.Increment(ref _acknowledged);
                    _unacked.RemoveFirst();
                }
                _waiters.RemoveAll(w =>
                {
                    if (w.Sequence <= committed)
                    {
                        done.Add(w.Done);
                        return true;
                    }
                    return false;
                });
            }
        }
        foreach (TaskCompletionSource d in done)
        {
            d.TrySetResult();
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
            foreach (Pending p in again) // in order: the consumer applies a client's batches in sequence only
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
    public bool HasActiveConsumer(TimeSpan within)
    {
        try
        {
            if (!_db.StreamGroupInfo(_address.StreamKey).Any(g => g.Name == RemoteCatalogAddress.Group))
            {
                return false;
            }
            return _db.StreamConsumerInfo(_address.StreamKey, RemoteCatalogAddress.Group).Any(c => c.IdleTimeInMilliseconds < within.TotalMilliseconds);
        }
        catch (RedisException)
        {
            return false; // no stream yet, or the broker is away
        }
    }

    /// <summary>Stops sending. Call <see cref="Flush"/> first to wait for the consumer's commit.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _stop.Cancel();
        _sender.Join();
        _redis.Dispose();
        _stop.Dispose();
    }
}

/// <summary>What a publisher did: batches published, acknowledged (committed by the consumer) and sent again.</summary>
public sealed record RemoteStatistics(string Broker, string ClientId, long PublishedBatches, long AcknowledgedBatches, long ResentBatches,
    int UnacknowledgedBatches, long UnacknowledgedRows, long AcceptedRows, long CommittedRows, long Backlog, string? LastError);
