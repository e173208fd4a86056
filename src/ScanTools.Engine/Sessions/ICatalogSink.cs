using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// Where a producer's catalog writes go: the catalog's writer session on this computer (<see cref="WriterSessionLease"/>),
/// or a broker that carries them to the catalog's consumer on another (a <see cref="WriterSessionLease"/> of a remote catalog).
/// </summary>
public interface ICatalogSink : IDisposable
{
    /// <summary>The catalog: a full file path, or a broker address without credentials.</summary>
    string DatabasePath { get; }

    /// <summary>Hands over a write, waiting while too much is queued.</summary>
    /// <exception cref="Storage.CatalogException">The catalog cannot take writes.</exception>
    void Write(CatalogWrite write, CancellationToken cancellationToken = default);

    /// <summary>Returns once everything written before is committed in the catalog.</summary>
    /// <exception cref="Storage.CatalogException">It could not be committed (in time).</exception>
    void Flush(CancellationToken cancellationToken = default);

    /// <summary>The writes the catalog refused since the last call (each alone; the session goes on).</summary>
    IReadOnlyList<RejectedWrite> TakeRejected();
}
