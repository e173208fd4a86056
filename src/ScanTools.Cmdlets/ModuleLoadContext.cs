using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace ScanTools.Commands;

/// <summary>
/// The module's own <see cref="AssemblyLoadContext"/>: the engine and every dependency (Microsoft.Data.Sqlite,
/// SQLitePCLRaw, the native SQLite) load from the module's <c>dependencies</c> folder into it, so another
/// module's copy of the same libraries in another version can neither break ScanTools nor be broken by it.
/// Only the cmdlet assembly (and PowerShell itself) live in the default context. This is the pattern of
/// PowerShell's guide "Resolving PowerShell module assembly dependency conflicts".
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    /// <summary>The folder, under the module's, that holds the engine and its dependencies.</summary>
    public const string DependencyFolderName = "dependencies";

    /// <summary>The assembly the cmdlets call into; the default context asks for it and gets ours.</summary>
    public const string EngineAssemblyName = "ScanTools.Engine";

    /// <summary>The runtime identifiers the module ships a native SQLite for.</summary>
    public static IReadOnlyList<string> ShippedRuntimes { get; } = new[]
    {
        "win-x64", "win-arm64", "linux-x64", "linux-arm64", "linux-musl-x64", "osx-x64", "osx-arm64",
    };

    private const string SqliteLibrary = "e_sqlite3";
    private readonly string _folder;

    public ModuleLoadContext(string dependencyFolder)
        : base("ScanTools", isCollectible: false)
    {
        _folder = dependencyFolder;
    }

    /// <summary>The context of the module loaded from <paramref name="moduleFolder"/>: one per folder, for the life of the process.</summary>
    public static ModuleLoadContext For(string moduleFolder) => Contexts.GetOrAdd(
        Path.GetFullPath(Path.Combine(moduleFolder, DependencyFolderName)),
        static folder => new ModuleLoadContext(folder));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModuleLoadContext> Contexts = new(StringComparer.Ordinal);

    /// <summary>Everything shipped in the dependencies folder loads here; anything else (the framework) from the default context.</summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    /// <summary>
    /// SQLite's native library, for this platform, from the module's own copy. PowerShell loads modules
    /// without their deps.json, so .NET would never look in <c>runtimes/&lt;rid&gt;/native</c> by itself.
    /// </summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        if (unmanagedDllName != SqliteLibrary)
        {
            return IntPtr.Zero;
        }
        string runtime = CurrentRuntime();
        string candidate = Path.Combine(_folder, RelativePathFor(runtime));
        if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
        {
            return handle;
        }
        throw new DllNotFoundException(
            $"ScanTools has no native SQLite for this platform ({runtime}); it looked for '{candidate}'. " +
            $"The module ships it for {string.Join(", ", ShippedRuntimes)}.");
    }

    /// <summary>The runtime identifier whose native library this process needs.</summary>
    public static string CurrentRuntime()
    {
        string os = OperatingSystem.IsWindows() ? "win"
            : OperatingSystem.IsMacOS() ? "osx"
            : IsMusl() ? "linux-musl"
            : "linux";
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        return os + "-" + arch;
    }

    /// <summary>The file the module ships for <paramref name="runtime"/>, relative to the dependencies folder.</summary>
    public static string RelativePathFor(string runtime)
    {
        string file = runtime.StartsWith("win", StringComparison.Ordinal) ? "e_sqlite3.dll"
            : runtime.StartsWith("osx", StringComparison.Ordinal) ? "libe_sqlite3.dylib"
            : "libe_sqlite3.so";
        return Path.Combine("runtimes", runtime, "native", file);
    }

    private static bool IsMusl()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        // A musl-built runtime says so in its identifier; otherwise look for musl's dynamic loader.
        if (RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal))
        {
            return true;
        }
        try
        {
            return Directory.EnumerateFiles("/lib", "ld-musl-*.so.1").Any();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
