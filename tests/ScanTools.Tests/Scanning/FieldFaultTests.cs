using System.Diagnostics;
using System.Security.Cryptography;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>
/// Faults users of file scanners met in the field, each as a small input: a value from the OS fails only
/// its own item, and a digest always describes the bytes it was computed from.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // each test is a UnixFact: modes, mounts and accounts of Linux
public sealed class FieldFaultTests : CatalogTest
{
    /// <summary>A folder on tmpfs (/dev/shm), which stores times that other file systems clamp.</summary>
    private static string TmpfsFolder()
    {
        string path = Path.Combine("/dev/shm", "scantools-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static void Touch(string file, string when)
    {
        using Process touch = Process.Start("touch", new[] { "-d", when, file })!;
        touch.WaitForExit();
        Assert.Equal(0, touch.ExitCode);
    }

    [LinuxFact]
    public void AFileDatedAfterTheYear9999_IsRecordedWithTheTimeClamped_AndAnErrorItemNamingIt_WhileTheRestOfTheRunCompletes()
    {
        string tree = TmpfsFolder();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                File.WriteAllText(Path.Combine(tree, $"normal{i}.txt"), "x");
            }
            string future = Path.Combine(tree, "future.txt");
            File.WriteAllText(future, "from the future");
            Touch(future, "@300000000000"); // year 11476: tmpfs keeps it
            Assert.True(new DirectoryInfo(tree).EnumerateFiles().Count() == 4);
            string db = T.Db();

            ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { tree }, Hash = true }, new ScanJobSettings { Registry = Registry });

            Assert.Equal(ScanRunStatus.Completed, run.Status);
            Assert.Equal(4, run.Files);
            using CatalogReader reader = CatalogReader.Open(db);
            ScanError item = Assert.Single(reader.GetScanErrors(run.Id));
            Assert.Equal(ScanErrorKind.ValueOutOfRange, item.Kind);
            Assert.Equal(future, item.FullName);
            Assert.Contains("year 9999", item.Message);
            Finding f = reader.FindFiles(new FindingQuery { Name = new[] { "future.txt" } }).Single();
            Assert.Equal(DateTime.MaxValue, f.LastWriteTimeUtc);
            Assert.Equal(Convert.ToHexString(SHA256.HashData("from the future"u8)), f.Sha256);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [LinuxFact]
    public void TheSameFile_ThroughWriteFinding_IsRecordedClampedToo_WithTheErrorItem()
    {
        string tree = TmpfsFolder();
        try
        {
            string future = Path.Combine(tree, "future.txt");
            File.WriteAllText(future, "x");
            Touch(future, "@300000000000");
            string db = T.Db();
            using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
            {
                rec.Add(rec.Capture(future));
                Assert.Equal(ScanRunStatus.Completed, rec.Complete().Status);
            }

            Assert.Equal(ScanErrorKind.ValueOutOfRange, Sql.Text(db, "SELECT kind FROM scan_errors;") is var k ? Enum.Parse<ScanErrorKind>(k) : default);
            Assert.Equal(1, Sql.Files(db));
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [LinuxFact]
    public void ARunWhoseCatalogFilledUp_EndsFailedWithItsReasonAndTrueCounts_AsSoonAsTheCatalogCanBeWrittenAgain()
    {
        for (int d = 0; d < 200; d++)
        {
            for (int f = 0; f < 20; f++)
            {
                T.File($"tree/d{d:D3}/file-with-a-longish-name-{f:D2}.txt", "x");
            }
        }
        string db = T.Db();
        using (WriterSessionLease create = Registry.Acquire(db))
        {
            create.Flush(); // the catalog exists; the scan below fills it up
        }
        var full = new ScanJobSettings
        {
            Registry = Registry,
            ReportErrors = false,
            SessionOptions = new WriterSessionOptions { MaxPageCount = 80, MaxTransactionRows = 400, LingerBelowRows = 0 },
        };

        var ex = Assert.Throws<CatalogException>(() => ScanJob.Run(db, new ScanOptions { Roots = new[] { T.Combine("tree") }, ThrottleLimit = 1 }, full));

        Assert.Equal(CatalogErrorCode.WriteFailed, ex.Code);
        Assert.Equal("Running", Sql.Text(db, "SELECT status FROM scan_runs;")); // its end could not be written
        long kept = Sql.Files(db);
        Assert.InRange(kept, 1, 3_999);

        // The disk has room again (no page cap): the next session of the catalog in this process ends the run.
        using (WriterSessionLease next = Registry.Acquire(db))
        {
            next.Flush();
        }

        Assert.Equal("Failed", Sql.Text(db, "SELECT status FROM scan_runs;"));
        Assert.Contains("cannot grow", Sql.Text(db, "SELECT message FROM scan_runs;"));
        Assert.Equal(kept, Sql.Scalar(db, "SELECT files FROM scan_runs;"));
        Assert.Equal(kept, Sql.Scalar(db, "SELECT bytes FROM scan_runs;"));
    }

    [LinuxFact]
    public void A_run_whose_start_failed_with_its_catalog_is_recorded_with_its_kind_roots_and_times_when_its_end_is_written()
    {
        // Newcomer test 65: on a full disk the start failed too, and the late end made a stand-in run of kind Unknown,
        // without roots and ending before it started, which Get-ScanRun -Kind Scan -Last 1 (the README's monitor) passed over.
        string db = T.Db();
        using (WriterSessionLease create = Registry.Acquire(db))
        {
            create.Flush();
        }
        var key = Guid.NewGuid();
        DateTime started = DateTime.UtcNow.AddSeconds(-5);
        var start = new ScanTools.Storage.Writes.ScanRunStart { RunKey = key, StartedUtc = started, Roots = new[] { "/srv/data" }, OptionsJson = "{}" };
        var failed = new CatalogException(CatalogErrorCode.WriteFailed, db, "The catalog cannot grow: the disk is full.");
        Registry.RememberUnwrittenEnd(db, ScanTools.Storage.Writes.ScanRunEnd.AfterCatalogFailure(key, failed, start));

        using (WriterSessionLease next = Registry.Acquire(db))
        {
            next.Flush();
        }

        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = Assert.Single(reader.GetScanRuns());
        Assert.Equal(("Scan", ScanRunStatus.Failed), (run.Kind, run.Status));
        Assert.Equal(new[] { "/srv/data" }, run.Roots);
        Assert.Equal(started.Ticks, run.StartedUtc.Ticks);
        Assert.True(run.EndedUtc >= run.StartedUtc);
        Assert.Contains("disk is full", run.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void ACatalogMovedWhileAScanWritesIt_IsSaidToBeGone_AndTheRunIsInTheMovedFile()
    {
        // A newcomer's mv of the catalog mid-scan ended with "There is no catalog ... Run Start-Scan to create one",
        // while the moved file held the run, Completed, with every file.
        for (int d = 0; d < 40; d++)
        {
            T.File($"tree/d{d:D2}/f.txt");
        }
        string db = T.Db();
        string moved = db + ".moved";
        using var pause = new WalkPause(at: 10);
        using ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { T.Combine("tree") }, ThrottleLimit = 1 }, pause.Settings(Registry));
        pause.WaitReached();
        File.Move(db, moved);
        pause.Release();

        var failure = Assert.IsType<CatalogException>(Assert.Throws<AggregateException>(() => job.Completion.Wait(TimeSpan.FromSeconds(60))).InnerException);
        Assert.Contains("is gone: the catalog file was moved or deleted", failure.Message, StringComparison.Ordinal);
        Registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(moved);
        ScanRun run = reader.GetScanRuns().Single();
        Assert.Equal((ScanRunStatus.Completed, 40L), (run.Status, run.Files));
    }

    [Fact]
    public void AnEmptyFile_IsReportedAsEmpty_NotAsAnOldSchema_AndBecomesACatalogOnFirstWrite()
    {
        string db = T.File("empty.db", string.Empty);

        CatalogException ex = Assert.Throws<CatalogException>(() => CatalogReader.Open(db));

        Assert.Equal(CatalogErrorCode.NotFound, ex.Code);
        Assert.Contains("empty file", ex.Message);
        Assert.DoesNotContain("schema version", ex.Message);
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Single(reader.GetScanRuns());
    }

    [Fact]
    public void ClosingACatalog_LeavesItsLogEmpty_AndItsLogFilesInPlaceForReadersOfOtherAccounts()
    {
        string db = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Write(Writes.Listing(Guid.NewGuid(), "/x", 100));
            lease.Flush();
        }
        Registry.CloseAll();

        Assert.True(File.Exists(db + "-shm"), "the writer keeps the index file (owned by the catalog's owner)");
        Assert.Equal(0, new FileInfo(db + "-wal").Length); // everything is in the catalog file itself
    }

    [RootFact]
    public void ACatalogOnMediaThisAccountCannotWrite_IsReadable_WhenItsLogIsEmpty()
    {
        // A finished catalog copied without its log files into a folder the reader cannot write (read-only
        // media behaves the same: SQLite cannot create the log's index next to the catalog).
        string source = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(source))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Write(Writes.Listing(Guid.NewGuid(), "/x", 25));
            lease.Flush();
        }
        Registry.CloseAll();
        string media = T.Dir("media");
        File.Copy(source, Path.Combine(media, "catalog.db"));
        File.SetUnixFileMode(media, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var (exit, lines, stderr) = ChildProcess.Run(new[] { "read", Path.Combine(media, "catalog.db") }, ChildProcess.NobodyId);

        Assert.True(exit == 0, string.Join(" ", lines) + stderr);
        Assert.Equal(25, lines.Single().GetProperty("files").GetInt32());
        Assert.Equal(new[] { "catalog.db" }, Directory.GetFiles(media).Select(Path.GetFileName)); // nothing created there
    }

    [RootFact]
    public void ACatalogWhoseLogHoldsCommits_OnMediaThisAccountCannotWrite_SaysWhyItCannotBeRead()
    {
        string source = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(source))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        Registry.CloseAll();
        // A log with commits not yet folded back: written by a connection that does not checkpoint.
        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={source};Pooling=False"))
        {
            raw.Open();
            Sql.Execute(source, "SELECT 1;");
            using var cmd = raw.CreateCommand();
            cmd.CommandText = "PRAGMA wal_autocheckpoint = 0; INSERT INTO client_batches VALUES ('x', 1, 0);";
            cmd.ExecuteNonQuery();
            string media = T.Dir("media2");
            File.Copy(source, Path.Combine(media, "catalog.db"));
            File.Copy(source + "-wal", Path.Combine(media, "catalog.db-wal"));
            File.SetUnixFileMode(media, (UnixFileMode)0x1ED); // 0755

            var (exit, lines, _) = ChildProcess.Run(new[] { "read", Path.Combine(media, "catalog.db") }, ChildProcess.NobodyId);

            Assert.Equal(3, exit);
            Assert.Equal("ReadOnly", lines.Single().GetProperty("error").GetString());
            Assert.Contains("write-ahead log", lines.Single().GetProperty("message").GetString());
        }
    }

    [RootFact]
    public void AReaderOfAnotherAccount_NeverLocksTheOwnerOutOfTheCatalog()
    {
        // A shared folder like /tmp (mode 1777): user A owns and scans the catalog, user B only reads it.
        string shared = T.Dir("shared");
        File.SetUnixFileMode(shared, (UnixFileMode)0x3FF); // 1777
        string tree = T.Dir("tree");
        T.File("tree/a.txt");
        string db = Path.Combine(shared, "catalog.db");
        int a = ChildProcess.NobodyId, b = ChildProcess.SecondUserId;

        var first = ChildProcess.Run(new[] { "scan", db, tree }, a);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var read = ChildProcess.Run(new[] { "read", db }, b);
        Assert.True(read.ExitCode == 0, string.Join(" ", read.Lines) + read.Stderr);
        var again = ChildProcess.Run(new[] { "scan", db, tree }, a);

        Assert.True(again.ExitCode == 0, string.Join(" ", again.Lines) + again.Stderr);
        Assert.Equal("Completed", again.Lines.Single().GetProperty("status").GetString());
        Assert.All(Directory.GetFiles(shared), f => Assert.Equal((uint)a, CatalogFiles.OwnerOf(f)));
    }

    [MountFact]
    public void ACatalogOnAReadOnlyMount_IsReadable_AndWritingItSaysSoAtOnce()
    {
        string source = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(source))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Write(Writes.Listing(Guid.NewGuid(), "/x", 30));
            lease.Flush();
        }
        Registry.CloseAll();
        string burned = T.Dir("burned");
        File.Copy(source, Path.Combine(burned, "catalog.db")); // the catalog file alone, as a copy to media has it
        string mounted = T.Combine("mnt");
        using var mounts = new Mounts();
        mounts.ReadOnlyBind(burned, mounted);
        string db = Path.Combine(mounted, "catalog.db");

        using (CatalogReader reader = CatalogReader.Open(db))
        {
            Assert.Equal(30, reader.FindFiles(new FindingQuery()).Count());
        }
        var clock = Stopwatch.StartNew();
        CatalogException ex = Assert.Throws<CatalogException>(() => Registry.Acquire(db, new WriterSessionOptions { ElectionTimeout = TimeSpan.FromSeconds(20) }));
        Assert.Equal(CatalogErrorCode.ReadOnly, ex.Code);
        Assert.Contains("read-only file system", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "it must not wait for a writer that cannot exist");
        Assert.Equal(new[] { "catalog.db" }, Directory.GetFiles(mounted).Select(Path.GetFileName));
    }

    [Fact]
    public void AFolderGivenAsTheCatalog_IsSaidToBeAFolder_ByReadersAndWriters()
    {
        string folder = T.Dir("not-a-file");

        CatalogException read = Assert.Throws<CatalogException>(() => CatalogReader.Open(folder));
        CatalogException write = Assert.Throws<CatalogException>(() => Registry.Acquire(folder));

        Assert.All(new[] { read, write }, e =>
        {
            Assert.Equal(CatalogErrorCode.NotACatalog, e.Code);
            Assert.Contains("is a folder", e.Message);
        });
    }

    [RootFact]
    public void AFolderThisAccountCannotEnter_IsSaidSo_NotThatThereIsNoCatalog()
    {
        string secret = T.Dir("secret");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // 0700, root's

        var (exit, lines, _) = ChildProcess.Run(new[] { "read", Path.Combine(secret, "new.db") }, ChildProcess.NobodyId);

        Assert.Equal(3, exit);
        Assert.Equal("ReadOnly", lines.Single().GetProperty("error").GetString());
        Assert.Contains("cannot look into", lines.Single().GetProperty("message").GetString());
    }

    [LinuxFact]
    public void HardLinks_AreOneFile_TheRunCountsTheirBytesOnce_AndFindingsTellThemFromCopies()
    {
        string original = T.File("tree/a/original.bin", new string('x', 1 << 20));
        string copy = T.File("tree/c/copy.bin", new string('x', 1 << 20));
        Directory.CreateDirectory(T.Combine("tree", "b"));
        foreach (string link in new[] { T.Combine("tree", "a", "link1.bin"), T.Combine("tree", "b", "link2.bin") })
        {
            using Process ln = Process.Start("ln", new[] { original, link })!;
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }
        string db = T.Db();

        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { T.Combine("tree") } }, new ScanJobSettings { Registry = Registry });

        Assert.Equal(4, run.Files);                     // four names
        Assert.Equal(2L << 20, run.Bytes);              // two contents, as du counts them
        using CatalogReader reader = CatalogReader.Open(db);
        List<Finding> all = reader.FindFiles(new FindingQuery()).ToList();
        var linked = all.Where(f => f.HardLinks == 3).ToList();
        Assert.Equal(3, linked.Count);
        Assert.Single(linked.Select(f => (f.Device, f.Inode)).Distinct()); // one file, three names
        Finding theCopy = all.Single(f => f.Name == "copy.bin");
        Assert.Equal(1, theCopy.HardLinks);
        Assert.NotEqual(linked[0].Inode, theCopy.Inode);  // the copy is another file
        Assert.Equal(new FileInfo(original).Length, linked[0].Length);
        Assert.NotNull(linked[0].ChangeTimeUtc);
        Assert.Equal(0u, linked[0].UserId);
    }

    [LinuxFact]
    public void AVersion1Catalog_IsMigrated_AndItsFilesGetTheirIdentityOnTheNextScan()
    {
        string db = T.Db();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = CatalogSchema.Migrations[0] + $"PRAGMA application_id = {CatalogSchema.ApplicationId}; PRAGMA user_version = 1; PRAGMA journal_mode = WAL;";
            cmd.ExecuteNonQuery();
        }
        T.File("tree/f.txt", "x");

        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { T.Combine("tree") } }, new ScanJobSettings { Registry = Registry });

        Assert.Equal(CatalogSchema.CurrentVersion, Sql.Scalar(db, "PRAGMA user_version;"));
        Assert.Equal(1, run.Files);
        Assert.True(Sql.Scalar(db, "SELECT inode FROM files;") > 0);
    }

    [LinuxFact]
    public void PseudoFilesOfProc_AreHashedOverTheBytesTheyReturn_NotAsEmpty_AndRecordThatLength()
    {
        // procfs reports size 0 for files with content.
        string hostname = "/proc/sys/kernel/hostname";
        byte[] content = File.ReadAllBytes(hostname);
        Assert.NotEmpty(content);
        Assert.Equal(0, new FileInfo(hostname).Length);
        string db = T.Db();

        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { "/proc/sys/kernel" }, MaxDepth = 0, Hash = true },
            new ScanJobSettings { Registry = Registry });

        using CatalogReader reader = CatalogReader.Open(db);
        Finding f = reader.FindFiles(new FindingQuery { Name = new[] { "hostname" } }).Single();
        Assert.Equal(Convert.ToHexString(SHA256.HashData(content)), f.Sha256);
        Assert.Equal(content.Length, f.Length);
        string emptyDigest = Convert.ToHexString(SHA256.HashData(ReadOnlySpan<byte>.Empty));
        Assert.True(reader.FindFiles(new FindingQuery()).Count(x => x.Sha256 == emptyDigest) < run.Files / 2,
            "most of /proc/sys/kernel has content; its digests must not be those of nothing");
    }

    [LinuxFact]
    public void AFileThatChangesAfterItWasListed_GetsNoHash_AndAFileChangedWhileHashedItem()
    {
        string file = T.File("growing.log", "first line\n");
        Assert.Equal(StatFailure.None, FileStat.TryStat(file, follow: false, out EntryStat listed));
        File.AppendAllText(file, "second line, written while the scan reads\n");
        using var hasher = new FileHasher();

        HashOutcome outcome = hasher.Hash(file, listed, CancellationToken.None);

        Assert.Null(outcome.Digest);
        Assert.Equal(ScanErrorKind.FileChangedWhileHashed, outcome.ProblemKind);
        Assert.Contains("changed while it was being read", outcome.Problem);
        // The next file hashes from a clean state.
        string other = T.File("other.txt", "other");
        Assert.Equal(StatFailure.None, FileStat.TryStat(other, follow: false, out EntryStat otherStat));
        Assert.Equal(SHA256.HashData("other"u8), hasher.Hash(other, otherStat, CancellationToken.None).Digest);
    }

    [LinuxFact]
    public void AnEmptyRegularFile_HasTheDigestOfNothing()
    {
        string empty = T.File("empty.txt", string.Empty);
        Assert.Equal(StatFailure.None, FileStat.TryStat(empty, follow: false, out EntryStat stat));
        using var hasher = new FileHasher();

        HashOutcome outcome = hasher.Hash(empty, stat, CancellationToken.None);

        Assert.Equal(SHA256.HashData(ReadOnlySpan<byte>.Empty), outcome.Digest);
        Assert.Equal(0, outcome.Length);
    }

    [LinuxFact]
    public void HashingProc_NeverBlocksOnAKernelStream_AndNeverReadsTheKernelLog()
    {
        var scan = Task.Run(() => ScanJob.Run(T.Db(), new ScanOptions { Roots = new[] { "/proc" }, MaxDepth = 0, Hash = true },
            new ScanJobSettings { Registry = Registry }));

        // Bounded by the test, not a measured duration: before the fix, the read of /proc/kmsg never returned.
        Assert.True(((IAsyncResult)scan).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(120)), "hashing /proc hung");
        Assert.Equal(ScanRunStatus.Completed, scan.Result.Status);
    }

    [LinuxFact]
    public void AFifoOrADeviceGivenAsTheCatalog_IsRefusedAtOnce_NotOpened()
    {
        string fifo = T.Combine("catalog.fifo");
        Trees.MkFifo(fifo);
        foreach (string notAFile in new[] { fifo, "/dev/null" })
        {
            var read = Task.Run(() => CatalogReader.Open(notAFile));
            Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "opening " + notAFile + " hung");
            var refused = Assert.IsType<CatalogException>(read.Exception?.InnerException);
            Assert.Equal(CatalogErrorCode.NotACatalog, refused.Code);
            var write = Assert.Throws<CatalogException>(() => Registry.Acquire(notAFile));
            Assert.Equal(CatalogErrorCode.NotACatalog, write.Code);
        }
        Assert.False(File.Exists("/dev/null-scantools.lock") && new FileInfo("/dev/null-scantools.lock").LastWriteTimeUtc > DateTime.UtcNow.AddMinutes(-1));
    }

    [UnixFact]
    public void FollowingALinkThatAnEarlierScanRecordedAsALink_DoesNotMarkItRemoved()
    {
        string tree = T.Dir("links");
        T.File("links/keep/a.txt", "1");
        Directory.CreateSymbolicLink(Path.Combine(tree, "lnk"), "keep");
        Directory.CreateSymbolicLink(Path.Combine(tree, "excluded-lnk"), "keep");
        string db = T.Db();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { tree } }, new ScanJobSettings { Registry = Registry });

        ScanRun followed = ScanJob.Run(db, new ScanOptions { Roots = new[] { tree }, FollowSymlinks = true, Exclude = new[] { "excluded-lnk" } },
            new ScanJobSettings { Registry = Registry });

        Assert.Equal(0, followed.Removed);
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE removed_scan_id IS NOT NULL;"));
    }
}
