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
    /// <summary>The schedules to remove, by name, with wildcards as Get-ScanSchedule takes them; binds the Name of piped schedules.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ScheduleNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        ScheduleStore store = ScheduleSupport.Store(this);
        foreach (string n in Name.SelectMany(name => Matching(store, name)))
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
                            new ScheduleInstaller().UnregisterAnyNamed(n, store.ScriptPath(n));
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
            if (s is null && !OperatingSystem.IsWindows() && ScanSchedule.IsValidName(n) && new ScheduleInstaller().IsRegisteredAnywhere(n, store.ScriptPath(n)))
            {
                // A scheduler entry of this name whose files are gone (deleted by hand, or by an older race): it runs a
                // missing script every night, and only this can find it by its marker.
                if (ShouldProcess($"{n} (a scheduler entry without its script and description)", "Unregister the scheduled scan"))
                {
                    try
                    {
                        bool script = File.Exists(store.ScriptPath(n));
                        new ScheduleInstaller().UnregisterAnyNamed(n, store.ScriptPath(n));
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
                // A crontab line of this name that runs another schedules folder's script (the same account with another
                // XDG_DATA_HOME): removing it here deleted a working schedule (newcomer test 68). Say where it belongs.
                string? elsewhere = OperatingSystem.IsWindows() ? null
                    : ScheduleInstaller.CronEntries().Where(e => e.Name == n && e.Script is not null && e.Script != store.ScriptPath(n) && File.Exists(e.Script))
                        .Select(e => e.Script).FirstOrDefault();
                WriteError(new ErrorRecord(new ItemNotFoundException(elsewhere is null
                        ? $"There is no schedule named '{n}'. Get-ScanSchedule lists them."
                        : $"There is no schedule named '{n}' in {store.SchedulesFolder}. The crontab's line of that name runs '{elsewhere}', a schedule of another data folder (XDG_DATA_HOME); it was left alone. Run Unregister-ScanSchedule where that folder is the data folder."),
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

    /// <summary>
    /// The names <paramref name="name"/> stands for: itself, or with wildcards the names of this user's schedules it matches
    /// (case ignored, as Get-ScanSchedule matches them; a schedule name holds no wildcard character). A pattern that matches
    /// none is the non-terminating error ScheduleNotFound. 'h54-*' was looked up as a name and not found.
    /// </summary>
    private IEnumerable<string> Matching(ScheduleStore store, string name)
    {
        if (!WildcardPattern.ContainsWildcardCharacters(name))
        {
            // Names are one schedule whatever their case (Register-ScanSchedule refuses a second): H72-CASE is h72-Case.
            return new[] { store.Exists(name) ? name : store.List((_, _) => { }).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Name ?? name };
        }
        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        var damaged = new List<string>(); // a damaged description is matched by its name too, and removed as above
        var names = store.List((n, _) => damaged.Add(n)).Select(s => s.Name).ToList().Concat(damaged)
            .Concat(OperatingSystem.IsWindows() ? Array.Empty<string>() : ScheduleInstaller.OwnCronScheduleNames(store))
            .Where(pattern.IsMatch).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            WriteError(new ErrorRecord(new ItemNotFoundException($"No schedule matches '{name}'. Get-ScanSchedule lists them."),
                "ScheduleNotFound", ErrorCategory.ObjectNotFound, name));
        }
        return names;
    }
}
