using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Copies a catalog to a backup file, consistently, while scans go on writing it.</para>
/// </summary>
[Cmdlet(VerbsData.Backup, "ScanCatalog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CatalogBackupResult))]
public sealed class BackupScanCatalogCommand : CatalogReadCommand
{
    private readonly List<string> _catalogs = new();
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The backup file to write (a PowerShell path); its folder must exist.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = string.Empty;

    /// <summary>Replace the destination file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Notes the catalog of each piped object (runs, findings): the copy is made once, at the end.</summary>
    protected override void ProcessRecord()
    {
        string catalog = ResolveCatalog().Path;
        if (!_catalogs.Contains(catalog, Platform.PathComparison.Comparer))
        {
            _catalogs.Add(catalog);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_catalogs.Count > 1)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ScanArgumentException(
                $"The objects come from {_catalogs.Count} catalogs ({string.Join(", ", _catalogs)}), and one -Destination holds one catalog. Back them up one by one."),
                "InvalidDestination", Destination));
        }
        string catalog = _catalogs.Count == 1 ? _catalogs[0] : ResolveCatalog().Path;
        string target;
        try
        {
            if (string.IsNullOrWhiteSpace(Destination))
            {
                // ' ' wrote a backup named with one space (newcomer test 72).
                throw new ArgumentException("-Destination is blank. Give the path of the backup file, for example ./catalog-backup.db.");
            }
            RuleSupport.RefuseWildcard(this, Destination, "InvalidDestination", "catalog-backup.db");
            target = ToFileSystemPath(Destination);
            // What the copy would stop at, found before -WhatIf says it would copy.
            CatalogMaintenance.CheckBackupDestination(catalog, target, Force.IsPresent);
            using (CatalogReader.Open(catalog))
            {
            }
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidDestination", Destination));
            return;
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
            return;
        }
        if (!ShouldProcess(target, $"Back up the catalog '{catalog}'"))
        {
            return;
        }
        try
        {
            CatalogBackupResult copy = CatalogMaintenance.Backup(catalog, target, Force.IsPresent, _stop.Token);
            if (copy.RunsInProgress > 0)
            {
                WriteWarning($"{copy.RunsInProgress:N0} run{(copy.RunsInProgress == 1 ? " was" : "s were")} in progress when the copy was taken: the copy records {(copy.RunsInProgress == 1 ? "it" : "them")} Cancelled, with what {(copy.RunsInProgress == 1 ? "it" : "they")} had committed by then (Get-ScanRun -Database '{copy.Path}' -Status Cancelled). The catalog records how {(copy.RunsInProgress == 1 ? "it" : "they")} ended.");
            }
            WriteObject(copy);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the copy was dropped; PowerShell is stopping the pipeline.
        }
        catch (ScanArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidDestination", Destination));
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <summary>Ctrl+C: the copy running now is not moved into place.</summary>
    protected override void StopProcessing() => _stop.Cancel();
}
