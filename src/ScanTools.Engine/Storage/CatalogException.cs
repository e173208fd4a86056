namespace ScanTools.Storage;

/// <summary>A catalog could not be opened, read or written. The message says what to do.</summary>
public sealed class CatalogException : Exception, Hosting.IScanExitCode
{
    /// <summary>Creates the exception.</summary>
    public CatalogException(CatalogErrorCode code, string databasePath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        DatabasePath = databasePath;
    }

    /// <summary>Which failure it is.</summary>
    public CatalogErrorCode Code { get; }

    /// <summary>The catalog concerned.</summary>
    public string DatabasePath { get; }

    /// <summary>
    /// What a scheduled scan that ends on this error exits with: <see cref="Hosting.ScanExitCode.Failed"/>
    /// when writing failed midway, <see cref="Hosting.ScanExitCode.CatalogUnusable"/> when the catalog could not be used at all.
    /// </summary>
    public Hosting.ScanExitCode ExitCode => Code switch
    {
        CatalogErrorCode.WriteFailed or CatalogErrorCode.SessionClosed or CatalogErrorCode.WriteRejected
            or CatalogErrorCode.WriterUnavailable or CatalogErrorCode.ProtocolMismatch => Hosting.ScanExitCode.Failed,
        _ => Hosting.ScanExitCode.CatalogUnusable,
    };

    /// <summary>With <see cref="CatalogErrorCode.WriteRejected"/>: the writes the catalog refused; otherwise empty.</summary>
    public IReadOnlyList<Sessions.RejectedWrite> Rejected { get; init; } = Array.Empty<Sessions.RejectedWrite>();
}
