using System.Diagnostics;
using Microsoft.Data.Sqlite;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage.Writes;

namespace ScanTools.Storage;

/// <summary>What <see cref="CatalogMaintenance.Prune"/> removes: each limit applies only when given.</summary>
public sealed record CatalogPruneOptions
{
    /// <summary>Runs that ended more than this many days ago (and the files they found removed) go; null: any age.</summary>
    public int? OlderThanDays { get; init; }

    /// <summary>The newest this many runs stay, whatever their age; null: no such floor.</summary>
    public int? KeepRuns { get; init; }

    /// <summary>Refresh SQLite's statistics and return free pages after pruning (PRAGMA optimize, incremental_vacuum).</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>Count what would go, and change nothing.</summary>
    public bool WhatIf { get; init; }

    /// <summary>
    /// With <see cref="Optimize"/>, check the whole catalog first (SQLite's quick_check, about 0.3 s a million files) and stop
    /// at damage with CatalogCorrupt naming what it found; with <see cref="WhatIf"/> too. False when the caller just checked
    /// it (Optimize-ScanCatalog plans with WhatIf, then prunes).
    /// </summary>
    public bool CheckIntegrity { get; init; } = true;

    /// <summary>"Now" for <see cref="OlderThanDays"/> (tests); the clock by default.</summary>
    public DateTime? NowUtc { get; init; }

    /// <summary>The writer session registry (tests); the process-wide one by default.</summary>
    public WriterSessionRegistry? Registry { get; init; }
}

/// <summary>What a prune removed (or, with -WhatIf, would remove).</summary>
public sealed record CatalogPruneResult
{
    /// <summary>The catalog's full path.</summary>
    public required string Database { get; init; }

    /// <summary>The ids of the runs removed, oldest first.</summary>
    public required IReadOnlyList<long> RunIds { get; init; }

    /// <summary>How many runs.</summary>
    public int Runs => RunIds.Count;

    /// <summary>Rows of files those runs found removed.</summary>
    public long RemovedFiles { get; init; }

    /// <summary>Error items of those runs.</summary>
    public long ErrorItems { get; init; }

    /// <summary>Changes those runs recorded, counted as Get-ScanChange -ScanId lists them (a folder found new is one change a file).</summary>
    public long Changes { get; init; }

    /// <summary>Findings those runs resolved.</summary>
    public long ResolvedFindings { get; init; }

    /// <summary>Whether statistics were refreshed and free pages returned.</summary>
    public bool Optimized { get; init; }

    /// <summary>True when nothing was changed (-WhatIf).</summary>
    public bool WhatIf { get; init; }
}

/// <summary>A consistent copy of a catalog (see <see cref="CatalogMaintenance.Backup"/>).</summary>
public sealed record CatalogBackupResult
{
    /// <summary>The catalog copied.</summary>
    public required string Database { get; init; }

    /// <summary>The copy's full path.</summary>
    public required string Path { get; init; }

    /// <summary>The copy's size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>Present files the copy holds.</summary>
    public long Files { get; init; }

    /// <summary>Runs the copy holds.</summary>
    public long Runs { get; init; }

    /// <summary>The newest run id in the copy (0 when none).</summary>
    public long LastRunId { get; init; }

    /// <summary>How long the copy took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Runs that were still running when the copy was taken. The copy records them Cancelled, with a message that says so
    /// and what they had committed by then; the catalog copied from records their real ends.
    /// </summary>
    public long RunsInProgress { get; init; }
}

/// <summary>Keeping a catalog healthy for years: pruning history, optimizing, and consistent online backups.</summary>
public static class CatalogMaintenance
{
    /// <summary>
    /// Removes the history of old runs: runs that have ended (never one still running, never the newest completed
    /// scan) beyond the limits of <paramref name="options"/>, with their error items, change records and the findings
    /// they resolved, and the rows of files they found removed; then optimizes. The removal is one write through the
    /// catalog's writer session, so it commits between the batches of scans that run meanwhile, in any process.
    /// </summary>
    /// <exception cref="CatalogException">The catalog cannot be read or written.</exception>
    /// <exception cref="ArgumentException">A limit is out of range.</exception>
    public static CatalogPruneResult Prune(string databasePath, CatalogPruneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.OlderThanDays is < 0 || options.KeepRuns is < 0)
        {
            throw new ArgumentException("OlderThanDays and KeepRuns cannot be negative.", nameof(options));
        }
        DateTime? cutoff = options.OlderThanDays is int days ? (options.NowUtc ?? DateTime.UtcNow).AddDays(-days) : null;
        bool pruning = options.OlderThanDays is not null || options.KeepRuns is not null;
        PrunePlan plan;
        string path;
        using (CatalogReader reader = CatalogReader.Open(databasePath))
        {
            path = reader.DatabasePath;
            if (options.Optimize && options.CheckIntegrity)
            {
                // A scan reads and writes only the pages of the folders it walks, so damage elsewhere in the catalog went
                // unnoticed by scheduled scans of a subfolder, which ended Completed, exit code 0. The care job checks it all,
                // before it plans: the plan's reads met the first damaged page with SQLite's bare "malformed" (newcomer test 75).
                reader.CheckIntegrity();
            }
            plan = pruning ? reader.PlanPrune(cutoff, options.KeepRuns) : new PrunePlan(Array.Empty<long>(), 0, 0, 0, 0);
        }
        var result = new CatalogPruneResult
        {
            Database = path,
            RunIds = plan.RunIds,
            RemovedFiles = plan.RemovedFiles,
            ErrorItems = plan.ErrorItems,
            Changes = plan.Changes,
            ResolvedFindings = plan.ResolvedFindings,
            Optimized = options.Optimize && !options.WhatIf,
            WhatIf = options.WhatIf,
        };
        if (options.WhatIf || (plan.RunIds.Count == 0 && !options.Optimize))
        {
            return result;
        }
        using WriterSessionLease lease = (options.Registry ?? WriterSessionRegistry.Shared).Acquire(path);
        lease.Write(new CatalogPrune { RunKey = Guid.NewGuid(), RunIds = plan.RunIds, Optimize = options.Optimize });
        lease.Flush();
        return result;
    }

    /// <summary>
    /// In a copy just taken: the runs that say Running whose process on this computer no longer exists, ended Failed with the
    /// counts the copy holds and the message <see cref="CatalogWriter.FailAbandonedRuns"/> writes. Catalogs older than
    /// schema 11 (no progress time) are left as they are: their runs are then recorded Cancelled with the others.
    /// </summary>
    private static void FailDeadRuns(SqliteCommand c)
    {
        c.CommandText = "SELECT count(*) FROM pragma_table_info('scan_runs') WHERE name = 'progress_utc';";
        if (Convert.ToInt64(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return;
        }
        var dead = new List<(long Id, int Pid)>();
        c.CommandText = "SELECT id, process_id, started_utc FROM scan_runs WHERE status = 'Running' AND host = $host;";
        c.Parameters.AddWithValue("$host", Environment.MachineName);
        using (SqliteDataReader r = c.ExecuteReader())
        {
            while (r.Read())
            {
                if (!Platform.ProcessLiveness.IsAlive(r.GetInt32(1), new DateTime(r.GetInt64(2), DateTimeKind.Utc)))
                {
                    dead.Add((r.GetInt64(0), r.GetInt32(1)));
                }
            }
        }
        c.Parameters.Clear();
        foreach ((long id, int pid) in dead)
        {
            c.CommandText = CatalogWriter.EndCountedFromCatalog;
            c.Parameters.AddWithValue("$status", nameof(ScanRunStatus.Failed));
            c.Parameters.AddWithValue("$ended", DBNull.Value);
            c.Parameters.AddWithValue("$message", CatalogWriter.AbandonedMessage(pid));
            c.Parameters.AddWithValue("$id", id);
            c.ExecuteNonQuery();
            c.Parameters.Clear();
        }
    }

    /// <summary>
    /// Copies the catalog to <paramref name="destination"/> while scans go on writing it: SQLite's backup API copies
    /// every page in one read transaction of a read-only connection, so the copy holds exactly what was committed
    /// when it started, and the catalog's writer (in any process) is never paused and no second write connection is
    /// opened on the catalog. The copy is written next to the destination, checked (PRAGMA quick_check, and opened as
    /// a catalog), and only then moved into place.
    /// </summary>
    /// <exception cref="CatalogException">The catalog cannot be read, or the copy cannot be written or is not sound.</exception>
    /// <exception cref="ScanArgumentException">The destination is the catalog, a folder, in a missing folder, or exists without <paramref name="overwrite"/>.</exception>
    public static CatalogBackupResult Backup(string databasePath, string destination, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        (string source, string target) = CheckBackupDestination(databasePath, destination, overwrite);
        using (CatalogReader check = CatalogReader.Open(source))
        {
            // A missing file, or one that is not a catalog, is refused before anything is written.
        }
        CatalogFiles.RemoveDeadDrafts(target);
        string draft = CatalogFiles.DraftFor(target, CatalogFiles.PartialInfix);
        var clock = Stopwatch.StartNew();
        long inProgress = 0;
        try
        {
            using (SqliteConnection from = CatalogDatabase.OpenForReading(source))
            using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = draft, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
            {
                to.Open();
                from.BackupDatabase(to); // one step: every page under one read transaction of the catalog
                using SqliteCommand c = to.CreateCommand();
                // WAL, as every catalog is: a command that reads the copy while it writes it (Find-DuplicateFile,
                // Get-Finding | Write-Finding) works as on the catalog. In DELETE mode its reading held off its own
                // writer's switch to WAL for 30 s, then 'database is locked'. Closing this connection folds the log
                // back and removes it, so the copy is still one self-contained file.
                c.CommandText = "PRAGMA journal_mode = WAL;";
                if (!string.Equals(c.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new CatalogException(CatalogErrorCode.WriteFailed, target,
                        $"The copy of '{source}' could not be switched to WAL journaling. Write the backup to a local disk; network shares do not support it.");
                }
                // A run whose process on this computer had ended (killed) is recorded as the catalog's next writer would
                // record it, Failed; a restored copy said Cancelled "in progress", and the kill was lost (newcomer test 83).
                // Neither kind resolved anything, so what their rules read does not count as read (as the writer does).
                c.CommandText = """
                    UPDATE files SET rules_key = NULL
                    WHERE rules_key IS NOT NULL AND last_scan_id IN (
                        SELECT id FROM scan_runs WHERE status = 'Running' AND coalesce(json_array_length(options, '$.RuleIds'), 0) > 0);
                    """;
                c.ExecuteNonQuery();
                FailDeadRuns(c);
                // A run still going when the copy was taken has no end in the copy: it read as Running, then (once its process
                // had ended) as Failed "ended before the run finished", though it completed in the catalog (newcomer test 65).
                c.CommandText = """
                    UPDATE scan_runs SET status = 'Cancelled', ended_utc = $now,
                           message = 'In progress when Backup-ScanCatalog copied the catalog (' || $when || ' UTC): this copy holds what the run had committed by then, and its counts are those it had stored. The catalog copied from, ' || $source || ', records how it ended.'
                    WHERE status = 'Running';
                    """;
                c.Parameters.AddWithValue("$now", DateTime.UtcNow.Ticks);
                c.Parameters.AddWithValue("$when", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
                c.Parameters.AddWithValue("$source", source);
                inProgress = c.ExecuteNonQuery();
                c.Parameters.Clear();
                if (CatalogDatabase.QuickCheckProblems(to) is string verdict)
                {
                    throw new CatalogException(CatalogErrorCode.Corrupt, source,
                        $"The copy of '{source}' failed SQLite's check ({verdict}); it was not kept, and the destination is as it was. The catalog itself is damaged: keep your last good backup, then restore the catalog from it, or move the catalog aside and scan into a new one (about_ScanTools, CatalogCorrupt).");
                }
            }
            long files, runs, last;
            using (CatalogReader copy = CatalogReader.Open(draft))
            {
                (files, runs, last) = copy.Totals();
            }
            // Stopped meanwhile (Ctrl+C): the copy is dropped, and a previous backup at the destination stays.
            cancellationToken.ThrowIfCancellationRequested();
            using (Sessions.WriterLock? held = TakeDestination(target))
            {
                if (overwrite)
                {
                    Platform.ReplacedFile.Replace(draft, target); // a backup replaced with -Force keeps its mode (chmod 444 stayed 444)
                }
                else
                {
                    File.Move(draft, target, overwrite: false);
                }
            }
            return new CatalogBackupResult
            {
                Database = source,
                Path = target,
                Length = new FileInfo(target).Length,
                Files = files,
                Runs = runs,
                LastRunId = last,
                Duration = clock.Elapsed,
                RunsInProgress = inProgress,
            };
        }
        catch (SqliteException ex) when ((ex.SqliteErrorCode & 0xFF) == 13)
        {
            // SQLITE_FULL: said with what to do, not as SQLite's "database or disk is full" alone. The draft is removed below.
            long need = new FileInfo(source).Length;
            throw new CatalogException(CatalogErrorCode.WriteFailed, source,
                $"The backup of '{source}' to '{target}' failed: the disk of '{System.IO.Path.GetDirectoryName(target)}' is full. It needs about {Hosting.ByteSize.Format(need)} free (the catalog's size); free space there or choose another -Destination. The destination is as it was.", ex);
        }
        catch (SqliteException ex)
        {
            throw new CatalogException(CatalogErrorCode.WriteFailed, source, $"The backup of '{source}' to '{target}' failed: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException(CatalogErrorCode.ReadOnly, source, $"The backup of '{source}' could not be written to '{target}': {ex.Message}", ex);
        }
        finally
        {
            foreach (string leftover in new[] { draft, draft + "-journal", draft + "-wal", draft + "-shm" })
            {
                try
                {
                    File.Delete(leftover);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Only a leftover draft.
                }
            }
        }
    }

    /// <summary>
    /// The catalog's full path and the destination's, or the error a backup there would end with, found without
    /// writing anything (what -WhatIf checks): a folder, a folder that does not exist or that this account cannot
    /// write, the catalog itself or one of its files (-wal, -shm, -journal, its locks), an existing file without
    /// <paramref name="overwrite"/>, and with it a file that is not a catalog or is a working catalog (a writer's lock
    /// file beside it) rather than a backup.
    /// </summary>
    /// <exception cref="ScanArgumentException">The destination cannot take the backup; the message says why.</exception>
    public static (string Source, string Target) CheckBackupDestination(string databasePath, string destination, bool overwrite)
    {
        string source = CanonicalPath.Resolve(databasePath);
        // Through a link of this account's own to the backup it names, as the exports write (the link became a plain file,
        // and the backup it named was never updated); every check below is of that file.
        string target = ReplacedFile.ThroughLinks(System.IO.Path.GetFullPath(destination));
        if (target.IndexOfAny(new[] { '*', '?' }) >= 0 && !File.Exists(target))
        {
            throw new ScanArgumentException($"The destination '{target}' has a wildcard character ('*' or '?'): -Destination takes one literal path, not a pattern. Give the backup file's full name.");
        }
        if (Directory.Exists(target))
        {
            throw new ScanArgumentException($"The destination '{target}' is a folder. Give the path of the backup file, for example '{System.IO.Path.Join(target, System.IO.Path.GetFileName(source))}'.");
        }
        string? folder = System.IO.Path.GetDirectoryName(target);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            throw new ScanArgumentException(Platform.FileInTheWay.MissingFolderMessage(folder, "the backup", "choose another -Destination"));
        }
        string targetKey = CanonicalPath.KeyOf(CanonicalPath.Resolve(target));
        if (string.Equals(targetKey, CanonicalPath.KeyOf(source), StringComparison.Ordinal))
        {
            throw new ScanArgumentException($"The destination '{target}' is the catalog itself. Give another file.");
        }
        foreach (string companion in CatalogFiles.CompanionSuffixes)
        {
            if (string.Equals(targetKey, CanonicalPath.KeyOf(source + companion), StringComparison.Ordinal))
            {
                throw new ScanArgumentException($"The destination '{target}' is one of the catalog's own files ({companion}); replacing it would damage the catalog. Give another file.");
            }
        }
        if (System.IO.Path.GetFileName(target).StartsWith(System.IO.Path.GetFileName(source) + CatalogFiles.DraftInfix, Platform.PathComparison.Comparison)
            && string.Equals(System.IO.Path.GetDirectoryName(CanonicalPath.Resolve(target)), System.IO.Path.GetDirectoryName(source), Platform.PathComparison.Comparison))
        {
            throw new ScanArgumentException($"The destination '{target}' is named as a draft of the catalog (NAME.creating-...), which ScanTools deletes. Give another file.");
        }
        if (Platform.FileStat.TryStat(target, follow: true, out Platform.EntryStat there) == Platform.StatFailure.None
            && Platform.FileStat.TryStat(source, follow: true, out Platform.EntryStat catalog) == Platform.StatFailure.None
            && there.Inode is long inode && inode == catalog.Inode && there.Device == catalog.Device)
        {
            throw new ScanArgumentException($"The destination '{target}' is the catalog itself, under another name (a hard link). Give another file.");
        }
        if ((CatalogFileGuard.CompanionProblem(target) ?? CatalogFileGuard.SpecialFileProblem(target)) is string otherCatalogs)
        {
            throw new ScanArgumentException(otherCatalogs); // another catalog's -wal, -shm or lock file, or a draft
        }
        if (CatalogFiles.CompanionNameProblem(target) is string companionName)
        {
            // Not another catalog's file (said above), but named like one: SQLite would overwrite it once that catalog exists.
            throw new ScanArgumentException(companionName);
        }
        if (CatalogFiles.NameTooLong(target) is string tooLong)
        {
            throw new ScanArgumentException($"The destination's name cannot be a catalog's: {tooLong}");
        }
        if (File.Exists(target) && !overwrite)
        {
            throw new ScanArgumentException($"The destination '{target}' exists. Use -Force to replace it, or choose another file.");
        }
        if (File.Exists(target) && new FileInfo(target).Length > 0 && !CatalogFileGuard.IsCatalogFile(target))
        {
            // -Force turned a text file, or another program's database, into a catalog copy without a word.
            throw new ScanArgumentException($"The destination '{target}' exists and is not a ScanTools catalog or backup; -Force replaces only those. Move it aside yourself, or choose another file.");
        }
        if (File.Exists(target) && File.Exists(Sessions.WriterLock.PathFor(target)))
        {
            // A backup is written once and only read; a writer's lock file beside the destination makes it a working
            // catalog (scans, Write-Finding or a consumer wrote it), and -Force replaced another estate's catalog with
            // this one's, a tab-completion slip away.
            throw new ScanArgumentException($"The destination '{target}' is a working catalog, not a backup: ScanTools has written to it (its lock file '{System.IO.Path.GetFileName(Sessions.WriterLock.PathFor(target))}' is beside it). -Force replaces only backups. If you mean to replace that catalog, delete it and its side files yourself first; otherwise choose another -Destination.");
        }
        if (!CatalogFiles.CanWrite(folder))
        {
            throw new ScanArgumentException($"This account cannot write in the folder '{folder}'. Choose a folder it can write, or give it write access.");
        }
        return (source, target);
    }

    /// <summary>
    /// Makes <paramref name="target"/> ready to be replaced by a backup: refused while a ScanTools writer holds it (a
    /// catalog being scanned into), then its old -wal, -shm and -journal are deleted. SQLite would otherwise apply the
    /// old log's pages to the new file, damaging it. Returns the writer lock, held until the backup is in place; null
    /// when no ScanTools writer ever used the destination.
    /// </summary>
    /// <exception cref="CatalogException">A writer holds the destination (<see cref="CatalogErrorCode.WriterUnavailable"/>).</exception>
    private static Sessions.WriterLock? TakeDestination(string target)
    {
        Sessions.WriterLock? held = null;
        if (File.Exists(Sessions.WriterLock.PathFor(target)))
        {
            held = Sessions.WriterLock.TryAcquire(target) ?? throw new CatalogException(CatalogErrorCode.WriterUnavailable, target,
                $"The destination '{target}' is a catalog in use: a ScanTools writer (a scan, a consumer, Write-Finding) is writing it. Let it finish or stop it, or choose another -Destination.");
        }
        foreach (string stale in new[] { CatalogFiles.Wal(target), CatalogFiles.Shm(target), target + "-journal" })
        {
            File.Delete(stale);
        }
        return held;
    }
}
