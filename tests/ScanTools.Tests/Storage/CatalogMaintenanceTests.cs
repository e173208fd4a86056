using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>Optimize-ScanCatalog's pruning and Backup-ScanCatalog, against ground truth and while other processes write.</summary>
public sealed class CatalogMaintenanceTests : CatalogTest
{
    private ScanRun Scan(string db, string root) => ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry });

    private static List<string> Present(string db)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindFiles(new FindingQuery()).Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Five scans of a tree that loses one file before each of the last four; returns the catalog and the runs.</summary>
    private (string Db, string Root, List<ScanRun> Runs) History()
    {
        string root = T.Dir("tree");
        for (int i = 0; i < 12; i++)
        {
            File.WriteAllText(Path.Combine(root, $"f{i:D2}.txt"), new string('x', i));
        }
        string db = T.Db();
        var runs = new List<ScanRun> { Scan(db, root) };
        for (int i = 0; i < 4; i++)
        {
            File.Delete(Path.Combine(root, $"f{i:D2}.txt"));
            runs.Add(Scan(db, root));
        }
        return (db, root, runs);
    }

    [UnixFact]
    public void Pruning_keeps_the_newest_runs_and_removes_exactly_the_history_of_the_others()
    {
        (string db, string root, List<ScanRun> runs) = History();
        List<string> present = Present(db);
        long errorsOfKept = Sql.Scalar(db, "SELECT count(*) FROM scan_errors WHERE scan_id >= $k;", ("$k", runs[3].Id));
        long changesOfKept = Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE scan_id >= $k;", ("$k", runs[3].Id));
        long removedByPruned = Sql.Scalar(db, "SELECT count(*) FROM files WHERE removed_scan_id < $k;", ("$k", runs[3].Id));
        Assert.Equal(2, removedByPruned); // runs 2 and 3 each found one file gone

        CatalogPruneResult planned = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 2, WhatIf = true, Registry = Registry });
        Assert.Equal(5, Sql.Scalar(db, "SELECT count(*) FROM scan_runs;")); // -WhatIf changed nothing
        using (CatalogReader reader = CatalogReader.Open(db))
        {
            // The first run found every file new: one row a folder, a change a file, as Get-ScanChange lists them.
            long listed = reader.GetChanges(new ScanChangeQuery { ScanId = planned.RunIds }).LongCount();
            Assert.True(listed > Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE scan_id < $k;", ("$k", runs[3].Id)));
            Assert.Equal(listed, planned.Changes);
        }
        CatalogPruneResult done = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 2, Registry = Registry });
        Registry.CloseAll();

        Assert.Equal(runs.Take(3).Select(r => r.Id), done.RunIds);
        Assert.Equal(planned.RunIds, done.RunIds);
        Assert.Equal(2, done.RemovedFiles);
        Assert.Equal(runs.Skip(3).Select(r => r.Id), Sql.Text(db, "SELECT group_concat(id) FROM (SELECT id FROM scan_runs ORDER BY id);").Split(',').Select(long.Parse));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE removed_scan_id < $k;", ("$k", runs[3].Id)));
        Assert.Equal(2, Sql.Scalar(db, "SELECT count(*) FROM files WHERE removed_scan_id IS NOT NULL;")); // the kept runs' removals stay
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE scan_id < $k;", ("$k", runs[3].Id)));
        Assert.Equal(changesOfKept, Sql.Scalar(db, "SELECT count(*) FROM file_changes;"));
        Assert.Equal(errorsOfKept, Sql.Scalar(db, "SELECT count(*) FROM scan_errors;"));
        Assert.Equal(present, Present(db)); // what is there now is untouched
        Assert.Equal(Find.NonDirectories(root).Order(StringComparer.Ordinal), Present(db));
    }

    [UnixFact]
    public void Pruning_by_age_never_takes_a_running_run_nor_the_newest_completed_scan()
    {
        (string db, _, List<ScanRun> runs) = History();
        using FileRecorder open = FileRecorder.Start(db, registry: Registry); // a run still going
        open.Add(new FileRecord("/records", "r1") { Length = 1, LastWriteTimeUtc = DateTime.UtcNow });

        CatalogPruneResult done = CatalogMaintenance.Prune(db, new CatalogPruneOptions { OlderThanDays = 1, NowUtc = DateTime.UtcNow.AddDays(30), Registry = Registry });

        Assert.Equal(runs.Take(4).Select(r => r.Id), done.RunIds);
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE id = $id;", ("$id", runs[4].Id)));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Running';"));
        Assert.Empty(CatalogMaintenance.Prune(db, new CatalogPruneOptions { OlderThanDays = 1, Registry = Registry }).RunIds); // nothing ended a day ago
    }

    [UnixFact]
    public void A_run_left_Running_by_a_killed_process_neither_shields_later_runs_from_pruning_nor_survives_it()
    {
        // The first prune after a kill took almost nothing: the dead run said Running, so it was kept, and runs go oldest
        // first up to the first one kept.
        (string db, string root, List<ScanRun> runs) = History();
        using WriterSessionLease lease = Registry.Acquire(db); // this process writes; the child forwards to it
        using (ChildWriter child = ChildWriter.Write(db, 2_000, "killed", "--hold"))
        {
            child.WaitFor(l => l.TryGetProperty("holding", out _));
            Assert.True(SpinWait.SpinUntil(() => Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Running';") == 1, TimeSpan.FromMinutes(1)),
                "the child's run never appeared Running in the catalog");
            child.Kill();
            child.WaitForExit();
        }
        long dead = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE status = 'Running';");
        runs.Add(Scan(db, root));
        runs.Add(Scan(db, root));
        Assert.Equal("Running", Sql.Text(db, "SELECT status FROM scan_runs WHERE id = $id;", ("$id", dead))); // this writer started before the kill

        CatalogPruneResult planned = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, WhatIf = true, Registry = Registry });
        CatalogPruneResult done = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });
        lease.Flush();

        List<long> expected = runs.Take(5).Select(r => r.Id).Append(dead).Append(runs[5].Id).Order().ToList();
        Assert.Equal(expected, planned.RunIds);
        Assert.Equal(expected, done.RunIds);
        Assert.Equal(runs[6].Id, Sql.Scalar(db, "SELECT group_concat(id) FROM scan_runs;"));
        Assert.Equal(Find.NonDirectories(root).Order(StringComparer.Ordinal), Present(db).Where(p => p.StartsWith(root, StringComparison.Ordinal)));
    }

    [UnixFact]
    public void A_file_whose_removal_was_pruned_is_recorded_again_when_it_comes_back()
    {
        (string db, string root, List<ScanRun> runs) = History();
        Scan(db, root); // a sixth scan: the runs that found f00..f02 gone are now old
        CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'f00.txt';"));

        File.WriteAllText(Path.Combine(root, "f00.txt"), "back");
        ScanRun again = Scan(db, root);

        Assert.Equal(9, again.Files);
        Assert.Contains(Path.Combine(root, "f00.txt"), Present(db));
    }

    [UnixFact]
    public void Pruning_while_another_process_writes_the_catalog_loses_nothing_of_its_writes()
    {
        (string db, _, _) = History();
        using ChildWriter writer = ChildWriter.Write(db, 60_000, "busy", "--per-listing", "500");
        writer.Written(5_000); // writing now, through its own session or forwarding to ours

        CatalogPruneResult done = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });

        writer.Done(TimeSpan.FromMinutes(3));
        Assert.Equal(0, writer.WaitForExit());
        Registry.CloseAll();
        Assert.NotEmpty(done.RunIds);
        Assert.Equal(60_000, Sql.Scalar(db, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path LIKE '/mp/busy/%';"));
    }

    [UnixFact]
    public void A_backup_taken_while_another_process_writes_opens_as_a_catalog_holding_everything_committed_before_it()
    {
        (string db, string root, _) = History();
        using ChildWriter writer = ChildWriter.Write(db, 200_000, "live", "--per-listing", "500");
        writer.Written(20_000);
        long committedBefore = Sql.Scalar(db, "SELECT count(*) FROM files;"); // every row committed before the backup starts
        long runsBefore = Sql.Scalar(db, "SELECT count(*) FROM scan_runs;");
        string copy = Path.Combine(T.Dir("backups"), "estate-backup.db");

        CatalogBackupResult backup = CatalogMaintenance.Backup(db, copy);

        writer.Done(TimeSpan.FromMinutes(3));
        Assert.Equal(0, writer.WaitForExit());
        Assert.Equal(copy, backup.Path);
        using (CatalogReader reader = CatalogReader.Open(copy)) // a catalog: identity and schema checked
        {
            Assert.NotEmpty(reader.GetScanRuns());
        }
        long inCopy = Sql.Scalar(copy, "SELECT count(*) FROM files;");
        Assert.InRange(inCopy, committedBefore, Sql.Scalar(db, "SELECT count(*) FROM files;"));
        Assert.True(Sql.Scalar(copy, "SELECT count(*) FROM scan_runs;") >= runsBefore);
        Assert.Equal("ok", Sql.Text(copy, "PRAGMA integrity_check;"));
        Assert.Equal(Find.NonDirectories(root).Count, Sql.Scalar(copy, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path = $p AND f.removed_scan_id IS NULL;", ("$p", root)));
        Assert.Empty(Directory.GetFiles(T.Combine("backups"), "*.partial-*")); // no draft left behind
    }

    [UnixFact]
    public void A_backup_records_a_run_whose_process_was_killed_as_failed_in_the_copy_not_as_in_progress()
    {
        // Newcomer test 83: the copy said Cancelled "in progress when Backup-ScanCatalog copied the catalog", and RunsInProgress
        // counted it, though its process had been killed before: a restored copy lost the kill.
        (string db, _, _) = History();
        using (ChildWriter child = ChildWriter.Write(db, 2_000, "killed", "--hold"))
        {
            child.WaitFor(l => l.TryGetProperty("holding", out _));
            Assert.True(SpinWait.SpinUntil(() => Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Running';") == 1, TimeSpan.FromMinutes(1)),
                "the child's run never appeared Running in the catalog");
            child.Kill();
            child.WaitForExit();
        }
        long dead = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE status = 'Running';");
        string copy = Path.Combine(T.Dir("backups"), "killed.db");

        CatalogBackupResult backup = CatalogMaintenance.Backup(db, copy);

        Assert.Equal(0, backup.RunsInProgress);
        Assert.Equal("Running", Sql.Text(db, "SELECT status FROM scan_runs WHERE id = $id;", ("$id", dead))); // the catalog is only read
        Assert.Equal("Failed", Sql.Text(copy, "SELECT status FROM scan_runs WHERE id = $id;", ("$id", dead)));
        Assert.StartsWith("The process that ran it (PID ", Sql.Text(copy, "SELECT message FROM scan_runs WHERE id = $id;", ("$id", dead)), StringComparison.Ordinal);
        Assert.Equal(Sql.Scalar(copy, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path LIKE '/mp/killed/%';"),
            Sql.Scalar(copy, "SELECT files FROM scan_runs WHERE id = $id;", ("$id", dead))); // its counts are what the copy holds
        Assert.Equal(0, Sql.Scalar(copy, "SELECT count(*) FROM scan_runs WHERE status = 'Running';"));
    }

    [UnixFact]
    public void A_backup_records_a_run_in_progress_as_cancelled_in_the_copy_saying_so_while_the_catalog_records_its_end()
    {
        // Newcomer test 65: the copy held the run Running, then (once its process had ended) Failed "ended before the run
        // finished", though it completed in the catalog.
        (string db, _, _) = History();
        using ChildWriter writer = ChildWriter.Write(db, 2_000, "inflight", "--hold");
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        Assert.True(SpinWait.SpinUntil(() => Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Running';") == 1, TimeSpan.FromMinutes(1)),
            "the child's run never appeared Running in the catalog");
        string copy = Path.Combine(T.Dir("backups"), "inflight.db");

        CatalogBackupResult backup = CatalogMaintenance.Backup(db, copy);

        writer.SendLine("end");
        writer.Done(TimeSpan.FromMinutes(3));
        Assert.Equal(0, writer.WaitForExit());
        Assert.Equal(1, backup.RunsInProgress);
        Assert.Equal(0, Sql.Scalar(copy, "SELECT count(*) FROM scan_runs WHERE status = 'Running';"));
        string key = Sql.Text(db, "SELECT run_key FROM scan_runs ORDER BY id DESC LIMIT 1;");
        Assert.Equal("Completed", Sql.Text(db, "SELECT status FROM scan_runs WHERE run_key = $k;", ("$k", key)));
        Assert.Equal("Cancelled", Sql.Text(copy, "SELECT status FROM scan_runs WHERE run_key = $k;", ("$k", key)));
        Assert.StartsWith("In progress when Backup-ScanCatalog copied the catalog", Sql.Text(copy, "SELECT message FROM scan_runs WHERE run_key = $k;", ("$k", key)), StringComparison.Ordinal);
        Assert.Equal("ok", Sql.Text(copy, "PRAGMA integrity_check;"));
    }

    [UnixFact]
    public void A_backup_refuses_the_catalog_itself_an_existing_file_a_folder_and_a_missing_folder()
    {
        (string db, _, _) = History();
        string folder = T.Dir("out");
        string existing = Path.Combine(folder, "exists.db");
        File.WriteAllText(existing, "keep me");

        Assert.Contains("the catalog itself", Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, db)).Message, StringComparison.Ordinal);
        Assert.Contains("-Force", Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, existing)).Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.Contains("is a folder", Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, folder)).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, Path.Combine(folder, "no", "x.db"))).Message, StringComparison.Ordinal);
        Assert.Equal(CatalogErrorCode.NotFound, Assert.Throws<CatalogException>(() => CatalogMaintenance.Backup(Path.Combine(folder, "none.db"), Path.Combine(folder, "y.db"))).Code);
        // -Force replaces an earlier backup, never a file that is not a catalog.
        Assert.Contains("not a ScanTools catalog", Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, existing, overwrite: true)).Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(existing));
        string earlier = Path.Combine(folder, "earlier.db");
        Assert.Equal(5, CatalogMaintenance.Backup(db, earlier).Runs);
        CatalogBackupResult replaced = CatalogMaintenance.Backup(db, earlier, overwrite: true);
        Assert.Equal(5, replaced.Runs);
    }

    [UnixFact]
    public void A_backup_over_a_working_catalog_is_refused_even_with_overwrite_and_over_a_backup_it_replaces_its_log_too()
    {
        (string db, _, _) = History();
        // The destination: another catalog whose writer died, so its -wal holds commits (WAL frames that SQLite would
        // apply to whatever file is at that name next, damaging the backup).
        string old = Path.Combine(T.Dir("old"), "old.db");
        string other = T.Dir("other");
        File.WriteAllText(Path.Combine(other, "o.txt"), "o");
        Scan(old, other);
        using (WriterSessionLease lease = Registry.Acquire(old))
        {
            var run = Guid.NewGuid();
            lease.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow, Roots = new[] { "/x" } });
            lease.Write(new DirectoryListing { RunKey = run, DirectoryPath = "/x", Files = Enumerable.Range(0, 3000).Select(i => new FileRecord("/x", $"n{i}") { Length = i, LastWriteTimeUtc = DateTime.UtcNow }).ToList() });
            lease.Flush();

            // A working catalog (a writer's lock file beside it, its writer alive or not): never replaced, -Force or not.
            var working = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, old, overwrite: true));
            Assert.Contains("working catalog, not a backup", working.Message, StringComparison.Ordinal);
            // The log as a killed writer leaves it: frames not yet folded into the file.
            File.Copy(old + "-wal", old + ".wal-kept", overwrite: true);
        }
        Registry.CloseAll();
        Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, old, overwrite: true));
        // A file with no writer's lock beside it is a backup, as Backup writes one; a log left beside it (by sqlite3,
        // say) must go with the file it belongs to.
        File.Delete(WriterLock.PathFor(old));
        File.Copy(old + ".wal-kept", old + "-wal", overwrite: true);
        Assert.True(new FileInfo(old + "-wal").Length > 0);

        CatalogBackupResult done = CatalogMaintenance.Backup(db, old, overwrite: true);

        Assert.False(File.Exists(old + "-wal"));
        Assert.Equal("ok", Sql.Text(old, "PRAGMA integrity_check;"));
        Assert.Equal(5, Sql.Scalar(old, "SELECT count(*) FROM scan_runs;"));
        Assert.Equal(Present(db), Present(old));
        Assert.Equal(5, done.Runs);
    }

    [UnixFact]
    public void A_backup_refuses_another_name_of_the_catalog_and_takes_any_destination_name_a_catalog_can_have()
    {
        (string db, _, _) = History();
        string linked = Path.Combine(T.Dir("links"), "same-file.db");
        Trees.HardLink(db, linked);
        var ex = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, linked, overwrite: true));
        Assert.Contains("the catalog itself, under another name", ex.Message, StringComparison.Ordinal);
        File.Delete(linked);

        string folder = T.Dir("long");
        string longest = Path.Combine(folder, new string('b', 237) + ".db"); // 240 bytes: the longest catalog name
        Assert.Equal(5, CatalogMaintenance.Backup(db, longest).Runs);
        Assert.Equal(new[] { longest }, Directory.GetFiles(folder).Where(f => !f.EndsWith("-scantools.lock", StringComparison.Ordinal))); // one file
        Assert.Equal(5, Sql.Scalar(longest, "SELECT count(*) FROM scan_runs;"));
        var tooLong = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, Path.Combine(folder, new string('b', 238) + ".db")));
        Assert.Contains("at most 240 bytes", tooLong.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    public void Pruning_never_takes_the_newest_run_so_no_run_id_is_given_twice()
    {
        (string db, string root, List<ScanRun> runs) = History();
        ScanRun records;
        using (FileRecorder r = FileRecorder.Start(db, registry: Registry))
        {
            r.Add(new FileRecord("/records", "one") { Length = 1, LastWriteTimeUtc = DateTime.UtcNow });
            records = r.Complete();
        }

        CatalogPruneResult done = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 0, Registry = Registry });
        ScanRun next = Scan(db, root);

        Assert.Equal(runs.Take(4).Select(r => r.Id), done.RunIds); // not the newest completed scan, not the newest run
        Assert.Equal(records.Id + 1, next.Id);
    }

    [UnixFact]
    public void A_backup_refuses_the_catalogs_own_files_drops_a_cancelled_copy_and_clears_drafts_of_dead_backups()
    {
        (string db, _, _) = History();
        foreach (string companion in new[] { "-wal", "-shm", "-journal", "-scantools.lock", "-consumer.lock" })
        {
            var ex = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, db + companion, overwrite: true));
            Assert.Contains("catalog's own files", ex.Message, StringComparison.Ordinal);
        }
        Assert.Equal(5, Sql.Scalar(db, "SELECT count(*) FROM scan_runs;")); // the catalog is untouched

        string folder = T.Dir("copies");
        string target = Path.Combine(folder, "estate.db");
        CatalogMaintenance.Backup(db, target);
        byte[] previous = File.ReadAllBytes(target);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => CatalogMaintenance.Backup(db, target, overwrite: true, cancelled.Token));
        Assert.Equal(previous, File.ReadAllBytes(target)); // the previous backup stays

        string dead = target + ".partial-999999-0123456789abcdef"; // no such process
        File.WriteAllText(dead, "left by a killed backup");
        string live = target + $".partial-{Environment.ProcessId}-fedcba9876543210"; // a backup running now
        File.WriteAllText(live, "in progress");
        CatalogMaintenance.Backup(db, target, overwrite: true);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Equal(5, Sql.Scalar(target, "SELECT count(*) FROM scan_runs;"));
    }

    [Fact]
    public void A_prune_travels_between_processes_but_is_refused_from_a_broker_stream()
    {
        var prune = new CatalogPrune { RunKey = Guid.NewGuid(), RunIds = new long[] { 3, 7 }, Optimize = true };
        using var ms = new MemoryStream();
        using (BinaryWriter w = ScanTools.Sessions.Ipc.CatalogWriteCodec.Writer(ms))
        {
            ScanTools.Sessions.Ipc.CatalogWriteCodec.Write(w, prune);
        }
        ms.Position = 0;
        using BinaryReader r = ScanTools.Sessions.Ipc.CatalogWriteCodec.Reader(ms);
        var back = Assert.IsType<CatalogPrune>(ScanTools.Sessions.Ipc.CatalogWriteCodec.Read(r));
        Assert.Equal(prune.RunIds, back.RunIds);
        Assert.True(back.Optimize);

        var entry = new StackExchange.Redis.StreamEntry("1-1", ScanTools.Remote.RemoteEntry.Encode(Guid.NewGuid().ToString("D"), 1, "host", ScanTools.Remote.RemoteEntry.Body(new CatalogWrite[] { prune })));
        var ex = Assert.Throws<InvalidDataException>(() => ScanTools.Remote.RemoteEntry.Decode(entry));
        Assert.Contains("prune", ex.Message, StringComparison.Ordinal);
    }
}
