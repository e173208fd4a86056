using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Prunes a catalog's old history and optimizes it, while scans go on writing it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Optimize, "ScanCatalog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CatalogPruneResult))]
public sealed class OptimizeScanCatalogCommand : CatalogWriteCommand
{
    /// <summary>Remove runs that ended more than this many days ago, with what they found removed, their error items and changes.</summary>
    [Parameter]
    [ValidateRange(0, 36_500)]
    public int OlderThanDays { get; set; }

    /// <summary>Keep at least the newest this many runs, whatever their age (with -OlderThanDays), or exactly these (alone).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int KeepRuns { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        CatalogLocation catalog = ResolveCatalog();
        var bound = MyInvocation.BoundParameters;
        var options = new CatalogPruneOptions
        {
            OlderThanDays = bound.ContainsKey(nameof(OlderThanDays)) ? OlderThanDays : null,
            KeepRuns = bound.ContainsKey(nameof(KeepRuns)) ? KeepRuns : null,
        };
        // -WhatIf on a catalog the real command cannot write says so, as it would; a read-only one (a snapshot, another
        // account's catalog) is still previewed, since the plan is only read, with a warning of what the real run meets.
        ThrowIfCatalogUnusableForWhatIf(catalog, allowReadOnly: true);
        try
        {
            // The plan checks the whole catalog first, and damage stops it (CatalogCorrupt) naming what SQLite's check found:
            // with -WhatIf, instead of a plan the real command would never carry out (newcomer test 65); without it, instead of
            // the bare "database disk image is malformed" of the first damaged page the plan met (newcomer test 75).
            CatalogPruneResult plan = CatalogMaintenance.Prune(catalog.Path, options with { WhatIf = true });
            string action = plan.Runs == 0
                ? options.OlderThanDays is null && options.KeepRuns is null
                    ? "Optimize (no -OlderThanDays or -KeepRuns: nothing to prune)"
                    // The limits may match runs that are always kept: say which, not "no run matches" (newcomer test 83).
                    : "Optimize (nothing to prune: no run the limits let go, besides those always kept: a run still Running, the newest completed scan, the newest run, and every run after the oldest one kept)"
                : $"Prune {plan.Runs:N0} run(s) ({plan.RemovedFiles:N0} removed files, {plan.ErrorItems:N0} error items, {plan.Changes:N0} changes, {plan.ResolvedFindings:N0} resolved findings) and optimize";
            if (!ShouldProcess(plan.Database, action))
            {
                return;
            }
            WriteObject(CatalogMaintenance.Prune(catalog.Path, options with { CheckIntegrity = false })); // the plan checked it
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }
}
