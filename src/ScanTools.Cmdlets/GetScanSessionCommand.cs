using System.Management.Automation;
using ScanTools.Platform;
using ScanTools.Sessions;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Shows the writer sessions open in this PowerShell process, with their counters.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanSession")]
[OutputType(typeof(SessionStatistics), typeof(ScanTools.Remote.RemoteStatistics))]
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
        if (ScanTools.Remote.RemoteCatalogAddress.IsRemote(Database))
        {
            WriteRemoteSessions(Database!);
            return;
        }
        string? key = null;
        if (Database is not null)
        {
            try
            {
                key = CanonicalPath.KeyOf(CanonicalPath.Resolve(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Database), SessionState.Path.CurrentFileSystemLocation.ProviderPath));
            }
            catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSInvalidOperationException)
            {
                // redis:/host/x, rediss:x: a broker address mistyped, or a drive that does not exist.
                string redacted = ScanTools.Remote.RemoteCatalogAddress.Redacted(Database);
                ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"'{redacted}' is neither a catalog file nor a catalog address ({ex.Message}). Give the path of a catalog file, or an address redis://host[:port]/catalog or rediss://host[:port]/catalog.", ex),
                    "InvalidCatalogPath", redacted));
            }
        }
        foreach (SessionStatistics s in WriterSessionRegistry.Shared.Sessions())
        {
            if (key is null || CanonicalPath.KeyOf(s.DatabasePath) == key)
            {
                WriteObject(s);
            }
        }
        if (Database is null)
        {
            WriteRemote(null);
        }
    }

    /// <summary>The session of a remote catalog in this process (publishing, or forwarding to the computer's publisher), then its publisher.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void WriteRemoteSessions(string address)
    {
        string wanted;
        try
        {
            wanted = ScanTools.Remote.RemoteCatalogAddress.Parse(address, out _).ToString();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidCatalogPath", ScanTools.Remote.RemoteCatalogAddress.Redacted(address)));
            return;
        }
        foreach (SessionStatistics s in WriterSessionRegistry.Shared.Sessions())
        {
            if (string.Equals(s.DatabasePath, wanted, StringComparison.OrdinalIgnoreCase))
            {
                WriteObject(s);
            }
        }
        WriteRemote(address);
    }

    /// <summary>This process's publishers to remote catalogs: broker, backlog, published / acknowledged / resent batches.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void WriteRemote(string? address)
    {
        string? wanted = null;
        if (address is not null)
        {
            try
            {
                wanted = ScanTools.Remote.RemoteCatalogAddress.Parse(address, out _).ToString();
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidCatalogPath", ScanTools.Remote.RemoteCatalogAddress.Redacted(address)));
            }
        }
        foreach (ScanTools.Remote.RemotePublisher p in ScanTools.Sessions.WriterSessionRegistry.Shared.Publishers())
        {
            if (wanted is null || string.Equals(p.Address.ToString(), wanted, StringComparison.OrdinalIgnoreCase))
            {
                WriteObject(p.Statistics());
            }
        }
    }
}
