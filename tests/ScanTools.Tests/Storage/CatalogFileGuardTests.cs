using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>The guard that keeps exports, baselines and reports off a catalog's own files.</summary>
public sealed class CatalogFileGuardTests : CatalogTest
{
    private string NewCatalog(string name)
    {
        string db = Path.Combine(T.Path, name);
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        Registry.CloseAll();
        return db;
    }

    [Fact]
    public void A_catalog_its_companions_and_a_link_to_it_are_refused_and_other_files_are_not()
    {
        string db = NewCatalog("estate.db");
        Assert.Contains("is a ScanTools catalog", CatalogFileGuard.OwnFileProblem(db));
        foreach (string suffix in new[] { "-wal", "-shm", "-journal", "-scantools.lock", "-consumer.lock" })
        {
            // Whether or not the companion exists now: the next writer makes it.
            Assert.Contains($"({suffix})", CatalogFileGuard.OwnFileProblem(db + suffix));
        }
        string link = Path.Combine(T.Dir("links"), "report.sarif");
        File.CreateSymbolicLink(link, db);
        Assert.Contains("is a ScanTools catalog", CatalogFileGuard.OwnFileProblem(link));
        Assert.Contains("draft", CatalogFileGuard.OwnFileProblem(Path.Combine(T.Path, ".scantools.creating-1234")));
        Assert.Contains("draft", CatalogFileGuard.OwnFileProblem(db + ".creating-x"));
        Assert.Null(CatalogFileGuard.OwnFileProblem(Path.Combine(T.Path, "notes.creating-x"))); // no catalog notes

        Assert.Null(CatalogFileGuard.OwnFileProblem(Path.Combine(T.Path, "estate.db.sarif")));
        Assert.Null(CatalogFileGuard.OwnFileProblem(Path.Combine(T.Path, "missing.db")));
        Assert.Null(CatalogFileGuard.OwnFileProblem(Path.Combine(T.Path, "missing.db-wal")));
        string other = Path.Combine(T.Path, "other.sqlite");
        Sql.Execute(other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
        Assert.False(CatalogFileGuard.IsCatalogFile(other));
        Assert.Null(CatalogFileGuard.OwnFileProblem(other));
        Assert.Null(CatalogFileGuard.OwnFileProblem(other + "-wal"));
    }

    [Fact]
    public void A_FIFO_or_a_device_is_not_read_so_the_guard_never_blocks()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        string fifo = Path.Combine(T.Path, "pipe");
        Trees.MkFifo(fifo);
        Assert.False(CatalogFileGuard.IsCatalogFile(fifo)); // a read would wait for a writer forever
        Assert.Null(CatalogFileGuard.OwnFileProblem(fifo));
        Assert.False(CatalogFileGuard.IsCatalogFile("/dev/zero"));
        Assert.Contains("not a regular file", CatalogFileGuard.SpecialFileProblem(fifo));
        Assert.Contains("not a regular file", CatalogFileGuard.SpecialFileProblem("/dev/null"));
        Assert.Null(CatalogFileGuard.SpecialFileProblem(Path.Combine(T.Path, "missing.sarif")));
        string db = NewCatalog("backup-source.db");
        Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, fifo, overwrite: true));
        Assert.Equal(ScanTools.Platform.EntryKind.Special, EntryKindOf(fifo)); // still the FIFO
    }

    private static ScanTools.Platform.EntryKind EntryKindOf(string path)
    {
        ScanTools.Platform.FileStat.TryStat(path, follow: false, out ScanTools.Platform.EntryStat stat);
        return stat.Kind;
    }

    [Fact]
    public void A_backup_may_replace_an_earlier_backup_but_never_another_catalogs_log_index_or_lock_file()
    {
        string db = NewCatalog("estate.db");
        string other = NewCatalog("other.db");
        string earlier = Path.Combine(T.Path, "backup.db");
        CatalogMaintenance.Backup(db, earlier); // a backup: written once, by Backup, never by a writer
        Assert.Null(CatalogFileGuard.CompanionProblem(earlier));
        foreach (string suffix in new[] { "-wal", "-shm", "-journal", "-scantools.lock" })
        {
            File.WriteAllText(other + suffix, "kept");
            var refused = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, other + suffix, overwrite: true));
            Assert.Contains($"({suffix})", refused.Message);
            Assert.Equal("kept", File.ReadAllText(other + suffix));
        }
        Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, other + ".creating-1", overwrite: true));
        CatalogMaintenance.Backup(db, earlier, overwrite: true);
        Assert.True(CatalogFileGuard.IsCatalogFile(earlier));
        // A working catalog (its writer's lock file beside it) is another estate's, never replaced.
        var working = Assert.Throws<ScanArgumentException>(() => CatalogMaintenance.Backup(db, other, overwrite: true));
        Assert.Contains("working catalog", working.Message, StringComparison.Ordinal);
    }
}
