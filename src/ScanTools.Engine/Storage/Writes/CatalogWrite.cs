namespace ScanTools.Storage.Writes;

/// <summary>
/// One change to a catalog, as producers hand it to a <see cref="Sessions.WriterSession"/>. Every kind is
/// idempotent (files are keyed by folder and name, runs by key), so a change applied twice after a
/// resend leaves the catalog as if it had been applied once.
/// </summary>
public abstract class CatalogWrite
{
    private protected CatalogWrite()
    {
    }

    /// <summary>The scan run this change belongs to.</summary>
    public required Guid RunKey { get; init; }

    /// <summary>How many rows this change carries; the session's memory bound counts these.</summary>
    public abstract int RowCount { get; }

    /// <summary>What the write is, in a few words for an error message (no file contents, no secrets).</summary>
    public abstract string Describe();
}
