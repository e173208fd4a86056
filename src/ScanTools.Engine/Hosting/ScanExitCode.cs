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

    /// <summary>
    /// Wrong parameters, or nothing to scan: every path given was missing, a file, or not a file-system path;
    /// scan options or query filters that cannot work.
    /// </summary>
    BadArguments = 2,

    /// <summary>The run completed, but met error items (an unreadable folder, a vanished file); Get-ScanError lists them.</summary>
    CompletedWithErrors = 3,

    /// <summary>
    /// The run was stopped (Ctrl+C, SIGTERM, a pipeline that stopped early, -ErrorAction Stop at an error item);
    /// what it found until then is kept.
    /// </summary>
    Cancelled = 4,

    /// <summary>The run failed, for example when the catalog could not be written mid-scan (disk full).</summary>
    Failed = 5,

    /// <summary>The catalog could not be used at all: not a catalog, damaged, read-only, newer, missing folder.</summary>
    CatalogUnusable = 6,

    /// <summary>
    /// A run's code while it has no end: still scanning, or its process was killed (the next scan of the catalog
    /// marks such a run Failed). No ScanTools process exits with it; a script that checks a run (Get-ScanRun) may.
    /// </summary>
    Running = 7,
}

/// <summary>
/// An exception that knows what a scheduled script that ends on it exits with. Every exception a ScanTools
/// command ends with carries one: catalog failures, wrong arguments, and error items (an error item ends a
/// command only when the caller stops at errors, -ErrorAction Stop, and its run then ends Cancelled).
/// </summary>
public interface IScanExitCode
{
    /// <summary>The process exit code for this exception.</summary>
    ScanExitCode ExitCode { get; }
}

/// <summary>Maps outcomes and exceptions to <see cref="ScanExitCode"/>; what a schedule's script uses in its trap.</summary>
public static class ScanExitCodes
{
    /// <summary>The code of an exception that ended a command: its own ExitCode when it has one.</summary>
    /// <remarks>
    /// Exceptions of ScanTools carry their code (<see cref="IScanExitCode"/>). PowerShell's parameter errors (a parameter
    /// name or value PowerShell rejected) map to <see cref="ScanExitCode.BadArguments"/>: ParameterBindingException and the
    /// kinds derived from it (ParameterBindingValidationException: -ThrottleLimit 1000), ValidationMetadataException (what a
    /// validation attribute throws, as a rethrown error carries it), and PSInvalidCastException (-Durability Bogus, a value
    /// that is not of the parameter's type), also as the inner exception of another. A stop maps to
    /// <see cref="ScanExitCode.Cancelled"/>, as the run it stopped is recorded: PipelineStoppedException (Ctrl+C, SIGINT) and
    /// OperationCanceledException. Anything else maps to <see cref="ScanExitCode.Failed"/>.
    /// </remarks>
    public static int ForException(Exception? exception)
    {
        if (exception is null)
        {
            return (int)ScanExitCode.Failed;
        }
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is IScanExitCode carrier)
            {
                return (int)carrier.ExitCode;
            }
            if (IsParameterError(e.GetType()))
            {
                return (int)ScanExitCode.BadArguments;
            }
            if (e is OperationCanceledException || e.GetType().FullName is "System.Management.Automation.PipelineStoppedException")
            {
                return (int)ScanExitCode.Cancelled; // the documented trap exited 5 (Failed) for a Ctrl+C whose run says Cancelled
            }
        }
        return (int)ScanExitCode.Failed;
    }

    private static bool IsParameterError(Type? type)
    {
        // By name: the engine has no PowerShell types. A derived kind counts as its base.
        for (; type is not null; type = type.BaseType)
        {
            if (type.FullName is "System.Management.Automation.ParameterBindingException"
                or "System.Management.Automation.ValidationMetadataException"
                or "System.Management.Automation.PSInvalidCastException")
            {
                return true;
            }
        }
        return false;
    }
}
