using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Storage.Writes;

namespace ScanTools.Storage;

/// <summary>
/// Applies <see cref="CatalogWrite"/>s to the one write connection of a catalog with prepared
/// commands. Owned by exactly one thread, the writer session's consumer: nothing here is thread-safe,
/// and nothing else in the engine opens a write connection.
/// </summary>
internal sealed class CatalogWriter : IDisposable
{
    private const int DirectoryCacheLimit = 16_384;

    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly Dictionary<Guid, long> _runIds = new();
    private readonly Dictionary<string, long> _directoryIds;
    private readonly Dictionary<(long Run, long Dir), HashSet<string>?> _openListings = new();
    private SqliteTransaction? _transaction;

    private readonly SqliteCommand _upsertFile;
    private readonly SqliteParameter _fDir, _fName, _fExt, _fSize, _fMtime, _fBtime, _fAttr, _fMode, _fKind, _fIsLink, _fTarget, _fHash, _fScan, _fTouch;
    private readonly SqliteCommand _findDirectory;
    private readonly SqliteCommand _insertDirectory;
    private readonly SqliteCommand _presentNames;
    private readonly SqliteCommand _removeFile;
    private readonly SqliteCommand _childDirectories;
    private readonly SqliteCommand _removeSubtreeFiles;
    private readonly SqliteCommand _removeSubtreeDirectories;
    private readonly SqliteCommand _completeDirectory;
    private readonly SqliteCommand _reviveDirectory;
    private readonly SqliteCommand _insertError;
    private readonly SqliteCommand _addRemoved;
    private readonly SqliteCommand _clientSeq;
    private readonly SqliteCommand _setClientSeq;
    private readonly List<SqliteCommand> _commands = new();

    public CatalogWriter(string path, Durability durability)
    {
        _path = path;
        _directoryIds = new Dictionary<string, long>(Platform.PathComparison.Comparer);
        _connection = CatalogDatabase.OpenForWriting(path, durability);
        try
        {
            _upsertFile = Prepare("""
                INSERT INTO files (dir_id, name, extension, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, first_scan_id, last_scan_id)
                VALUES ($dir, $name, $ext, $size, $mtime, $btime, $attr, $mode, $kind, $link, $target, $hash, $scan, $scan)
                ON CONFLICT (dir_id, name) DO UPDATE SET
                    extension = excluded.extension, size = excluded.size, mtime = excluded.mtime, btime = excluded.btime,
                    attributes = excluded.attributes, mode = excluded.mode, kind = excluded.kind, is_link = excluded.is_link,
                    link_target = excluded.link_target,
                    sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN excluded.sha256
                                  WHEN files.size = excluded.size AND files.mtime = excluded.mtime THEN files.sha256
                                  ELSE NULL END,
                    last_scan_id = excluded.last_scan_id,
                    removed_scan_id = NULL
                WHERE $touch
                   OR files.removed_scan_id IS NOT NULL
                   OR files.size IS NOT excluded.size OR files.mtime IS NOT excluded.mtime
                   OR files.btime IS NOT excluded.btime OR files.attributes IS NOT excluded.attributes
                   OR files.mode IS NOT excluded.mode OR files.kind IS NOT excluded.kind
                   OR files.is_link IS NOT excluded.is_link OR files.link_target IS NOT excluded.link_target
                   OR (excluded.sha256 IS NOT NULL AND files.sha256 IS NOT excluded.sha256);
                """);
            _fDir = P(_upsertFile, "$dir");
            _fName = P(_upsertFile, "$name");
            _fExt = P(_upsertFile, "$ext");
            _fSize = P(_upsertFile, "$size");
            _fMtime = P(_upsertFile, "$mtime");
            _fBtime = P(_upsertFile, "$btime");
            _fAttr = P(_upsertFile, "$attr");
            _fMode = P(_upsertFile, "$mode");
            _fKind = P(_upsertFile, "$kind");
            _fIsLink = P(_upsertFile, "$link");
            _fTarget = P(_upsertFile, "$target");
            _fHash = P(_upsertFile, "$hash");
            _fScan = P(_upsertFile, "$scan");
            _fTouch = P(_upsertFile, "$touch");

            _findDirectory = Prepare("SELECT id, removed_scan_id FROM directories WHERE path = $path;", "$path");
            _insertDirectory = Prepare("INSERT INTO directories (path, parent_id, first_scan_id) VALUES ($path, $parent, $scan) RETURNING id;", "$path", "$parent", "$scan");
            _reviveDirectory = Prepare("UPDATE directories SET removed_scan_id = NULL WHERE id = $id;", "$id");
            _presentNames = Prepare("SELECT name FROM files WHERE dir_id = $dir AND removed_scan_id IS NULL;", "$dir");
            _removeFile = Prepare("""
                UPDATE files SET removed_scan_id = $scan,
                       last_scan_id = max(last_scan_id, coalesce((SELECT last_scan_id FROM directories WHERE id = $dir), 0))
                WHERE dir_id = $dir AND name = $name AND removed_scan_id IS NULL;
                """, "$scan", "$dir", "$name");
            _childDirectories = Prepare("SELECT id, path FROM directories WHERE parent_id = $dir AND removed_scan_id IS NULL;", "$dir");
            _removeSubtreeFiles = Prepare("""
                UPDATE files SET removed_scan_id = $scan,
                       last_scan_id = max(last_scan_id, coalesce((SELECT d.last_scan_id FROM directories d WHERE d.id = files.dir_id), 0))
                WHERE removed_scan_id IS NULL
                  AND dir_id IN (SELECT id FROM directories WHERE id = $id OR (path > $lo AND path < $hi));
                """, "$scan", "$id", "$lo", "$hi");
            _removeSubtreeDirectories = Prepare("""
                UPDATE directories SET removed_scan_id = $scan
                WHERE removed_scan_id IS NULL AND (id = $id OR (path > $lo AND path < $hi));
                """, "$scan", "$id", "$lo", "$hi");
            _completeDirectory = Prepare("""
                UPDATE directories SET prev_scan_id = last_scan_id, last_scan_id = $scan, removed_scan_id = NULL
                WHERE id = $id AND last_scan_id IS NOT $scan;
                """, "$scan", "$id");
            _insertError = Prepare("INSERT INTO scan_errors (scan_id, path, kind, message, occurred_utc) VALUES ($scan, $path, $kind, $message, $at);",
                "$scan", "$path", "$kind", "$message", "$at");
            _addRemoved = Prepare("UPDATE scan_runs SET removed = removed + $n WHERE id = $id;", "$n", "$id");
            _clientSeq = Prepare("SELECT last_seq FROM client_batches WHERE client_id = $client;", "$client");
            _setClientSeq = Prepare("""
                INSERT INTO client_batches (client_id, last_seq, updated_utc) VALUES ($client, $seq, $at)
                ON CONFLICT (client_id) DO UPDATE SET last_seq = excluded.last_seq, updated_utc = excluded.updated_utc;
                """, "$client", "$seq", "$at");
            FailAbandonedRuns();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    public string DatabasePath => _path;

    public bool InTransaction => _transaction is not null;

    /// <summary>Rows removed (marked) since the writer opened; for statistics.</summary>
    public long RemovedRows { get; private set; }

    public void Begin()
    {
        Debug.Assert(_transaction is null);
        _transaction = _connection.BeginTransaction(deferred: false);
        foreach (SqliteCommand c in _commands)
        {
            c.Transaction = _transaction;
        }
    }

    public void Commit()
    {
        SqliteTransaction tx = _transaction ?? throw new InvalidOperationException("No transaction to commit.");
        _transaction = null;
        tx.Commit();
        tx.Dispose();
    }

    public void Rollback()
    {
        SqliteTransaction? tx = _transaction;
        _transaction = null;
        if (tx is null)
        {
            return;
        }
        try
        {
            tx.Rollback();
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back (for example after SQLITE_FULL).
        }
        catch (InvalidOperationException)
        {
        }
        tx.Dispose();
        // A failed transaction may have cached ids of rows that no longer exist.
        _runIds.Clear();
        _directoryIds.Clear();
        _openListings.Clear();
    }

    /// <summary>Applies one change inside the current transaction.</summary>
    public void Apply(CatalogWrite write)
    {
        switch (write)
        {
            case DirectoryListing listing:
                ApplyListing(listing);
                break;
            case ScanRunStart start:
                ApplyStart(start);
                break;
            case ScanErrorBatch errors:
                ApplyErrors(errors);
                break;
            case ScanRunEnd end:
                ApplyEnd(end);
                break;
            default:
                throw new ArgumentException($"Unknown catalog write {write.GetType().Name}.", nameof(write));
        }
    }

    /// <summary>The highest batch sequence applied for a forwarding client, or -1.</summary>
    public long AppliedSequence(string clientId)
    {
        _clientSeq.Parameters[0].Value = clientId;
        object? v = _clientSeq.ExecuteScalar();
        return v is null or DBNull ? -1 : (long)v;
    }

    /// <summary>Records that a client's batch is applied, in the same transaction as its rows.</summary>
    public void SetAppliedSequence(string clientId, long sequence)
    {
        _setClientSeq.Parameters[0].Value = clientId;
        _setClientSeq.Parameters[1].Value = sequence;
        _setClientSeq.Parameters[2].Value = DateTime.UtcNow.Ticks;
        _setClientSeq.ExecuteNonQuery();
    }

    private void ApplyStart(ScanRunStart start)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.Transaction = _transaction;
        c.CommandText = """
            INSERT INTO scan_runs (run_key, kind, status, started_utc, host, user_name, process_id, roots, options)
            VALUES ($key, $kind, 'Running', $started, $host, $user, $pid, $roots, $options)
            ON CONFLICT (run_key) DO NOTHING;
            """;
        c.Parameters.AddWithValue("$key", start.RunKey.ToString("D"));
        c.Parameters.AddWithValue("$kind", start.Kind);
        c.Parameters.AddWithValue("$started", start.StartedUtc.Ticks);
        c.Parameters.AddWithValue("$host", start.Host);
        c.Parameters.AddWithValue("$user", start.User);
        c.Parameters.AddWithValue("$pid", start.ProcessId);
        c.Parameters.AddWithValue("$roots", JsonSerializer.Serialize(start.Roots));
        c.Parameters.AddWithValue("$options", start.OptionsJson);
        c.ExecuteNonQuery();
    }

    private void ApplyEnd(ScanRunEnd end)
    {
        long run = RunId(end.RunKey);
        using SqliteCommand c = _connection.CreateCommand();
        c.Transaction = _transaction;
        c.CommandText = """
            UPDATE scan_runs SET status = $status, ended_utc = $ended, files = $files, bytes = $bytes,
                   directories = $dirs, errors = $errors, message = $message
            WHERE id = $id;
            """;
        c.Parameters.AddWithValue("$status", end.Status.ToString());
        c.Parameters.AddWithValue("$ended", end.EndedUtc.Ticks);
        c.Parameters.AddWithValue("$files", end.Files);
        c.Parameters.AddWithValue("$bytes", end.Bytes);
        c.Parameters.AddWithValue("$dirs", end.Directories);
        c.Parameters.AddWithValue("$errors", end.Errors);
        c.Parameters.AddWithValue("$message", (object?)end.Message ?? DBNull.Value);
        c.Parameters.AddWithValue("$id", run);
        c.ExecuteNonQuery();
        // Listings of this run that never got their final chunk (a cancelled walk) will not get it now.
        foreach (var key in _openListings.Keys.Where(k => k.Run == run).ToList())
        {
            _openListings.Remove(key);
        }
    }

    private void ApplyErrors(ScanErrorBatch batch)
    {
        long run = RunId(batch.RunKey);
        foreach (ScanError e in batch.Errors)
        {
            _insertError.Parameters[0].Value = run;
            _insertError.Parameters[1].Value = e.Path;
            _insertError.Parameters[2].Value = e.Kind.ToString();
            _insertError.Parameters[3].Value = e.Message;
            _insertError.Parameters[4].Value = e.OccurredUtc.Ticks;
            _insertError.ExecuteNonQuery();
        }
    }

    private void ApplyListing(DirectoryListing listing)
    {
        long run = RunId(listing.RunKey);
        (long dirId, bool existed) = DirectoryId(listing.DirectoryPath, run);
        bool walk = listing.Mode == ListingMode.Walk;

        // Names the catalog holds for this folder that the walk has not seen yet; null when unknown.
        HashSet<string>? unseen = null;
        bool tracked = false;
        if (walk)
        {
            var key = (run, dirId);
            if (listing.ChunkIndex == 0)
            {
                unseen = existed ? PresentNames(dirId) : new HashSet<string>(StringComparer.Ordinal);
                tracked = true;
                if (!listing.IsFinalChunk)
                {
                    _openListings[key] = unseen;
                }
            }
            else if (_openListings.TryGetValue(key, out unseen))
            {
                tracked = true;
                if (listing.IsFinalChunk)
                {
                    _openListings.Remove(key);
                }
            }
            // A later chunk without its first (the first went to a writer that has since gone) cannot
            // tell what disappeared: nothing is marked removed for this folder this time.
        }

        _fDir.Value = dirId;
        _fScan.Value = run;
        _fTouch.Value = walk ? 0L : 1L;
        foreach (FileRecord f in listing.Files)
        {
            _fName.Value = f.Name;
            _fExt.Value = f.Extension;
            _fSize.Value = f.Length;
            _fMtime.Value = f.LastWriteTimeUtc.Ticks;
            _fBtime.Value = f.CreationTimeUtc is DateTime b ? b.Ticks : DBNull.Value;
            _fAttr.Value = (long)f.Attributes;
            _fMode.Value = f.UnixMode is int m ? m : DBNull.Value;
            _fKind.Value = (long)f.Kind;
            _fIsLink.Value = f.IsLink ? 1L : 0L;
            _fTarget.Value = (object?)f.LinkTarget ?? DBNull.Value;
            _fHash.Value = (object?)f.Sha256Bytes ?? DBNull.Value;
            _upsertFile.ExecuteNonQuery();
            if (unseen is { Count: > 0 })
            {
                unseen.Remove(f.Name);
            }
        }

        if (!walk || !listing.IsFinalChunk || !listing.IsComplete || !tracked)
        {
            return;
        }

        long removed = 0;
        if (unseen is { Count: > 0 })
        {
            unseen.ExceptWith(listing.UnrecordedNames);
            foreach (string name in unseen)
            {
                _removeFile.Parameters[0].Value = run;
                _removeFile.Parameters[1].Value = dirId;
                _removeFile.Parameters[2].Value = name;
                removed += _removeFile.ExecuteNonQuery();
            }
        }
        if (existed)
        {
            removed += RemoveVanishedSubdirectories(dirId, listing.SubdirectoryNames, run);
        }
        if (removed > 0)
        {
            _addRemoved.Parameters[0].Value = removed;
            _addRemoved.Parameters[1].Value = run;
            _addRemoved.ExecuteNonQuery();
            RemovedRows += removed;
        }
        _completeDirectory.Parameters[0].Value = run;
        _completeDirectory.Parameters[1].Value = dirId;
        _completeDirectory.ExecuteNonQuery();
    }

    private long RemoveVanishedSubdirectories(long dirId, IReadOnlyList<string> present, long run)
    {
        List<(long Id, string Path)>? gone = null;
        var names = new HashSet<string>(present, StringComparer.Ordinal);
        _childDirectories.Parameters[0].Value = dirId;
        using (SqliteDataReader r = _childDirectories.ExecuteReader())
        {
            while (r.Read())
            {
                string path = r.GetString(1);
                if (!names.Contains(Path.GetFileName(path)))
                {
                    (gone ??= new()).Add((r.GetInt64(0), path));
                }
            }
        }
        if (gone is null)
        {
            return 0;
        }
        long removed = 0;
        foreach ((long id, string path) in gone)
        {
            (string lo, string hi) = SubtreeRange(path);
            foreach (SqliteCommand c in new[] { _removeSubtreeFiles, _removeSubtreeDirectories })
            {
                c.Parameters[0].Value = run;
                c.Parameters[1].Value = id;
                c.Parameters[2].Value = lo;
                c.Parameters[3].Value = hi;
            }
            removed += _removeSubtreeFiles.ExecuteNonQuery();
            _removeSubtreeDirectories.ExecuteNonQuery();
            _directoryIds.Clear();
        }
        return removed;
    }

    /// <summary>The key range (exclusive) of every path strictly below <paramref name="path"/>.</summary>
    internal static (string Low, string High) SubtreeRange(string path)
    {
        string prefix = Path.EndsInDirectorySeparator(path) ? path : path + Path.DirectorySeparatorChar;
        string high = prefix[..^1] + (char)(prefix[^1] + 1);
        return (prefix, high);
    }

    private HashSet<string> PresentNames(long dirId)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        _presentNames.Parameters[0].Value = dirId;
        using SqliteDataReader r = _presentNames.ExecuteReader();
        while (r.Read())
        {
            names.Add(r.GetString(0));
        }
        return names;
    }

    /// <summary>The id of a folder's row, creating it (and rows for its ancestors) when missing.</summary>
    private (long Id, bool Existed) DirectoryId(string path, long run)
    {
        if (_directoryIds.TryGetValue(path, out long cached))
        {
            return (cached, true);
        }
        _findDirectory.Parameters[0].Value = path;
        long id;
        bool existed;
        using (SqliteDataReader r = _findDirectory.ExecuteReader())
        {
            existed = r.Read();
            id = existed ? r.GetInt64(0) : 0;
            if (existed && !r.IsDBNull(1))
            {
                r.Close();
                _reviveDirectory.Parameters[0].Value = id;
                _reviveDirectory.ExecuteNonQuery();
            }
        }
        if (!existed)
        {
            string? parentPath = Path.GetDirectoryName(path);
            object parent = parentPath is null || parentPath == path ? DBNull.Value : DirectoryId(parentPath, run).Id;
            _insertDirectory.Parameters[0].Value = path;
            _insertDirectory.Parameters[1].Value = parent;
            _insertDirectory.Parameters[2].Value = run;
            id = (long)_insertDirectory.ExecuteScalar()!;
        }
        if (_directoryIds.Count >= DirectoryCacheLimit)
        {
            _directoryIds.Clear();
        }
        _directoryIds[path] = id;
        return (id, existed);
    }

    private long RunId(Guid key)
    {
        if (_runIds.TryGetValue(key, out long id))
        {
            return id;
        }
        using SqliteCommand c = _connection.CreateCommand();
        c.Transaction = _transaction;
        c.CommandText = "SELECT id FROM scan_runs WHERE run_key = $key;";
        c.Parameters.AddWithValue("$key", key.ToString("D"));
        object? found = c.ExecuteScalar();
        if (found is null)
        {
            // Rows must never be dropped for want of their run: open a stand-in run.
            ApplyStart(new ScanRunStart { RunKey = key, StartedUtc = DateTime.UtcNow, Kind = "Unknown" });
            found = c.ExecuteScalar();
        }
        id = (long)found!;
        _runIds[key] = id;
        return id;
    }

    /// <summary>Marks Failed the runs left Running on this computer by processes that no longer exist.</summary>
    private void FailAbandonedRuns()
    {
        var dead = new List<(long Id, int Pid)>();
        using (SqliteCommand c = _connection.CreateCommand())
        {
            c.CommandText = "SELECT id, process_id, started_utc FROM scan_runs WHERE status = 'Running' AND host = $host;";
            c.Parameters.AddWithValue("$host", Environment.MachineName);
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                int pid = r.GetInt32(1);
                if (!ProcessLiveness.IsAlive(pid, new DateTime(r.GetInt64(2), DateTimeKind.Utc)))
                {
                    dead.Add((r.GetInt64(0), pid));
                }
            }
        }
        foreach ((long id, int pid) in dead)
        {
            using SqliteCommand u = _connection.CreateCommand();
            u.CommandText = "UPDATE scan_runs SET status = 'Failed', ended_utc = $now, message = $msg WHERE id = $id AND status = 'Running';";
            u.Parameters.AddWithValue("$now", DateTime.UtcNow.Ticks);
            u.Parameters.AddWithValue("$msg", $"The scanning process (PID {pid}) ended before the scan finished; what it had sent is kept.");
            u.Parameters.AddWithValue("$id", id);
            u.ExecuteNonQuery();
        }
    }

    /// <summary>Runs SQLite's housekeeping and folds the WAL back into the database before closing.</summary>
    public void Checkpoint()
    {
        CatalogDatabase.Execute(_connection, "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    public void Dispose()
    {
        Rollback();
        foreach (SqliteCommand c in _commands)
        {
            c.Dispose();
        }
        _connection.Dispose();
    }

    /// <summary>Changes how commits wait for the disk; only between transactions.</summary>
    public void SetDurability(Durability durability) =>
        CatalogDatabase.Execute(_connection, $"PRAGMA synchronous = {(durability == Durability.Full ? "FULL" : "NORMAL")};");

    /// <summary>For tests: caps the file size, so a write fails with "disk full".</summary>
    internal void LimitPages(long pages) => CatalogDatabase.Execute(_connection, $"PRAGMA max_page_count = {pages};");

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        SqliteCommand c = _connection.CreateCommand();
        c.CommandText = sql;
        foreach (string p in parameters)
        {
            c.Parameters.Add(new SqliteParameter(p, null));
        }
        _commands.Add(c);
        return c;
    }

    private static SqliteParameter P(SqliteCommand c, string name)
    {
        var p = new SqliteParameter(name, null);
        c.Parameters.Add(p);
        return p;
    }
}
