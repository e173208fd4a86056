using Microsoft.Data.Sqlite;
using ScanTools.Scanning;

namespace ScanTools.Storage;

/// <summary>
/// Reads a catalog through its own read-only connection; WAL lets it read while a writer commits.
/// Results stream from SQLite as they are enumerated, so a query over millions of rows holds one row
/// at a time. Not thread-safe: one reader per thread.
/// </summary>
public sealed partial class CatalogReader : IDisposable
{
    private readonly SqliteConnection _connection;

    private CatalogReader(string path, SqliteConnection connection)
    {
        DatabasePath = path;
        _connection = connection;
        SchemaVersion = CatalogDatabase.Scalar<int>(connection, "PRAGMA user_version;");
    }

    /// <summary>The catalog's schema version (from <see cref="CatalogSchema.OldestReadableVersion"/> to the current one).</summary>
    internal int SchemaVersion { get; }

    /// <summary>The catalog read.</summary>
    public string DatabasePath { get; }

    /// <summary>Opens a catalog for reading. It must exist; reading never creates one.</summary>
    /// <exception cref="CatalogException">No catalog there, not a catalog, or from a newer ScanTools.</exception>
    public static CatalogReader Open(string databasePath, string? baseDirectory = null)
    {
        CatalogDatabase.RefuseFolderSpelling(databasePath, baseDirectory);
        string path = Platform.CanonicalPath.Resolve(databasePath, baseDirectory);
        return new CatalogReader(path, CatalogDatabase.OpenForReading(path));
    }

    /// <summary>Checks the whole catalog with SQLite's quick_check (about 0.3 s a million files here).</summary>
    /// <exception cref="CatalogException">CatalogCorrupt, naming what the check found and what to do.</exception>
    public void CheckIntegrity()
    {
        if (CatalogDatabase.QuickCheckProblems(_connection) is string problems)
        {
            throw new CatalogException(CatalogErrorCode.Corrupt, DatabasePath,
                $"SQLite's check of the catalog '{DatabasePath}' found damage ({problems}). Scans of folders whose rows are intact still work, but reading the catalog whole fails. Keep your last good backup, then restore the catalog from it, or move the catalog aside and scan into a new one (about_ScanTools, CatalogCorrupt).");
        }
    }

    /// <summary>The files matching <paramref name="query"/>, streamed.</summary>
    public IEnumerable<Finding> FindFiles(FindingQuery query, CancellationToken cancellationToken = default)
    {
        FindingSql sql = FindingSql.Build(query, IsFolder, HasMatchCondition, NameIndex, HasFileRow); // validate now, not at first MoveNext
        return query.Findings is { FiltersRules: true } rules ? WithMatches(Stream(sql, cancellationToken), rules) : Stream(sql, cancellationToken);
    }

    /// <summary>Each file with its findings attached; a file whose every finding is baselined is left out.</summary>
    private IEnumerable<Finding> WithMatches(IEnumerable<Finding> files, Rules.FindingMatchQuery rules)
    {
        foreach (Finding f in files)
        {
            List<Rules.FindingMatch> matches = MatchesOf(f.Directory, f.Name, rules);
            if (matches.Count == 0)
            {
                continue;
            }
            yield return new Finding
            {
                Directory = f.Directory, Name = f.Name, FullName = f.FullName, Extension = f.Extension, Length = f.Length,
                LastWriteTimeUtc = f.LastWriteTimeUtc, CreationTimeUtc = f.CreationTimeUtc, Attributes = f.Attributes,
                UnixStatMode = f.UnixStatMode, IsLink = f.IsLink, LinkTarget = f.LinkTarget, Sha256 = f.Sha256,
                FirstScanId = f.FirstScanId, LastScanId = f.LastScanId, RemovedScanId = f.RemovedScanId, Kind = f.Kind,
                ChangeTimeUtc = f.ChangeTimeUtc, Device = f.Device, Inode = f.Inode, HardLinks = f.HardLinks,
                UserId = f.UserId, GroupId = f.GroupId, Database = f.Database, Matches = new Rules.FindingMatchList(matches),
            };
        }
    }

    /// <remarks>
    /// Rows are read through <see cref="RawStatement"/>, not a data reader: each column costs a native call, and the data
    /// reader's checks doubled the time per row (Get-Finding -Path of 4,000 files: 16 ms against plocate's 5 ms). A
    /// folder's path is decoded once for all its files.
    /// </remarks>
    private IEnumerable<Finding> Stream(FindingSql sql, CancellationToken cancellationToken)
    {
        RegisterMatchers(sql);
        using RawStatement r = Prepare(sql.Text);
        foreach (var p in sql.Parameters)
        {
            r.BindIfUsed(p.Key, p.Value);
        }
        string dir = string.Empty;
        long dirId = -1;
        while (Step(r))
        {
            cancellationToken.ThrowIfCancellationRequested();
            long rowDir = r.Int64(21);
            if (rowDir != dirId)
            {
                dir = r.Text(0);
                dirId = rowDir;
            }
            string name = r.Text(1);
            byte[]? sha = r.Blob(10);
            yield return new Finding
            {
                Directory = dir,
                Name = name,
                FullName = Path.Join(dir, name),
                Extension = r.Text(2),
                Length = r.Int64(3),
                LastWriteTimeUtc = new DateTime(r.Int64(4), DateTimeKind.Utc),
                CreationTimeUtc = Opt(r.Int64(5)) is long btime ? new DateTime(btime, DateTimeKind.Utc) : null,
                Attributes = (FileAttributes)r.Int64(6),
                UnixStatMode = (int?)Opt(r.Int64(7)),
                IsLink = r.Int64(8) != 0,
                LinkTarget = r.IsNull(9) ? null : r.Text(9),
                Sha256 = sha is null ? null : Convert.ToHexString(sha),
                FirstScanId = r.Int64(11),
                LastScanId = r.Int64(12),
                RemovedScanId = Opt(r.Int64(13)),
                Kind = (Platform.EntryKind)r.Int64(14),
                ChangeTimeUtc = Opt(r.Int64(15)) is long ctime ? new DateTime(ctime, DateTimeKind.Utc) : null,
                Device = Opt(r.Int64(16)),
                Inode = Opt(r.Int64(17)),
                HardLinks = (int?)Opt(r.Int64(18)),
                UserId = (uint?)Opt(r.Int64(19)),
                GroupId = (uint?)Opt(r.Int64(20)),
                Database = DatabasePath,
            };
        }
    }

    private static long? Opt(long value) => value == FindingSql.NoValue ? null : value;

    private RawStatement Prepare(string sql)
    {
        try
        {
            return new RawStatement(_connection, sql);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>The query plan SQLite chooses (EXPLAIN QUERY PLAN), for tests and troubleshooting.</summary>
    public IReadOnlyList<string> ExplainFindFiles(FindingQuery query)
    {
        FindingSql sql = FindingSql.Build(query, IsFolder, nameIndex: NameIndex, isAlsoFile: HasFileRow);
        if (sql.Matchers.Count > 0)
        {
            _connection.CreateFunction(FindingSql.MatchFunction, (long index, string text) => false, isDeterministic: true);
        }
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql.Text;
        foreach (var p in sql.Parameters)
        {
            command.Parameters.AddWithValue(p.Key, p.Value);
        }
        var plan = new List<string>();
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            plan.Add(r.GetString(3));
        }
        return plan;
    }

    /// <summary>Gives SQLite the wildcards of <paramref name="sql"/> that LIKE and GLOB cannot express.</summary>
    private void RegisterMatchers(FindingSql sql)
    {
        if (sql.Matchers.Count > 0)
        {
            List<Matching.WildcardPattern> matchers = sql.Matchers;
            _connection.CreateFunction(FindingSql.MatchFunction, (long index, string text) => matchers[(int)index].IsMatch(text), isDeterministic: true);
        }
    }

    /// <summary>
    /// Above this many matching files a -Name query reads the files table instead: fetching each by primary key costs
    /// more than reading every row in order (about 0.1 s per 1,000,000 files here) once most of them match.
    /// </summary>
    internal const int NameIndexLimit = 200_000;

    /// <summary>
    /// The files whose names match one of <paramref name="patterns"/>, as (folder id, name) pairs, from the name index:
    /// the names through the trigram index (names_fts), each decided by its pattern, then the folders whose name lists
    /// (<see cref="FolderNames"/>) hold them. Null when the index cannot narrow a pattern (fewer than three plain
    /// characters in a row) or more than <see cref="NameIndexLimit"/> files match: then SQLite reads every row.
    /// The pairs may include files since removed; the query's own conditions decide. Folders that got files since the
    /// index was brought up to date (name_index_pending, a run in progress or one that never ended) are returned for the
    /// query to read itself; null when there are more than <see cref="PendingFolderLimit"/> of them.
    /// </summary>
    private NameIndexMatches? NameIndex(IReadOnlyList<Matching.WildcardPattern> patterns)
    {
        var pending = new List<long>();
        using (RawStatement noted = Prepare("SELECT dir_id FROM name_index_pending;"))
        {
            while (Step(noted))
            {
                pending.Add(noted.Int64(0));
                if (pending.Count > PendingFolderLimit)
                {
                    noted.Reset();
                    return null;
                }
            }
        }
        var names = new Dictionary<long, string>();
        foreach (Matching.WildcardPattern pattern in patterns)
        {
            if (!pattern.TryToTrigramLike(out string like))
            {
                return null;
            }
            // Names through the trigram index, and those added since it was last fed (matched here).
            using SqliteCommand command = Command("""
                SELECT n.id, n.name FROM names_fts t JOIN names n ON n.id = t.rowid WHERE t.name LIKE $like
                UNION ALL
                SELECT id, name FROM names WHERE id > (SELECT trigrams_through FROM name_index_state);
                """);
            command.Parameters.AddWithValue("$like", like);
            using SqliteDataReader r = Execute(command);
            while (Read(r))
            {
                string name = r.GetString(1);
                if (pattern.IsMatch(name))
                {
                    names[r.GetInt64(0)] = name;
                }
            }
        }
        var files = new HashSet<(long Dir, string Name)>();
        if (names.Count == 0)
        {
            return new NameIndexMatches(files, pending);
        }
        using (RawStatement lists = Prepare("SELECT dir_id, name_ids FROM folder_names;"))
        {
            while (Step(lists))
            {
                long dir = lists.Int64(0);
                foreach (long id in FolderNames.Read(lists.Blob(1) ?? Array.Empty<byte>()))
                {
                    if (names.TryGetValue(id, out string? name) && files.Add((dir, name)) && files.Count > NameIndexLimit)
                    {
                        lists.Reset();
                        return null;
                    }
                }
            }
        }
        return new NameIndexMatches(files, pending);
    }

    /// <summary>Above this many folders waiting for the name index (a first scan in progress) a -Name query reads every row.</summary>
    internal const int PendingFolderLimit = 10_000;

    private SqliteCommand Command(string sql)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// Whether the catalog records <paramref name="path"/> (a full path) at all, as a folder or a file, present or removed:
    /// false for a path no scan ever met, which a filter on it can only miss (a mistyped -Path).
    /// </summary>
    public bool KnowsPath(string path)
    {
        path = Scanning.ScanOptions.TrimSeparator(path);
        return IsFolder(path) || HasFileRow(path);
    }

    /// <summary>Whether the catalog records <paramref name="path"/> (a full path, no trailing separator) as a folder.</summary>
    public bool IsFolder(string path)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM directories WHERE path = $path" + (Platform.PathComparison.IgnoreCase ? " COLLATE NOCASE" : string.Empty) + " LIMIT 1;";
        command.Parameters.AddWithValue("$path", path);
        return ExecuteScalar(command) is not null;
    }

    /// <summary>
    /// Whether the catalog holds a file row (present or removed) of <paramref name="path"/>. For a path it knows as a folder
    /// too, the path has been both (FindingSql's isAlsoFile).
    /// </summary>
    private bool HasFileRow(string path)
    {
        string collate = Platform.PathComparison.IgnoreCase ? " COLLATE NOCASE" : string.Empty;
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = $"SELECT 1 FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path = $folder{collate} AND f.name = $name{collate} LIMIT 1;";
        command.Parameters.AddWithValue("$folder", Path.GetDirectoryName(path) ?? path);
        command.Parameters.AddWithValue("$name", Path.GetFileName(path));
        return ExecuteScalar(command) is not null;
    }

    /// <summary>Scan runs matching <paramref name="query"/>, newest first.</summary>
    public IReadOnlyList<ScanRun> GetScanRuns(ScanRunQuery? query = null)
    {
        query ??= new ScanRunQuery();
        using SqliteCommand command = _connection.CreateCommand();
        var where = new List<string>();
        if (query.Id.Count > 0)
        {
            where.Add($"id IN ({string.Join(", ", query.Id.Select((id, i) => Add(command, "$id" + i, id)))})");
        }
        // A run left Running by a process that has ended reads as Failed (below): -Status Failed must find it, and
        // -Status Running must not. Such a selection is read whole and filtered here, -Last after it.
        bool byReadStatus = query.Status.Contains(ScanRunStatus.Failed) || query.Status.Contains(ScanRunStatus.Running);
        if (query.Status.Count > 0)
        {
            IEnumerable<ScanRunStatus> stored = query.Status.Contains(ScanRunStatus.Failed) ? query.Status.Append(ScanRunStatus.Running).Distinct() : query.Status;
            where.Add($"status IN ({string.Join(", ", stored.Select((s, i) => Add(command, "$st" + i, s.ToString())))})");
        }
        if (query.Kind.Count > 0)
        {
            where.Add($"kind COLLATE NOCASE IN ({string.Join(", ", query.Kind.Select((k, i) => Add(command, "$kind" + i, k)))})");
        }
        string limit = query.Last is int last && !byReadStatus ? " LIMIT " + Add(command, "$last", last) : string.Empty;
        command.CommandText = $"""
            SELECT id, run_key, kind, status, started_utc, ended_utc, host, user_name, process_id, roots, options,
                   files, bytes, directories, errors, removed, message, skipped,
                   matches, content_files, binary_skipped, oversized_skipped, {(CatalogSchema.HasProgressTime(SchemaVersion) ? "progress_utc" : "NULL")}
            FROM scan_runs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : string.Empty)}
            ORDER BY id DESC{limit};
            """;
        var runs = new List<ScanRun>();
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            var status = Enum.Parse<ScanRunStatus>(r.GetString(3));
            string? message = r.IsDBNull(16) ? null : r.GetString(16);
            DateTime? ended = r.IsDBNull(5) ? null : new DateTime(r.GetInt64(5), DateTimeKind.Utc);
            if (status == ScanRunStatus.Running && r.GetString(6) == Environment.MachineName
                && !Platform.ProcessLiveness.IsAlive(r.GetInt32(8), new DateTime(r.GetInt64(4), DateTimeKind.Utc)))
            {
                // Its process was killed (SIGKILL, the OOM killer) or the computer restarted: the catalog says Running until its
                // next writer records the end, and a script that read Running waited, or took the dead run for a live one.
                status = ScanRunStatus.Failed;
                message = $"The process that ran it (PID {r.GetInt32(8)}) ended before the run finished. Its counts and end time are the last progress it stored (every 2 seconds); the catalog still says Running until the next command that writes to it records the run as Failed, counting what the catalog holds.";
                // Not now: Duration grew with the clock while nobody ran it.
                ended = r.IsDBNull(22) ? new DateTime(r.GetInt64(4), DateTimeKind.Utc) : new DateTime(r.GetInt64(22), DateTimeKind.Utc);
            }
            runs.Add(new ScanRun
            {
                Id = r.GetInt64(0),
                RunKey = Guid.Parse(r.GetString(1)),
                Kind = r.GetString(2),
                Status = status,
                StartedUtc = new DateTime(r.GetInt64(4), DateTimeKind.Utc),
                EndedUtc = ended,
                Host = r.GetString(6),
                User = r.GetString(7),
                ProcessId = r.GetInt32(8),
                Roots = System.Text.Json.JsonSerializer.Deserialize<string[]>(r.GetString(9)) ?? Array.Empty<string>(),
                Options = r.GetString(10),
                Files = r.GetInt64(11),
                Bytes = r.GetInt64(12),
                Directories = r.GetInt64(13),
                Errors = r.GetInt64(14),
                Removed = r.GetInt64(15),
                Message = message,
                Skipped = r.GetInt64(17),
                RuleMatches = r.IsDBNull(18) ? null : r.GetInt64(18),
                ContentFiles = r.IsDBNull(19) ? null : r.GetInt64(19),
                BinarySkipped = r.IsDBNull(20) ? null : r.GetInt64(20),
                OversizedSkipped = r.IsDBNull(21) ? null : r.GetInt64(21),
                Database = DatabasePath,
            });
        }
        return byReadStatus
            ? runs.Where(run => query.Status.Contains(run.Status)).Take(query.Last ?? int.MaxValue).ToList()
            : runs;
    }

    /// <summary>
    /// The extensions most common among the present files, most common first, counted over the first
    /// <paramref name="sampleRows"/> rows (tab completion must answer at once, whatever the catalog's size).
    /// </summary>
    public IReadOnlyList<(string Extension, long Files)> CommonExtensions(int count = 40, int sampleRows = 200_000)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = """
            SELECT extension, count(*) AS n FROM (SELECT extension FROM files WHERE removed_scan_id IS NULL LIMIT $sample)
            WHERE extension <> '' GROUP BY extension COLLATE NOCASE ORDER BY n DESC, extension LIMIT $count;
            """;
        command.Parameters.AddWithValue("$sample", sampleRows);
        command.Parameters.AddWithValue("$count", count);
        var result = new List<(string, long)>();
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            result.Add((r.GetString(0), r.GetInt64(1)));
        }
        return result;
    }

    /// <summary>The ids among <paramref name="ids"/> of runs the catalog does not hold, each once, in the order given.</summary>
    public IReadOnlyList<long> MissingRuns(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.Distinct().ToList();
        if (wanted.Count == 0)
        {
            return wanted;
        }
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT id FROM scan_runs WHERE id IN (SELECT value FROM json_each($ids));";
        command.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(wanted));
        var found = new HashSet<long>();
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            found.Add(r.GetInt64(0));
        }
        return wanted.Where(id => !found.Contains(id)).ToList();
    }

    /// <summary>
    /// The error for run ids a catalog does not hold, as every reading command words it; a
    /// <see cref="ScanArgumentException"/>, so a scheduled script exits with BadArguments.
    /// </summary>
    public static ScanArgumentException NoRunError(IEnumerable<long> ids)
    {
        List<long> missing = ids.ToList(); // the first ten: a list of 33,000 ids filled the screen
        string listed = string.Join(", ", missing.Take(10)) + (missing.Count > 10 ? $" and {missing.Count - 10:N0} more" : string.Empty);
        return new($"The catalog holds no run {listed} (never, or pruned by Optimize-ScanCatalog). Get-ScanRun lists the runs.");
    }

    /// <summary>The run with this key, or null.</summary>
    public ScanRun? GetScanRun(Guid runKey)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT id FROM scan_runs WHERE run_key = $key;";
        command.Parameters.AddWithValue("$key", runKey.ToString("D"));
        object? id = ExecuteScalar(command);
        return id is long found ? GetScanRuns(new ScanRunQuery { Id = new[] { found } }).FirstOrDefault() : null;
    }

    /// <summary>The error items a run recorded, oldest first.</summary>
    public IEnumerable<ScanError> GetScanErrors(long scanId, int? first = null) =>
        GetScanErrors(new ScanErrorQuery { ScanId = new[] { scanId }, First = first });

    /// <summary>
    /// Entries a scan could not record by name (InvalidName error items: names that are not valid UTF-8 or UTF-16) at or
    /// under <paramref name="folders"/> (full paths; none: anywhere), in run <paramref name="scanId"/>, or in the newest Start-Scan run when
    /// null. A folder among them was not read either, so sizes measured from the catalog leave out all it holds.
    /// Returns the run asked about (null when the catalog has none), how many such entries it reported there, and how many of
    /// them may be folders (the listing said so; or a catalog written before the message told files and folders apart).
    /// </summary>
    public (long? Run, int Count, int Folders) UnrecordedNames(IReadOnlyList<string> folders, long? scanId)
    {
        ArgumentNullException.ThrowIfNull(folders);
        using SqliteCommand command = _connection.CreateCommand();
        if (scanId is null)
        {
            command.CommandText = "SELECT max(id) FROM scan_runs WHERE kind = 'Scan';";
            scanId = ExecuteScalar(command) is long newest ? newest : null;
            if (scanId is null)
            {
                return (null, 0, 0);
            }
        }
        command.CommandText = "SELECT path, message FROM scan_errors WHERE scan_id = $run AND kind = $kind;";
        command.Parameters.AddWithValue("$run", scanId.Value);
        command.Parameters.AddWithValue("$kind", nameof(ScanErrorKind.InvalidName));
        StringComparison comparison = Platform.PathComparison.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        int count = 0, folderCount = 0;
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            string path = r.GetString(0);
            if (folders.Count == 0 || folders.Any(f => path.StartsWith(f, comparison) && (path.Length == f.Length || Path.EndsInDirectorySeparator(f) || path[f.Length] == Path.DirectorySeparatorChar || path[f.Length] == Path.AltDirectorySeparatorChar)))
            {
                count++;
                string message = r.IsDBNull(1) ? string.Empty : r.GetString(1);
                if (message.StartsWith(Scanning.EntryNames.InvalidFolderMessage[..24], StringComparison.Ordinal) || message.Contains("a folder's contents are not recorded", StringComparison.Ordinal))
                {
                    folderCount++;
                }
            }
        }
        return (scanId, count, folderCount);
    }

    /// <summary>Error items matching <paramref name="query"/>: newest run first, then in the order they happened.</summary>
    public IEnumerable<ScanError> GetScanErrors(ScanErrorQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        var parameters = new List<KeyValuePair<string, object>>();
        string Bind(object value)
        {
            string name = "$e" + parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            parameters.Add(new(name, value));
            return name;
        }
        if (query.ScanId.Count > 0)
        {
            where.Add($"scan_id IN ({string.Join(", ", query.ScanId.Select(id => Bind(id)))})");
        }
        if (query.Kind.Count > 0)
        {
            where.Add($"kind IN ({string.Join(", ", query.Kind.Select(k => Bind(k.ToString())))})");
        }
        string limit = query.First is int n ? " LIMIT " + Bind((long)n) : string.Empty;
        string sql = "SELECT scan_id, path, kind, message, occurred_utc FROM scan_errors" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) +
            " ORDER BY scan_id DESC, id" + limit + ";";
        return StreamErrors(sql, parameters);
    }

    private IEnumerable<ScanError> StreamErrors(string sql, List<KeyValuePair<string, object>> parameters)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p.Key, p.Value);
        }
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            yield return new ScanError(r.GetString(1), Enum.Parse<ScanErrorKind>(r.GetString(2)), r.GetString(3),
                new DateTime(r.GetInt64(4), DateTimeKind.Utc)) { ScanId = r.GetInt64(0), Database = DatabasePath };
        }
    }

    /// <summary>Counts of present and removed files, for summaries.</summary>
    public (long Present, long Removed) CountFiles()
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT count(*) FILTER (WHERE removed_scan_id IS NULL), count(*) FILTER (WHERE removed_scan_id IS NOT NULL) FROM files;";
        using SqliteDataReader r = Execute(command);
        Read(r);
        return (r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>
    /// Stops a query running on this reader from another thread (Ctrl+C in PowerShell); the reading
    /// thread gets an <see cref="OperationCanceledException"/>.
    /// </summary>
    public void Interrupt()
    {
        _interrupted = true;
        if (_connection.Handle is SQLitePCL.sqlite3 handle)
        {
            SQLitePCL.raw.sqlite3_interrupt(handle);
        }
    }

    private volatile bool _interrupted;

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private static string Add(SqliteCommand command, string name, object value)
    {
        command.Parameters.AddWithValue(name, value);
        return name;
    }

    private SqliteDataReader Execute(SqliteCommand command)
    {
        try
        {
            return command.ExecuteReader();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private Exception Translate(SqliteException ex) =>
        _interrupted && (ex.SqliteErrorCode & 0xFF) == 9 // SQLITE_INTERRUPT
            ? new OperationCanceledException("The query was stopped.", ex)
            : TooLargeAQuery(ex) ?? (Exception)CatalogDatabase.Translate(ex, DatabasePath, writing: false);

    /// <summary>
    /// A query SQLite refuses for its size (filters of tens of thousands of values: a list of 40,000 known-bad hashes
    /// to -Hash): the caller's filter, an ArgumentException (InvalidFilter), not a catalog that "could not be read".
    /// </summary>
    private static ArgumentException? TooLargeAQuery(SqliteException ex) =>
        (ex.SqliteErrorCode & 0xFF) == 1 && (ex.Message.Contains("too many SQL variables", StringComparison.Ordinal)
            || ex.Message.Contains("Expression tree is too large", StringComparison.Ordinal)
            || ex.Message.Contains("too many terms in compound SELECT", StringComparison.Ordinal))
            ? new ArgumentException($"The filters give SQLite more values than one query takes (it binds at most 32,766). Give fewer values per command, or split the list across several commands (SQLite says: {ex.Message}).", ex)
            : null;

    private object? ExecuteScalar(SqliteCommand command)
    {
        try
        {
            return command.ExecuteScalar();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private bool Read(SqliteDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }
}
