namespace ScanTools.Platform;

/// <summary>
/// Opens a file a user names as input (a rules file, a baseline) only when it is a regular file of a sane size: a
/// FIFO would block the command forever, and /dev/zero or a huge file would be read into memory until it runs out.
/// </summary>
internal static class InputFile
{
    /// <summary>The most a rules file may hold: 16 MiB, about 100 times the built-in rules with every comment.</summary>
    public const long MaxRulesBytes = 16L << 20;

    /// <summary>The most a baseline may hold: 512 MiB, about 2 million accepted findings with their reasons.</summary>
    public const long MaxBaselineBytes = 512L << 20;

    /// <summary>Refuses <paramref name="path"/> unless it is a regular file (links followed) of at most <paramref name="maxBytes"/>.</summary>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="UnauthorizedAccessException">It cannot be looked at.</exception>
    /// <exception cref="IOException">It is a folder, FIFO, socket or device, or larger than <paramref name="maxBytes"/>; the message says so.</exception>
    public static void Check(string path, string what, long maxBytes)
    {
        StatFailure failure = FileStat.TryStat(path, follow: true, out EntryStat stat);
        if (failure == StatFailure.AccessDenied)
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }
        if (failure != StatFailure.None)
        {
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        }
        if (stat.Kind == EntryKind.Directory)
        {
            throw new IOException($"'{path}' is a folder; give the path of a {what}.");
        }
        if (stat.Kind != EntryKind.File)
        {
            throw new IOException($"'{path}' is not a regular file (a FIFO, socket or device), so it is not read as a {what}.");
        }
        if (stat.Length > maxBytes)
        {
            throw new IOException($"'{path}' holds {stat.Length:N0} bytes; a {what} is at most {maxBytes:N0}. Check that this is the file you meant.");
        }
    }
}
