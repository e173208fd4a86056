using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>What the catalog holds about a hashed file: the stamps its hash was taken under, and the hash.</summary>
/// <param name="Size">Bytes.</param>
/// <param name="LastWriteTicks">Last-write time, ticks UTC.</param>
/// <param name="ChangeTicks">Change time (ctime), ticks UTC.</param>
/// <param name="Inode">File id.</param>
/// <param name="Sha256">The stored SHA-256 (32 bytes).</param>
internal readonly record struct StoredContent(long Size, long LastWriteTicks, long ChangeTicks, long Inode, byte[] Sha256);

/// <summary>Where a walk finds the hashes it may keep instead of reading files again.</summary>
internal interface IStoredHashSource
{
    /// <summary>The present, hashed files of one folder by name; empty when the catalog holds none. Called on walker threads.</summary>
    IReadOnlyDictionary<string, StoredContent> Folder(string directoryPath);
}

/// <summary>
/// Reads stored hashes from the catalog for an incremental <c>-Hash</c> rescan: one read-only connection per
/// walker thread (WAL readers never wait on the writer), one indexed query per folder. Only files whose
/// change time and file id are stored qualify, so a kept hash rests on size, last-write time, change time
/// and file id together.
/// </summary>
internal sealed class StoredHashes : IStoredHashSource, IDisposable
{
    private const string Sql = """
        SELECT f.name, f.size, f.mtime, f.ctime, f.inode, f.sha256
        FROM directories d JOIN files f ON f.dir_id = d.id
        WHERE d.path = $path AND f.removed_scan_id IS NULL AND f.sha256 IS NOT NULL
          AND f.ctime IS NOT NULL AND f.inode IS NOT NULL;
        """;

    private static readonly IReadOnlyDictionary<string, StoredContent> None = new Dictionary<string, StoredContent>();
    private readonly string _catalog;
    private readonly ThreadLocal<(SqliteConnection Connection, SqliteCommand Command)?> _perThread;
    private volatile bool _unavailable;

    public StoredHashes(string catalog)
    {
        _catalog = catalog;
        _perThread = new ThreadLocal<(SqliteConnection, SqliteCommand)?>(Open, trackAllValues: true);
    }

    private (SqliteConnection, SqliteCommand)? Open()
    {
        try
        {
            SqliteConnection connection = CatalogDatabase.OpenForReading(_catalog);
            SqliteCommand command = connection.CreateCommand();
            command.CommandText = Sql;
            command.Parameters.Add("$path", SqliteType.Text);
            command.Prepare();
            return (connection, command);
        }
        catch (Exception ex) when (ex is CatalogException or SqliteException)
        {
            _unavailable = true; // a catalog that cannot be read here: every file is hashed, as in a first scan
            return null;
        }
    }

    public IReadOnlyDictionary<string, StoredContent> Folder(string directoryPath)
    {
        if (_unavailable || _perThread.Value is not (SqliteConnection, SqliteCommand) open)
        {
            return None;
        }
        SqliteCommand command = open.Item2;
        command.Parameters[0].Value = directoryPath;
        Dictionary<string, StoredContent>? found = null;
        try
        {
            using SqliteDataReader r = command.ExecuteReader();
            while (r.Read())
            {
                (found ??= new Dictionary<string, StoredContent>(StringComparer.Ordinal))[r.GetString(0)] =
                    new StoredContent(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), (byte[])r.GetValue(5));
            }
        }
        catch (SqliteException)
        {
            return None; // a read that fails costs this folder its shortcut, nothing else
        }
        return found ?? None;
    }

    public void Dispose()
    {
        foreach ((SqliteConnection Connection, SqliteCommand Command)? open in _perThread.Values)
        {
            if (open is { } o)
            {
                o.Command.Dispose();
                o.Connection.Dispose();
            }
        }
        _perThread.Dispose();
    }
}
