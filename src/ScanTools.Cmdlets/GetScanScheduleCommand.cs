using System.Management.Automation;
using ScanTools.Scheduling;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists the scheduled scans Register-ScanSchedule registered for this user.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanSchedule")]
[OutputType(typeof(ScanSchedule))]
public sealed class GetScanScheduleCommand : PSCmdlet
{
    /// <summary>Only the schedules with these names (wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ScheduleNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        ScheduleStore store = ScheduleSupport.Store(this);
        var patterns = Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        bool Wanted(string name) => patterns.Count == 0 || patterns.Any(p => p.IsMatch(name));
        // Found while listing, before anything downstream acts: a piped Unregister-ScanSchedule removed the schedule,
        // and a check made afterwards reported it missing.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var damaged = new List<(string Name, InvalidDataException Problem)>();
        IReadOnlyList<ScanSchedule> schedules = store.List((name, ex) => damaged.Add((name, ex)));
        foreach ((string name, InvalidDataException ex) in damaged.Where(d => Wanted(d.Name)))
        {
            WriteWarning(ex.Message); // one damaged description no longer hides the others (and only those asked for are named)
        }
        foreach (ScanSchedule s in schedules)
        {
            if (Wanted(s.Name))
            {
                seen.Add(s.Name);
            }
        }
        // A line that runs an existing script of another schedules folder (the same account under another XDG_DATA_HOME) is
        // that folder's schedule, not an orphan (newcomer test 68: every schedule was reported "gone").
        foreach (string orphan in ScheduleInstaller.OwnCronScheduleNames(store).Where(n => !store.Exists(n) && Wanted(n)))
        {
            // Its files were deleted by hand: cron runs a missing script every night, and no listing showed it.
            WriteWarning($"The crontab holds a line of the schedule '{orphan}', whose script and description are gone: it runs a missing script. Unregister-ScanSchedule -Name {orphan} removes it.");
            seen.Add(orphan);
        }
        foreach (string n in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
        {
            if (!seen.Contains(n) && !store.Exists(n))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"There is no schedule named '{n}'. Get-ScanSchedule lists them."),
                    "ScheduleNotFound", ErrorCategory.ObjectNotFound, n));
            }
        }
        foreach (ScanSchedule s in schedules.Where(s => seen.Contains(s.Name)))
        {
            bool registered = ScheduleSupport.IsRegistered(this, s);
            if (registered && !File.Exists(s.ScriptPath))
            {
                WriteWarning($"The schedule '{s.Name}' is registered, but its script '{s.ScriptPath}' is gone, so every run fails: the log gets only PowerShell's error that the file does not exist (exit code 64). Register-ScanSchedule -Force writes it again; Unregister-ScanSchedule removes the schedule.");
            }
            else if (registered && s.MissingFiles() is { Count: > 0 } missing)
            {
                // PowerShell or the module moved (dotnet tool update, a package upgrade): every run failed with exit 1 or 5
                // and a bare error in the log, while this listing said all was well (newcomer test 75).
                WriteWarning($"The schedule '{s.Name}' is registered, but what its script starts is gone ({string.Join(", ", missing.Select(m => $"'{m}'"))}: PowerShell or ScanTools was moved, updated or removed), so every run fails before it scans. Run Register-ScanSchedule -Name '{s.Name}' -Force (with the same settings) from the PowerShell and ScanTools you use now to write it again.");
            }
            var shown = new PSObject(s);
            shown.Properties.Add(new PSNoteProperty("Registered", registered));
            WriteObject(shown);
        }
    }
}
