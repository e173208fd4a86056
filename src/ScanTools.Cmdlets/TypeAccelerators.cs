using System.Management.Automation;
using System.Reflection;

namespace ScanTools.Commands;

/// <summary>
/// Makes the engine's public types resolvable by their full names in scripts (<c>[ScanTools.Storage.ScanRun]</c>,
/// <c>[ScanTools.Storage.Durability]::Full</c>). PowerShell resolves type names only in the default load
/// context, and the engine lives in the module's own; PowerShell's type accelerators, the mechanism
/// about_Classes documents for exporting types from a module, name them instead.
/// </summary>
internal static class TypeAccelerators
{
    private static readonly Type? Accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");

    /// <summary>Adds every public type of <paramref name="assembly"/> under its full name, unless that name is taken; returns the names added.</summary>
    public static string[] AddPublicTypes(Assembly assembly)
    {
        MethodInfo? add = Accelerators?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, new[] { typeof(string), typeof(Type) });
        if (add is null || Existing() is not { } existing)
        {
            return Array.Empty<string>(); // a PowerShell without accelerators: types are still usable through their objects
        }
        var added = new List<string>();
        foreach (Type type in assembly.GetExportedTypes())
        {
            if (type.FullName is string name && !existing.ContainsKey(name))
            {
                add.Invoke(null, new object[] { name, type });
                added.Add(name);
            }
        }
        return added.ToArray();
    }

    /// <summary>Removes the names this module added.</summary>
    public static void Remove(IEnumerable<string> names)
    {
        MethodInfo? remove = Accelerators?.GetMethod("Remove", BindingFlags.Public | BindingFlags.Static, new[] { typeof(string) });
        foreach (string name in names)
        {
            remove?.Invoke(null, new object[] { name });
        }
    }

    private static Dictionary<string, Type>? Existing() =>
        Accelerators?.GetProperty("Get", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is Dictionary<string, Type> map
            ? map
            : null;
}
