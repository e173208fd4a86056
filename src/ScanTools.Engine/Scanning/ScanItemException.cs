namespace ScanTools.Scanning;

/// <summary>
/// One item could not be handled (a file handed to Write-Finding that vanished, is a folder, or cannot be
/// read); the others go on. <see cref="Kind"/> is what cmdlets map to an error id and category, once.
/// </summary>
public sealed class ScanItemException : Exception, Hosting.IScanExitCode
{
    /// <summary>Creates the exception.</summary>
    public ScanItemException(ScanErrorKind kind, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Path = path;
    }

    /// <summary>What went wrong, in the terms error items use.</summary>
    public ScanErrorKind Kind { get; }

    /// <summary>The item's path, as given.</summary>
    public string Path { get; }

    /// <summary>
    /// <see cref="Hosting.ScanExitCode.Cancelled"/>: the item alone is a non-terminating error; it ends a
    /// command only when the caller stops at errors (-ErrorAction Stop), and the command's run then ends Cancelled.
    /// </summary>
    public Hosting.ScanExitCode ExitCode => Hosting.ScanExitCode.Cancelled;

    /// <summary>The error item to store with the run.</summary>
    public ScanError ToScanError() => new(Path, Kind, Message);
}
