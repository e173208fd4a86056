using System.Management.Automation;
using ScanTools.Scanning;
using ScanTools.Hosting;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Copies a catalog to a backup file, consistently, while scans go on writing it.</para>
/// </summary>
[Cmdlet(VerbsData.Backup, "ScanCatalog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(CatalogBackupResult))]
public sealed class BackupScanCatalogCommand : CatalogReadCommand
{
    /// <summary>The backup file to write (a PowerShell path); its folder must exist.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = string.Empty;

    /// <summary>Replace the destination file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        CatalogLocation catalog = ResolveCatalog();
        string target;
        try
        {
            target = ToFileSystemPath(Destination);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidDestination", Destination));
            return;
        }
        if (!ShouldProcess(target, $"Back up the catalog '{catalog.Path}'"))
        {
            return;
        }
        try
        {
            WriteObject(CatalogMaintenance.Backup(catalog.Path, target, Force.IsPresent));
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
}
