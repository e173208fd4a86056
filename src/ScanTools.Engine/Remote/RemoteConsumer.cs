using Microsoft.Data.Sqlite;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using StackExchange.Redis;

namespace ScanTools.Remote;

/// <summary>Where a consumer is.</summary>
public enum RemoteConsumerState
{
    /// <summary>Connecting, or creating the consumer group.</summary>
    Starting,
    /// <summary>Another consumer of this catalog runs on this computer: this one waits to take over.</summary>
    Standby,
    /// <summary>Another process on this computer is the catalog's writer: waiting until it hands over.</summary>
    WaitingForWriter,
    /// <summary>Reading the stream and committing.</summary>
    Active,
    /// <summary>Stopped (cancelled, or failed: see LastError).</summary>
    Stopped,
}

/// <summary>A consumer's counters, as Start-ScanConsumer reports them.</summary>
public sealed record RemoteConsumerStatus
{
    /// <summary>The broker and catalog name (no credentials).</summary>
    public required string Broker { get; init; }
    /// <summary>The catalog file the batches are committed to.</summary>
    public required string Database { get; init; }
    /// <summary>Where the consumer is.</summary>
    public RemoteConsumerState State { get; init; }
    /// <summary>This consumer's name in the group (host:process id).</summary>
    public required string Consumer { get; init; }
    /// <summary>Batches committed to the catalog.</summary>
    public long CommittedBatches { get; init; }
    /// <summary>Rows (files, errors, run records) in them.</summary>
    public long CommittedRows { get; init; }
    /// <summary>Batches received again that the catalog already had (resends): acknowledged, not applied twice.</summary>
    public long DuplicateBatches { get; init; }
    /// <summary>Batches that came before an earlier one of their producer (after a broker restart): left for the producer to resend in order.</summary>
    public long OutOfOrderBatches { get; init; }
    /// <summary>Entries that were not ScanTools batches (refused, removed from the stream).</summary>
    public long RejectedEntries { get; init; }
    /// <summary>Writes the catalog refused (each alone; the rest of its batch was committed).</summary>
    public long RefusedRows { get; init; }
    /// <summary>Pending entries taken over from a consumer that stopped.</summary>
    public long ClaimedEntries { get; init; }
    /// <summary>Entries on the stream not yet consumed and deleted.</summary>
    public long Backlog { get; init; }
    /// <summary>Runs ended Failed because their producer stopped sending before it ended them.</summary>
    public long AbandonedRuns { get; init; }
    /// <summary>The last problem (a refused entry, a lost connection), without credentials.</summary>
    public string? LastError { get; init; }
    /// <summary>
    /// When (UTC, this computer's clock) the consumer last saw a scanning process's sign of life change in the
    /// catalog's alive hash: a process that publishes, or is about to, tells it every second. Null until one is seen.
    /// -IdleTimeout counts from it too, so a draining consumer waits for scans that started but have sent nothing yet.
    /// </summary>
    public DateTime? LastPublisherSignUtc { get; init; }
}

/// <summary>Settings of a consumer.</summary>
public sealed record RemoteConsumerOptions
{
    /// <summary>Entries read per round.</summary>
    public int BatchEntries { get; init; } = 128;
    /// <summary>The longest pause between reads of an empty stream.</summary>
    public TimeSpan MaxIdleWait { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A producer silent this long (no sign of life, nothing pending) has stopped: its open runs are ended Failed.</summary>
    public TimeSpan ProducerTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The catalog's consumer: reads a remote catalog's stream through the consumer group, commits each batch
/// through the catalog's writer session together with its producer's sequence, and only then publishes the
/// producer's committed sequence and acknowledges (XACK) and deletes (XDEL) the entries. A producer's batches are
/// applied in sequence: a resend of one the catalog has is acknowledged without applying it again, one that comes
/// before its predecessor is left for the producer to send again in order. One consumer per catalog runs on the
/// computer that holds it; a second waits (Standby) and, when the first stops, takes over its pending entries.
/// </summary>
public sealed class RemoteConsumer
{
    private readonly RemoteCatalogAddress _address;
    private readonly string? _password;
    private readonly string _database;
    private readonly WriterSessionRegistry _registry;
    private readonly RemoteConsumerOptions _options;
    // Each consumer its own name, so one of another catalog file in this process is told apart (WaitForOtherConsumers).
    private readonly string _name = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}"[..^24];
    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Guid>> _openRuns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _lastHeard = new(StringComparer.Ordinal);
    private long _abandoned;
    private long _batches, _rows, _duplicates, _outOfOrder, _rejected, _refused, _claimed, _backlog;
    private volatile RemoteConsumerState _state = RemoteConsumerState.Starting;
    private volatile string? _lastError;
    private volatile bool _wasActive; // it read the stream; a standby one never did

    /// <param name="address">The remote catalog (broker and name).</param>
    /// <param name="password">The broker's password, or null for $env:SCANTOOLS_REDIS_PASSWORD / none.</param>
    /// <param name="databasePath">The catalog file (full path) the batches are committed to.</param>
    /// <param name="registry">The session registry; the process-wide one by default.</param>
    /// <param name="options">Settings.</param>
    public RemoteConsumer(RemoteCatalogAddress address, string? password, string databasePath, WriterSessionRegistry? registry = null, RemoteConsumerOptions? options = null)
    {
        _address = address;
        _password = password;
        _database = databasePath;
        _registry = registry ?? WriterSessionRegistry.Shared;
        _options = options ?? new RemoteConsumerOptions();
    }

    /// <summary>Raised with each entry the consumer refused (not a ScanTools batch), with the reason.</summary>
    public event Action<string>? EntryRejected;

    /// <summary>A snapshot of the counters.</summary>
    public RemoteConsumerStatus Status() => new()
    {
        Broker = _address.ToString(),
        Database = _database,
        State = _state,
        Consumer = _name,
        CommittedBatches = Interlocked.Read(ref _batches),
        CommittedRows = Interlocked.Read(ref _rows),
        DuplicateBatches = Interlocked.Read(ref _duplicates),
        OutOfOrderBatches = Interlocked.Read(ref _outOfOrder),
        RejectedEntries = Interlocked.Read(ref _rejected),
        RefusedRows = Interlocked.Read(ref _refused),
        ClaimedEntries = Interlocked.Read(ref _claimed),
        Backlog = Interlocked.Read(ref _backlog),
        AbandonedRuns = Interlocked.Read(ref _abandoned),
        LastError = _lastError,
        LastPublisherSignUtc = Interlocked.Read(ref _lastPublisherSign) is long t and > 0 ? new DateTime(t, DateTimeKind.Utc) : null,
    };

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled: what was read is committed and acknowledged
    /// first. Entries read but not committed stay pending on the broker for the next consumer.
    /// </summary>
    /// <exception cref="CatalogException">The catalog cannot be written, or the broker cannot be reached at the start.</exception>
    public void Run(CancellationToken cancellationToken)
    {
        // SIGTERM (systemd stopping the service, kill) and SIGHUP stop it as Ctrl+C does, and say so on the error stream:
        // untracked, the process ended at once, exit code 143 and not a word of what it had committed.
        using var stop = new SignalledStop(this, cancellationToken);
        ProcessShutdown.Track(stop);
        try
        {
            RunUntil(stop.Token);
        }
        finally
        {
            stop.End();
            ProcessShutdown.Untrack(stop);
        }
    }

    /// <summary>Stops the consumer when the process is asked to end (see <see cref="ProcessShutdown"/>).</summary>
    private sealed class SignalledStop : ProcessShutdown.IStoppableRun, IDisposable
    {
        private readonly RemoteConsumer _consumer;
        private readonly CancellationTokenSource _source;
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile string? _reason;

        public SignalledStop(RemoteConsumer consumer, CancellationToken outer)
        {
            _consumer = consumer;
            _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        }

        public CancellationToken Token => _source.Token;

        public Task Ended => _ended.Task;

        public void End() => _ended.TrySetResult();

        public void Stop(string reason)
        {
            _stateAtStop = _consumer._state;
            _reason = reason;
            _source.Cancel();
        }

        private volatile RemoteConsumerState _stateAtStop;

        public void Abandon(string reason, TimeSpan wait)
        {
            // Nothing to end on record: entries read and not committed stay pending on the broker for the next consumer.
        }

        public string? StoppedText => _reason is not string reason ? null
            : _consumer._wasActive
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Start-ScanConsumer: {reason}. {_consumer.Status().CommittedBatches:N0} batches ({_consumer.Status().CommittedRows:N0} rows) were committed into '{_consumer._database}' and acknowledged; entries not yet committed stay on {_consumer._address} for the next consumer: start it again to go on.")
                // A standby consumer read nothing: another one reads the stream (newcomer test 83: it said "start it again").
                : $"Start-ScanConsumer: {reason}, before it read {_consumer._address}: it was {_stateAtStop switch { RemoteConsumerState.Standby => "standby while another consumer reads the stream, which goes on", RemoteConsumerState.WaitingForWriter => "waiting to become the writer of '" + _consumer._database + "'", _ => "starting" }}. Nothing was committed by it.";

        public void Dispose() => _source.Dispose();
    }

    private void RunUntil(CancellationToken cancellationToken)
    {
        try
        {
            // The broker first: one that cannot be reached leaves nothing created next to the catalog.
            using ConnectionMultiplexer redis = RemoteConnection.Open(_address, _password);
            using FileStream consumerLock = TakeConsumerLock(cancellationToken);
            // Durability Full: a batch is deleted from the broker once committed, so its commit must be on disk first
            // (a power failure would otherwise lose what the broker no longer holds).
            using WriterSessionLease lease = _registry.Acquire(_database, new WriterSessionOptions { Durability = Durability.Full });
            WaitForWriterRole(lease, cancellationToken);
            IDatabase db = redis.GetDatabase();
            // Its sign of life goes when it stops, so the next consumer need not wait to see it unchanged.
            using var signOff = new AliveFieldRemoval(db, _address.AliveKey, RemoteCatalogAddress.ConsumerAlivePrefix + _name);
            EnsureGroup(db, cancellationToken);
            WaitForOtherConsumers(db, cancellationToken);
            _state = RemoteConsumerState.Active;
            _wasActive = true;
            AdoptOpenRuns();
            try
            {
                ClaimPending(db, lease, cancellationToken);
            }
            catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
            {
                _lastError = Retrying(ex); // claimed again below
            }
            TimeSpan idle = TimeSpan.FromMilliseconds(1);
            var sinceClaim = System.Diagnostics.Stopwatch.StartNew();
            while (!cancellationToken.IsCancellationRequested)
            {
                SignLife(db);
                if (sinceClaim.Elapsed > TimeSpan.FromSeconds(Math.Min(5, _options.ProducerTimeout.TotalSeconds / 2)))
                {
                    try
                    {
                        EndRunsOfStoppedProducers(db, lease);
                    }
                    catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
                    {
                        _lastError = Retrying(ex); // no run is ended while producers cannot be heard
                    }
                    // Entries this consumer read but could not acknowledge (the broker went away meanwhile) are read again.
                    sinceClaim.Restart();
                    try
                    {
                        ClaimPending(db, lease, cancellationToken);
                    }
                    catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
                    {
                        _lastError = Retrying(ex);
                    }
                }
                StreamEntry[] entries;
                try
                {
                    entries = db.StreamReadGroup(_address.StreamKey, RemoteCatalogAddress.Group, _name, StreamPosition.NewMessages, _options.BatchEntries);
                }
                catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
                {
                    _lastError = "The broker lost the stream and its group (a restart without persistence?); the group was created again, and producers resend what is not committed.";
                    EnsureGroup(db, cancellationToken);
                    continue;
                }
                catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
                {
                    _lastError = Retrying(ex);
                    cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                    continue;
                }
                if (entries.Length == 0)
                {
                    UpdateBacklog(db);
                    cancellationToken.WaitHandle.WaitOne(idle);
                    idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, _options.MaxIdleWait.Ticks));
                    continue;
                }
                idle = TimeSpan.FromMilliseconds(1);
                try
                {
                    Process(db, lease, entries, cancellationToken);
                }
                catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
                {
                    // Committed or not, the entries stay pending on the broker: claimed again and skipped by their sequence.
                    _lastError = $"The broker went away while entries were acknowledged ({ex.GetType().Name}); they are read again.";
                    cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (RedisException ex) when (RemoteConnection.IsRefusal(ex))
        {
            throw new InvalidDataException(RemoteConnection.RefusalMessage(_address, ex), ex); // ConsumerFailed: retrying never helps
        }
        finally
        {
            _state = RemoteConsumerState.Stopped;
        }
    }

    /// <summary>Removes a consumer's field of the alive hash when it stops (best effort: a broker that went away keeps it).</summary>
    private sealed class AliveFieldRemoval(IDatabase db, RedisKey key, string field) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                db.HashDelete(key, field);
            }
            catch (RedisException)
            {
            }
        }
    }

    /// <summary>How long a consumer's sign of life must stay unchanged to count it stopped: 3 s (it signs every second).</summary>
    private static readonly TimeSpan ConsumerSilence = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Waits as standby while another consumer reads this broker catalog, wherever it runs and whatever catalog file it writes:
    /// two consumers of one stream split its batches between their two files, without a word (a typo in one -Database, or a
    /// second computer: newcomer test 77). A consumer is running while its field of the alive hash changes (every second);
    /// compared by change, not by time, so the computers' clocks need not agree. The fields of stopped consumers are removed.
    /// </summary>
    private void WaitForOtherConsumers(IDatabase db, CancellationToken ct)
    {
        string mine = RemoteCatalogAddress.ConsumerAlivePrefix + _name;
        while (true)
        {
            Dictionary<string, RedisValue> Others() => db.HashGetAll(_address.AliveKey)
                .Where(e => e.Name.ToString() is string f && f.StartsWith(RemoteCatalogAddress.ConsumerAlivePrefix, StringComparison.Ordinal) && f != mine)
                .ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
            Dictionary<string, RedisValue> before = Others();
            if (before.Count == 0)
            {
                _lastError = null;
                return;
            }
            if (ct.WaitHandle.WaitOne(ConsumerSilence))
            {
                throw new OperationCanceledException(ct);
            }
            Dictionary<string, RedisValue> after = Others();
            var running = after.Where(a => !before.TryGetValue(a.Key, out RedisValue was) || was != a.Value).Select(a => a.Key).ToList();
            foreach (string stopped in before.Keys.Where(k => !running.Contains(k)))
            {
                try
                {
                    db.HashDelete(_address.AliveKey, stopped); // a consumer that ended (or was killed) long enough ago
                }
                catch (RedisException)
                {
                    // An ACL user made before HDEL was in about_ScanTools' list: the field stays, and is judged by change again.
                }
            }
            if (running.Count == 0)
            {
                _lastError = null;
                return;
            }
            // The reason first: a Status() read between the two saw Standby without it.
            _lastError = $"Another consumer reads this catalog's stream ({string.Join(", ", running.Select(r => r[RemoteCatalogAddress.ConsumerAlivePrefix.Length..]))}): this one waits as standby, so the batches are not split between two catalog files.";
            _state = RemoteConsumerState.Standby;
        }
    }

    /// <summary>What <see cref="Status"/> says while the broker does not answer.</summary>
    private static string Retrying(RedisException ex) => $"The broker did not answer ({ex.GetType().Name}); retrying.";

    private long _lastSignOfLife;
    private long _lastPublisherSign;

    /// <summary>Each publisher field of the alive hash: its last value, and when (this computer's clock) it last changed.</summary>
    private readonly Dictionary<string, (RedisValue Value, DateTime Changed)> _publisherSigns = new(StringComparer.Ordinal);

    /// <summary>A publisher field unchanged this long is a process long gone (publishers never remove theirs): removed.</summary>
    private static readonly TimeSpan StaleSign = TimeSpan.FromHours(1);

    /// <summary>
    /// Tells the catalog's alive hash this consumer runs (every second), so a scan that starts can tell a consumer is there
    /// (RemotePublisher.HasActiveConsumer) however long the stream was empty.
    /// </summary>
    private void SignLife(IDatabase db)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (System.Diagnostics.Stopwatch.GetElapsedTime(_lastSignOfLife, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }
        _lastSignOfLife = now;
        try
        {
            db.HashSet(_address.AliveKey, RemoteCatalogAddress.ConsumerAlivePrefix + _name, DateTime.UtcNow.Ticks); // answered: a refusal is seen
            WatchPublishers(db.HashGetAll(_address.AliveKey), DateTime.UtcNow, db);
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
            // The broker is away: the reads below say so.
        }
    }

    /// <summary>
    /// Notes a publisher whose sign of life changed since the last look (every second) as heard now. A change, not the
    /// value, tells: the value is the publisher's clock, which on another computer may run minutes off this one. Fields
    /// unchanged for <see cref="StaleSign"/> (the processes of past scans) are removed, so the hash does not grow forever.
    /// </summary>
    internal void WatchPublishers(HashEntry[] signs, DateTime now, IDatabase? db)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (HashEntry e in signs)
        {
            string field = e.Name.ToString();
            if (field.StartsWith(RemoteCatalogAddress.ConsumerAlivePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            seen.Add(field);
            if (!_publisherSigns.TryGetValue(field, out var known))
            {
                _publisherSigns[field] = (e.Value, now);
                continue; // first look: it tells nothing yet of when the process last told it
            }
            if (known.Value != e.Value)
            {
                _publisherSigns[field] = (e.Value, now);
                Interlocked.Exchange(ref _lastPublisherSign, now.Ticks);
            }
            else if (now - known.Changed > StaleSign)
            {
                db?.HashDelete(_address.AliveKey, field, CommandFlags.FireAndForget);
                _publisherSigns.Remove(field);
            }
        }
        foreach (string gone in _publisherSigns.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _publisherSigns.Remove(gone);
        }
    }

    private void UpdateBacklog(IDatabase db)
    {
        try
        {
            Interlocked.Exchange(ref _backlog, db.StreamLength(_address.StreamKey));
        }
        catch (RedisException)
        {
        }
    }

    /// <summary>One consumer per catalog on this computer: the others wait here as standby.</summary>
    /// <exception cref="CatalogException">The catalog's folder is missing (<see cref="CatalogErrorCode.FolderNotFound"/>), or
    /// the path is a folder or a file that is not a catalog: refused before the lock file is made next to it.</exception>
    private FileStream TakeConsumerLock(CancellationToken ct)
    {
        if (CatalogDatabase.MissingFolder(_database) is CatalogException missing)
        {
            throw missing;
        }
        CatalogDatabase.ThrowIfForeign(_database);
        string path = _database + "-consumer.lock";
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || (ex is IOException && ex.HResult == Platform.UnixAccess.ReadOnlyFileSystem))
            {
                // A read-only folder or file system was ConsumerFailed, exit 5, which a systemd unit with Restart=on-failure
                // retried for ever; it is the catalog's fault, as Start-Scan and -WhatIf say of it (newcomer test 77).
                throw new CatalogException(CatalogErrorCode.ReadOnly, _database,
                    $"The catalog '{_database}' cannot be written: Start-ScanConsumer cannot create its lock file '{path}' ({ex.Message.TrimEnd('.')}). Give this account write access to the folder, or choose another -Database.", ex);
            }
            catch (IOException) when (File.Exists(path))
            {
                _state = RemoteConsumerState.Standby;
                if (ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100)))
                {
                    throw new OperationCanceledException(ct);
                }
            }
        }
    }

    private void WaitForWriterRole(WriterSessionLease lease, CancellationToken ct)
    {
        while (lease.Session.Role != SessionRole.Writer)
        {
            _state = RemoteConsumerState.WaitingForWriter;
            if (ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100)))
            {
                throw new OperationCanceledException(ct);
            }
        }
    }

    /// <summary>Creates the consumer group if it is missing, retrying while the broker does not answer (a restart).</summary>
    /// <exception cref="OperationCanceledException">Stopped while the broker did not answer.</exception>
    private void EnsureGroup(IDatabase db, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                db.StreamCreateConsumerGroup(_address.StreamKey, RemoteCatalogAddress.Group, "0-0", createStream: true);
                return;
            }
            catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
            {
                return;
            }
            catch (RedisException ex) when (ex is not RedisServerException)
            {
                _lastError = Retrying(ex);
                if (ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200)))
                {
                    throw new OperationCanceledException(ct);
                }
            }
        }
    }

    /// <summary>Takes over entries that a consumer read but did not commit (it stopped): they are this one's now.</summary>
    private void ClaimPending(IDatabase db, WriterSessionLease lease, CancellationToken ct)
    {
        RedisValue start = "0-0";
        while (!ct.IsCancellationRequested)
        {
            StreamAutoClaimResult claimed = db.StreamAutoClaim(_address.StreamKey, RemoteCatalogAddress.Group, _name, 0, start, _options.BatchEntries);
            if (claimed.ClaimedEntries.Length > 0)
            {
                Interlocked.Add(ref _claimed, claimed.ClaimedEntries.Length);
                Process(db, lease, claimed.ClaimedEntries, ct);
            }
            if (claimed.NextStartId.IsNull || claimed.NextStartId == "0-0")
            {
                return;
            }
            start = claimed.NextStartId;
        }
    }

    private long Applied(string client)
    {
        if (!_applied.TryGetValue(client, out long last))
        {
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            c.Open();
            using SqliteCommand q = c.CreateCommand();
            q.CommandText = "SELECT last_seq FROM client_batches WHERE client_id = $c;";
            q.Parameters.AddWithValue("$c", client);
            last = q.ExecuteScalar() is long l ? l : 0;
            _applied[client] = last;
        }
        return last;
    }

    /// <summary>
    /// Runs the catalog holds as Running that no consumer before this one ended: it forgot them when it stopped, so a
    /// producer killed within <see cref="RemoteConsumerOptions.ProducerTimeout"/> before that left its run Running for
    /// ever (newcomer test 77). Each is watched as if its producer were last heard now, under a stand-in client until an
    /// entry of the run names its producer; one that no entry names within the timeout is ended Failed at its last
    /// progress. A run of a live process of this computer (a local scan into the same catalog) is not touched.
    /// </summary>
    private void AdoptOpenRuns()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using SqliteCommand q = c.CreateCommand();
        q.CommandText = "SELECT run_key, host, process_id, started_utc FROM scan_runs WHERE status = 'Running';";
        using SqliteDataReader r = q.ExecuteReader();
        while (r.Read())
        {
            if (!Guid.TryParse(r.GetString(0), out Guid run))
            {
                continue;
            }
            if (r.GetString(1) == Environment.MachineName && Platform.ProcessLiveness.IsAlive(r.GetInt32(2), new DateTime(r.GetInt64(3), DateTimeKind.Utc)))
            {
                continue;
            }
            string standIn = AdoptedPrefix + run.ToString("N");
            _openRuns[standIn] = new HashSet<Guid> { run };
            _lastHeard[standIn] = DateTime.UtcNow;
            _adopted[run] = standIn;
        }
    }

    private const string AdoptedPrefix = "\0adopted:"; // no producer's client id begins so
    private readonly Dictionary<Guid, string> _adopted = new(); // adopted run -> its stand-in client, until an entry names its producer

    /// <summary>Remembers which runs each producer has open, to end them if it stops without ending them.</summary>
    private void TrackRuns(RemoteEntry entry)
    {
        _lastHeard[entry.ClientId] = DateTime.UtcNow;
        foreach (Storage.Writes.CatalogWrite w in entry.Writes)
        {
            if (_adopted.Count > 0 && _adopted.Remove(w.RunKey, out string? standIn))
            {
                // The producer of an adopted run is heard: it is watched as its own from now on.
                _openRuns.Remove(standIn);
                _lastHeard.Remove(standIn);
                if (w is not Storage.Writes.ScanRunEnd)
                {
                    if (!_openRuns.TryGetValue(entry.ClientId, out HashSet<Guid>? own))
                    {
                        _openRuns[entry.ClientId] = own = new HashSet<Guid>();
                    }
                    own.Add(w.RunKey);
                }
            }
            if (w is Storage.Writes.ScanRunStart start)
            {
                if (!_openRuns.TryGetValue(entry.ClientId, out HashSet<Guid>? runs))
                {
                    _openRuns[entry.ClientId] = runs = new HashSet<Guid>();
                }
                runs.Add(start.RunKey);
            }
            else if (w is Storage.Writes.ScanRunEnd end)
            {
                // Under any client id: a process that became its computer's publisher mid-run ends it under another one.
                foreach (HashSet<Guid> open in _openRuns.Values)
                {
                    open.Remove(end.RunKey);
                }
            }
        }
    }

    /// <summary>Runs a producer that stopped (killed, its host down) left open: ended Failed, with the counts the catalog holds.</summary>
    private void EndRunsOfStoppedProducers(IDatabase db, WriterSessionLease lease)
    {
        foreach (var (client, runs) in _openRuns.Where(r => r.Value.Count > 0).ToList())
        {
            DateTime heard = _lastHeard.GetValueOrDefault(client);
            RedisValue alive = db.HashGet(_address.AliveKey, client);
            if (alive.TryParse(out long ticks) && ticks > heard.Ticks && ticks <= DateTime.UtcNow.Ticks)
            {
                heard = new DateTime(ticks, DateTimeKind.Utc);
                _lastHeard[client] = heard;
            }
            if (DateTime.UtcNow - heard < _options.ProducerTimeout)
            {
                continue;
            }
            foreach (Guid run in runs)
            {
                // Ended at its last progress, as a local dead run is, not now: its Duration read a minute longer (newcomer test 77).
                lease.Write(Storage.Writes.ScanRunEnd.CountedFromCatalog(run, Storage.ScanRunStatus.Failed,
                    $"The scanning process stopped sending (killed, or its computer went down) for more than {_options.ProducerTimeout.TotalSeconds:0} s before the run ended; the counts are what reached the catalog, and its end time is the last progress that did.", endedUtc: default(DateTime)));
                Interlocked.Increment(ref _abandoned);
                _adopted.Remove(run);
            }
            lease.Flush();
            runs.Clear();
        }
    }

    private void Process(IDatabase db, WriterSessionLease lease, StreamEntry[] entries, CancellationToken ct)
    {
        var done = new List<RedisValue>();
        var commits = new List<(Task<int> Task, int Rows)>();
        var committed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (StreamEntry e in entries)
        {
            if (e.IsNull)
            {
                continue; // deleted meanwhile
            }
            done.Add(e.Id);
            RemoteEntry entry;
            try
            {
                entry = RemoteEntry.Decode(e);
            }
            catch (InvalidDataException ex)
            {
                Interlocked.Increment(ref _rejected);
                _lastError = ex.Message;
                EntryRejected?.Invoke(ex.Message);
                continue;
            }
            long last = Applied(entry.ClientId);
            if (entry.Sequence <= last)
            {
                Interlocked.Increment(ref _duplicates);
                committed[entry.ClientId] = last; // say so again: the producer may have missed it
                continue;
            }
            if (entry.Sequence > last + 1)
            {
                Interlocked.Increment(ref _outOfOrder); // an earlier batch is missing: the producer resends them in order
                continue;
            }
            commits.Add((lease.Session.EnqueueBrokerBatch(entry.ClientId, entry.Sequence, entry.Writes, ct), entry.Writes.Sum(w => w.RowCount)));
            TrackRuns(entry);
            _applied[entry.ClientId] = entry.Sequence;
            committed[entry.ClientId] = entry.Sequence;
        }
        foreach (var (task, rows) in commits)
        {
            int refused = task.GetAwaiter().GetResult(); // committed, or the catalog failed (thrown: nothing is acknowledged)
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _rows, rows - refused);
            Interlocked.Add(ref _refused, refused);
        }
        // Committed: now the producers may forget these batches, and the stream may drop them. If the broker is
        // away, the entries stay pending here and are read again (as resends, not applied twice) once it is back.
        try
        {
            if (committed.Count > 0)
            {
                db.HashSet(_address.CommittedKey, committed.Select(c => new HashEntry(c.Key, c.Value)).ToArray());
            }
            if (done.Count > 0)
            {
                RedisValue[] ids = done.ToArray();
                db.StreamAcknowledge(_address.StreamKey, RemoteCatalogAddress.Group, ids);
                db.StreamDelete(_address.StreamKey, ids);
            }
        }
        catch (RedisException ex) when (!RemoteConnection.IsRefusal(ex))
        {
            _lastError = $"Committed, but the broker did not take the acknowledgement ({ex.GetType().Name}); it is given again later.";
        }
        UpdateBacklog(db);
    }
}
