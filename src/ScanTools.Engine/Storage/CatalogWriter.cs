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
internal sealed partial class CatalogWriter : IDisposable
{
    private const int DirectoryCacheLimit = 16_384;

    private readonly SqliteConnection _connection;
    private readonly string _path;
    private readonly Dictionary<Guid, long> _runIds = new();
    private readonly Dictionary<string, DirectoryEntry> _directoryIds;

    /// <summary>A folder's row as the writer knows it; Version is current for this writer (the only one).</summary>
    private sealed class DirectoryEntry
    {
        public long Id;
        public long FirstScanId;
        public long Version;
        /// <summary>The run whose complete listing the folder holds (0: none yet).</summary>
        public long LastScanId;
        /// <summary>The run that found the folder gone, while it is marked so.</summary>
        public long? RemovedScanId;
    }
    private readonly Dictionary<(long Run, long Dir), FolderState> _openListings = new();
    private bool _inTransaction;

    private readonly RawStatement _begin, _commit, _rollback;
    private readonly RawStatement _savepoint, _release, _rollbackToSavepoint;
    private readonly RawStatement _upsertFile;
    private readonly RawStatement _insertFile;

    /// <summary>
    /// Rows of a new folder per INSERT: one statement for <see cref="InsertGroup"/> rows loads 30% more rows a second
    /// than one per row (bench: raw_multi_row_insert 727,503 against raw_single_row_insert 557,510 rows/s).
    /// </summary>
    private const int InsertGroup = 32;
    private const int FileParameters = 21;
    private readonly RawStatement _insertFiles;
    private readonly List<FileRecord> _newFiles = new(InsertGroup);
    private readonly RawStatement _findDirectory;
    private readonly RawStatement _insertDirectory;
    private readonly RawStatement _bumpVersion, _bumpSubtreeVersions;
    private readonly RawStatement _folderRows, _oneRow, _insertChange, _insertIdentity, _insertFolderChange, _subtreeRemovedFolders, _folderRemovedIn;
    private readonly RawStatement _removeFile;
    private readonly RawStatement _childDirectories;
    private readonly RawStatement _removeSubtreeFiles;
    private readonly RawStatement _removeSubtreeDirectories;
    private readonly RawStatement _completeDirectory;
    private readonly RawStatement _adoptHash;
    private readonly RawStatement _sameStamps;
    private readonly RawStatement _adoptFinding;
    private readonly RawStatement _reviveDirectory;
    private readonly RawStatement _insertError;
    private readonly RawStatement _addRemoved;
    private readonly RawStatement _updateProgress;
    private readonly RawStatement _upsertFinding, _keepFindings, _findingsSeen, _openFindingNames;
    private readonly RawStatement _clientSeq;
    private readonly RawStatement _setClientSeq;
    private readonly List<RawStatement> _statements = new();
    private readonly WalCheckpointer? _checkpointer;

    public CatalogWriter(string path, Durability durability, int cacheSizeMiB = 16)
    {
        _path = path;
        _directoryIds = new Dictionary<string, DirectoryEntry>(Platform.PathComparison.Comparer);
        _connection = CatalogDatabase.OpenForWriting(path, durability);
        CatalogDatabase.Execute(_connection, $"PRAGMA cache_size = {-1024L * cacheSizeMiB}; PRAGMA wal_autocheckpoint = 0;");
        try
        {
            _begin = Prepare("BEGIN IMMEDIATE;");
            _commit = Prepare("COMMIT;");
            _rollback = Prepare("ROLLBACK;");
            _savepoint = Prepare("SAVEPOINT one_write;");
            _release = Prepare("RELEASE one_write;");
            _rollbackToSavepoint = Prepare("ROLLBACK TO one_write;");
            const string fileColumns = "dir_id, name, extension, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, first_scan_id, last_scan_id, ctime, device, inode, links, uid, gid, rules_key";
            const string fileValues = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?15, ?16, ?17, ?18, ?19, ?20, ?21";
            // A folder new to the catalog cannot hold rows yet: a plain insert.
            _insertFile = Prepare($"INSERT INTO files ({fileColumns}) VALUES ({fileValues});");
            // The same row InsertGroup times; row r's parameters are those of one row shifted by r * FileParameters,
            // but for the folder (?1) and the run (?13), which all rows of a group share: two native calls a row fewer.
            _insertFiles = Prepare($"INSERT INTO files ({fileColumns}) VALUES " + string.Join(", ", Enumerable.Range(0, InsertGroup).Select(r =>
                "(" + System.Text.RegularExpressions.Regex.Replace(fileValues, @"\?(\d+)", m => m.Groups[1].Value is "1" or "13" ? m.Value
                    : "?" + (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + r * FileParameters).ToString(System.Globalization.CultureInfo.InvariantCulture)) + ")")) + ";");
            // Otherwise an upsert that writes nothing when nothing changed, so a rescan is mostly reads.
            _upsertFile = Prepare($"""
                INSERT INTO files ({fileColumns}) VALUES ({fileValues})
                ON CONFLICT (dir_id, name) DO UPDATE SET
                    extension = excluded.extension, size = excluded.size, mtime = excluded.mtime, btime = excluded.btime,
                    attributes = excluded.attributes, mode = excluded.mode, kind = excluded.kind, is_link = excluded.is_link,
                    link_target = excluded.link_target,
                    -- A stored hash is kept only while the file is the same file with the same content stamps.
                    sha256 = CASE WHEN excluded.sha256 IS NOT NULL THEN excluded.sha256
                                  WHEN files.size = excluded.size AND files.mtime = excluded.mtime
                                       AND files.ctime IS excluded.ctime AND files.inode IS excluded.inode THEN files.sha256
                                  ELSE NULL END,
                    -- The same for the mark that the rules read the whole file: kept only while the content stamps hold.
                    rules_key = CASE WHEN excluded.rules_key IS NOT NULL THEN excluded.rules_key
                                     WHEN files.size = excluded.size AND files.mtime = excluded.mtime
                                          AND files.ctime IS excluded.ctime AND files.inode IS excluded.inode THEN files.rules_key
                                     ELSE NULL END,
                    ctime = excluded.ctime, device = excluded.device, inode = excluded.inode, links = excluded.links,
                    uid = excluded.uid, gid = excluded.gid,
                    last_scan_id = excluded.last_scan_id,
                    removed_scan_id = NULL
                WHERE ?14
                   OR files.removed_scan_id IS NOT NULL
                   OR files.size IS NOT excluded.size OR files.mtime IS NOT excluded.mtime
                   OR files.btime IS NOT excluded.btime OR files.attributes IS NOT excluded.attributes
                   OR files.mode IS NOT excluded.mode OR files.kind IS NOT excluded.kind
                   OR files.is_link IS NOT excluded.is_link OR files.link_target IS NOT excluded.link_target
                   OR files.ctime IS NOT excluded.ctime OR files.inode IS NOT excluded.inode OR files.device IS NOT excluded.device
                   OR files.links IS NOT excluded.links OR files.uid IS NOT excluded.uid OR files.gid IS NOT excluded.gid
                   OR (excluded.sha256 IS NOT NULL AND files.sha256 IS NOT excluded.sha256)
                   OR (excluded.rules_key IS NOT NULL AND files.rules_key IS NOT excluded.rules_key);
                """);
            _findDirectory = Prepare("SELECT id, removed_scan_id, first_scan_id, version, last_scan_id FROM directories WHERE path = ?1;");
            // A hash an overlapped run read, kept for the file the newer run recorded only while it has the same content stamps.
            _adoptHash = Prepare("""
                UPDATE files SET sha256 = ?3
                WHERE dir_id = ?1 AND name = ?2 AND removed_scan_id IS NULL AND sha256 IS NOT ?3
                  AND size = ?4 AND mtime = ?5 AND ctime IS ?6 AND inode IS ?7 AND device IS ?8;
                """);
            // Column 0: whether the stored file has the same content stamps; column 1: the rules that read what it stores.
            _sameStamps = Prepare("""
                SELECT size = ?3 AND mtime = ?4 AND ctime IS ?5 AND inode IS ?6 AND device IS ?7, rules_key FROM files
                WHERE dir_id = ?1 AND name = ?2 AND removed_scan_id IS NULL;
                """);
            // A finding an overlapped run's rules read in content the newer run recorded unchanged: added, or reopened, unless
            // a later run has seen or resolved it since (its view stands).
            _adoptFinding = Prepare("""
                INSERT INTO findings (fingerprint, dir_id, name, rule_id, severity, line, col, excerpt, first_scan_id, last_scan_id)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                ON CONFLICT (fingerprint) DO UPDATE SET
                    dir_id = excluded.dir_id, name = excluded.name, severity = excluded.severity,
                    line = excluded.line, col = excluded.col, excerpt = excluded.excerpt,
                    first_scan_id = CASE WHEN findings.resolved_scan_id IS NOT NULL THEN excluded.first_scan_id ELSE findings.first_scan_id END,
                    last_scan_id = excluded.last_scan_id,
                    resolved_scan_id = NULL
                WHERE findings.last_scan_id < excluded.last_scan_id AND coalesce(findings.resolved_scan_id, 0) < excluded.last_scan_id;
                """);
            _bumpVersion = Prepare("UPDATE directories SET version = version + 1 WHERE id = ?1;");
            _bumpSubtreeVersions = Prepare("UPDATE directories SET version = version + 1 WHERE id = ?1 OR (path > ?2 AND path < ?3);");
            _insertDirectory = Prepare("INSERT INTO directories (path, parent_id, first_scan_id) VALUES (?1, ?2, ?3) RETURNING id;");
            _reviveDirectory = Prepare("UPDATE directories SET removed_scan_id = NULL WHERE id = ?1;");
            _folderRows = Prepare(StoredRows.FolderSql);
            _oneRow = Prepare($"SELECT {StoredRows.Columns} FROM files WHERE dir_id = ?1 AND name = ?2;");
            _insertChange = Prepare("""
                INSERT INTO file_changes (scan_id, dir_id, name, change, fields, old_size, new_size, old_mtime, new_mtime, old_sha256, new_sha256, old_meta, new_meta, old_device, old_inode, old_links)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16);
                """);
            // The first identity a run replaced is the one it had before that run (a file written twice in one run keeps it).
            _insertIdentity = Prepare("INSERT OR IGNORE INTO file_identities (dir_id, name, scan_id, old_device, old_inode, old_links, old_sha256, new_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);");
            _insertFolderChange = Prepare("""
                INSERT INTO file_changes (scan_id, dir_id, name, change)
                SELECT ?1, ?2, NULL, ?3
                WHERE NOT EXISTS (SELECT 1 FROM file_changes WHERE scan_id = ?1 AND dir_id = ?2 AND name IS NULL AND change = ?3);
                """);
            _subtreeRemovedFolders = Prepare("""
                INSERT INTO file_changes (scan_id, dir_id, name, change)
                SELECT ?1, id, NULL, 2 FROM directories
                WHERE removed_scan_id = ?1 AND (id = ?2 OR (path > ?3 AND path < ?4))
                  AND NOT EXISTS (SELECT 1 FROM file_changes c WHERE c.scan_id = ?1 AND c.dir_id = directories.id AND c.name IS NULL AND c.change = 2);
                """);
            _folderRemovedIn = Prepare("SELECT 1 FROM file_changes WHERE scan_id = ?1 AND dir_id = ?2 AND name IS NULL AND change = 2;");
            _removeFile = Prepare("""
                UPDATE files SET removed_scan_id = ?1,
                       last_scan_id = max(last_scan_id, coalesce((SELECT last_scan_id FROM directories WHERE id = ?2), 0))
                WHERE dir_id = ?2 AND name = ?3 AND removed_scan_id IS NULL;
                """);
            _childDirectories = Prepare("SELECT id, path FROM directories WHERE parent_id = ?1 AND removed_scan_id IS NULL;");
            _removeSubtreeFiles = Prepare("""
                UPDATE files SET removed_scan_id = ?1,
                       last_scan_id = max(last_scan_id, coalesce((SELECT d.last_scan_id FROM directories d WHERE d.id = files.dir_id), 0))
                WHERE removed_scan_id IS NULL
                  AND dir_id IN (SELECT id FROM directories WHERE id = ?2 OR (path > ?3 AND path < ?4));
                """);
            _removeSubtreeDirectories = Prepare("""
                UPDATE directories SET removed_scan_id = ?1
                WHERE removed_scan_id IS NULL AND (id = ?2 OR (path > ?3 AND path < ?4));
                """);
            _completeDirectory = Prepare("""
                UPDATE directories SET prev_scan_id = last_scan_id, last_scan_id = ?1, removed_scan_id = NULL
                WHERE id = ?2 AND last_scan_id IS NOT ?1;
                """);
            _insertError = Prepare("INSERT INTO scan_errors (scan_id, path, kind, message, occurred_utc) VALUES (?1, ?2, ?3, ?4, ?5);");
            _addRemoved = Prepare("UPDATE scan_runs SET removed = removed + ?1 WHERE id = ?2;");
            _updateProgress = Prepare("UPDATE scan_runs SET files = ?1, bytes = ?2, directories = ?3, errors = ?4, skipped = ?6, progress_utc = ?7 WHERE id = ?5 AND status = 'Running';");
            // The same fingerprint is the same finding: seen again it stays open (or opens again, as new, after it was resolved).
            _upsertFinding = Prepare("""
                INSERT INTO findings (fingerprint, dir_id, name, rule_id, severity, line, col, excerpt, first_scan_id, last_scan_id)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                ON CONFLICT (fingerprint) DO UPDATE SET
                    dir_id = excluded.dir_id, name = excluded.name, severity = excluded.severity,
                    line = CASE WHEN findings.last_scan_id = excluded.last_scan_id THEN min(findings.line, excluded.line) ELSE excluded.line END,
                    col = CASE WHEN findings.last_scan_id = excluded.last_scan_id AND findings.line <= excluded.line THEN findings.col ELSE excluded.col END,
                    excerpt = CASE WHEN findings.last_scan_id = excluded.last_scan_id AND findings.line <= excluded.line THEN findings.excerpt ELSE excluded.excerpt END,
                    first_scan_id = CASE WHEN findings.resolved_scan_id IS NOT NULL THEN excluded.first_scan_id ELSE findings.first_scan_id END,
                    last_scan_id = excluded.last_scan_id,
                    resolved_scan_id = NULL;
                """);
            _openFindingNames = Prepare("SELECT name FROM findings WHERE dir_id = ?1 AND resolved_scan_id IS NULL;");
            // Not looked at this time (too large, binary, excluded, a rule failed): kept from resolution, not seen.
            _keepFindings = Prepare("UPDATE findings SET kept_scan_id = ?1 WHERE dir_id = ?2 AND name = ?3 AND resolved_scan_id IS NULL AND last_scan_id < ?1;");
            // Unchanged since the same rules read it: its findings are still there, seen again.
            _findingsSeen = Prepare("UPDATE findings SET last_scan_id = ?1 WHERE dir_id = ?2 AND name = ?3 AND resolved_scan_id IS NULL AND last_scan_id < ?1;");
            _clientSeq = Prepare("SELECT last_seq FROM client_batches WHERE client_id = ?1;");
            _notePending = Prepare("INSERT OR IGNORE INTO name_index_pending (dir_id) VALUES (?1);");
            _nameId = Prepare("SELECT id FROM names WHERE name = ?1;");
            _insertName = Prepare("INSERT INTO names (name) VALUES (?1) RETURNING id;");
            _folderNames = Prepare("SELECT name_ids FROM folder_names WHERE dir_id = ?1;");
            _setFolderNames = Prepare("INSERT OR REPLACE INTO folder_names (dir_id, name_ids) VALUES (?1, ?2);");
            _setClientSeq = Prepare("""
                INSERT INTO client_batches (client_id, last_seq, updated_utc) VALUES (?1, ?2, ?3)
                ON CONFLICT (client_id) DO UPDATE SET last_seq = excluded.last_seq, updated_utc = excluded.updated_utc;
                """);
            _checkpointer = new WalCheckpointer(path);
        }
        catch
        {
            foreach (RawStatement st in _statements)
            {
                st.Dispose();
            }
            _connection.Dispose();
            throw;
        }
    }

    public string DatabasePath => _path;

    public bool InTransaction => _inTransaction;

    /// <summary>Rows removed (marked) since the writer opened; for statistics.</summary>
    public long RemovedRows { get; private set; }

    public void Begin()
    {
        Debug.Assert(!_inTransaction);
        _begin.Execute();
        _inTransaction = true;
    }

    public void Commit()
    {
        if (!_inTransaction)
        {
            throw new InvalidOperationException("No transaction to commit.");
        }
        _commit.Execute();
        _inTransaction = false;
        _closedListings.Clear();
        EndTransactionNames();
        BoundLog();
    }

    /// <summary>The log's size past which the writer empties it between two transactions: 64 MiB.</summary>
    internal long LogLimitBytes { get; set; } = 64L << 20;

    /// <summary>The least time between two of those: 1 s.</summary>
    internal TimeSpan LogLimitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long emptying the log waits for readers still on older snapshots: 200 ms.</summary>
    internal static readonly TimeSpan LogLimitWait = TimeSpan.FromMilliseconds(200);

    /// <summary>Times the writer emptied the log (for tests and diagnostics).</summary>
    public long LogTruncations { get; private set; }

    private readonly Stopwatch _sinceLogBounded = Stopwatch.StartNew();

    /// <summary>
    /// Keeps the log near <see cref="LogLimitBytes"/>. The background checkpointer's PASSIVE checkpoints fold back only
    /// what every reader's snapshot has passed, and SQLite starts the log over only once all of it is folded back and
    /// no reader uses it. Readers that begin a transaction on every folder (a -Hash scan reads the hashes the catalog
    /// holds) keep that from happening, and a first -Hash scan of 200,000 files grew the log to 223-487 MB for a 36 MB
    /// catalog. Here, between two of its own transactions, the writer runs a TRUNCATE checkpoint: it folds back what is
    /// left, waits up to <see cref="LogLimitWait"/> for readers on older snapshots (new ones read the database file)
    /// and empties the log; if they do not let go in time it tries again a <see cref="LogLimitInterval"/> later.
    /// </summary>
    private void BoundLog()
    {
        if (_checkpointer is null || _sinceLogBounded.Elapsed < LogLimitInterval)
        {
            return;
        }
        var log = new FileInfo(CatalogFiles.Wal(_path));
        if (!log.Exists || log.Length < LogLimitBytes)
        {
            return;
        }
        _sinceLogBounded.Restart();
        SQLitePCL.raw.sqlite3_busy_timeout(_connection.Handle, (int)LogLimitWait.TotalMilliseconds);
        try
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            using SqliteDataReader reader = command.ExecuteReader();
            if (reader.Read() && reader.GetInt64(0) == 0)
            {
                LogTruncations++;
            }
        }
        catch (SqliteException)
        {
            // Busy or failing: the log is bounded next time; the writes are committed either way.
        }
        finally
        {
            CatalogDatabase.WaitWhenBusy(_connection);
        }
    }

    /// <summary>
    /// Undoes the open transaction so the session can apply the same writes again (isolated): unlike
    /// <see cref="Rollback"/>, it keeps the tracking of folders whose listing spans transactions, and puts
    /// back what the undone writes closed, so the replay sees what they saw.
    /// </summary>
    public void RollbackForReplay()
    {
        if (_inTransaction)
        {
            _inTransaction = false;
            _rollback.Execute();
        }
        ForgetNameIds();
        _runIds.Clear();
        _directoryIds.Clear();
        foreach (((long Run, long Dir) key, FolderState state) in _closedListings)
        {
            _openListings.TryAdd(key, state);
        }
        _closedListings.Clear();
    }

    /// <summary>Tracking entries the open transaction closed (final chunk, end of run); restored by a replay.</summary>
    private readonly List<((long Run, long Dir) Key, FolderState State)> _closedListings = new();

    private void CloseListing((long Run, long Dir) key)
    {
        if (_openListings.Remove(key, out FolderState? state))
        {
            _closedListings.Add((key, state));
        }
    }

    public void Rollback()
    {
        if (_inTransaction)
        {
            _inTransaction = false;
            try
            {
                _rollback.Execute();
            }
            catch (SqliteException)
            {
                // SQLite may already have rolled back (for example after SQLITE_FULL).
            }
        }
        // A failed transaction may have cached ids of rows that no longer exist.
        ForgetNameIds();
        _runIds.Clear();
        _directoryIds.Clear();
        _openListings.Clear();
        _closedListings.Clear();
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
            case ScanRunProgress progress:
                ApplyProgress(progress);
                break;
            case CatalogPrune prune:
                ApplyPrune(prune);
                break;
            default:
                throw new ArgumentException($"Unknown catalog write {write.GetType().Name}.", nameof(write));
        }
    }

    /// <summary>
    /// Applies one write inside the current transaction as a unit: when SQLite refuses it on its own (a
    /// constraint, a value it will not store), whatever it changed is undone, the transaction stays open
    /// for the other writes, and the refusal is returned. Failures of the catalog itself (disk full, I/O,
    /// read-only, damaged) are thrown: they concern every write.
    /// </summary>
    /// <remarks>
    /// A savepoint per write cost 8% of a metadata scan here (100-file listings), so the session applies
    /// writes plainly and uses this only to replay a transaction in which SQLite refused something.
    /// </remarks>
    /// <returns>Null when applied; otherwise why the write was refused.</returns>
    public string? TryApply(CatalogWrite write)
    {
        _savepoint.Execute();
        _applyingListing = null;
        try
        {
            Apply(write);
        }
        catch (Exception ex) when (IsRefusalOfOneWrite(ex) && !SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle).Equals(1))
        {
            _rollbackToSavepoint.Execute();
            _release.Execute();
            ForgetAfterPartialRollback(write);
            return ex.Message;
        }
        _release.Execute();
        return null;
    }

    /// <summary>
    /// True for a failure that concerns one write only. The codes of a catalog that cannot be written at
    /// all (full, I/O, read-only, damaged, locked, out of memory) and every <see cref="CatalogException"/> are not.
    /// </summary>
    internal static bool IsRefusalOfOneWrite(Exception ex) => ex switch
    {
        SqliteException s => (s.SqliteErrorCode & 0xFF) switch
        {
            3 /* PERM */ or 5 /* BUSY */ or 6 /* LOCKED */ or 7 /* NOMEM */ or 8 /* READONLY */ or 9 /* INTERRUPT */
                or 10 /* IOERR */ or 11 /* CORRUPT */ or 13 /* FULL */ or 14 /* CANTOPEN */ or 15 /* PROTOCOL */
                or 17 /* SCHEMA */ or 23 /* AUTH */ or 26 /* NOTADB */ => false,
            _ => true,
        },
        CatalogException => false,
        ArgumentException or InvalidOperationException or FormatException or OverflowException or InvalidDataException
            or KeyNotFoundException or IndexOutOfRangeException or NullReferenceException => true,
        _ => false,
    };

    /// <summary>Undoing part of a transaction may have removed rows whose ids are cached.</summary>
    private void ForgetAfterPartialRollback(CatalogWrite write)
    {
        _runIds.Clear();
        _directoryIds.Clear();
        ForgetNameIds();
        if (write is DirectoryListing && _applyingListing is { } key)
        {
            // The folder's tracking may have lost names of the refused chunk: infer nothing about it this run.
            _openListings.Remove(key);
        }
        _applyingListing = null;
    }

    /// <summary>The folder whose listing is being applied, so a refusal can drop its tracking.</summary>
    private (long Run, long Dir)? _applyingListing;

    /// <summary>The highest batch sequence applied for a forwarding client, or -1.</summary>
    public long AppliedSequence(string clientId)
    {
        _clientSeq.Bind(1, clientId);
        if (!_clientSeq.Step())
        {
            return -1;
        }
        long seq = _clientSeq.Int64(0);
        _clientSeq.Reset();
        return seq;
    }

    /// <summary>Records that a client's batch is applied, in the same transaction as its rows.</summary>
    public void SetAppliedSequence(string clientId, long sequence)
    {
        _setClientSeq.Bind(1, clientId);
        _setClientSeq.Bind(2, sequence);
        _setClientSeq.Bind(3, DateTime.UtcNow.Ticks);
        _setClientSeq.Execute();
    }

    private void ApplyStart(ScanRunStart start)
    {
        using SqliteCommand c = _connection.CreateCommand();
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
        PairRenames(run);
        PairReplacedNames(run);
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = end.CountFromCatalog
            ? EndCountedFromCatalog
            : """
            UPDATE scan_runs SET status = $status, ended_utc = $ended, files = $files, bytes = $bytes,
                   directories = $dirs, errors = $errors, skipped = $skipped, message = $message
            WHERE id = $id;
            """;
        c.Parameters.AddWithValue("$status", end.Status.ToString());
        c.Parameters.AddWithValue("$ended", end.CountFromCatalog && end.EndedUtc == default ? DBNull.Value : end.EndedUtc.Ticks); // default: at its last progress
        c.Parameters.AddWithValue("$files", end.Files);
        c.Parameters.AddWithValue("$bytes", end.Bytes);
        c.Parameters.AddWithValue("$dirs", end.Directories);
        c.Parameters.AddWithValue("$errors", end.Errors);
        c.Parameters.AddWithValue("$skipped", end.Skipped);
        c.Parameters.AddWithValue("$message", (object?)end.Message ?? DBNull.Value);
        c.Parameters.AddWithValue("$id", run);
        c.ExecuteNonQuery();
        if (end.Rules is RuleCounts rules)
        {
            EndRules(run, end.Status, rules);
        }
        if (end.Status != ScanRunStatus.Completed)
        {
            ForgetRuleReadings(run);
        }
        // Listings of this run that never got their final chunk (a cancelled walk) will not get it now.
        foreach (var key in _openListings.Keys.Where(k => k.Run == run).ToList())
        {
            CloseListing(key);
        }
        CatchUpNameIndex();
    }

    /// <summary>
    /// Stores what the run's rules did and, when the run completed, resolves the open findings of its rules
    /// that it no longer saw: those in folders it listed completely (or found gone) and did not see again.
    /// A file the rules could not look at whole kept its findings (they were marked seen).
    /// </summary>
    private void EndRules(long run, ScanRunStatus status, RuleCounts rules)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "UPDATE scan_runs SET matches = $m, content_files = $c, binary_skipped = $b, oversized_skipped = $o WHERE id = $id;";
        c.Parameters.AddWithValue("$m", rules.Matches);
        c.Parameters.AddWithValue("$c", rules.ContentFiles);
        c.Parameters.AddWithValue("$b", rules.BinarySkipped);
        c.Parameters.AddWithValue("$o", rules.OversizedSkipped);
        c.Parameters.AddWithValue("$id", run);
        c.ExecuteNonQuery();
        if (status != ScanRunStatus.Completed)
        {
            return;
        }
        c.Parameters.Clear();
        c.CommandText = """
            UPDATE findings SET resolved_scan_id = $id
            WHERE resolved_scan_id IS NULL AND last_scan_id < $id AND coalesce(kept_scan_id, 0) < $id
              AND rule_id IN (SELECT value FROM json_each((SELECT options FROM scan_runs WHERE id = $id), '$.RuleIds'))
              AND dir_id IN (SELECT id FROM directories WHERE id = findings.dir_id AND (last_scan_id = $id OR removed_scan_id = $id));
            """;
        c.Parameters.AddWithValue("$id", run);
        c.ExecuteNonQuery();
    }

    /// <summary>
    /// Removes the history of the listed runs (see <see cref="CatalogPrune"/>). A run still Running is never touched,
    /// whatever the list says; one whose process on this computer has ended is first recorded Failed (the plan counted
    /// it as ended). The rows of present files do not change, so the walkers' folder snapshots stay valid.
    /// </summary>
    private void ApplyPrune(CatalogPrune prune)
    {
        if (prune.RunIds.Count > 0)
        {
            FailAbandonedRuns();
            using SqliteCommand c = _connection.CreateCommand();
            c.CommandText = "CREATE TEMP TABLE IF NOT EXISTS pruned_runs (id INTEGER PRIMARY KEY); DELETE FROM temp.pruned_runs;";
            c.ExecuteNonQuery();
            using (SqliteCommand add = _connection.CreateCommand())
            {
                add.CommandText = "INSERT OR IGNORE INTO temp.pruned_runs (id) SELECT id FROM scan_runs WHERE id = $id AND status <> 'Running';";
                SqliteParameter p = add.Parameters.Add("$id", SqliteType.Integer);
                foreach (long id in prune.RunIds)
                {
                    p.Value = id;
                    add.ExecuteNonQuery();
                }
            }
            // Folders a chunked listing is in the middle of keep their rows: the listing's state holds them.
            c.CommandText = "CREATE TEMP TABLE IF NOT EXISTS listing_dirs (id INTEGER PRIMARY KEY); DELETE FROM temp.listing_dirs;";
            c.ExecuteNonQuery();
            using (SqliteCommand open = _connection.CreateCommand())
            {
                open.CommandText = "INSERT OR IGNORE INTO temp.listing_dirs (id) VALUES ($id);";
                SqliteParameter p = open.Parameters.Add("$id", SqliteType.Integer);
                foreach ((long _, long dirId) in _openListings.Keys)
                {
                    p.Value = dirId;
                    open.ExecuteNonQuery();
                }
            }
            c.CommandText = """
                -- Keyed as files is: the deletes below look each row up in it. Without the key every row of files
                -- scanned it whole: pruning 4 runs of a 500,000-file catalog that removed 400,000 ran for minutes.
                CREATE TEMP TABLE IF NOT EXISTS pruned_files (dir_id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (dir_id, name)) WITHOUT ROWID;
                DELETE FROM temp.pruned_files;
                INSERT INTO temp.pruned_files SELECT dir_id, name FROM files
                    WHERE removed_scan_id IN (SELECT id FROM temp.pruned_runs) AND dir_id NOT IN (SELECT id FROM temp.listing_dirs);
                -- Walkers' snapshots of these folders, taken before, must be read again: a row they hold is gone.
                UPDATE directories SET version = version + 1 WHERE id IN (SELECT DISTINCT dir_id FROM temp.pruned_files);
                DELETE FROM scan_errors WHERE scan_id IN (SELECT id FROM temp.pruned_runs);
                DELETE FROM file_changes WHERE scan_id IN (SELECT id FROM temp.pruned_runs);
                DELETE FROM file_identities WHERE scan_id IN (SELECT id FROM temp.pruned_runs)
                    OR EXISTS (SELECT 1 FROM temp.pruned_files f WHERE f.dir_id = file_identities.dir_id AND f.name = file_identities.name);
                DELETE FROM findings WHERE resolved_scan_id IN (SELECT id FROM temp.pruned_runs);
                DELETE FROM findings WHERE EXISTS (SELECT 1 FROM temp.pruned_files f WHERE f.dir_id = findings.dir_id AND f.name = findings.name);
                DELETE FROM files WHERE EXISTS (SELECT 1 FROM temp.pruned_files f WHERE f.dir_id = files.dir_id AND f.name = files.name);
                DELETE FROM directories WHERE removed_scan_id IN (SELECT id FROM temp.pruned_runs)
                    AND NOT EXISTS (SELECT 1 FROM files f WHERE f.dir_id = directories.id)
                    AND NOT EXISTS (SELECT 1 FROM directories d WHERE d.parent_id = directories.id)
                    AND NOT EXISTS (SELECT 1 FROM findings x WHERE x.dir_id = directories.id)
                    AND NOT EXISTS (SELECT 1 FROM file_changes x WHERE x.dir_id = directories.id)
                    AND NOT EXISTS (SELECT 1 FROM file_changes x WHERE x.from_dir_id = directories.id)
                    AND NOT EXISTS (SELECT 1 FROM file_identities x WHERE x.dir_id = directories.id);
                DELETE FROM scan_runs WHERE id IN (SELECT id FROM temp.pruned_runs);
                DELETE FROM temp.pruned_runs;
                """;
            c.ExecuteNonQuery();
            PruneNames(); // and empties temp.pruned_files
            _runIds.Clear(); // the keys of pruned runs must not resolve to their old ids
            ForgetNameIds(); // names may have gone
            _directoryIds.Clear(); // versions were bumped and removed folders deleted: read them again
        }
        if (prune.Optimize)
        {
            // Statistics for the planner on the tables that changed (SQLite decides which need them), and free pages
            // back to the file system where the catalog was made with auto_vacuum = INCREMENTAL.
            using SqliteCommand o = _connection.CreateCommand();
            o.CommandText = "PRAGMA optimize = 0x10002;";
            o.ExecuteNonQuery();
            o.CommandText = "PRAGMA auto_vacuum;";
            if (Convert.ToInt64(o.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 2)
            {
                o.CommandText = "PRAGMA incremental_vacuum;";
                o.ExecuteNonQuery();
            }
        }
    }

    private void ApplyProgress(ScanRunProgress progress)
    {
        long run = RunId(progress.RunKey);
        _updateProgress.Bind(1, progress.Files);
        _updateProgress.Bind(2, progress.Bytes);
        _updateProgress.Bind(3, progress.Directories);
        _updateProgress.Bind(4, progress.Errors);
        _updateProgress.Bind(5, run);
        _updateProgress.Bind(6, progress.Skipped);
        _updateProgress.Bind(7, DateTime.UtcNow.Ticks);
        _updateProgress.Execute();
    }

    private void ApplyErrors(ScanErrorBatch batch)
    {
        long run = RunId(batch.RunKey);
        foreach (ScanError e in batch.Errors)
        {
            _insertError.Bind(1, run);
            _insertError.Bind(2, e.FullName);
            _insertError.Bind(3, e.Kind.ToString());
            _insertError.Bind(4, e.Message);
            _insertError.Bind(5, e.OccurredUtc.Ticks);
            _insertError.Execute();
        }
    }

    /// <summary>
    /// The listing's files, less this catalog's own (the file, -wal, -shm, -journal, its locks, drafts) when the
    /// listing is of the catalog's folder: a scan that could not tell them (one on another computer, sending through
    /// a broker to this catalog's consumer) would otherwise record files that change with every commit.
    /// </summary>
    private IEnumerable<FileRecord> WithoutOwnFiles(DirectoryListing listing)
    {
        string? folder = System.IO.Path.GetDirectoryName(_path);
        if (folder is null || !string.Equals(System.IO.Path.TrimEndingDirectorySeparator(listing.DirectoryPath), folder, Platform.PathComparison.Comparison))
        {
            return listing.Files;
        }
        string name = System.IO.Path.GetFileName(_path);
        return listing.Files.Where(f => !CatalogFiles.IsCatalogOrCompanionName(name, f.Name));
    }

    private void ApplyListing(DirectoryListing listing)
    {
        _newFiles.Clear(); // a listing that failed midway (refused, then replayed) leaves no rows for the next one
        BeginListingNames();
        long run = RunId(listing.RunKey);
        if (Superseded(listing, run, out DirectoryEntry? found))
        {
            if (found is not null)
            {
                AdoptHashes(listing, found.Id);
                AdoptFindings(listing, found.Id, run);
                CloseListing((run, found.Id));
            }
            return;
        }
        DirectoryEntry directory = Directory(listing.DirectoryPath, run, out bool existed, found, lookedUp: true);
        long dirId = directory.Id;
        bool newInRun = existed && directory.FirstScanId == run;
        _applyingListing = (run, dirId);
        bool walk = listing.Mode == ListingMode.Walk;
        // The catalog held the folder before this run: each file is compared, and what differs is recorded.
        bool known = existed && !newInRun;

        // The folder's rows as the catalog held them, and the names not seen yet; null when unknown.
        FolderState? state = null;
        bool tracked = false;
        if (walk)
        {
            var key = (run, dirId);
            if (listing.ChunkIndex == 0)
            {
                // The walker's snapshot, when nothing changed the folder since it was read; else read here.
                state = !known ? new FolderState()
                    : listing.Snapshot is { } snap && snap.DirectoryId == dirId && snap.Version == directory.Version ? FolderState.From(snap)
                    : LoadFolder(dirId);
                tracked = true;
                if (!listing.IsFinalChunk)
                {
                    _openListings[key] = state;
                }
            }
            else if (_openListings.TryGetValue(key, out state))
            {
                tracked = true;
                if (listing.IsFinalChunk)
                {
                    CloseListing(key);
                }
            }
            // A later chunk without its first (the first went to a writer that has since gone) cannot
            // tell what disappeared: nothing is marked removed for this folder this time.
        }

        if (!known && (listing.ChunkIndex == 0 || !walk))
        {
            // Every file of a folder new to the catalog, in a walk or in records: one row (the files say
            // which: their first_scan_id is the run), written once per folder and run.
            RecordFolderChange(run, dirId, ScanChangeType.Added);
        }
        bool wrote = false;
        HashSet<string>? withOpenFindings = null; // read once per listing, only when a file asks to keep its findings
        foreach (FileRecord f in WithoutOwnFiles(listing))
        {
            if (f.Matches is not null || f.KeepFindings || f.FindingsUnchanged)
            {
                RecordFindings(f, dirId, run, ref withOpenFindings);
            }
            if (!known)
            {
                NoteNewFile(dirId, f.Name);
                if (f.Matches is null && !f.KeepFindings && !f.FindingsUnchanged)
                {
                    _newFiles.Add(f);
                    if (_newFiles.Count == InsertGroup)
                    {
                        InsertNewGroup(dirId, run);
                    }
                }
                else
                {
                    BindFile(_insertFile, f, dirId, run); // its findings were recorded just before: its row goes now too
                    InsertNew(f, dirId, run);
                }
                wrote = true;
                continue;
            }
            StoredRow? old = state is not null ? state.Take(f.Name) : LookupRow(dirId, f.Name);
            wrote |= WriteKnown(f, old, dirId, run, force: !walk);
        }
        foreach (FileRecord f in _newFiles) // the rest of a new folder, fewer than a group
        {
            BindFile(_insertFile, f, dirId, run);
            InsertNew(f, dirId, run);
        }
        _newFiles.Clear();
        EndListingNames(dirId, existed);
        if (wrote)
        {
            BumpVersion(listing.DirectoryPath, dirId);
        }

        if (!walk || !listing.IsFinalChunk || !listing.IsComplete || !tracked)
        {
            return;
        }

        if (listing.UnrecordedNames.Count > 0 && RunHasRules(run))
        {
            // Files the walk left out (excluded, unreadable) keep their rows, and so their open findings: the rules did not look.
            HashSet<string> open = withOpenFindings ?? OpenFindingNames(dirId);
            foreach (string name in listing.UnrecordedNames)
            {
                if (open.Contains(name))
                {
                    _keepFindings.Bind(1, run);
                    _keepFindings.Bind(2, dirId);
                    _keepFindings.Bind(3, name);
                    _keepFindings.Execute();
                }
            }
        }

        long removed = 0;
        if (state!.Unseen.Count > 0)
        {
            state.Unseen.ExceptWith(listing.UnrecordedNames);
            foreach (string name in state.Unseen)
            {
                _removeFile.Bind(1, run);
                _removeFile.Bind(2, dirId);
                _removeFile.Bind(3, name);
                long n = _removeFile.Execute();
                if (n > 0 && state.Rows.TryGetValue(name, out StoredRow gone))
                {
                    RecordFileChange(run, dirId, name, ScanChangeType.Removed, ChangedProperties.None, gone, null);
                }
                removed += n;
            }
        }
        if (existed)
        {
            removed += RemoveVanishedSubdirectories(dirId, listing.SubdirectoryNames, run);
        }
        if (removed > 0 && !wrote)
        {
            BumpVersion(listing.DirectoryPath, dirId);
        }
        if (removed > 0)
        {
            _addRemoved.Bind(1, removed);
            _addRemoved.Bind(2, run);
            _addRemoved.Execute();
            RemovedRows += removed;
        }
        _completeDirectory.Bind(1, run);
        _completeDirectory.Bind(2, dirId);
        _completeDirectory.Execute();
        directory.LastScanId = run;
    }

    /// <summary>
    /// Whether a newer run (a higher id: one that started later) already recorded this folder: listed it
    /// whole, or found it gone; for a folder new to the catalog, the same of its parent (a newer run listed the
    /// parent without it). Two scans of one folder that overlap then never mix: an older run's listing, applied
    /// after a newer run's, marked the files the newer run found since as removed and brought back those it
    /// found gone. The folder keeps the newer run's view; <paramref name="found"/> is the folder's entry, or
    /// null when the catalog has no such folder.
    /// </summary>
    /// <remarks>
    /// A newer run that listed the parent may never have reached the folder: it stopped early (killed, Ctrl+C, a
    /// pipeline's Select-Object -First), or the folder came after it listed the parent. Its listing of the parent does
    /// not tell, so a folder of this computer is looked for on disk: one that exists is not gone, and the older run's
    /// listing is the only one of it there is. Judged by the parent alone, the older run lost every folder the newer run
    /// had not reached yet, and still ended Completed (newcomer test 80: 22,500 of 50,000 files of a -Hash scan, when
    /// a later scan of the same tree was stopped). One stat, only for a new folder under a parent a newer run listed.
    /// A listing from another computer (through a broker) is judged by the parent alone: its paths are not this
    /// computer's.
    /// </remarks>
    private bool Superseded(DirectoryListing listing, long run, out DirectoryEntry? found)
    {
        string path = listing.DirectoryPath;
        found = FindDirectory(path);
        if (found is not null)
        {
            return found.LastScanId > run || found.RemovedScanId > run;
        }
        if (Path.GetDirectoryName(path) is not string parent || parent == path || FindDirectory(parent) is not DirectoryEntry judge)
        {
            return false;
        }
        if (judge.RemovedScanId > run)
        {
            return true;
        }
        return judge.LastScanId > run && (listing.FromAnotherComputer || !System.IO.Directory.Exists(path));
    }

    /// <summary>What a superseded listing still adds: the SHA-256 of files whose content stamps are still those the newer run recorded.</summary>
    private void AdoptHashes(DirectoryListing listing, long dirId)
    {
        foreach (FileRecord f in listing.Files)
        {
            if (f.Sha256Bytes is not byte[] sha)
            {
                continue;
            }
            _adoptHash.Bind(1, dirId);
            _adoptHash.Bind(2, f.Name);
            _adoptHash.Bind(3, sha);
            _adoptHash.Bind(4, f.Length);
            _adoptHash.Bind(5, f.LastWriteTimeUtc.Ticks);
            _adoptHash.Bind(6, f.ChangeTimeUtc?.Ticks);
            _adoptHash.Bind(7, f.Inode);
            _adoptHash.Bind(8, f.Device);
            _adoptHash.Execute();
        }
    }

    /// <summary>
    /// What else a superseded listing adds: the findings its rules made in files whose content stamps are still those the
    /// newer run recorded (the same content), and, for such files it did not read again (unchanged since the same rules
    /// read them), that their findings were seen by this run. A nightly -Rule * scan overlapped by a scan without rules
    /// recorded no finding in the folders the other scan reached first, and its run said nothing of it: a new secret
    /// waited a night. Nothing is resolved from here; a file's other findings stay as they were.
    /// A finding in a file that changed since this run read it is adopted too, unless the same rules read the newer content
    /// (its run's findings are the truth there): a scan without rules cannot say a secret is gone, and a -Rule * scan
    /// overlapped by one while files changed lost every finding of those folders, without a word (newcomer test 74). The
    /// newer content is marked unread by these rules (the upsert cleared rules_key), so the next scan with them reads it
    /// and resolves what is gone.
    /// </summary>
    private void AdoptFindings(DirectoryListing listing, long dirId, long run)
    {
        foreach (FileRecord f in listing.Files)
        {
            bool seenUnread = f.FindingsUnchanged && !f.KeepFindings; // unchanged since the same rules read it: its findings stand
            if (f.Matches is not { Count: > 0 } && !seenUnread)
            {
                continue;
            }
            _sameStamps.Bind(1, dirId);
            _sameStamps.Bind(2, f.Name);
            _sameStamps.Bind(3, f.Length);
            _sameStamps.Bind(4, f.LastWriteTimeUtc.Ticks);
            _sameStamps.Bind(5, f.ChangeTimeUtc?.Ticks);
            _sameStamps.Bind(6, f.Inode);
            _sameStamps.Bind(7, f.Device);
            bool stored = _sameStamps.Step();
            bool same = stored && _sameStamps.Int64(0) == 1;
            bool readBySameRules = stored && !_sameStamps.IsNull(1) && _sameStamps.Int64(1) == f.RulesKey;
            _sameStamps.Reset();
            if (!same)
            {
                if (stored && f.Matches is { Count: > 0 } && !readBySameRules)
                {
                    PutFindings(_adoptFinding, f, dirId, run); // changed since: kept open until these rules read it again
                }
                continue;
            }
            if (seenUnread)
            {
                _findingsSeen.Bind(1, run);
                _findingsSeen.Bind(2, dirId);
                _findingsSeen.Bind(3, f.Name);
                _findingsSeen.Execute();
            }
            PutFindings(_adoptFinding, f, dirId, run);
        }
    }

    /// <summary>Stores what the rules found in one file, or keeps its open findings when they could not look at all of it.</summary>
    private void RecordFindings(FileRecord f, long dirId, long run, ref HashSet<string>? withOpenFindings)
    {
        if ((f.KeepFindings || f.FindingsUnchanged) && (withOpenFindings ??= OpenFindingNames(dirId)).Contains(f.Name))
        {
            RawStatement keep = f.FindingsUnchanged && !f.KeepFindings ? _findingsSeen : _keepFindings;
            keep.Bind(1, run);
            keep.Bind(2, dirId);
            keep.Bind(3, f.Name);
            keep.Execute();
        }
        PutFindings(_upsertFinding, f, dirId, run);
    }

    /// <summary>Writes each of <paramref name="f"/>'s matches with <paramref name="put"/> (_upsertFinding or _adoptFinding, one parameter order).</summary>
    private static void PutFindings(RawStatement put, FileRecord f, long dirId, long run)
    {
        foreach (Rules.RuleMatch m in f.Matches ?? (IReadOnlyList<Rules.RuleMatch>)Array.Empty<Rules.RuleMatch>())
        {
            put.Bind(1, m.Fingerprint);
            put.Bind(2, dirId);
            put.Bind(3, f.Name);
            put.Bind(4, m.RuleId);
            put.Bind(5, (long)m.Severity);
            put.Bind(6, (long?)m.Line);
            put.Bind(7, (long?)m.Column);
            put.Bind(8, m.Excerpt);
            put.Bind(9, run);
            put.Execute();
        }
    }

    /// <summary>
    /// A run that did not complete resolves nothing, so what its rules read must not count as read either: the
    /// files it marked read (rules_key) are read again by the next scan with rules, which can then resolve
    /// what is gone from them.
    /// </summary>
    private void ForgetRuleReadings(long run)
    {
        if (!RunHasRules(run))
        {
            return;
        }
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "UPDATE files SET rules_key = NULL WHERE last_scan_id = $id AND rules_key IS NOT NULL;";
        c.Parameters.AddWithValue("$id", run);
        c.ExecuteNonQuery();
    }

    private readonly Dictionary<long, bool> _runHasRules = new();

    /// <summary>True when the run applies rules (its options list rule ids); remembered per run.</summary>
    private bool RunHasRules(long run)
    {
        if (!_runHasRules.TryGetValue(run, out bool has))
        {
            using SqliteCommand c = _connection.CreateCommand();
            c.CommandText = "SELECT coalesce(json_array_length(options, '$.RuleIds'), 0) FROM scan_runs WHERE id = $id;";
            c.Parameters.AddWithValue("$id", run);
            _runHasRules[run] = has = Convert.ToInt64(c.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        return has;
    }

    /// <summary>The names in a folder that have open findings (most folders have none: one index probe).</summary>
    private HashSet<string> OpenFindingNames(long dirId)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        _openFindingNames.Bind(1, dirId);
        while (_openFindingNames.Step())
        {
            names.Add(_openFindingNames.Text(0));
        }
        _openFindingNames.Reset();
        return names;
    }

    /// <summary>
    /// Inserts a file of a folder new to the catalog. The same name twice in one listing (a file handed
    /// to Write-Finding twice) is one file: the second becomes an update, as it would in a known folder.
    /// </summary>
    /// <summary>
    /// Inserts the <see cref="InsertGroup"/> files of <see cref="_newFiles"/> with one statement. A name the folder
    /// already holds (a listing that names a file twice) fails the statement alone, undone by SQLite; the group then
    /// goes row by row, where such a name becomes an update.
    /// </summary>
    private void InsertNewGroup(long dirId, long run)
    {
        for (int r = 0; r < _newFiles.Count; r++)
        {
            BindFile(_insertFiles, _newFiles[r], dirId, run, r * FileParameters);
        }
        try
        {
            _insertFiles.Execute();
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */)
        {
            foreach (FileRecord f in _newFiles)
            {
                BindFile(_insertFile, f, dirId, run);
                InsertNew(f, dirId, run);
            }
        }
        _newFiles.Clear();
    }

    private void InsertNew(FileRecord f, long dirId, long run)
    {
        try
        {
            _insertFile.Execute();
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */)
        {
            BindFile(_upsertFile, f, dirId, run);
            _upsertFile.Bind(14, 1L);
            _upsertFile.Execute();
        }
    }

    /// <summary>
    /// Binds a file's row at parameter <paramref name="offset"/> + 1... A row after the first of <see cref="_insertFiles"/>
    /// (offset above 0) shares the first row's folder and run parameters, bound with that row.
    /// </summary>
    private static void BindFile(RawStatement write, FileRecord f, long dirId, long run, int offset = 0)
    {
        if (offset == 0)
        {
            write.Bind(1, dirId);
            write.Bind(13, run);
        }
        write.Bind(offset + 2, f.Name);
        write.Bind(offset + 3, Path.GetExtension(f.Name.AsSpan())); // no string per file
        write.Bind(offset + 4, f.Length);
        write.Bind(offset + 5, f.LastWriteTimeUtc.Ticks);
        write.Bind(offset + 6, f.CreationTimeUtc?.Ticks);
        write.Bind(offset + 7, (long)f.Attributes);
        write.Bind(offset + 8, (long?)f.UnixStatMode);
        write.Bind(offset + 9, (long)f.Kind);
        write.Bind(offset + 10, f.IsLink ? 1L : 0L);
        write.Bind(offset + 11, f.LinkTarget);
        write.Bind(offset + 12, f.Sha256Bytes);
        write.Bind(offset + 15, f.ChangeTimeUtc?.Ticks);
        write.Bind(offset + 16, f.Device);
        write.Bind(offset + 17, f.Inode);
        write.Bind(offset + 18, (long?)f.HardLinks);
        write.Bind(offset + 19, (long?)f.UserId);
        write.Bind(offset + 20, (long?)f.GroupId);
        write.Bind(offset + 21, f.RulesKey);
    }

    private long RemoveVanishedSubdirectories(long dirId, IReadOnlyList<string> present, long run)
    {
        List<(long Id, string Path)>? gone = null;
        var names = new HashSet<string>(present, StringComparer.Ordinal);
        _childDirectories.Bind(1, dirId);
        while (_childDirectories.Step())
        {
            string path = _childDirectories.Text(1);
            if (!names.Contains(Path.GetFileName(path)))
            {
                (gone ??= new()).Add((_childDirectories.Int64(0), path));
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
            foreach (RawStatement c in new[] { _removeSubtreeFiles, _removeSubtreeDirectories })
            {
                c.Bind(1, run);
                c.Bind(2, id);
                c.Bind(3, lo);
                c.Bind(4, hi);
            }
            removed += _removeSubtreeFiles.Execute();
            _removeSubtreeDirectories.Execute();
            _subtreeRemovedFolders.Bind(1, run);
            _subtreeRemovedFolders.Bind(2, id);
            _subtreeRemovedFolders.Bind(3, lo);
            _subtreeRemovedFolders.Bind(4, hi);
            _subtreeRemovedFolders.Execute(); // each folder of the subtree: one row for all its files
            _bumpSubtreeVersions.Bind(1, id);
            _bumpSubtreeVersions.Bind(2, lo);
            _bumpSubtreeVersions.Bind(3, hi);
            _bumpSubtreeVersions.Execute();
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

    /// <summary>
    /// A folder's row, created (with rows for its ancestors) when missing; <paramref name="existed"/> says
    /// whether it was there before. Its FirstScanId tells a folder new in this run (created now, or earlier
    /// as the ancestor of a folder listed first).
    /// </summary>
    /// <param name="path">The folder.</param>
    /// <param name="run">The run writing it.</param>
    /// <param name="existed">Whether the catalog held the folder.</param>
    /// <param name="found">The folder's entry when the caller looked it up already (<see cref="FindDirectory"/>).</param>
    /// <param name="lookedUp">True when the caller looked it up: null <paramref name="found"/> then means the catalog has no such folder (no second query).</param>
    private DirectoryEntry Directory(string path, long run, out bool existed, DirectoryEntry? found = null, bool lookedUp = false)
    {
        DirectoryEntry? entry = lookedUp ? found : FindDirectory(path);
        existed = entry is not null;
        if (entry is not null)
        {
            if (entry.RemovedScanId is not null)
            {
                _reviveDirectory.Bind(1, entry.Id);
                _reviveDirectory.Execute();
                entry.RemovedScanId = null;
            }
            return entry;
        }
        string? parentPath = Path.GetDirectoryName(path);
        long? parent = parentPath is null || parentPath == path ? null : Directory(parentPath, run, out _).Id;
        _insertDirectory.Bind(1, path);
        _insertDirectory.Bind(2, parent);
        _insertDirectory.Bind(3, run);
        _insertDirectory.Step();
        entry = new DirectoryEntry { Id = _insertDirectory.Int64(0), FirstScanId = run };
        _insertDirectory.Reset();
        Cache(path, entry);
        return entry;
    }

    /// <summary>A folder's entry (cached), or null when the catalog has no such folder; nothing is written.</summary>
    private DirectoryEntry? FindDirectory(string path)
    {
        if (_directoryIds.TryGetValue(path, out DirectoryEntry? cached))
        {
            return cached;
        }
        _findDirectory.Bind(1, path);
        if (!_findDirectory.Step())
        {
            return null;
        }
        var entry = new DirectoryEntry
        {
            Id = _findDirectory.Int64(0),
            RemovedScanId = _findDirectory.IsNull(1) ? null : _findDirectory.Int64(1),
            FirstScanId = _findDirectory.Int64(2),
            Version = _findDirectory.Int64(3),
            LastScanId = _findDirectory.IsNull(4) ? 0 : _findDirectory.Int64(4),
        };
        _findDirectory.Reset();
        Cache(path, entry);
        return entry;
    }

    private void Cache(string path, DirectoryEntry entry)
    {
        if (_directoryIds.Count >= DirectoryCacheLimit)
        {
            _directoryIds.Clear();
        }
        _directoryIds[path] = entry;
    }

    /// <summary>The folder's rows changed: snapshots walkers read before this are no longer current.</summary>
    private void BumpVersion(string path, long dirId)
    {
        _bumpVersion.Bind(1, dirId);
        _bumpVersion.Execute();
        if (_directoryIds.TryGetValue(path, out DirectoryEntry? entry))
        {
            entry.Version++;
        }
    }

    private long RunId(Guid key)
    {
        if (_runIds.TryGetValue(key, out long id))
        {
            return id;
        }
        using SqliteCommand c = _connection.CreateCommand();
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

    /// <summary>
    /// Ends a Running run with the counts of what the catalog holds for it: the files it wrote or whose
    /// folder it listed completely, their bytes, its folders and its error items. For runs whose own end
    /// never arrived (the catalog failed under it, its process died), so their counts match their rows.
    /// </summary>
    internal const string EndCountedFromCatalog = """
        UPDATE scan_runs SET status = $status, ended_utc = coalesce($ended, progress_utc, started_utc), message = $message,
               files = (SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id
                        WHERE f.removed_scan_id IS NULL AND (f.last_scan_id = $id OR d.last_scan_id = $id)),
               bytes = (SELECT coalesce(sum(size), 0) FROM (
                            SELECT max(f.size) AS size FROM files f JOIN directories d ON d.id = f.dir_id
                            WHERE f.removed_scan_id IS NULL AND (f.last_scan_id = $id OR d.last_scan_id = $id)
                            -- a file's bytes once: hard links of one content count as one
                            GROUP BY CASE WHEN f.links > 1 AND f.inode IS NOT NULL AND f.is_link = 0
                                          THEN 'i' || f.device || ':' || f.inode ELSE 'n' || f.dir_id || '/' || f.name END)),
               directories = (SELECT count(*) FROM directories WHERE last_scan_id = $id),
               errors = (SELECT count(*) FROM scan_errors WHERE scan_id = $id)
        WHERE id = $id AND status = 'Running';
        """;

    /// <summary>
    /// Marks Failed the runs left Running on this computer by processes that no longer exist, with the counts
    /// of what they left in the catalog. Called by the session once it serves (checking process ids is slow
    /// enough to delay a fail-over if done while opening).
    /// </summary>
    public void FailAbandonedRuns()
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
            ForgetRuleReadings(id);
            using SqliteCommand u = _connection.CreateCommand();
            u.CommandText = EndCountedFromCatalog;
            u.Parameters.AddWithValue("$status", nameof(ScanRunStatus.Failed));
            // Its end is the last progress it stored, not now: the next writer may come a day later.
            u.Parameters.AddWithValue("$ended", DBNull.Value);
            u.Parameters.AddWithValue("$message", AbandonedMessage(pid));
            u.Parameters.AddWithValue("$id", id);
            u.ExecuteNonQuery();
        }
    }

    /// <summary>The message of a run whose process ended before the run did (see <see cref="FailAbandonedRuns"/>).</summary>
    internal static string AbandonedMessage(int pid) =>
        $"The process that ran it (PID {pid}) ended before the run finished; what it had sent is kept, and the counts are what the catalog holds. Its end time is the last time it stored its progress (every 2 seconds), or its start when it stored none.";

    /// <summary>Runs SQLite's housekeeping and folds the WAL back into the database before closing.</summary>
    public void Checkpoint()
    {
        _checkpointer?.Dispose();
        // analysis_limit bounds the ANALYZE that optimize may run: unbounded, it took seconds on 200k rows.
        CatalogDatabase.Execute(_connection, "PRAGMA analysis_limit = 1000; PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);");
    }

    public void Dispose()
    {
        _checkpointer?.Dispose();
        Rollback();
        foreach (RawStatement st in _statements)
        {
            st.Dispose();
        }
        _connection.Dispose();
    }

    /// <summary>
    /// Closing hands the catalog to another process's writer: skip SQLite's checkpoint-on-close, which
    /// would hold an exclusive lock just when the next writer opens. Its own checkpointer folds the WAL.
    /// </summary>
    public void LeaveWalForSuccessor()
    {
        _checkpointer?.Dispose();
        SQLitePCL.raw.sqlite3_db_config(_connection.Handle, 1006 /* SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE */, 1, out _);
    }

    /// <summary>Changes how commits wait for the disk; only between transactions.</summary>
    public void SetDurability(Durability durability) =>
        CatalogDatabase.Execute(_connection, $"PRAGMA synchronous = {(durability == Durability.Full ? "FULL" : "NORMAL")};");

    /// <summary>For tests: caps the file size, so a write fails with "disk full".</summary>
    internal void LimitPages(long pages) => CatalogDatabase.Execute(_connection, $"PRAGMA max_page_count = {pages};");

    private RawStatement Prepare(string sql)
    {
        var st = new RawStatement(_connection, sql);
        _statements.Add(st);
        return st;
    }
}
