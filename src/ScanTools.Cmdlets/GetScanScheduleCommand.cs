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
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        ScheduleStore store = ScheduleSupport.Store(this);
        var patterns = Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        bool any = false;
        foreach (ScanSchedule s in store.List())
        {
            if (patterns.Count == 0 || patterns.Any(p => p.IsMatch(s.Name)))
            {
                any = true;
                var shown = new PSObject(s);
                shown.Properties.Add(new PSNoteProperty("Registered", ScheduleSupport.IsRegistered(this, s)));
                WriteObject(shown);
            }
        }
        foreach (string n in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
        {
            if (store.Get(n) is null)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"There is no schedule named '{n}'. Get-ScanSchedule lists them."),
                    "ScheduleNotFound", ErrorCategory.ObjectNotFound, n));
            }
        }
        _ = any;
    }
}
