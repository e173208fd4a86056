using System.Diagnostics;

namespace ScanTools.Tests.Support;

/// <summary>Ground truth from find(1): an independent implementation of "every entry under a root".</summary>
public static class Find
{
    public static bool IsAvailable => !OperatingSystem.IsWindows() && File.Exists("/usr/bin/find");

    /// <summary>Full paths of every non-directory entry under <paramref name="root"/> (links not followed).</summary>
    /// <param name="root">Where to start.</param>
    /// <param name="followLinks">find -L: enter linked folders (find refuses loops) and type links by their targets.</param>
    public static ISet<string> NonDirectories(string root, bool followLinks = false)
    {
        var args = new List<string>();
        if (followLinks)
        {
            args.Add("-L");
        }
        args.AddRange(new[] { root, "-mindepth", "1" });
        args.AddRange(new[] { "!", "-type", "d", "-print0" });
        var psi = new ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}
