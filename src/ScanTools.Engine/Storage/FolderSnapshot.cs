using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>A file's row as the catalog held it.</summary>
internal readonly record struct StoredRow(
    long Size, long Mtime, long? Btime, long Attributes, long? Mode, long Kind, bool IsLink, string? LinkTarget,
    byte[]? Sha256, long? Ctime, long? Device, long? Inode, long? Links, long? Uid, long? Gid, long? RemovedScanId, long? RulesKey = null);

/// <summary>Reading <see cref="StoredRow"/>s.</summary>
internal static class StoredRows
{
    /// <summary>The columns of a <see cref="StoredRow"/>, after the name, in its order.</summary>
    public const string Columns =
        "name, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, ctime, device, inode, links, uid, gid, removed_scan_id, rules_key";

    /// <summary>Every row of one folder (?1 = dir_id), removed ones included.</summary>
    public const string FolderSql = $"SELECT {Columns} FROM files WHERE dir_id = ?1;";

    public static StoredRow Read(RawStatement r) => new(
        r.Int64(1), r.Int64(2), r.NullableInt64(3), r.Int64(4), r.NullableInt64(5), r.Int64(6), r.Int64(7) != 0,
        r.IsNull(8) ? null : r.Text(8), r.Blob(9), r.NullableInt64(10), r.NullableInt64(11), r.NullableInt64(12),
        r.NullableInt64(13), r.NullableInt64(14), r.NullableInt64(15), r.NullableInt64(16), r.NullableInt64(17));
}

/// <summary>
/// What the catalog held for one folder when a walker listed it: its rows, and the folder's version (bumped
/// by the writer whenever it changes the folder's rows). The writer uses the snapshot instead of reading
/// the rows again when the version is still current, so reading rows happens on the walker threads, in
/// parallel; an incremental -Hash finds the stored hashes in it.
/// </summary>
internal sealed class FolderSnapshot
{
    public required long DirectoryId { get; init; }

    public required long Version { get; init; }

    public required Dictionary<string, StoredRow> Rows { get; init; }
}

/// <summary>Where a walk reads folder snapshots.</summary>
internal interface IFolderSnapshotSource
{
    /// <summary>The folder's snapshot, or null when the catalog does not know the folder (or cannot be read). Called on walker threads.</summary>
    FolderSnapshot? Read(string directoryPath);
}

/// <summary>
/// Reads folder snapshots for a scan: one read-only connection per walker thread (WAL readers never wait on
/// the writer) with raw prepared statements (Microsoft.Data.Sqlite's reader cost 3 us a row here). A read
/// sees what was committed; the writer checks the version before trusting it.
/// </summary>
internal sealed class FolderSnapshots : IFolderSnapshotSource, IDisposable
{
    private const string DirectorySql = "SELECT id, version FROM directories WHERE path = ?1;";
    private readonly string? _catalog;
    private readonly ThreadLocal<Reader?> _perThread;
    private volatile bool _unavailable;

    private sealed record Reader(SqliteConnection Connection, RawStatement Directory, RawStatement Rows);

    public FolderSnapshots(string? catalog)
    {
        _catalog = catalog;
        _unavailable = catalog is null;
        _perThread = new ThreadLocal<Reader?>(Open, trackAllValues: true);
    }

    private Reader? Open()
    {
        try
        {
            SqliteConnection connection = CatalogDatabase.OpenForReading(_catalog!);
            return new Reader(connection, new RawStatement(connection, DirectorySql), new RawStatement(connection, StoredRows.FolderSql));
        }
        catch (Exception ex) when (ex is CatalogException or SqliteException)
        {
            _unavailable = true; // the writer reads what it needs itself; hashes are computed as in a first scan
            return null;
        }
    }

    public FolderSnapshot? Read(string directoryPath)
    {
        if (_unavailable || _perThread.Value is not Reader reader)
        {
            return null;
        }
        try
        {
            reader.Directory.Bind(1, directoryPath);
            if (!reader.Directory.Step())
            {
                return null;
            }
            long id = reader.Directory.Int64(0);
            long version = reader.Directory.Int64(1);
            reader.Directory.Reset();
            var rows = new Dictionary<string, StoredRow>(StringComparer.Ordinal);
            reader.Rows.Bind(1, id);
            while (reader.Rows.Step())
            {
                rows[reader.Rows.Text(0)] = StoredRows.Read(reader.Rows);
            }
            return new FolderSnapshot { DirectoryId = id, Version = version, Rows = rows };
        }
        catch (SqliteException)
        {
            reader.Directory.Reset();
            reader.Rows.Reset();
            return null; // a read that fails costs this folder its shortcut, nothing else
        }
    }

    public void Dispose()
    {
        foreach (Reader? r in _perThread.Values)
        {
            if (r is not null)
            {
                r.Directory.Dispose();
                r.Rows.Dispose();
                r.Connection.Dispose();
            }
        }
        _perThread.Dispose();
    }
}
