using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Hosting;

/// <summary>
/// How engine errors become PowerShell error records: a stable error id and the name of a
/// System.Management.Automation.ErrorCategory (the engine has no PowerShell types; the cmdlets parse the name).
/// </summary>
public static class ErrorMapping
{
    /// <summary>The category name for an error item of a scan.</summary>
    public static string CategoryOf(ScanErrorKind kind) => kind switch
    {
        ScanErrorKind.DirectoryUnreadable or ScanErrorKind.AccessDenied => "PermissionDenied",
        ScanErrorKind.RootNotFound or ScanErrorKind.DirectoryVanished or ScanErrorKind.FileVanished => "ObjectNotFound",
        ScanErrorKind.InvalidName => "InvalidData",
        ScanErrorKind.PathTooLong => "LimitsExceeded",
        ScanErrorKind.SymlinkLoop => "InvalidResult",
        ScanErrorKind.NotAFile => "InvalidArgument",
        ScanErrorKind.WriteRejected => "WriteError",
        _ => "ReadError",
    };

    /// <summary>The category name for a catalog failure.</summary>
    public static string CategoryOf(CatalogErrorCode code) => code switch
    {
        CatalogErrorCode.NotACatalog or CatalogErrorCode.Corrupt => "InvalidData",
        CatalogErrorCode.NewerSchema => "NotImplemented",
        CatalogErrorCode.NotFound or CatalogErrorCode.FolderNotFound => "ObjectNotFound",
        CatalogErrorCode.ReadOnly => "PermissionDenied",
        CatalogErrorCode.WriteFailed => "WriteError",
        CatalogErrorCode.SessionClosed => "ResourceUnavailable",
        CatalogErrorCode.WriteRejected => "WriteError",
        CatalogErrorCode.WriterUnavailable => "ConnectionError",
        CatalogErrorCode.ProtocolMismatch => "ProtocolError",
        _ => "OpenError",
    };

    /// <summary>The error id of an error item: its kind, so scripts can filter on it.</summary>
    public static string IdOf(ScanErrorKind kind) => kind.ToString();

    /// <summary>The error id of a catalog failure.</summary>
    public static string IdOf(CatalogErrorCode code) => "Catalog" + code;
}
