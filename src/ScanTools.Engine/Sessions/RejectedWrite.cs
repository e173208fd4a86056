using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// A write the catalog refused on its own: SQLite would not store it (a constraint, a value out of range),
/// while the writes around it were committed. The session goes on; the producer that sent it is told.
/// </summary>
public sealed class RejectedWrite
{
    internal RejectedWrite(CatalogWrite write, string reason)
    {
        Write = write;
        Reason = reason;
    }

    /// <summary>The refused write, as the producer handed it over.</summary>
    public CatalogWrite Write { get; }

    /// <summary>Why it was refused (SQLite's message).</summary>
    public string Reason { get; }

    /// <summary>Rows the write carried; none of them is in the catalog.</summary>
    public int Rows => Write.RowCount;

    /// <inheritdoc />
    public override string ToString() => $"{Write.Describe()}: {Reason}";
}

/// <summary>Who handed a write to a session, so that a refusal reaches that producer and no one else.</summary>
internal interface IWriteProducer
{
    /// <summary>Called on the session's consumer thread (or a link's reader thread): must only record, never block.</summary>
    void OnRejected(RejectedWrite rejected);
}
