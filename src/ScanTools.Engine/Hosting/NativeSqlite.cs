using System.Reflection;
using System.Runtime.InteropServices;

namespace ScanTools.Hosting;

/// <summary>
/// Finds the native SQLite library for a module loaded by PowerShell. PowerShell loads a module's
/// assemblies without its deps.json, so .NET never probes <c>runtimes/&lt;rid&gt;/native</c> and the
/// first SQLite call fails with "Unable to load shared library 'e_sqlite3'". This resolver maps that
/// name to the module's own copy for the running platform.
/// </summary>
public static class NativeSqlite
{
    /// <summary>The runtime identifiers the module ships a native SQLite for.</summary>
    public static IReadOnlyList<string> ShippedRuntimes { get; } = new[]
    {
        "win-x64", "win-arm64", "linux-x64", "linux-arm64", "linux-musl-x64", "osx-x64", "osx-arm64",
    };

    private const string LibraryName = "e_sqlite3";
    private static readonly object Gate = new();
    private static string? s_moduleDirectory;
    private static bool s_registered;

    /// <summary>
    /// Installs the resolver for SQLitePCLRaw's provider assembly (once per process; later calls only
    /// update the folder, so Remove-Module then Import-Module from another copy works).
    /// </summary>
    /// <param name="moduleDirectory">The folder holding the module's assemblies and its <c>runtimes</c> folder.</param>
    public static void Register(string moduleDirectory)
    {
        lock (Gate)
        {
            s_moduleDirectory = moduleDirectory;
            if (s_registered)
            {
                return;
            }
            Assembly provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
            try
            {
                NativeLibrary.SetDllImportResolver(provider, Resolve);
            }
            catch (InvalidOperationException)
            {
                // Someone else already resolves for this assembly (another module with the same SQLitePCLRaw);
                // their resolver loads the same library.
            }
            s_registered = true;
        }
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

    /// <summary>The file the module ships for <paramref name="runtime"/>, relative to the module folder.</summary>
    public static string RelativePathFor(string runtime)
    {
        string file = runtime.StartsWith("win", StringComparison.Ordinal) ? "e_sqlite3.dll"
            : runtime.StartsWith("osx", StringComparison.Ordinal) ? "libe_sqlite3.dylib"
            : "libe_sqlite3.so";
        return Path.Combine("runtimes", runtime, "native", file);
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName || s_moduleDirectory is not string dir)
        {
            return IntPtr.Zero; // default probing
        }
        string runtime = CurrentRuntime();
        string candidate = Path.Combine(dir, RelativePathFor(runtime));
        if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
        {
            return handle;
        }
        throw new DllNotFoundException(
            $"ScanTools has no native SQLite for this platform ({runtime}); it looked for '{candidate}'. " +
            $"The module ships it for {string.Join(", ", ShippedRuntimes)}.");
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
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
