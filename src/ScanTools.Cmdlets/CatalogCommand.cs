using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>What every ScanTools cmdlet shares: the -Database parameter and how failures become error records.</summary>
public abstract class CatalogCommand : PSCmdlet
{
    /// <summary>
    /// The catalog file. Default: $env:SCANTOOLS_DATABASE, else ScanTools/catalog.db in the local
    /// application-data folder. Relative paths start at the current location.
    /// </summary>
    [Parameter(HelpMessage = "The catalog file. Default: $env:SCANTOOLS_DATABASE, else a per-user catalog.")]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>The catalog this invocation uses.</summary>
    protected CatalogLocation ResolveCatalog()
    {
        try
        {
            return CatalogLocation.Resolve(Database, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        }
        catch (InvalidOperationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "NoDefaultCatalog", ErrorCategory.ObjectNotFound, null));
            throw; // not reached
        }
    }

    /// <summary>Opens the catalog read-only for <paramref name="read"/>; a catalog that cannot be read is a terminating error.</summary>
    protected void ReadCatalog(Action<CatalogReader> read)
    {
        try
        {
            using CatalogReader reader = CatalogReader.Open(ResolveCatalog().Path);
            read(reader);
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <summary>A terminating error for a catalog that cannot be used; the message says what to do.</summary>
    protected ErrorRecord CatalogError(CatalogException ex) =>
        new(ex, ErrorMapping.IdOf(ex.Code), Category(ErrorMapping.CategoryOf(ex.Code)), ex.DatabasePath);

    /// <summary>A non-terminating error for one entry a scan could not handle.</summary>
    protected static ErrorRecord ScanErrorRecord(ScanError error) =>
        new(new IOException($"{error.Path}: {error.Message}"), ErrorMapping.IdOf(error.Kind), Category(ErrorMapping.CategoryOf(error.Kind)), error.Path)
        {
            ErrorDetails = new ErrorDetails($"{error.Message} ({error.Path})"),
        };

    /// <summary>Turns a PowerShell path (relative, provider-qualified) into a file-system path without requiring it to exist.</summary>
    protected string ToFileSystemPath(string path)
    {
        string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
        if (provider.Name != "FileSystem")
        {
            throw new ArgumentException($"'{path}' is a {provider.Name} path; ScanTools works with file-system paths.");
        }
        return resolved;
    }

    /// <summary>The category an <see cref="ErrorMapping"/> name stands for.</summary>
    protected static ErrorCategory Category(string name) =>
        Enum.TryParse(name, out ErrorCategory category) ? category : ErrorCategory.NotSpecified;
}
