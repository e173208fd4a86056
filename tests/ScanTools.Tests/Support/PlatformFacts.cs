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
