using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace ScanTools.Commands;

/// <summary>
/// Runs when PowerShell imports and removes the module. On import it routes the cmdlets' requests for the
/// engine to the module's own load context and makes the engine's public types resolvable by name in
/// scripts; on the removal by the last runspace that imported the module, it commits and closes every
/// writer session. (Each runspace imports separately; removing the module from one must not close the
/// sessions that scans in other runspaces are using.)
/// </summary>
/// <remarks>
/// Nothing here may mention an engine type in a signature or field: this class is loaded before the
/// engine can be resolved. Calls into the engine sit in methods of their own that are never inlined.
/// </remarks>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static int s_imports;
    private static bool s_resolving;
    private static string[] s_accelerated = Array.Empty<string>();

    /// <summary>Called by PowerShell on Import-Module, in each runspace.</summary>
    public void OnImport()
    {
        lock (Gate)
        {
            if (!s_resolving)
            {
                AssemblyLoadContext.Default.Resolving += ResolveEngine;
                s_resolving = true;
            }
            if (s_imports++ == 0)
            {
                s_accelerated = TypeAccelerators.AddPublicTypes(EngineAssembly());
            }
        }
    }

    /// <summary>Called by PowerShell on Remove-Module: the last removal drains and commits every session of this process.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (--s_imports > 0)
            {
                return;
            }
            s_imports = 0;
            TypeAccelerators.Remove(s_accelerated);
            s_accelerated = Array.Empty<string>();
        }
        CloseAllSessions();
    }

    /// <summary>The engine, from the module's load context (the default context asks when a cmdlet first needs it).</summary>
    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == ModuleLoadContext.EngineAssemblyName ? EngineAssembly() : null;

    private static Assembly EngineAssembly()
    {
        string moduleFolder = Path.GetDirectoryName(typeof(ModuleLifecycle).Assembly.Location)!;
        return ModuleLoadContext.For(moduleFolder).LoadFromAssemblyName(new AssemblyName(ModuleLoadContext.EngineAssemblyName));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CloseAllSessions() => Sessions.WriterSessionRegistry.Shared.CloseAll();
}
