using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Bench;

/// <summary>
/// Write throughput on the catalog schema: the limit of one connection, the approaches users write
/// instead (autocommit, a connection per thread), and WriterSession with 8 producers.
/// </summary>
public static class WriteBenchmarks
{
    private const int FilesPerListing = 1_000;

    /// <summary>Listings of synthetic records, made once and shared by every measurement so all bind the same data.</summary>
    public static List<DirectoryListing> MakeListings(int rows, Guid run)
    {
        var listings = new List<DirectoryListing>(rows / FilesPerListing + 1);
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int d = 0; d * FilesPerListing < rows; d++)
        {
            string dir = $"/bench/d{d / 100:D4}/d{d:D6}";
            int n = Math.Min(FilesPerListing, rows - d * FilesPerListing);
            var files = new List<FileRecord>(n);
            for (int i = 0; i < n; i++)
            {
                files.Add(new FileRecord(dir, $"file{i:D5}.dat")
                {
                    Length = (d * 7919L + i * 104729L) % 10_000_000,
                    LastWriteTimeUtc = epoch.AddSeconds(d * 1000 + i),
                    CreationTimeUtc = epoch,
                    Attributes = FileAttributes.Normal,
                    UnixStatMode = 0x81A4,
                });
            }
            listings.Add(new DirectoryListing { RunKey = run, DirectoryPath = dir, Files = files, Mode = ListingMode.Walk, IsComplete = true });
        }
        return listings;
    }

    /// <summary>A new, empty catalog with the current schema, created through the engine.</summary>
    public static string NewCatalog(string folder, string name)
    {
        string db = Path.Combine(folder, name);
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        var registry = new WriterSessionRegistry();
        using (WriterSessionLease lease = registry.Acquire(db))
        {
        }
        return db;
    }

    public static SqliteConnection Open(string db, string synchronous)
    {
        var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        Exec(c, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
        return c;
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private const string InsertFile = """
        INSERT INTO files (dir_id, name, extension, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, first_scan_id, last_scan_id)
        VALUES ($dir, $name, $ext, $size, $mtime, $btime, $attr, $mode, 0, 0, NULL, NULL, 1, 1);
        """;

    /// <summary>The columns the session's writer fills for a file, in its parameter order (?13 is the run, twice).</summary>
    private const string FileColumns = "dir_id, name, extension, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, first_scan_id, last_scan_id, ctime, device, inode, links, uid, gid, rules_key";

    private const int RowParameters = 21;

    /// <summary>The session's row with every column a parameter, as a loader must when the values vary by file.</summary>
    private const string InsertFileAllBound = $"INSERT INTO files ({FileColumns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?15, ?16, ?17, ?18, ?19, ?20, ?21);";

    private static SqliteCommand PrepareInsert(SqliteConnection c)
    {
        SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = InsertFile;
        foreach (string p in new[] { "$dir", "$name", "$ext", "$size", "$mtime", "$btime", "$attr", "$mode" })
        {
            cmd.Parameters.Add(new SqliteParameter(p, null));
        }
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, long dir, FileRecord f)
    {
        cmd.Parameters[0].Value = dir;
        cmd.Parameters[1].Value = f.Name;
        cmd.Parameters[2].Value = f.Extension;
        cmd.Parameters[3].Value = f.Length;
        cmd.Parameters[4].Value = f.LastWriteTimeUtc.Ticks;
        cmd.Parameters[5].Value = f.CreationTimeUtc!.Value.Ticks;
        cmd.Parameters[6].Value = (long)f.Attributes;
        cmd.Parameters[7].Value = (long)f.UnixStatMode!.Value;
    }

    private static long InsertDirectory(SqliteConnection c, SqliteTransaction? tx, string path)
    {
        using SqliteCommand cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO directories (path, first_scan_id) VALUES ($p, 1) RETURNING id;";
        cmd.Parameters.AddWithValue("$p", path);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>
    /// The limit: one connection, plain prepared inserts of the row the session writes (all its columns), 10,000 rows a
    /// transaction, no session, no channel, no upsert; the log folded back by the session's own background checkpointer
    /// (<see cref="WalCheckpointer"/>), not inside commits. Bound through SQLite's C functions by pointer
    /// (<see cref="SqliteNative"/>, the fastest binding measured here: 18 ns a bind against 31 through SQLitePCLRaw's
    /// SafeHandles), and a column NULL in every row (these synthetic files have no owner, inode or hash) bound once.
    /// </summary>
    public static double RawBatchedInsert(string folder, List<DirectoryListing> listings)
    {
        string db = NewCatalog(folder, "raw.db");
        using SqliteConnection c = Open(db, "NORMAL");
        Exec(c, "PRAGMA wal_autocheckpoint = 0;"); // checkpoints on their own thread and connection, as the session's
        using var checkpointer = new WalCheckpointer(db);
        sqlite3 h = c.Handle!;
        Check(h, raw.sqlite3_prepare_v2(h, InsertFileAllBound, out sqlite3_stmt insert));
        Check(h, raw.sqlite3_prepare_v2(h, InsertDirectoryReturningId, out sqlite3_stmt dirInsert));
        long rows = 0;
        var utf8 = new byte[1024];
        var sw = Stopwatch.StartNew();
        raw.sqlite3_exec(h, "BEGIN");
        foreach (DirectoryListing l in listings)
        {
            long dir = InsertDirectoryRaw(dirInsert, l.DirectoryPath, utf8);
            BindShared(insert, dir);
            foreach (FileRecord f in l.Files)
            {
                BindRaw(insert, 0, f, utf8);
                Check(h, raw.sqlite3_step(insert), raw.SQLITE_DONE);
                raw.sqlite3_reset(insert);
                if (++rows % 10_000 == 0)
                {
                    raw.sqlite3_exec(h, "COMMIT");
                    raw.sqlite3_exec(h, "BEGIN");
                }
            }
        }
        raw.sqlite3_exec(h, "COMMIT");
        sw.Stop();
        raw.sqlite3_finalize(insert);
        raw.sqlite3_finalize(dirInsert);
        return rows / sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The same load with multi-row statements: <paramref name="perStatement"/> rows per INSERT ... VALUES (...), (...),
    /// so SQLite starts and resets its program once per group of rows, not per row; the rows share the folder and run
    /// parameters. The rows of a folder that do not fill a group go one statement each.
    /// </summary>
    public static double RawMultiRowInsert(string folder, List<DirectoryListing> listings, int perStatement = 32)
    {
        string db = NewCatalog(folder, "raw-multi.db");
        using SqliteConnection c = Open(db, "NORMAL");
        Exec(c, "PRAGMA wal_autocheckpoint = 0;"); // checkpoints on their own thread and connection, as the session's
        using var checkpointer = new WalCheckpointer(db);
        sqlite3 h = c.Handle!;
        string values = string.Join(", ", Enumerable.Range(0, perStatement).Select(r =>
            "(?1, " + string.Join(", ", Enumerable.Range(2, RowParameters - 1).Where(k => k != 14).Select(k => k == 13 ? "?13, ?13" : "?" + (r * RowParameters + k))) + ")"));
        Check(h, raw.sqlite3_prepare_v2(h, $"INSERT INTO files ({FileColumns}) VALUES " + values + ";", out sqlite3_stmt multi));
        Check(h, raw.sqlite3_prepare_v2(h, InsertFileAllBound, out sqlite3_stmt single));
        Check(h, raw.sqlite3_prepare_v2(h, InsertDirectoryReturningId, out sqlite3_stmt dirInsert));
        long rows = 0, sinceCommit = 0;
        var utf8 = new byte[1024];
        var sw = Stopwatch.StartNew();
        raw.sqlite3_exec(h, "BEGIN");
        foreach (DirectoryListing l in listings)
        {
            long dir = InsertDirectoryRaw(dirInsert, l.DirectoryPath, utf8);
            BindShared(multi, dir);
            BindShared(single, dir);
            int i = 0;
            for (; i + perStatement <= l.Files.Count; i += perStatement)
            {
                for (int r = 0; r < perStatement; r++)
                {
                    BindRaw(multi, r * RowParameters, l.Files[i + r], utf8);
                }
                Check(h, raw.sqlite3_step(multi), raw.SQLITE_DONE);
                raw.sqlite3_reset(multi);
            }
            for (; i < l.Files.Count; i++)
            {
                BindRaw(single, 0, l.Files[i], utf8);
                Check(h, raw.sqlite3_step(single), raw.SQLITE_DONE);
                raw.sqlite3_reset(single);
            }
            rows += l.Files.Count;
            sinceCommit += l.Files.Count;
            if (sinceCommit >= 10_000)
            {
                raw.sqlite3_exec(h, "COMMIT");
                raw.sqlite3_exec(h, "BEGIN");
                sinceCommit = 0;
            }
        }
        raw.sqlite3_exec(h, "COMMIT");
        sw.Stop();
        raw.sqlite3_finalize(multi);
        raw.sqlite3_finalize(single);
        raw.sqlite3_finalize(dirInsert);
        return rows / sw.Elapsed.TotalSeconds;
    }

    private const string InsertDirectoryReturningId = "INSERT INTO directories (path, first_scan_id) VALUES (?1, 1) RETURNING id;";

    /// <summary>Inserts a folder with <see cref="InsertDirectoryReturningId"/>, its path as UTF-8 from <paramref name="utf8"/> (the encoding the session uses: no allocation); its id.</summary>
    private static long InsertDirectoryRaw(sqlite3_stmt dirInsert, string path, byte[] utf8)
    {
        raw.sqlite3_bind_text(dirInsert, 1, utf8.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(path, utf8)));
        raw.sqlite3_step(dirInsert);
        long dir = raw.sqlite3_column_int64(dirInsert, 0);
        raw.sqlite3_reset(dirInsert);
        return dir;
    }

    /// <summary>The folder (?1) and run (?13) of every row of a statement.</summary>
    private static unsafe void BindShared(sqlite3_stmt st, long dir)
    {
        SqliteNative.BindInt64(st.DangerousGetHandle(), 1, dir);
        SqliteNative.BindInt64(st.DangerousGetHandle(), 13, 1);
    }

    /// <summary>
    /// Binds one file's varying columns at parameters <paramref name="at"/> + 2..12, its text as UTF-8 from
    /// <paramref name="utf8"/> (SQLite copies it). The columns these synthetic files leave NULL (link target, hash,
    /// change time, device, inode, links, owner, group, rules mark) stay as prepared: NULL.
    /// </summary>
    private static unsafe void BindRaw(sqlite3_stmt st, int at, FileRecord f, byte[] utf8)
    {
        IntPtr s = st.DangerousGetHandle();
        fixed (byte* p = utf8)
        {
            SqliteNative.BindText(s, at + 2, p, System.Text.Encoding.UTF8.GetBytes(f.Name, utf8), SqliteNative.Transient);
            SqliteNative.BindText(s, at + 3, p, System.Text.Encoding.UTF8.GetBytes(Path.GetExtension(f.Name.AsSpan()), utf8), SqliteNative.Transient);
        }
        SqliteNative.BindInt64(s, at + 4, f.Length);
        SqliteNative.BindInt64(s, at + 5, f.LastWriteTimeUtc.Ticks);
        SqliteNative.BindInt64(s, at + 6, f.CreationTimeUtc!.Value.Ticks);
        SqliteNative.BindInt64(s, at + 7, (long)f.Attributes);
        SqliteNative.BindInt64(s, at + 8, f.UnixStatMode!.Value);
        SqliteNative.BindInt64(s, at + 9, (long)f.Kind);
        SqliteNative.BindInt64(s, at + 10, f.IsLink ? 1 : 0);
    }

    private static void Check(sqlite3 h, int rc, int expected = 0)
    {
        if (rc != expected)
        {
            throw new InvalidOperationException(raw.sqlite3_errmsg(h).utf8_to_string());
        }
    }

    /// <summary>The seeds' writer: one row per autocommit statement, synchronous=FULL.</summary>
    public static double SeedAutocommit(string folder, List<DirectoryListing> listings, int rows)
    {
        string db = NewCatalog(folder, "seed.db");
        using SqliteConnection c = Open(db, "FULL");
        using SqliteCommand insert = PrepareInsert(c);
        int done = 0;
        var sw = Stopwatch.StartNew();
        foreach (DirectoryListing l in listings)
        {
            long dir = InsertDirectory(c, null, l.DirectoryPath);
            foreach (FileRecord f in l.Files)
            {
                Bind(insert, dir, f);
                insert.ExecuteNonQuery();
                if (++done == rows)
                {
                    return done / sw.Elapsed.TotalSeconds;
                }
            }
        }
        return done / sw.Elapsed.TotalSeconds;
    }

    /// <summary>The naive parallel writer: 8 threads, a connection each, autocommit (Microsoft.Data.Sqlite retries SQLITE_BUSY).</summary>
    public static double NaiveThreads(string folder, List<DirectoryListing> listings, int rowsPerThread, int threads = 8)
    {
        string db = NewCatalog(folder, "naive.db");
        long total = 0;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            using SqliteConnection c = Open(db, "NORMAL");
            using SqliteCommand insert = PrepareInsert(c);
            DirectoryListing l = listings[t % listings.Count];
            long dir = InsertDirectory(c, null, l.DirectoryPath + "/t" + t);
            for (int i = 0; i < rowsPerThread; i++)
            {
                Bind(insert, dir, l.Files[i % l.Files.Count]);
                insert.Parameters[1].Value = $"t{t}-{i}.dat";
                insert.ExecuteNonQuery();
                Interlocked.Increment(ref total);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return total / sw.Elapsed.TotalSeconds;
    }

    /// <summary>8 producer threads handing the listings to one WriterSession; timed until everything is committed.</summary>
    public static double SessionProducers(string folder, List<DirectoryListing> listings, int producers = 8, WriterSessionOptions? options = null)
    {
        string db = NewCatalog(folder, "session.db");
        var registry = new WriterSessionRegistry();
        long rows = listings.Sum(l => l.Files.Count);
        var sw = Stopwatch.StartNew();
        using (WriterSessionLease lease = registry.Acquire(db, options))
        {
            lease.Write(new ScanRunStart { RunKey = listings[0].RunKey, StartedUtc = DateTime.UtcNow });
            var workers = Enumerable.Range(0, producers).Select(p => new Thread(() =>
            {
                for (int i = p; i < listings.Count; i += producers)
                {
                    lease.Write(listings[i]);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            lease.Flush();
            sw.Stop();
        }
        return rows / sw.Elapsed.TotalSeconds;
    }
}
