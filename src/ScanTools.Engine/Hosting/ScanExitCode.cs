namespace ScanTools.Hosting;

/// <summary>
/// The process exit codes a scheduled scan ends with, so that a scheduler (cron, a systemd timer, Task
/// Scheduler) and the scripts around it can tell the outcomes apart. The numbers are stable. 1 is left to
/// PowerShell itself (an error ScanTools did not raise); 128 + n is a process killed by signal n.
/// </summary>
public enum ScanExitCode
{
    /// <summary>The run completed and met no error item.</summary>
    Completed = 0,

    /// <summary>Wrong parameters, or nothing to scan: every path given was missing, a file, or not a file-system path.</summary>
    BadArguments = 2,

    /// <summary>The run completed, but met error items (an unreadable folder, a vanished file); Get-ScanError lists them.</summary>
    CompletedWithErrors = 3,

    /// <summary>The run was stopped (Ctrl+C, SIGTERM, a pipeline that stopped early); what it found until then is kept.</summary>
    Cancelled = 4,

    /// <summary>The run failed, for example when the catalog could not be written mid-scan (disk full).</summary>
    Failed = 5,

    /// <summary>The catalog could not be used at all: not a catalog, damaged, read-only, newer, missing folder.</summary>
    CatalogUnusable = 6,
}

/// <summary>Maps outcomes and exceptions to <see cref="ScanExitCode"/>; what a schedule's script uses in its trap.</summary>
public static class ScanExitCodes
{
    /// <summary>The code of an exception that ended a command: its own ExitCode when it has one.</summary>
    /// <remarks>
    /// PowerShell's ParameterBindingException (a parameter name or value PowerShell rejected) maps to
    /// <see cref="ScanExitCode.BadArguments"/>; anything else unknown to <see cref="ScanExitCode.Failed"/>.
    /// </remarks>
    public static int ForException(Exception? exception) => exception switch
    {
        null => (int)ScanExitCode.Failed,
        Storage.CatalogException c => (int)c.ExitCode,
        Scanning.ScanArgumentException a => (int)a.ExitCode,
        _ when exception.GetType().FullName is "System.Management.Automation.ParameterBindingException"
            or "System.Management.Automation.ValidationMetadataException" => (int)ScanExitCode.BadArguments,
        _ => (int)ScanExitCode.Failed,
    };
}
