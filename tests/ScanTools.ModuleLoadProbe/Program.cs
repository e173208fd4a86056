using System.Reflection;
using System.Runtime.Loader;

// usage: ScanTools.ModuleLoadProbe MODULE_DIR CATALOG_PATH [--no-resolver]
// Prints "ok" after opening and closing a catalog through the module's engine, or the exception.
string moduleDir = Path.GetFullPath(args[0]);
string catalog = args[1];
bool register = !args.Contains("--no-resolver");

// PowerShell resolves a module's dependencies from the module folder; do the same.
AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    string candidate = Path.Combine(moduleDir, name.Name + ".dll");
    return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
};
try
{
    Assembly engine = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(moduleDir, "ScanTools.Engine.dll"));
    if (register)
    {
        engine.GetType("ScanTools.Hosting.NativeSqlite", throwOnError: true)!.GetMethod("Register")!.Invoke(null, new object[] { moduleDir });
    }
    Type registryType = engine.GetType("ScanTools.Sessions.WriterSessionRegistry", throwOnError: true)!;
    object registry = Activator.CreateInstance(registryType)!;
    var lease = (IDisposable)registryType.GetMethod("Acquire")!.Invoke(registry, new object?[] { catalog, null, null })!;
    lease.Dispose();
    Console.WriteLine("ok");
    return 0;
}
catch (TargetInvocationException ex) when (ex.InnerException is not null)
{
    Console.WriteLine(Flatten(ex.InnerException));
    return 1;
}
catch (Exception ex)
{
    Console.WriteLine(Flatten(ex));
    return 1;
}

static string Flatten(Exception ex)
{
    var parts = new List<string>();
    for (Exception? e = ex; e is not null; e = e.InnerException)
    {
        parts.Add($"{e.GetType().Name}: {e.Message}");
    }
    return string.Join(" --> ", parts);
}
