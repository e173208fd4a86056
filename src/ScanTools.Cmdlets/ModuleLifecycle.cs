using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Sessions;

namespace ScanTools.Commands;

/// <summary>
/// Runs when PowerShell imports and removes the module: points SQLite's native-library lookup at the
/// module's own copy, and commits and closes every writer session when the last runspace that imported
/// the module removes it. (Each runspace imports separately; removing the module from one must not close
/// the sessions that scans in other runspaces are using.)
/// </summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static int s_imports;

    /// <summary>Called by PowerShell on Import-Module, in each runspace.</summary>
    public void OnImport()
    {
        NativeSqlite.Register(Path.GetDirectoryName(typeof(ModuleLifecycle).Assembly.Location)!);
        Interlocked.Increment(ref s_imports);
    }

    /// <summary>Called by PowerShell on Remove-Module: the last removal drains and commits every session of this process.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (Interlocked.Decrement(ref s_imports) <= 0)
        {
            Interlocked.Exchange(ref s_imports, 0);
            WriterSessionRegistry.Shared.CloseAll();
        }
    }
}
