namespace ScanTools.Storage;

/// <summary>What keeps the commands that write files of their own (exports, baselines, reports) off a catalog's files.</summary>
public static class CatalogFileGuard
{
    /// <summary>
    /// Why a command that writes a file of its own (an export, a baseline, a report, a schedule's log) must not write
    /// <paramref name="path"/>, or null: the path (through any symlinks) is a ScanTools catalog, or the -wal, -shm,
    /// -journal or lock file of one, or a catalog's draft. Writing there would destroy the catalog. Nothing is opened
    /// but a regular file's first 72 bytes (a catalog is a SQLite file whose header holds ScanTools' application id).
    /// </summary>
    public static string? OwnFileProblem(string path)
    {
        if (Resolve(path, out string? unusable) is not string resolved)
        {
            return unusable;
        }
        return IsCatalogFile(resolved)
            ? $"'{path}' is a ScanTools catalog; writing this file there would destroy it. Choose another file."
            : CompanionProblem(path, resolved);
    }

    /// <summary>
    /// As <see cref="OwnFileProblem"/>, but a catalog itself passes: for a backup, which may replace an earlier backup
    /// (-Force) but never another catalog's -wal, -shm, -journal or lock file, nor a catalog's draft.
    /// </summary>
    public static string? CompanionProblem(string path) =>
        Resolve(path, out string? unusable) is string resolved ? CompanionProblem(path, resolved) : unusable;

    /// <summary>
    /// Why a file written whole and moved into place (an export, a report, a backup) must not replace what is at
    /// <paramref name="path"/>, or null: a FIFO, socket or device (through links too). The move would put a regular file
    /// in its place, and as root -Path /dev/null would replace the system's device.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="instead">What the message asks for instead.</param>
    public static string? SpecialFileProblem(string path, string instead = "the path of a file") =>
        Platform.FileStat.TryStat(path, follow: true, out Platform.EntryStat stat) == Platform.StatFailure.None
        && stat.Kind is not (Platform.EntryKind.File or Platform.EntryKind.Directory)
            ? $"'{path}' is not a regular file (a FIFO, socket or device); the file written would replace it. Give {instead}."
            : null;

    /// <summary>Why no catalog may be created at <paramref name="path"/>, whose name ends like a catalog's own file; or null (<see cref="CatalogFiles.CompanionNameProblem"/>).</summary>
    public static string? CompanionNameProblem(string path) => CatalogFiles.CompanionNameProblem(path);

    /// <summary>
    /// True when <paramref name="path"/> is a regular file, through links; false for a folder, a FIFO, socket or device,
    /// a dangling link or a path that cannot be looked at. Nothing is opened: opening a FIFO to read waits for a writer.
    /// </summary>
    public static bool IsRegularFile(string path) =>
        Platform.FileStat.TryStat(path, follow: true, out Platform.EntryStat stat) == Platform.StatFailure.None && stat.Kind == Platform.EntryKind.File;

    /// <summary>The path with its links resolved, or null and why not (a loop of links).</summary>
    private static string? Resolve(string path, out string? unusable)
    {
        try
        {
            unusable = null;
            return Platform.CanonicalPath.Resolve(path);
        }
        catch (IOException ex)
        {
            unusable = $"'{path}' cannot be used: {ex.Message} Choose another file.";
            return null;
        }
    }

    private static string? CompanionProblem(string path, string resolved)
    {
        string name = Path.GetFileName(resolved);
        int draft = name.IndexOf(CatalogFiles.DraftInfix, StringComparison.Ordinal);
        if (name.StartsWith(CatalogFiles.ShortDraftPrefix, StringComparison.Ordinal)
            || (draft > 0 && IsCatalogFile(Path.Join(Path.GetDirectoryName(resolved), name[..draft]))))
        {
            return $"'{path}' is named as a draft of a catalog (NAME.creating-..., .scantools.creating-...), which ScanTools deletes. Choose another file.";
        }
        return CompanionOf(resolved) is (string catalog, string suffix)
            ? $"'{path}' is one of the own files ({suffix}) of the catalog '{catalog}'; writing there would damage the catalog. Choose another file."
            : null;
    }

    /// <summary>
    /// The catalog whose -wal, -shm, -journal or lock file <paramref name="resolved"/> (a path with its links resolved)
    /// is, and that suffix; null when the name has no such suffix or what the name is left without it is not a catalog.
    /// </summary>
    public static (string Catalog, string Suffix)? CompanionOf(string resolved)
    {
        string name = Path.GetFileName(resolved);
        foreach (string suffix in CatalogFiles.CompanionSuffixes)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal) && IsCatalogFile(resolved[..^suffix.Length]))
            {
                return (resolved[..^suffix.Length], suffix);
            }
        }
        return null;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is the catalog <paramref name="catalogPath"/> or one of its side files (-wal, -shm,
    /// -journal, its locks), names compared as the file system compares them, links resolved.
    /// </summary>
    public static bool IsFileOfCatalog(string catalogPath, string path)
    {
        string key = Platform.CanonicalPath.KeyOf(Platform.CanonicalPath.Resolve(path));
        string catalog = Platform.CanonicalPath.Resolve(catalogPath);
        return CatalogFiles.CompanionSuffixes.Prepend(string.Empty)
            .Any(suffix => string.Equals(key, Platform.CanonicalPath.KeyOf(catalog + suffix), StringComparison.Ordinal));
    }

    /// <summary>True when <paramref name="path"/> is a regular file with a SQLite header that carries ScanTools' application id.</summary>
    public static bool IsCatalogFile(string path)
    {
        if (Platform.FileStat.TryStat(path, follow: true, out Platform.EntryStat stat) != Platform.StatFailure.None || stat.Kind != Platform.EntryKind.File || stat.Length < 100)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[72];
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // "SQLite format 3\0", then at offset 68 the application id, big-endian (https://sqlite.org/fileformat.html).
        return header[..16].SequenceEqual("SQLite format 3\0"u8)
            && System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[68..]) == CatalogSchema.ApplicationId;
    }
}
