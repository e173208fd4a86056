using System.Management.Automation;
using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// The one place where engine errors become PowerShell error records. The engine gives every error a kind
/// (<see cref="ScanErrorKind"/> for one entry, <see cref="CatalogErrorCode"/> for a catalog); this maps each
/// kind once to its error id (what scripts filter on in FullyQualifiedErrorId) and its
/// <see cref="ErrorCategory"/>. Public so that scripts and tests can read the mapping:
/// <c>[ScanTools.Commands.ErrorRecords]::CategoryOf([ScanTools.Scanning.ScanErrorKind]::NotAFile)</c>.
/// </summary>
public static class ErrorRecords
{
    /// <summary>The error id of an error item of a scan: its kind (also stored as the item's Kind).</summary>
    public static string IdOf(ScanErrorKind kind) => kind.ToString();

    /// <summary>The error id of a catalog failure: "Catalog" and its code, e.g. CatalogReadOnly.</summary>
    public static string IdOf(CatalogErrorCode code) => "Catalog" + code;

    /// <summary>
    /// The error id Write-Finding gives an input it could not record, as its help promises: FileNotFound,
    /// AccessDenied, NotAFile, InvalidPath, WriteRejected, ValueOutOfRange or ReadFailed. The item is stored
    /// with its <see cref="ScanErrorKind"/> all the same.
    /// </summary>
    public static string InputIdOf(ScanErrorKind kind) => kind switch
    {
        ScanErrorKind.FileVanished => "FileNotFound",
        ScanErrorKind.AccessDenied => "AccessDenied",
        ScanErrorKind.NotAFile => "NotAFile",
        ScanErrorKind.InvalidName => "InvalidPath",
        ScanErrorKind.WriteRejected => "WriteRejected",
        ScanErrorKind.ValueOutOfRange => "ValueOutOfRange",
        _ => "ReadFailed",
    };

    /// <summary>The category of an error item of a scan.</summary>
    public static ErrorCategory CategoryOf(ScanErrorKind kind) => kind switch
    {
        ScanErrorKind.DirectoryUnreadable or ScanErrorKind.AccessDenied => ErrorCategory.PermissionDenied,
        ScanErrorKind.RootNotFound or ScanErrorKind.DirectoryVanished or ScanErrorKind.FileVanished => ErrorCategory.ObjectNotFound,
        ScanErrorKind.InvalidName or ScanErrorKind.ValueOutOfRange or ScanErrorKind.InvalidIgnoreRule => ErrorCategory.InvalidData,
        ScanErrorKind.PathTooLong => ErrorCategory.LimitsExceeded,
        ScanErrorKind.SymlinkLoop => ErrorCategory.InvalidResult,
        ScanErrorKind.NotAFile => ErrorCategory.InvalidArgument,
        ScanErrorKind.WriteRejected => ErrorCategory.WriteError,
        ScanErrorKind.HashFailed or ScanErrorKind.IoError or ScanErrorKind.FileChangedWhileHashed or ScanErrorKind.ContentUnreadable => ErrorCategory.ReadError,
        ScanErrorKind.RuleFailed => ErrorCategory.LimitsExceeded, // a pattern past its time limit, or too many matches
        _ => ErrorCategory.NotSpecified, // a kind added without a category: the ErrorRecords Pester test fails on it
    };

    /// <summary>The category Write-Finding gives an input it could not record: a wrong input is an InvalidArgument.</summary>
    public static ErrorCategory InputCategoryOf(ScanErrorKind kind) => kind switch
    {
        ScanErrorKind.NotAFile or ScanErrorKind.InvalidName => ErrorCategory.InvalidArgument,
        _ => CategoryOf(kind),
    };

    /// <summary>The category of a catalog failure.</summary>
    public static ErrorCategory CategoryOf(CatalogErrorCode code) => code switch
    {
        CatalogErrorCode.NotACatalog or CatalogErrorCode.Corrupt => ErrorCategory.InvalidData,
        CatalogErrorCode.NewerSchema => ErrorCategory.NotImplemented,
        CatalogErrorCode.NotFound or CatalogErrorCode.FolderNotFound => ErrorCategory.ObjectNotFound,
        CatalogErrorCode.ReadOnly => ErrorCategory.PermissionDenied,
        CatalogErrorCode.WriteFailed or CatalogErrorCode.WriteRejected => ErrorCategory.WriteError,
        CatalogErrorCode.SessionClosed => ErrorCategory.ResourceUnavailable,
        CatalogErrorCode.WriterUnavailable => ErrorCategory.ConnectionError,
        CatalogErrorCode.ProtocolMismatch => ErrorCategory.ProtocolError,
        CatalogErrorCode.OpenFailed => ErrorCategory.OpenError,
        _ => ErrorCategory.NotSpecified, // a code added without a category: the ErrorRecords Pester test fails on it
    };

    /// <summary>The error record of a catalog that cannot be used; its message says what to do.</summary>
    public static ErrorRecord ForCatalog(CatalogException ex) =>
        Shown(new(ex, IdOf(ex.Code), CategoryOf(ex.Code), ex.DatabasePath));

    /// <summary>
    /// The error record of one entry a scan could not handle (non-terminating). Its exception, a
    /// <see cref="ScanErrorException"/> (an IOException), carries exit code 4 (Cancelled): when the caller
    /// stops at it (-ErrorAction Stop), the command's run ends Cancelled.
    /// </summary>
    public static ErrorRecord ForScanError(ScanError error) =>
        new(new ScanErrorException(error), IdOf(error.Kind), CategoryOf(error.Kind), error.FullName)
        {
            // Shown with the estate's control characters escaped (DisplayText); the exception and target keep the true path.
            ErrorDetails = new ErrorDetails(Hosting.DisplayText.Escape($"{error.Message} ({error.FullName})")),
        };

    /// <summary>
    /// The error record of a run id the catalog does not hold, given to a reading command's -ScanId: the
    /// error InvalidFilter (an InvalidArgument, exit code BadArguments), whose target is the id.
    /// </summary>
    public static ErrorRecord ForMissingRun(long scanId) =>
        new(CatalogReader.NoRunError(new[] { scanId }), "InvalidFilter", ErrorCategory.InvalidArgument, scanId);

    /// <summary>
    /// The error record of arguments a command cannot work with (InvalidFilter, ConflictingStateFilters,
    /// PathIsFile, InvalidPath...). Its exception is a <see cref="ScanArgumentException"/> (an ArgumentException
    /// with the same message, the original as its inner exception), so a script that ends on it exits with
    /// 2 (BadArguments).
    /// </summary>
    public static ErrorRecord ForBadArgument(Exception ex, string errorId, object? target) =>
        Shown(new(ex as ScanArgumentException ?? new ScanArgumentException(ex.Message, ex), errorId, ErrorCategory.InvalidArgument, target));

    /// <summary>The error record of an input Write-Finding could not record (non-terminating).</summary>
    public static ErrorRecord ForInput(ScanItemException ex, object input) =>
        Shown(new(ex, InputIdOf(ex.Kind), InputCategoryOf(ex.Kind), input));

    /// <summary>
    /// <paramref name="record"/>, shown with control characters escaped (<see cref="Hosting.DisplayText"/>) where its
    /// message holds any: a file name from the estate must not drive the terminal. The exception keeps the true text.
    /// </summary>
    public static ErrorRecord Shown(ErrorRecord record)
    {
        string message = record.ErrorDetails?.Message ?? record.Exception.Message;
        string? shown = Hosting.DisplayText.Escape(message);
        if (!ReferenceEquals(shown, message))
        {
            record.ErrorDetails = new ErrorDetails(shown);
        }
        return record;
    }
}
