namespace ScanTools.Storage;

/// <summary>
/// The catalog failures a script may need to tell apart. The numbers are stable: scheduled scripts
/// may test them, and cmdlets use the names as error ids.
/// </summary>
public enum CatalogErrorCode
{
    /// <summary>The file exists but is not a ScanTools catalog (another SQLite database, or not SQLite at all).</summary>
    NotACatalog = 10,
    /// <summary>The catalog was written by a newer ScanTools whose schema this version does not know.</summary>
    NewerSchema = 11,
    /// <summary>The catalog's SQLite file is damaged.</summary>
    Corrupt = 12,
    /// <summary>No catalog exists at the path (reading never creates one).</summary>
    NotFound = 13,
    /// <summary>The folder meant to hold the catalog does not exist.</summary>
    FolderNotFound = 14,
    /// <summary>The catalog or its folder cannot be written (permissions, read-only medium).</summary>
    ReadOnly = 20,
    /// <summary>The catalog could not be opened or read for another reason.</summary>
    OpenFailed = 21,
    /// <summary>A write to the catalog failed (disk full, I/O error); the session stopped accepting writes.</summary>
    WriteFailed = 30,
    /// <summary>The writer session was closed, or failed earlier, and takes no more writes.</summary>
    SessionClosed = 31,
    /// <summary>
    /// The catalog refused some writes of this producer on their own (a constraint, a value SQLite will not
    /// store); everything else was committed and the session goes on. The exception lists what was refused.
    /// </summary>
    WriteRejected = 32,
    /// <summary>Another process's writer could not be reached or answered with an error.</summary>
    WriterUnavailable = 40,
    /// <summary>A peer spoke another version of the ScanTools writer protocol.</summary>
    ProtocolMismatch = 41,
}
