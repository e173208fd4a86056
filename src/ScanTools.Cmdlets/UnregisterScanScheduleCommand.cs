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
