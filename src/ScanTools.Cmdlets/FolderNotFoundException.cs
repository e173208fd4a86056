using System.Management.Automation;

namespace ScanTools.Commands;

/// <summary>
/// Start-Scan's PathNotFound: a folder to scan that does not exist (an ItemNotFoundException, as PowerShell's
/// own cmdlets report it). It carries exit code 2 (BadArguments): with -ErrorAction Stop it ends Start-Scan
/// before any run is recorded.
/// </summary>
/// <remarks>
/// Internal: PowerShell loads every public type of this assembly before the engine can be resolved, and
/// loading a type loads the interfaces it implements.
/// </remarks>
internal sealed class FolderNotFoundException : ItemNotFoundException, Hosting.IScanExitCode
{
    /// <summary>Creates the exception.</summary>
    public FolderNotFoundException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Always <see cref="Hosting.ScanExitCode.BadArguments"/>.</summary>
    public Hosting.ScanExitCode ExitCode => Hosting.ScanExitCode.BadArguments;
}
