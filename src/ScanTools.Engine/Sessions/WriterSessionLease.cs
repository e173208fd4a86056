using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// One producer's hold on a shared <see cref="WriterSession"/>. Writes go through it; disposing it
/// releases the hold, and the last release drains, commits and closes the session.
/// </summary>
public sealed class WriterSessionLease : ICatalogSink, IWriteProducer
{
    private readonly WriterSessionRegistry _registry;
    private readonly LockedQueue<RejectedWrite> _rejected = new(); // not ConcurrentQueue: a flush must never see it empty while it holds a refusal (see LockedQueue)
    private int _released;

    internal WriterSessionLease(WriterSessionRegistry registry, WriterSession session)
    {
        _registry = registry;
        Session = session;
    }

    /// <summary>The shared session.</summary>
    public WriterSession Session { get; }

    /// <summary>The canonical path of the catalog, or the address (without credentials) of a remote one.</summary>
    public string DatabasePath => Session.DatabasePath;

    /// <summary>True for a remote catalog (a broker address): what is written goes to the catalog's consumer on another computer.</summary>
    public bool IsRemote => Session.Remote is not null;

    /// <summary>Hands a write to the session; waits while its queue is full.</summary>
    /// <exception cref="Storage.CatalogException">The session failed (the error says why) or is closed.</exception>
    /// <exception cref="OperationCanceledException">The token fired while waiting for room.</exception>
    public void Write(CatalogWrite write, CancellationToken cancellationToken = default)
    {
        ThrowIfReleased();
        Session.Enqueue(write, cancellationToken, this);
    }

    /// <summary>
    /// Waits until everything this producer (and anyone before it) handed over is committed, or refused.
    /// </summary>
    /// <exception cref="Storage.CatalogException">
    /// A write could not be committed (the session failed: <see cref="Storage.CatalogException.Code"/> says why);
    /// or, with <see cref="Storage.CatalogErrorCode.WriteRejected"/>, the catalog refused some of this producer's
    /// writes on their own: <see cref="Storage.CatalogException.Rejected"/> lists them, everything else is
    /// committed, and the session goes on.
    /// </exception>
    public void Flush(CancellationToken cancellationToken = default) =>
        FlushAsync(cancellationToken).GetAwaiter().GetResult();

    /// <summary>Completes when everything handed over before the call is committed or refused; see <see cref="Flush"/>.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfReleased();
        if (Session.Remote is Remote.RemoteCatalogAddress remote)
        {
            TimeSpan limit = Remote.RemotePublishers.Options.CommitTimeout;
            try
            {
                await Session.FlushAsync(cancellationToken).WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw Remote.RemotePublisher.NotCommitted(remote, limit, Session.Statistics().PendingRows);
            }
            return;
        }
        await Session.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_rejected.Count > 0)
        {
            IReadOnlyList<RejectedWrite> rejected = TakeRejected();
            if (rejected.Count > 0)
            {
                throw new Storage.CatalogException(Storage.CatalogErrorCode.WriteRejected, DatabasePath,
                    $"The catalog '{DatabasePath}' refused {rejected.Count:N0} write(s) ({rejected.Sum(r => (long)r.Rows):N0} rows); everything else is committed. First: {rejected[0]}")
                {
                    Rejected = rejected,
                };
            }
        }
    }

    /// <summary>
    /// The writes of this producer the catalog refused since the last call (or flush), each with the reason.
    /// A producer that handles refusals itself (turning them into error items) takes them here.
    /// </summary>
    public IReadOnlyList<RejectedWrite> TakeRejected()
    {
        var taken = new List<RejectedWrite>();
        while (_rejected.TryTake(out RejectedWrite? r))
        {
            taken.Add(r);
        }
        return taken;
    }

    void IWriteProducer.OnRejected(RejectedWrite rejected) => _rejected.TryAdd(rejected);

    /// <summary>Releases the hold; the last one closes the session after committing everything queued.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _registry.Release(Session);
        }
    }

    private void ThrowIfReleased() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
}
