using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>
/// Opens catalog connections with the right settings and checks that the file is a catalog this build
/// understands. Only a writer session calls <see cref="OpenForWriting"/>; everything else reads.
/// </summary>
internal static class CatalogDatabase
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    private const int SqliteReadOnly = 8, SqliteCantOpen = 14, SqliteNotADb = 26, SqliteCorrupt = 11, SqliteFull = 13, SqliteIoErr = 10, SqlitePerm = 3, SqliteBusy = 5;

    /// <summary>Opens (creating if needed) the only write connection of a catalog, migrated to the current schema.</summary>
    public static SqliteConnection OpenForWriting(string path, Durability durability)
    {
        RefuseFolder(path);
        RefuseUnwritableName(path);
        if (MissingFolder(path) is CatalogException missing)
        {
            throw missing;
        }
        CheckHeader(path);
        if (CatalogFiles.UnwritableCatalog(path) is string readOnly)
        {
            // Before SQLite opens it: it would create side files with the catalog's read-only mode.
            throw new CatalogException(CatalogErrorCode.ReadOnly, path, $"The catalog '{path}' cannot be written: {readOnly}");
        }
        // A creation killed mid-way left its draft (NAME.creating-PID-ID): the writer, alone here, removes the dead ones.
        CatalogFiles.RemoveDeadDrafts(path, CatalogFiles.DraftInfix);
        if (!File.Exists(path))
        {
            CreateWhole(path);
        }
        CatalogFiles.MakeOwnCompanionsWritable(path);

        var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWriteCreate));
        try
        {
            connection.Open();
            WaitWhenBusy(connection);
            if (SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1)
            {
                throw ReadOnlyError(path, null);
            }
            CheckIdentity(connection, path); // before anything changes the file: another application's database stays untouched
            string mode = Scalar<string>(connection, "PRAGMA journal_mode = WAL;") ?? string.Empty;
            if (!mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new CatalogException(CatalogErrorCode.OpenFailed, path,
                    $"The catalog '{path}' could not be switched to WAL journaling (it reported '{mode}'). Put the catalog on a local disk; network shares do not support it.");
            }
            Execute(connection, $"""
                PRAGMA synchronous = {(durability == Durability.Full ? "FULL" : "NORMAL")};
                PRAGMA temp_store = MEMORY;
                PRAGMA foreign_keys = OFF;
                """);
            CatalogFiles.KeepWalFiles(connection);
            Migrate(connection, path);
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(ex, path, writing: true);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a new catalog so that no other opener ever sees it half-made: the schema is built in a
    /// private file next to it (same folder, so the same file system), closed (SQLite folds its WAL back
    /// and deletes it), and only then linked into place under the catalog's name, never replacing a file
    /// that appeared there meanwhile. A reader or writer racing the creation finds either no catalog or a
    /// whole one. (Only an elected writer creates; the no-replace move also covers two racing writers.)
    /// </summary>
    private static void CreateWhole(string path)
    {
        string draft = CatalogFiles.DraftFor(path);
        try
        {
            using (var connection = new SqliteConnection(ConnectionString(draft, SqliteOpenMode.ReadWriteCreate)))
            {
                connection.Open();
                // Before any table: pages freed by pruning can go back to the file system (Optimize-ScanCatalog).
                Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
                Execute(connection, "PRAGMA journal_mode = WAL;"); // stored in the file: every later opener gets WAL
                Migrate(connection, path);
            }
            try
            {
                File.Move(draft, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another opener created it first; theirs is as good as ours.
            }
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, path, writing: true);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw ReadOnlyError(path, ex);
        }
        finally
        {
            foreach (string leftover in new[] { draft, draft + "-wal", draft + "-shm", draft + "-journal" })
            {
                try
                {
                    File.Delete(leftover);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Only a leftover draft: never the catalog.
                }
            }
        }
    }

    /// <summary>The error of a catalog whose folder does not exist, or null when it does.</summary>
    internal static CatalogException? MissingFolder(string path)
    {
        string? folder = Path.GetDirectoryName(path);
        return !string.IsNullOrEmpty(folder) && !Directory.Exists(folder)
            ? new CatalogException(CatalogErrorCode.FolderNotFound, path,
                Platform.FileInTheWay.MissingFolderMessage(folder, $"the catalog '{path}'", "choose another -Database"))
            : null;
    }

    /// <summary>
    /// What opening <paramref name="path"/> (canonical) for writing refuses before it creates anything, checked
    /// without creating or changing anything, with the same errors: a folder or special file at the path,
    /// a missing folder, a file that is not a catalog, a catalog of a newer ScanTools. (What -WhatIf reports.)
    /// </summary>
    internal static void ThrowIfUnusableForWriting(string path)
    {
        RefuseFolder(path);
        RefuseUnwritableName(path);
        if (MissingFolder(path) is CatalogException missing)
        {
            throw missing;
        }
        ThrowIfForeign(path, createNothing: true);
        if (CatalogFiles.UnwritableCatalog(path) is string readOnly)
        {
            // What OpenForWriting refuses: -WhatIf said "What if" over an immutable catalog the real command refuses.
            throw new CatalogException(CatalogErrorCode.ReadOnly, path, $"The catalog '{path}' cannot be written: {readOnly}");
        }
        string lockFile = Sessions.WriterLock.PathFor(path);
        if (!OperatingSystem.IsWindows() && !File.Exists(lockFile) && Path.GetDirectoryName(path) is { Length: > 0 } folder && !CatalogFiles.CanWrite(folder))
        {
            // What the writer's lock refuses: -WhatIf gave a clean plan for a catalog in a folder of mode 555, where the real
            // command could not create its lock file (newcomer test 75).
            throw new CatalogException(CatalogErrorCode.ReadOnly, path,
                $"The catalog '{path}' cannot be written: ScanTools cannot create its lock file '{lockFile}'. {CatalogFiles.FolderWriteAdvice(folder)}.");
        }
    }

    /// <summary>True when <paramref name="spelling"/> can only name a folder: it ends with a separator, or with "." or "..".</summary>
    internal static bool NamesAFolder(string spelling) =>
        Path.EndsInDirectorySeparator(spelling) || Path.GetFileName(spelling) is "." or "..";

    /// <summary>
    /// Refuses a catalog path spelled as a folder (see <see cref="NamesAFolder"/>), before anything resolves
    /// it: resolving drops the trailing separator, and the folder's name would then be created as a file.
    /// </summary>
    internal static void RefuseFolderSpelling(string spelling, string? baseDirectory = null)
    {
        if (!NamesAFolder(spelling))
        {
            return;
        }
        string full = string.IsNullOrWhiteSpace(baseDirectory) ? Path.GetFullPath(spelling) : Path.GetFullPath(spelling, baseDirectory);
        string folder = Path.TrimEndingDirectorySeparator(full);
        if (Path.EndsInDirectorySeparator(spelling) && File.Exists(folder))
        {
            // A file spelled with a trailing separator ("c.db/"): the catalog is there; the separator is the mistake.
            throw new CatalogException(CatalogErrorCode.NotACatalog, full,
                $"'{spelling}' ends with a separator, which names a folder, but '{folder}' is a file. Leave out the trailing separator: -Database '{folder}'.");
        }
        throw new CatalogException(CatalogErrorCode.NotACatalog, full,
            $"'{spelling}' names a folder, not a catalog file (it ends with {(Path.EndsInDirectorySeparator(spelling) ? "a separator" : $"'{Path.GetFileName(spelling)}'")}). " +
            $"Give the path of a file, for example '{Path.Join(folder, "catalog.db")}'.");
    }

    /// <summary>
    /// Refuses, without changing or creating anything, a file that is not a catalog or is a catalog of a
    /// newer ScanTools. Missing or empty files pass: they become catalogs. With <paramref name="createNothing"/>,
    /// a catalog whose log is empty is read as immutable, so not even its -wal and -shm files are created.
    /// </summary>
    public static void ThrowIfForeign(string path, bool createNothing = false)
    {
        RefuseFolder(path);
        var info = new FileInfo(path);
        if (!info.Exists || info.Length == 0)
        {
            return;
        }
        CheckHeader(path);
        foreach (bool immutable in CatalogFiles.WalIsEmpty(path) && (createNothing || IsFrozen(path)) ? new[] { true } : new[] { false, true })
        {
            using var connection = new SqliteConnection(immutable ? ImmutableConnectionString(path) : ConnectionString(path, SqliteOpenMode.ReadOnly));
            try
            {
                connection.Open();
                WaitWhenBusy(connection);
                CheckIdentity(connection, path);
                return;
            }
            catch (SqliteException ex) when (!immutable && (ex.SqliteErrorCode & 0xFF) is SqliteCantOpen or SqliteReadOnly or SqliteIoErr && CatalogFiles.WalIsEmpty(path))
            {
                // Read-only media or folder: look at the file as it is (whether it may be written is the lock's to say).
            }
            catch (SqliteException ex)
            {
                throw Translate(ex, path, writing: false);
            }
        }
    }

    /// <summary>
    /// Opens a read-only connection to an existing catalog of the current schema. It creates nothing next
    /// to a catalog of another account or next to a catalog file that is read-only, and reads a catalog on
    /// read-only media: in these cases, when the write-ahead log holds nothing, it opens the catalog file as
    /// immutable (no index file needed).
    /// </summary>
    public static SqliteConnection OpenForReading(string path)
    {
        RefuseFolder(path);
        if (!File.Exists(path))
        {
            if (CannotLookUp(path) is string denied)
            {
                throw new CatalogException(CatalogErrorCode.ReadOnly, path,
                    $"This account cannot look into the folder of the catalog '{path}' ({denied}). Use an account that can read it, or choose another -Database.");
            }
            throw new CatalogException(CatalogErrorCode.NotFound, path,
                $"There is no catalog at '{path}'. Run Start-Scan to create one, or give the right -Database.");
        }
        CheckHeader(path);
        if (new FileInfo(path).Length == 0)
        {
            throw new CatalogException(CatalogErrorCode.NotFound, path,
                $"'{path}' is an empty file, not a catalog yet. Start-Scan or Write-Finding with -Database '{path}' turns an empty file into a new catalog; or give the right -Database.");
        }
        // A reader of another account must not create the index file: its owner could not write it afterwards.
        // Nor may a reader of a read-only catalog file open it normally: SQLite would give the side files it
        // creates, and an empty log it opens, the catalog's read-only mode, and its owner's writer could not
        // open them once the catalog is writable again.
        bool immutable = CatalogFiles.WalIsEmpty(path) && (IsFrozen(path) || (!File.Exists(CatalogFiles.Shm(path)) && IsSomeoneElses(path)));
        try
        {
            return OpenReader(path, immutable);
        }
        catch (SqliteException ex) when (!immutable && (ex.SqliteErrorCode & 0xFF) is SqliteCantOpen or SqliteReadOnly or SqliteIoErr)
        {
            // Read-only media, or a folder this account cannot write: SQLite cannot create the index file.
            if (CatalogFiles.WalIsEmpty(path))
            {
                try
                {
                    return OpenReader(path, immutable: true);
                }
                catch (SqliteException again)
                {
                    throw Translate(again, path, writing: false);
                }
            }
            throw new CatalogException(CatalogErrorCode.ReadOnly, path,
                $"The catalog '{path}' cannot be read here: its write-ahead log ('{CatalogFiles.Wal(path)}') holds commits that are not in the catalog file yet, " +
                $"and this account cannot create the log's index next to it (read-only media, or a folder it cannot write). Open it once where it can be written " +
                $"(any ScanTools command folds the log back), then copy or mount it again. SQLite said: {ex.Message}", ex);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, path, writing: false); // damaged, not a database: the same errors a writer gives
        }
    }

    /// <summary>
    /// A catalog file no writer can change: without any write permission, and either this account cannot write it, or
    /// it has no -shm file. Root can write any file, but ScanTools' writers refuse a file without write permission
    /// (CatalogFiles.NoOneMayWrite), so only a writer that opened it before its mode changed could still write it, and
    /// such a writer keeps a -shm file beside it; without one, root read it normally and created a -shm and a -wal.
    /// </summary>
    private static bool IsFrozen(string path) =>
        CatalogFiles.IsReadOnlyFile(path) && (!CatalogFiles.CanWrite(path) || (CatalogFiles.NoOneMayWrite(path) && !File.Exists(CatalogFiles.Shm(path))));

    private static bool IsSomeoneElses(string path) =>
        !OperatingSystem.IsWindows() && Sessions.Ipc.UnixUser.EffectiveUserId != 0
        && CatalogFiles.OwnerOf(path) is uint owner && owner != Sessions.Ipc.UnixUser.EffectiveUserId;

    private static SqliteConnection OpenReader(string path, bool immutable)
    {
        var connection = new SqliteConnection(immutable ? ImmutableConnectionString(path) : ConnectionString(path, SqliteOpenMode.ReadOnly));
        try
        {
            connection.Open();
            WaitWhenBusy(connection);
            Execute(connection, "PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;");
            int version = CheckIdentity(connection, path);
            if (version < CatalogSchema.OldestReadableVersion)
            {
                throw new CatalogException(CatalogErrorCode.OpenFailed, path,
                    $"The catalog '{path}' has schema version {version}; this ScanTools reads versions {CatalogSchema.OldestReadableVersion} to {CatalogSchema.CurrentVersion}. " +
                    "It is upgraded the next time ScanTools writes to it (for example Start-Scan or Optimize-ScanCatalog); where it cannot be written, copy it to writable storage and write to the copy once.");
            }
            return connection;
        }
        catch (SqliteException) when (!immutable)
        {
            connection.Dispose();
            throw; // the caller decides whether an immutable open can help
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(ex, path, writing: false);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>A read-only URI open with immutable=1: no locks, no index file; only for a catalog with an empty log.</summary>
    private static string ImmutableConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = new Uri(Path.GetFullPath(path)).AbsoluteUri + "?immutable=1",
        Mode = SqliteOpenMode.ReadOnly,
        Cache = SqliteCacheMode.Private,
        Pooling = false,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// Lets SQLite itself wait for a lock another connection holds briefly, retrying within milliseconds.
    /// Otherwise Microsoft.Data.Sqlite answers SQLITE_BUSY by sleeping 150 ms per retry (measured as a
    /// 150 ms stall when a new writer opened while the old one closed).
    /// </summary>
    internal static void WaitWhenBusy(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, 30_000);

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Cache = SqliteCacheMode.Private,
        Pooling = false, // a pooled handle keeps the file open after Dispose (and locked, on Windows)
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>A folder given as the catalog: say so, instead of a permission or not-found error.</summary>
    /// <summary>
    /// Refuses a path that exists but is not a regular file (a folder, a FIFO, a device such as /dev/null),
    /// before anything opens it: opening a FIFO waits forever, and SQLite would write next to a device.
    /// </summary>
    private static void RefuseFolder(string path)
    {
        if (Directory.Exists(path))
        {
            throw new CatalogException(CatalogErrorCode.NotACatalog, path,
                $"'{path}' is a folder, not a catalog file. Give the path of a file, for example '{Path.Join(path, "catalog.db")}'.");
        }
        if (Platform.FileStat.TryStat(path, follow: true, out Platform.EntryStat stat) == Platform.StatFailure.None
            && stat.Kind == Platform.EntryKind.Special)
        {
            throw new CatalogException(CatalogErrorCode.NotACatalog, path,
                $"'{path}' is not a regular file (a FIFO, socket or device), so it cannot be a catalog. Give the path of a catalog file.");
        }
    }

    /// <summary>
    /// Refuses to write a catalog whose name is too long for the files ScanTools keeps beside it
    /// (<see cref="CatalogFiles.NameTooLong"/>), or a catalog file that has more than one name (hard links). SQLite keeps a database's log, its
    /// shared memory and ScanTools its writer lock beside the name it was opened by, so a writer through each name would
    /// both write at once and damage the file (sqlite.org/howtocorrupt.html, 2.5). Reading through any name is allowed.
    /// </summary>
    internal static void RefuseUnwritableName(string path)
    {
        if (CatalogFiles.NameTooLong(path) is string tooLong)
        {
            throw new CatalogException(CatalogErrorCode.OpenFailed, path, tooLong);
        }
        if (!OperatingSystem.IsWindows() && Platform.FileStat.TryStat(path, follow: true, out Platform.EntryStat stat) == Platform.StatFailure.None
            && stat.Kind == Platform.EntryKind.File && stat.Links is > 1)
        {
            throw new CatalogException(CatalogErrorCode.OpenFailed, path,
                $"The catalog '{path}' has {stat.Links} names (hard links), so ScanTools cannot keep one writer for it: SQLite keeps its log and locks beside each name, and writers through two names would damage it. " +
                $"Keep one name and remove the others (find / -xdev -samefile '{path}' lists them), or scan into a copy (cp). Reading through any name works.");
        }
    }

    /// <summary>Why the path cannot even be looked up (a folder on the way this account may not enter), or null.</summary>
    private static string? CannotLookUp(string path)
    {
        try
        {
            _ = File.GetAttributes(path);
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Catalog files whose header this process has read: SQLite may hold locks on them now.</summary>
    private static readonly HashSet<string> HeaderChecked = new(Platform.PathComparison.Comparer);

    /// <summary>
    /// Rejects a file that is not SQLite before SQLite itself gets a chance to misreport it. Only once per file
    /// and process: the header is read through a descriptor of our own, and closing any descriptor of a file
    /// releases every POSIX lock the process holds on it, SQLite's included (SQLite's connections of this process
    /// would lose their locks, and another process could then rebuild a -shm file mapped here: SIGBUS). Every
    /// SQLite connection to a catalog opens after this check, which is done under one lock, so none is open while
    /// the header is read.
    /// </summary>
    private static void CheckHeader(string path)
    {
        string key = Path.GetFullPath(path);
        lock (HeaderChecked)
        {
            if (HeaderChecked.Contains(key))
            {
                return;
            }
            ReadHeader(path);
            HeaderChecked.Add(key);
        }
    }

    private static void ReadHeader(string path)
    {
        var header = new byte[SqliteHeader.Length];
        int read;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CatalogException(CatalogErrorCode.ReadOnly, path,
                $"The catalog '{path}' cannot be read: permission denied. Use an account that can read it, or choose another -Database.", ex);
        }
        if (read == 0)
        {
            return; // an empty file becomes a new catalog
        }
        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
        {
            throw new CatalogException(CatalogErrorCode.NotACatalog, path,
                $"'{path}' is not a ScanTools catalog (it is not an SQLite database). Choose another -Database; ScanTools does not overwrite other files.");
        }
    }

    /// <summary>Returns the schema version, or throws if the file belongs to something else or to a newer ScanTools.</summary>
    private static int CheckIdentity(SqliteConnection connection, string path)
    {
        long appId = Scalar<long>(connection, "PRAGMA application_id;");
        long version = Scalar<long>(connection, "PRAGMA user_version;");
        if (appId == 0)
        {
            long objects = Scalar<long>(connection, "SELECT count(*) FROM sqlite_schema;");
            if (objects == 0)
            {
                return 0; // empty: a new catalog
            }
        }
        if (appId != CatalogSchema.ApplicationId)
        {
            throw new CatalogException(CatalogErrorCode.NotACatalog, path,
                $"'{path}' is an SQLite database of another application, not a ScanTools catalog. Choose another -Database; ScanTools does not change other databases.");
        }
        if (version > CatalogSchema.CurrentVersion)
        {
            throw new CatalogException(CatalogErrorCode.NewerSchema, path,
                $"The catalog '{path}' has schema version {version}, written by a newer ScanTools; this one understands up to version {CatalogSchema.CurrentVersion}. Update the ScanTools module to use it.");
        }
        return (int)version;
    }

    private static void Migrate(SqliteConnection connection, string path)
    {
        // BEGIN IMMEDIATE takes the write lock first, so two processes cannot both migrate.
        Execute(connection, "BEGIN IMMEDIATE;");
        try
        {
            int version = CheckIdentity(connection, path);
            for (int v = version; v < CatalogSchema.CurrentVersion; v++)
            {
                Execute(connection, CatalogSchema.Migrations[v]);
                CatalogSchema.AfterMigration(v, connection);
            }
            if (version < CatalogSchema.CurrentVersion)
            {
                Execute(connection, $"PRAGMA application_id = {CatalogSchema.ApplicationId}; PRAGMA user_version = {CatalogSchema.CurrentVersion};");
            }
            Execute(connection, "COMMIT;");
        }
        catch
        {
            if (!connection.State.Equals(System.Data.ConnectionState.Closed))
            {
                try
                {
                    Execute(connection, "ROLLBACK;");
                }
                catch (SqliteException)
                {
                    // No transaction left to roll back.
                }
            }
            throw;
        }
    }

    /// <summary>Turns an SQLite failure into a catalog error that says what to do.</summary>
    public static CatalogException Translate(SqliteException ex, string path, bool writing)
    {
        // SQLite's message ends with a full stop: "(... 'database disk image is malformed'.)." read doubled (newcomer test 75).
        static string Said(SqliteException e) => e.Message.TrimEnd().TrimEnd('.');
        int primary = ex.SqliteErrorCode & 0xFF;
        return primary switch
        {
            SqliteReadOnly or SqlitePerm => ReadOnlyError(path, ex),
            SqliteNotADb => new CatalogException(CatalogErrorCode.NotACatalog, path,
                $"'{path}' is not a ScanTools catalog (SQLite says: {Said(ex)}). Choose another -Database; ScanTools does not overwrite other files.", ex),
            SqliteCorrupt => new CatalogException(CatalogErrorCode.Corrupt, path,
                $"The catalog '{path}' is damaged ({Said(ex)}). Restore it from a backup, or move it aside and scan again into a new catalog.", ex),
            SqliteFull => new CatalogException(CatalogErrorCode.WriteFailed, path,
                $"The catalog '{path}' cannot grow: the disk (or the catalog's size limit) is full. Free space and run the scan again.", ex),
            SqliteCantOpen when writing => new CatalogException(CatalogErrorCode.ReadOnly, path,
                $"The catalog '{path}' cannot be opened for writing ({Said(ex)}). Check that its folder is writable.", ex),
            // ScanTools' own commands share one writer and never wait on each other: a lock held past SQLite's 30 s wait is
            // another program's. The bare "database is locked" was the very error the README says nobody sees (newcomer test 80).
            SqliteBusy => new CatalogException(writing ? CatalogErrorCode.WriteFailed : CatalogErrorCode.OpenFailed, path,
                $"The catalog '{path}' stayed locked by another program for more than 30 s ({Said(ex)}): a program other than ScanTools (sqlite3, a database browser, a backup or sync tool) holds a transaction open on it. ScanTools' own commands share one writer and do not lock each other out. Close that program or let it finish (fuser or lsof on the catalog names it), then run the command again.", ex),
            SqliteIoErr when writing => new CatalogException(CatalogErrorCode.WriteFailed, path,
                $"Writing the catalog '{path}' failed with an I/O error ({Said(ex)}). Check the disk.", ex),
            _ => new CatalogException(writing ? CatalogErrorCode.WriteFailed : CatalogErrorCode.OpenFailed, path,
                $"The catalog '{path}' could not be {(writing ? "written" : "read")}: {Said(ex)} (SQLite extended code {ex.SqliteExtendedErrorCode}).", ex),
        };
    }

    private static CatalogException ReadOnlyError(string path, Exception? inner) =>
        (CatalogFiles.UnwritableCatalog(path) ?? CatalogFiles.UnwritableCompanion(path)) is string why
            ? new(CatalogErrorCode.ReadOnly, path, $"The catalog '{path}' cannot be written: {why}", inner)
            : new(CatalogErrorCode.ReadOnly, path,
                $"The catalog '{path}' is read-only: ScanTools cannot write to it or to its folder. Give your account write access, or choose another -Database.",
                inner);

    /// <summary>
    /// Runs SQLite's <c>PRAGMA quick_check</c> on <paramref name="connection"/>'s database (every page of every table and
    /// index read and its structure checked; about 0.3 s a million files here) and returns null when it passes, else what
    /// it found, fit for one line of a message: its first 10 problems and how many more. SQLite gives the problems as rows,
    /// some of several lines each (a damaged catalog's whole list was one message line of thousands of characters).
    /// </summary>
    internal static string? QuickCheckProblems(SqliteConnection connection)
    {
        const int Shown = 10;
        const int Asked = 100; // quick_check stops after this many problems
        var problems = new List<string>();
        try
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"PRAGMA quick_check({Asked});";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                problems.AddRange((reader.IsDBNull(0) ? string.Empty : reader.GetString(0))
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(line => !line.StartsWith("***", StringComparison.Ordinal))); // "*** in database main ***"
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26) // SQLITE_CORRUPT, SQLITE_NOTADB: too damaged to check
        {
            problems.Add(ex.Message);
        }
        if (problems is ["ok"])
        {
            return null;
        }
        string shown = string.Join("; ", problems.Take(Shown));
        return problems.Count <= Shown ? shown
            : $"{shown}; and {problems.Count - Shown:N0} more{(problems.Count >= Asked ? " (the check stops at " + Asked + ")" : string.Empty)}";
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static T? Scalar<T>(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = command.ExecuteScalar();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>How hard a commit waits for the disk.</summary>
public enum Durability
{
    /// <summary>
    /// WAL with synchronous=NORMAL: a crash of the process loses nothing committed; a power cut may lose
    /// the last transactions. Fast; the default.
    /// </summary>
    Normal = 0,

    /// <summary>WAL with synchronous=FULL: every commit reaches the disk before it is acknowledged.</summary>
    Full = 1,
}
