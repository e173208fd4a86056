using System.Management.Automation;
using ScanTools.Scheduling;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Removes a scheduled scan from the computer's scheduler and deletes its script (the log stays).</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Unregister, "ScanSchedule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UnregisterScanScheduleCommand : PSCmdlet
{
    /// <summary>The schedules to remove, by name; binds the Name of piped schedules.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        ScheduleStore store = ScheduleSupport.Store(this);
        foreach (string n in Name)
        {
            // One change at a time for the user, the check included: a Register-ScanSchedule -Force racing this left a
            // crontab line without its script.
            using IDisposable changing = ScheduleSupport.Lock(this, store, n);
            ScanSchedule? s = ScheduleSupport.Get(this, store, n);
            if (s is null && store.Exists(n))
            {
                // A damaged description (its warning was just written): its scheduler is unknown, so every one this
                // computer has loses the entry of this name. It was left registered, and "no schedule named" it.
                if (ShouldProcess($"{n} (damaged description)", "Unregister the scheduled scan"))
                {
                    try
                    {
                        if (!OperatingSystem.IsWindows())
                        {
                            new ScheduleInstaller().UnregisterAnyNamed(n);
                        }
                        store.Delete(n);
                    }
                    catch (Exception ex) when (ex is SchedulerException or IOException or UnauthorizedAccessException)
                    {
                        WriteError(new ErrorRecord(ex, "SchedulerFailed", ErrorCategory.InvalidOperation, n));
                    }
                }
                continue;
            }
            if (s is null && !OperatingSystem.IsWindows() && ScanSchedule.IsValidName(n) && new ScheduleInstaller().IsRegisteredAnywhere(n))
            {
                // A scheduler entry of this name whose files are gone (deleted by hand, or by an older race): it runs a
                // missing script every night, and only this can find it by its marker.
                if (ShouldProcess($"{n} (a scheduler entry without its script and description)", "Unregister the scheduled scan"))
                {
                    try
                    {
                        bool script = File.Exists(store.ScriptPath(n));
                        new ScheduleInstaller().UnregisterAnyNamed(n);
                        store.Delete(n);
                        WriteWarning(script
                            ? $"The schedule '{n}' had no description left, only its scheduler entry and script; both were removed."
                            : $"The schedule '{n}' had no script or description left, only its scheduler entry; that entry was removed.");
                    }
                    catch (Exception ex) when (ex is SchedulerException or IOException or UnauthorizedAccessException)
                    {
                        WriteError(new ErrorRecord(ex, "SchedulerFailed", ErrorCategory.InvalidOperation, n));
                    }
                }
                continue;
            }
            if (s is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"There is no schedule named '{n}'. Get-ScanSchedule lists them."),
                    "ScheduleNotFound", ErrorCategory.ObjectNotFound, n));
                continue;
            }
            if (!ShouldProcess($"{s.Name} ({s.Scheduler}, {s.When}; script {s.ScriptPath})", "Unregister the scheduled scan"))
            {
                continue;
            }
            try
            {
                ScheduleSupport.Unregister(this, s);
                store.Delete(s);
            }
            catch (Exception ex) when (ex is SchedulerException or IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(ex, "SchedulerFailed", ErrorCategory.InvalidOperation, n));
            }
        }
    }
}
