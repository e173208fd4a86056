using System.Globalization;
using ScanTools.Scanning;

namespace ScanTools.Hosting;

/// <summary>What Start-Scan shows in Write-Progress.</summary>
public static class ProgressText
{
    /// <summary>The status line: files, bytes, rate and errors so far.</summary>
    public static string Status(ScanProgressSnapshot p) =>
        string.Format(CultureInfo.InvariantCulture, "{0:N0} files, {1}, {2:N0} files/s{3}",
            p.Files, ByteSize.Format(p.Bytes), p.FilesPerSecond,
            p.Errors > 0 ? string.Format(CultureInfo.InvariantCulture, ", {0:N0} errors", p.Errors) : string.Empty);

    /// <summary>The current operation: the folder being listed.</summary>
    public static string CurrentOperation(ScanProgressSnapshot p) => p.CurrentDirectory ?? string.Empty;
}
