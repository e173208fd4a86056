using ScanTools.Platform;

namespace ScanTools.Tests.Support;

/// <summary>A fact that needs Unix (permissions, symlinks without privileges, FIFOs, find(1)).</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs Unix file semantics";
        }
    }
}

/// <summary>A theory that needs Unix.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs Unix file semantics";
        }
    }
}

/// <summary>A theory about file permissions on Unix, which root ignores (RootFact tests run those cases as nobody).</summary>
public sealed class UnixNotRootTheoryAttribute : TheoryAttribute
{
    public UnixNotRootTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs Unix file semantics";
        }
        else if (ChildProcess.IsRoot)
        {
            Skip = "runs as root, which may write any file (the RootFact tests cover this as nobody)";
        }
    }
}

/// <summary>A fact that needs Linux (statx, arbitrary name bytes, PATH_MAX of 4096).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !LinuxStat.IsAvailable)
        {
            Skip = "needs Linux with statx";
        }
    }
}

/// <summary>A theory that needs Linux.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() || !LinuxStat.IsAvailable)
        {
            Skip = "needs Linux with statx";
        }
    }
}

/// <summary>A fact that needs to run as root on Linux (it starts children as another user with setpriv).</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !ChildProcess.IsRoot || !File.Exists("/usr/bin/setpriv"))
        {
            Skip = "needs root on Linux (to run a child as another user)";
        }
    }
}

/// <summary>
/// A fact that mounts file systems (a read-only bind mount, a tmpfs): it needs root on Linux and a kernel
/// that lets this process mount. The first use probes with a real bind mount and skips, saying why, where
/// that fails (an unprivileged container).
/// </summary>
public sealed class MountFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    public MountFactAttribute()
    {
        if (WhyNot.Value is string reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || !ChildProcess.IsRoot)
        {
            return "needs root on Linux to mount";
        }
        string dir = Path.Combine(Path.GetTempPath(), "scantools-mount-probe-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            if (Mounts.Run("mount", "--bind", dir, dir) != 0)
            {
                return "this process may not mount (no CAP_SYS_ADMIN here)";
            }
            Mounts.Run("umount", dir);
            return null;
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}

/// <summary>A fact that needs root on Linux and a temporary folder that chattr +i can make immutable; skipped otherwise.</summary>
public sealed class ChattrFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    public ChattrFactAttribute()
    {
        if (WhyNot.Value is string reason)
        {
            Skip = reason;
        }
    }

    /// <summary>Sets or clears the immutable flag of <paramref name="path"/> (chattr +i / -i); true when chattr succeeded.</summary>
    public static bool Immutable(string path, bool on) => Mounts.Run("chattr", on ? "+i" : "-i", path) == 0;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || !ChildProcess.IsRoot)
        {
            return "needs root on Linux to set the immutable flag";
        }
        string dir = Path.Combine(Path.GetTempPath(), "scantools-chattr-probe-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            if (!Immutable(dir, true))
            {
                return "chattr +i is not available or not supported by the temporary folder's file system";
            }
            Immutable(dir, false);
            return null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "chattr is not installed";
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}

/// <summary>Mounts for tests: read-only bind mounts and small tmpfs, undone on dispose.</summary>
public sealed class Mounts : IDisposable
{
    private readonly List<string> _mounted = new();

    /// <summary>Makes <paramref name="target"/> a read-only view of <paramref name="source"/>.</summary>
    public void ReadOnlyBind(string source, string target)
    {
        Directory.CreateDirectory(target);
        Assert.Equal(0, Run("mount", "--bind", source, target));
        _mounted.Add(target);
        Assert.Equal(0, Run("mount", "-o", "remount,bind,ro", target));
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (for example "2m") at <paramref name="target"/>.</summary>
    public void Tmpfs(string target, string size)
    {
        Directory.CreateDirectory(target);
        Assert.Equal(0, Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", target));
        _mounted.Add(target);
    }

    /// <summary>Changes the size of a tmpfs mounted here.</summary>
    public static void Resize(string target, string size) => Assert.Equal(0, Run("mount", "-o", "remount,size=" + size, target));

    public void Dispose()
    {
        foreach (string m in Enumerable.Reverse(_mounted))
        {
            Run("umount", "-l", m);
        }
    }

    internal static int Run(string tool, params string[] args)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
