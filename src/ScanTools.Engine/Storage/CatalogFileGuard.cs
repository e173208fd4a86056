namespace ScanTools.Storage;

/// <summary>What keeps the commands that write files of their own (exports, baselines, reports) off a catalog's files.</summary>
public static class CatalogFileGuard
{
    /// <summary>
    /// Why a command that writes a file of its own (an export, a baseline, a report) must not write
    /// <paramref name="path"/>, or null: the path (through any symlinks) is a ScanTools catalog, or the -wal, -shm,
    /// -journal or lock file of one, or a catalog's draft. Writing there would destroy the catalog. Nothing is opened
    /// but a regular file's first 72 bytes (a catalog is a SQLite file whose header holds ScanTools' application id).
    /// </summary>
    public static string? OwnFileProblem(string path)
    {
        string resolved = Platform.CanonicalPath.Resolve(path);
        string name = Path.GetFileName(resolved);
        if (name.StartsWith(CatalogFiles.ShortDraftPrefix, StringComparison.Ordinal))
        {
            return $"'{path}' is named as a draft of a catalog (.scantools.creating-...), which ScanTools deletes. Choose another -Path.";
        }
        if (IsCatalogFile(resolved))
        {
            return $"'{path}' is a ScanTools catalog; writing this file there would destroy it. Choose another -Path.";
        }
        foreach (string suffix in CatalogFiles.CompanionSuffixes)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.Ordinal) && IsCatalogFile(resolved[..^suffix.Length]))
            {
                return $"'{path}' is one of the catalog '{resolved[..^suffix.Length]}''s own files ({suffix}); writing there would damage the catalog. Choose another -Path.";
            }
        }
        return null;
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
