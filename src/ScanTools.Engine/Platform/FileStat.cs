namespace ScanTools.Platform;

/// <summary>Chooses statx where it exists and the portable path elsewhere.</summary>
internal static class FileStat
{
    /// <summary>Stats a path; follows a final symlink only when <paramref name="follow"/> is set.</summary>
    public static StatFailure TryStat(string path, bool follow, out EntryStat stat)
    {
        if (LinuxStat.IsAvailable)
        {
            return LinuxStat.TryStat(path, follow, out stat);
        }
        return PortableStat.FromPath(path, follow, out stat);
    }
}
