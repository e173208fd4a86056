using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// The one writer session of one catalog in this process. Producers on any thread hand it writes; a
/// single consumer thread takes them from a bounded queue. In the process that holds the catalog's
/// writer lock the session is the <see cref="SessionRole.Writer"/>: it owns the only write connection,
/// applies writes in large prepared transactions and serves other processes' sessions over a local
/// endpoint. Everywhere else it is a <see cref="SessionRole.Forwarder"/>: it sends batches to that writer
/// and keeps each until the writer acknowledges its commit; if the writer goes away, it elects a new
/// one (possibly itself) and resends what was not acknowledged. Either way <see cref="FlushAsync"/> means
/// committed, a failed write reaches every producer, and closing drains and commits first.
/// </summary>
/// <remarks>Obtain one through <see cref="WriterSessionRegistry.Acquire"/>, never directly.</remarks>
public sealed partial class WriterSession
{
    private readonly BlockingCollection<SessionItem> _queue = new(new LockedQueue<SessionItem>()); // not ConcurrentQueue: see LockedQueue
    private readonly RowBudget _budget;
    private readonly RowBudget _forwardedBudget;
    private readonly WriterSessionOptions _options;
    private readonly Thread _consumer;
    private readonly DateTime _openedUtc = DateTime.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ManualResetEventSlim _stopped = new();
    private Durability _durability;

    private long _accepted, _committed, _failed, _rejected, _rejectedWrites, _transactions;
    private long _firstAcceptTicks = -1, _lastCommitTicks = -1;
    private DateTime? _lastCommitUtc;
    private volatile CatalogException? _fault;
    private volatile bool _closing;
    private volatile SessionRole _role;
    private DateTime _roleSinceUtc = DateTime.UtcNow;
    internal int References;

    internal WriterSession(string databasePath, string key, WriterSessionOptions options)
        : this(databasePath, key, options, remote: null, brokerPassword: null)
    {
    }

    /// <summary>
    /// The session of a remote catalog on this computer: the process that wins the election publishes to the broker
    /// (its own writes and those the others forward to it); the others forward to it as they would to a catalog's writer.
    /// </summary>
    /// <exception cref="CatalogException">The broker cannot be reached (by the process elected to publish).</exception>
    internal WriterSession(Remote.RemoteCatalogAddress remote, string? brokerPassword, WriterSessionOptions options)
        : this(remote.ToString(), RemoteKeyOf(remote), options, remote, brokerPassword)
    {
    }

    /// <summary>The registry key of a remote catalog: its address without credentials, in one case.</summary>
    internal static string RemoteKeyOf(Remote.RemoteCatalogAddress remote) => "remote:" + remote.ToString().ToLowerInvariant();

    private WriterSession(string databasePath, string key, WriterSessionOptions options, Remote.RemoteCatalogAddress? remote, string? brokerPassword)
    {
        options.Validate();
        DatabasePath = databasePath;
        Key = key;
        _remote = remote;
        _brokerPassword = brokerPassword;
        _options = options;
        _durability = options.Durability;
        _budget = new RowBudget(options.MaxPendingRows);
        _forwardedBudget = new RowBudget(options.MaxForwardedPendingRows);
        Endpoint = EndpointAddress.For(key);
        Elect(); // writer or forwarder; throws here, to the first acquirer, when the catalog cannot be written
        _consumer = new Thread(ConsumeLoop)
        {
            IsBackground = true,
            Name = "ScanTools writer " + Path.GetFileName(databasePath),
        };
        _consumer.Start();
    }

    /// <summary>The canonical path of the catalog, or the address (without credentials) of a remote one.</summary>
    public string DatabasePath { get; }

    /// <summary>The remote catalog this session publishes or forwards to; null for a catalog file.</summary>
    public global::ScanTools.Remote.RemoteCatalogAddress? Remote => _remote;

    /// <summary>This computer's publisher of the remote catalog, when this process is the one elected to publish.</summary>
    public global::ScanTools.Remote.RemotePublisher? Publisher => _publisher;

    internal string Key { get; }

    internal EndpointAddress Endpoint { get; }

    /// <summary>Writer, or forwarder to another process's writer.</summary>
    public SessionRole Role => _role;

    /// <summary>True once a failed write stopped the session.</summary>
    public bool IsFaulted => _fault is not null;

    internal bool IsClosing => _closing;

    /// <summary>For timing tests: when this session first committed after becoming the writer.</summary>
    internal DateTime? FirstCommitAsWriterUtc { get; private set; }

    /// <summary>A snapshot of the counters.</summary>
    public SessionStatistics Statistics()
    {
        long accepted = Interlocked.Read(ref _accepted);
        long committed = Interlocked.Read(ref _committed);
        if (_publisher is global::ScanTools.Remote.RemotePublisher publisher)
        {
            // Handed to the publisher is not committed: only what the catalog's consumer reported committed is.
            committed = Math.Min(committed, publisher.CommittedRows);
        }
        long failed = Interlocked.Read(ref _failed);
        long first = Interlocked.Read(ref _firstAcceptTicks);
        long last = Interlocked.Read(ref _lastCommitTicks);
        double seconds = first >= 0 && last > first ? TimeSpan.FromTicks(last - first).TotalSeconds : 0;
        SessionRole role = _role;
        return new SessionStatistics
        {
            DatabasePath = DatabasePath,
            Role = role,
            Durability = _durability,
            References = Volatile.Read(ref References),
            AcceptedRows = accepted,
            CommittedRows = committed,
            FailedRows = failed,
            PendingRows = Math.Max(0, accepted - committed - failed - Interlocked.Read(ref _rejected)),
            RejectedRows = Interlocked.Read(ref _rejected),
            RejectedWrites = Interlocked.Read(ref _rejectedWrites),
            LastRejection = _lastRejection,
            Transactions = Interlocked.Read(ref _transactions),
            RowsPerSecond = seconds > 0 ? committed / seconds : 0,
            OpenedUtc = _openedUtc,
            RoleSinceUtc = _roleSinceUtc,
            LastCommitUtc = _lastCommitUtc,
            LastError = _fault?.Message,
            IsFaulted = _fault is not null,
            WriterProcessId = role == SessionRole.Writer ? Environment.ProcessId : _writerPid,
            ClientProcessIds = _server?.ClientProcessIds ?? Array.Empty<int>(),
            ReceivedBatches = _server?.ReceivedBatches ?? 0,
            ForwardedBatches = Interlocked.Read(ref _forwardedBatches),
            AcknowledgedBatches = Interlocked.Read(ref _acknowledgedBatches),
            ResentBatches = Interlocked.Read(ref _resentBatches),
            Endpoint = Endpoint.ToString(),
        };
    }

    /// <summary>Queues a write, waiting while the queue is full. A refusal of it alone goes to <paramref name="producer"/>.</summary>
    /// <exception cref="CatalogException">The session failed earlier or is closed.</exception>
    internal void Enqueue(CatalogWrite write, CancellationToken cancellationToken, IWriteProducer? producer = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        ThrowIfUnusable();
        int rows = write.RowCount;
        _budget.Take(rows, cancellationToken);
        MarkAccepted(rows);
        if (!TryAdd(SessionItem.ForWrite(write, rows, producer)))
        {
            Interlocked.Add(ref _failed, rows);
            _budget.Return(rows);
            _stopped.Wait(); // the consumer is failing or closing: report why once it has settled
            ThrowIfUnusable();
            throw Closed();
        }
    }

    /// <summary>
    /// Queues a batch that arrived through a broker, identified by its producer's client id and sequence: it is
    /// applied in one transaction with the record of that sequence, and skipped if that client's sequence shows it
    /// is committed already (a resend). Only the writer applies such batches: in a forwarding session it is an error.
    /// The task completes once the batch is committed (or skipped), with the number of rows the catalog refused.
    /// </summary>
    /// <exception cref="CatalogException">The session failed or is closed, or this process is not the catalog's writer.</exception>
    internal Task<int> EnqueueBrokerBatch(string clientId, long sequence, List<CatalogWrite> writes, CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        if (_role != SessionRole.Writer || _remote is not null)
        {
            throw new CatalogException(CatalogErrorCode.WriterUnavailable, DatabasePath,
                $"Another process is the writer of '{DatabasePath}'; batches from the broker are applied only by the catalog's writer.");
        }
        int rows = Math.Max(1, writes.Sum(w => w.RowCount));
        _budget.Take(rows, cancellationToken);
        MarkAccepted(rows);
        var committed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!TryAdd(SessionItem.ForBroker(clientId, sequence, writes, rows, committed)))
        {
            Interlocked.Add(ref _failed, rows);
            _budget.Return(rows);
            _stopped.Wait();
            ThrowIfUnusable();
            throw Closed();
        }
        return committed.Task;
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

    /// <summary>
    /// Stops taking writes, commits everything queued, and closes. A writer hands over cleanly: it stops
    /// reading from its clients, commits and acknowledges what it read, tells them to elect another
    /// writer, and only then releases the lock. Blocks until done.
    /// </summary>
    internal void Close()
    {
        _closing = true;
        LingerTimer?.Dispose();
        _server?.StopReceiving();
        try
        {
            _queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
        }
        _consumer.Join();
    }

    private void MarkAccepted(int rows)
    {
        if (Interlocked.Read(ref _firstAcceptTicks) < 0)
        {
            Interlocked.CompareExchange(ref _firstAcceptTicks, _clock.Elapsed.Ticks, -1);
        }
        Interlocked.Add(ref _accepted, rows);
    }

    private volatile string? _lastRejection;

    /// <summary>
    /// Tells the producer of a write that the catalog refused it (the session goes on) and counts it.
    /// Called after the transaction around it committed, before flushes complete, so a producer's flush
    /// always sees its refusals.
    /// </summary>
    private void Refused(IWriteProducer? producer, RejectedWrite rejected)
    {
        Interlocked.Add(ref _rejected, rejected.Rows);
        Interlocked.Increment(ref _rejectedWrites);
        _lastRejection = rejected.ToString();
        producer?.OnRejected(rejected);
    }

    private void MarkCommitted(long rows)
    {
        Interlocked.Add(ref _committed, rows);
        Interlocked.Exchange(ref _lastCommitTicks, _clock.Elapsed.Ticks);
        _lastCommitUtc = DateTime.UtcNow;
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

    private void SetRole(SessionRole role)
    {
        _roleSinceUtc = DateTime.UtcNow;
        _role = role;
        if (role == SessionRole.Forwarder)
        {
            // A forwarder needs only enough queued to keep its window full. A deep queue here would be what
            // it must commit first, ahead of everyone else's resends, if it becomes the writer.
            _budget.Limit = Math.Min(_options.MaxPendingRows, _options.MaxForwardedPendingRows);
        }
    }

    private void ConsumeLoop()
    {
        try
        {
            if (_role == SessionRole.Forwarder && !RunForwarder())
            {
                return; // closed or failed as a forwarder
            }
            if (_remote is not null)
            {
                RunPublisher();
            }
            else
            {
                RunWriter();
            }
        }
        catch (Exception ex)
        {
            Fail(ex, new List<TaskCompletionSource>());
        }
        finally
        {
            ReleaseWriterResources();
            _stopped.Set();
        }
    }

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
        _server?.Fail(fault);
        try
        {
            _queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
        }
        // Account for every queued row before anyone can observe the fault, so counts always add up.
        var waiting = new List<TaskCompletionSource>(flushes);
        while (_queue.TryTake(out SessionItem item))
        {
            if (item.Kind == ItemKind.Write)
            {
                Interlocked.Add(ref _failed, item.Rows);
                _budget.Return(item.Rows);
            }
            else if (item.Kind == ItemKind.RemoteBatch)
            {
                Interlocked.Add(ref _failed, item.Rows); // the client also hears of the fault and counts them
                _forwardedBudget.Return(item.Rows);
            }
            else if (item.Kind == ItemKind.BrokerBatch)
            {
                Interlocked.Add(ref _failed, item.Rows);
                _budget.Return(item.Rows);
                item.Committed!.TrySetException(new CatalogException(CatalogErrorCode.WriteFailed, DatabasePath, $"Writing the catalog '{DatabasePath}' failed: {ex.Message}", ex));
            }
            if (item.Flushed is not null)
            {
                waiting.Add(item.Flushed);
            }
        }
        FailForwarded(fault, waiting);
        _fault = fault;
        _budget.Close(new CatalogException(fault.Code, DatabasePath, fault.Message, fault));
        _forwardedBudget.Close(new CatalogException(fault.Code, DatabasePath, fault.Message, fault));
        foreach (TaskCompletionSource f in waiting)
        {
            f.TrySetException(new CatalogException(fault.Code, DatabasePath, fault.Message, fault));
        }
    }

    private enum ItemKind
    {
        Write,
        Flush,
        Durability,
        RemoteBatch,
        BrokerBatch,
    }

    private readonly record struct SessionItem(
        ItemKind Kind,
        CatalogWrite? Write,
        int Rows,
        TaskCompletionSource? Flushed,
        Durability Durability,
        ConnectedClient? Client = null,
        long Sequence = 0,
        List<CatalogWrite>? Writes = null,
        IWriteProducer? Producer = null,
        string? BrokerClient = null,
        TaskCompletionSource<int>? Committed = null)
    {
        public static SessionItem ForWrite(CatalogWrite w, int rows, IWriteProducer? producer) => new(ItemKind.Write, w, rows, null, default, Producer: producer);

        public static SessionItem ForFlush(TaskCompletionSource tcs) => new(ItemKind.Flush, null, 0, tcs, default);

        public static SessionItem ForDurability(Durability d) => new(ItemKind.Durability, null, 0, null, d);

        public static SessionItem ForRemote(ConnectedClient client, long sequence, List<CatalogWrite> writes, int rows) =>
            new(ItemKind.RemoteBatch, null, rows, null, default, client, sequence, writes);

        public static SessionItem ForBroker(string client, long sequence, List<CatalogWrite> writes, int rows, TaskCompletionSource<int> committed) =>
            new(ItemKind.BrokerBatch, null, rows, null, default, null, sequence, writes, null, client, committed);

    }
}
