using System.Globalization;
using ScanTools.Scanning;

namespace ScanTools.Hosting;

/// <summary>
/// What Start-Scan shows in Write-Progress. PowerShell's default (minimal) progress view shows only the
/// activity and the status line, so the status line carries everything: elapsed time, counts, rate,
/// errors so far, and the folder being listed (last, where the console cuts it).
/// </summary>
public static class ProgressText
{
    /// <summary>The activity: the command and the folders it scans.</summary>
    public static string Activity(IReadOnlyList<string> roots) =>
        "Start-Scan " + DisplayText.Escape(roots.Count == 1 ? roots[0] : string.Create(CultureInfo.InvariantCulture, $"{roots[0]} and {roots.Count - 1} more"));

    /// <summary>The status line: elapsed time, files, bytes, rate, errors so far, and the current folder (control characters escaped: <see cref="DisplayText"/>).</summary>
    public static string Status(ScanProgressSnapshot p) =>
        string.Format(CultureInfo.InvariantCulture, "{0} {1:N0} files, {2}, {3:N0} files/s, {4:N0} error{5} - {6}",
            Elapsed(p.Elapsed), p.Files, ByteSize.Format(p.Bytes), p.FilesPerSecond, p.Errors, p.Errors == 1 ? string.Empty : "s",
            DisplayText.Escape(p.CurrentDirectory) ?? "starting");

    /// <summary>The current operation: the folder being listed (shown by the classic progress view).</summary>
    public static string CurrentOperation(ScanProgressSnapshot p) => DisplayText.Escape(p.CurrentDirectory) ?? string.Empty;

    /// <summary>One line for a run that was stopped: what it kept, and how to see the rest.</summary>
    public static string Stopped(Storage.ScanRun run) => DisplayText.Escape(
        string.Format(CultureInfo.InvariantCulture,
            "Scan {0} stopped after {1}: kept {2:N0} file{8} ({3}) in {4:N0} folder{9}, {5:N0} error item{6}. {7}",
            run.Id > 0 ? run.Id.ToString(CultureInfo.InvariantCulture) : run.RunKey.ToString("D"), // a remote run has its id once the consumer commits it
            run.Duration < TimeSpan.FromSeconds(10) ? ElapsedTenths(run.Duration) : Elapsed(run.Duration), run.Files, ByteSize.Format(run.Bytes), run.Directories, run.Errors, run.Errors == 1 ? string.Empty : "s",
            run.Message ?? string.Empty, run.Files == 1 ? string.Empty : "s", run.Directories == 1 ? string.Empty : "s").TrimEnd())!;

    /// <summary>As <see cref="Elapsed"/>, with tenths of a second (cut, not rounded): a run stopped within a second read "stopped after 0:00:00".</summary>
    public static string ElapsedTenths(TimeSpan t) =>
        string.Format(CultureInfo.InvariantCulture, "{0}:{1:00}:{2:00.0}", (long)t.TotalHours, t.Minutes, Math.Floor(t.TotalSeconds % 60 * 10) / 10);

    /// <summary>h:mm:ss, hours not limited to 24.</summary>
    public static string Elapsed(TimeSpan t) =>
        string.Format(CultureInfo.InvariantCulture, "{0}:{1:00}:{2:00}", (long)t.TotalHours, t.Minutes, t.Seconds);
}
