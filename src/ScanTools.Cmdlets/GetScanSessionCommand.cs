using System.Management.Automation;
using ScanTools.Platform;
using ScanTools.Sessions;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Shows the writer sessions open in this PowerShell process, with their counters.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanSession")]
[OutputType(typeof(SessionStatistics))]
public sealed class GetScanSessionCommand : PSCmdlet
{
    /// <summary>Only the session of this catalog (any spelling of its path; a PowerShell path, ~ and drives resolved).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CatalogPathCompleter))]
    public string? Database { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        string? key = Database is null
            ? null
            : CanonicalPath.KeyOf(CanonicalPath.Resolve(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Database), SessionState.Path.CurrentFileSystemLocation.ProviderPath));
        foreach (SessionStatistics s in WriterSessionRegistry.Shared.Sessions())
        {
            if (key is null || CanonicalPath.KeyOf(s.DatabasePath) == key)
            {
                WriteObject(s);
            }
        }
    }
}
