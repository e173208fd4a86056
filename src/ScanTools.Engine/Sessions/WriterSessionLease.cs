using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// One producer's hold on a shared <see cref="WriterSession"/>. Writes go through it; disposing it
/// releases the hold, and the last release drains, commits and closes the session.
/// </summary>
public sealed class WriterSessionLease : IDisposable
{
    private readonly WriterSessionRegistry _registry;
    private int _released;

    internal WriterSessionLease(WriterSessionRegistry registry, WriterSession session)
    {
        _registry = registry;
        Session = session;
    }

    /// <summary>The shared session.</summary>
    public WriterSession Session { get; }

    /// <summary>The canonical path of the catalog.</summary>
    public string DatabasePath => Session.DatabasePath;

    /// <summary>Hands a write to the session; waits while its queue is full.</summary>
    /// <exception cref="Storage.CatalogException">The session failed (the error says why) or is closed.</exception>
    /// <exception cref="OperationCanceledException">The token fired while waiting for room.</exception>
    public void Write(CatalogWrite write, CancellationToken cancellationToken = default)
    {
        ThrowIfReleased();
        Session.Enqueue(write, cancellationToken);
    }

    /// <summary>Waits until everything this producer (and anyone before it) handed over is committed.</summary>
    /// <exception cref="Storage.CatalogException">A write could not be committed.</exception>
    public void Flush(CancellationToken cancellationToken = default) =>
        FlushAsync(cancellationToken).GetAwaiter().GetResult();

    /// <summary>Completes when everything handed over before the call is committed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfReleased();
        return Session.FlushAsync(cancellationToken);
    }

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
