namespace ScanTools.Scanning;

/// <summary>
/// An error item (an entry Start-Scan, Write-Finding or Find-DuplicateFile could not handle) as the exception
/// of its non-terminating error record. An IOException, as such records always had.
/// </summary>
public sealed class ScanErrorException : IOException, Hosting.IScanExitCode
{
    /// <summary>Creates the exception of <paramref name="error"/>; its message is the item's path and message.</summary>
    public ScanErrorException(ScanError error)
        : base($"{error?.FullName}: {error?.Message}")
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>The error item.</summary>
    public ScanError Error { get; }

    /// <summary>
    /// <see cref="Hosting.ScanExitCode.Cancelled"/>: an error item ends a command only when the caller stops
    /// at errors (-ErrorAction Stop), and the command's run then ends Cancelled, keeping what it found.
    /// </summary>
    public Hosting.ScanExitCode ExitCode => Hosting.ScanExitCode.Cancelled;
}
