using System.Security.Cryptography;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

public sealed class ScanJobTests : CatalogTest
{

    private ScanRun Scan(string db, ScanOptions options) =>
        ScanJob.Run(db, options, new ScanJobSettings { Registry = Registry });

    private ScanOptions Root(string relative, Func<ScanOptions, ScanOptions>? change = null)
    {
        var o = new ScanOptions { Roots = new[] { T.Combine(relative.Split('/')) } };
        return change?.Invoke(o) ?? o;
    }

    private static List<Finding> Find(string db, FindingQuery? query = null)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindFiles(query ?? new FindingQuery()).ToList();
    }

    [UnixFact]
    public void Scan_RecordsTheRunAndEveryFile_ThatFindSees()
    {
        Trees.BuildMixed(T);
        string db = T.Db();

        ScanRun run = Scan(db, Root("tree"));

        ISet<string> expected = Support.Find.NonDirectories(T.Combine("tree"));
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(expected.Count, run.Files);
        Assert.Equal(0, run.Errors);
        Assert.Equal(new[] { T.Combine("tree") }, run.Roots);
        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal), Find(db).Select(f => f.FullName).OrderBy(p => p, StringComparer.Ordinal));
        Assert.All(Find(db), f => Assert.Equal(run.Id, f.FirstScanId));
    }

    [UnixFact]
    public void A_scan_of_the_folder_holding_its_catalog_leaves_the_catalogs_files_out_whatever_path_leads_there()
    {
        Trees.BuildMixed(T);
        string tree = T.Combine("tree");
        string db = Path.Combine(tree, "inside.db");
        // Files named like the catalog's, but not its: recorded as any other.
        File.WriteAllText(Path.Combine(tree, "inside.db.bak"), "x");
        File.WriteAllText(Path.Combine(tree, "inside.db-wal.txt"), "x");
        string link = T.Combine("link-to-tree");
        Directory.CreateSymbolicLink(link, tree);
        ISet<string> expected = Support.Find.NonDirectories(tree); // before the catalog exists

        ScanRun first = Scan(db, Root("tree"));
        File.WriteAllText(db + ".creating-1-x", "a draft of a catalog being made"); // as CatalogDatabase names its drafts
        File.WriteAllText(db + "-consumer.lock", string.Empty); // as Start-ScanConsumer leaves it
        ScanRun second = Scan(db, Root("link-to-tree")); // the same folder by another path
        ScanRun third = Scan(db, Root("tree"));

        Assert.True(File.Exists(db + "-wal") && File.Exists(db + "-scantools.lock"), "the catalog's companions exist while it is open");
        Assert.Equal(expected.Count, first.Files);
        Assert.Equal(expected.Count, second.Files);
        Assert.Equal(expected.Count, third.Files);
        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal),
            Find(db).Where(f => f.FullName.StartsWith(tree + "/", StringComparison.Ordinal)).Select(f => f.FullName).OrderBy(p => p, StringComparer.Ordinal));
    }

    [Fact]
    public void The_writer_leaves_out_its_catalogs_files_from_a_listing_of_their_folder_that_a_remote_scan_sends()
    {
        string db = T.Db();
        string folder = Path.GetDirectoryName(db)!;
        string name = Path.GetFileName(db);
        var run = Guid.NewGuid();
        var now = DateTime.UtcNow;
        using (ScanTools.Sessions.WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanTools.Storage.Writes.ScanRunStart { RunKey = run, StartedUtc = now });
            lease.Write(new ScanTools.Storage.Writes.DirectoryListing
            {
                RunKey = run,
                DirectoryPath = folder,
                Mode = ScanTools.Storage.Writes.ListingMode.Walk,
                Files = new[] { name, name + "-wal", name + "-shm", name + "-scantools.lock", name + "-consumer.lock", name + ".creating-9-x", name + ".bak", "other.txt" }
                    .Select(n => new FileRecord(folder, n) { Length = 1, LastWriteTimeUtc = now }).ToList(),
            });
            lease.Write(new ScanTools.Storage.Writes.ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = now });
            lease.Flush();
        }

        Assert.Equal(new[] { name + ".bak", "other.txt" }, Find(db).Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Rescan_OfAnUnchangedTree_DuplicatesNothing_AndRecordsTheNewSighting()
    {
        for (int i = 0; i < 30; i++)
        {
            T.File($"tree/d{i % 5}/f{i}.txt", new string('x', i));
        }
        string db = T.Db();

        ScanRun first = Scan(db, Root("tree"));
        ScanRun second = Scan(db, Root("tree"));

        Assert.Equal(30, Sql.Files(db));
        Assert.Equal(30, second.Files);
        Assert.Equal(0, second.Removed);
        List<Finding> all = Find(db);
        Assert.All(all, f => Assert.Equal(first.Id, f.FirstScanId));
        Assert.All(all, f => Assert.Equal(second.Id, f.LastScanId));
        Assert.Empty(Find(db, new FindingQuery { State = FindingState.Removed }));
    }

    [Fact]
    public void Rescan_AfterChanges_UpdatesChangedFiles_AddsNewOnes_AndMarksTheGoneRemoved()
    {
        T.File("tree/keep.txt", "same");
        string grows = T.File("tree/grows.txt", "1");
        string doomed = T.File("tree/doomed.txt", "bye");
        T.File("tree/gone-folder/inner/a.txt");
        T.File("tree/gone-folder/b.txt");
        string db = T.Db();
        ScanRun first = Scan(db, Root("tree"));

        File.WriteAllText(grows, "12345");
        File.Delete(doomed);
        Directory.Delete(T.Combine("tree", "gone-folder"), recursive: true);
        string added = T.File("tree/new.txt", "hi");
        ScanRun second = Scan(db, Root("tree"));

        Assert.Equal(3, second.Removed);
        List<Finding> removed = Find(db, new FindingQuery { State = FindingState.Removed });
        Assert.Equal(
            new[] { doomed, T.Combine("tree", "gone-folder", "b.txt"), T.Combine("tree", "gone-folder", "inner", "a.txt") }.Order(StringComparer.Ordinal),
            removed.Select(f => f.FullName).Order(StringComparer.Ordinal));
        Assert.All(removed, f => Assert.Equal(second.Id, f.RemovedScanId));
        Assert.All(removed, f => Assert.Equal(first.Id, f.LastScanId)); // last seen by the first scan

        List<Finding> present = Find(db);
        Assert.Equal(new[] { "grows.txt", "keep.txt", "new.txt" }, present.Select(f => f.Name));
        Assert.Equal(5, present.Single(f => f.Name == "grows.txt").Length);
        Assert.Equal(second.Id, present.Single(f => f.FullName == added).FirstScanId);
        Assert.Equal(first.Id, present.Single(f => f.Name == "keep.txt").FirstScanId);

        // Scan id filters: what the second scan found gone, and what it saw.
        Assert.Equal(3, Find(db, new FindingQuery { State = FindingState.Removed, ScanId = second.Id }).Count);
        Assert.Equal(3, Find(db, new FindingQuery { ScanId = second.Id }).Count);
        Assert.Empty(Find(db, new FindingQuery { ScanId = first.Id }));
    }

    [Fact]
    public void RemovedFile_ThatReappears_IsPresentAgain()
    {
        string f = T.File("tree/flaky.txt");
        string db = T.Db();
        Scan(db, Root("tree"));
        File.Delete(f);
        Scan(db, Root("tree"));
        T.File("tree/flaky.txt");

        ScanRun third = Scan(db, Root("tree"));

        Finding back = Assert.Single(Find(db));
        Assert.False(back.Removed);
        Assert.Equal(third.Id, back.LastScanId);
        Assert.Equal(1, Sql.Files(db));
    }

    [Fact]
    public void Rescan_WithAnExclusion_DoesNotMarkTheExcludedFilesRemoved()
    {
        T.File("tree/a.txt");
        T.File("tree/b.tmp");
        T.File("tree/cache/c.bin");
        string db = T.Db();
        Scan(db, Root("tree"));

        ScanRun narrower = Scan(db, Root("tree", o => o with { Exclude = new[] { "*.tmp", "cache" } }));

        Assert.Equal(0, narrower.Removed);
        Assert.Equal(3, Find(db).Count);
    }

    [Fact]
    public void Rescan_WithAShallowerMaxDepth_DoesNotMarkDeeperFilesRemoved()
    {
        T.File("tree/top.txt");
        T.File("tree/a/b/deep.txt");
        string db = T.Db();
        Scan(db, Root("tree"));

        ScanRun shallow = Scan(db, Root("tree", o => o with { MaxDepth = 0 }));

        Assert.Equal(0, shallow.Removed);
        Assert.Equal(2, Find(db).Count);
    }

    [UnixFact]
    public void Rescan_OfAnUnreadableFolder_KeepsItsFilesPresent()
    {
        T.File("tree/open/a.txt");
        T.File("tree/locked/b.txt");
        string db = T.Db();
        string root = T.Combine("tree");
        Func<(long Files, long Errors)> scan = ChildProcess.IsRoot
            ? () =>
            {
                var (exit, lines, stderr) = ChildProcess.Run(new[] { "scan", db, root }, asNobody: true);
                Assert.True(exit == 0, stderr);
                return (lines[0].GetProperty("files").GetInt64(), lines[0].GetProperty("errors").GetInt64());
            }
            : () =>
            {
                ScanRun r = Scan(db, new ScanOptions { Roots = new[] { root } });
                return (r.Files, r.Errors);
            };
        Assert.Equal((2, 0), scan());

        Trees.Chmod(T.Combine("tree", "locked"), "000");
        Assert.Equal((1, 1), scan());
        Trees.Chmod(T.Combine("tree", "locked"), "755");

        Assert.Equal(2, Find(db).Count);
        Assert.Empty(Find(db, new FindingQuery { State = FindingState.Removed }));
    }

    [Fact]
    public void ParallelScans_OfDifferentRoots_IntoOneCatalog_ShareOneSession_AndLoseNothing()
    {
        const int roots = 4, filesEach = 250;
        for (int r = 0; r < roots; r++)
        {
            for (int i = 0; i < filesEach; i++)
            {
                T.File($"root{r}/d{i % 10}/f{i}.txt");
            }
        }
        string db = T.Db();
        using WriterSessionLease holder = Registry.Acquire(db); // lets the test see the session while the scans run

        ScanRun[] runs = Enumerable.Range(0, roots)
            .Select(r => Task.Run(() => Scan(db, Root($"root{r}"))))
            .ToArray().Select(t => t.GetAwaiter().GetResult()).ToArray();

        Assert.All(runs, r => Assert.Equal(ScanRunStatus.Completed, r.Status));
        Assert.All(runs, r => Assert.Equal(filesEach, r.Files));
        Assert.Equal(roots, runs.Select(r => r.Id).Distinct().Count());
        Assert.Equal(roots * filesEach, Sql.Files(db));
        Assert.Single(Registry.Sessions());
    }

    [LinuxFact]
    public void ARunningScan_KeepsItsCountsCurrentInTheCatalog_WhileItRuns()
    {
        for (int d = 0; d < 50; d++)
        {
            T.File($"tree/d{d:D3}/f.txt");
        }
        string db = T.Db();
        using var pause = new WalkPause(at: 30); // hold the walk mid-way until the counts were seen
        using ScanJob job = ScanJob.Start(db, Root("tree", o => o with { ThrottleLimit = 1 }), pause.Settings(Registry));

        ScanRun? seen = null;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen is null && DateTime.UtcNow < deadline)
        {
            try
            {
                using CatalogReader reader = CatalogReader.Open(db);
                seen = reader.GetScanRuns().FirstOrDefault(r => r.Status == ScanRunStatus.Running && r.Files > 0);
            }
            catch (CatalogException)
            {
                // not created yet
            }
            if (seen is null)
            {
                Thread.Sleep(50); // polling the catalog, as Get-ScanRun would; the counts arrive every 2 s
            }
        }
        pause.Release();

        Assert.NotNull(seen);
        Assert.InRange(seen!.Files, 1, 29);
        Assert.True(seen.Directories > 0);
        Assert.Equal(ScanRunStatus.Completed, job.Completion.Result.Status);
        Assert.Equal(50, job.Completion.Result.Files);
    }

    [LinuxFact]
    public void Cancel_MidScan_MarksTheRunCancelled_AndKeepsExactlyWhatWasAccepted()
    {
        for (int d = 0; d < 400; d++)
        {
            for (int i = 0; i < 5; i++)
            {
                T.File($"tree/d{d:D3}/f{i}.txt");
            }
        }
        string db = T.Db();
        // The walkers stop at the 120th file they list until the caller has cancelled, so the scan is
        // really mid-way when the cancel arrives (without this, a fast walk could finish first).
        using var cancelled = new ManualResetEventSlim();
        int filesListed = 0;
        var settings = new ScanJobSettings
        {
            Registry = Registry,
            EntryListed = path =>
            {
                if (Path.GetFileName(path).StartsWith('f') && Interlocked.Increment(ref filesListed) >= 120)
                {
                    Assert.True(cancelled.Wait(TimeSpan.FromSeconds(60)), "the caller never cancelled");
                }
            },
        };
        using ScanJob job = ScanJob.Start(db, Root("tree", o => o with { ThrottleLimit = 2 }), settings);

        ScanRun run = job.Pump(new ScanObserver
        {
            ProgressInterval = TimeSpan.Zero,
            OnProgress = p =>
            {
                if (p.Files >= 100)
                {
                    job.Cancel();
                    cancelled.Set();
                }
            },
        });

        Assert.Equal(ScanRunStatus.Cancelled, run.Status);
        Assert.InRange(run.Files, 100, 1_999);
        Assert.Equal(run.Files, Sql.Files(db)); // everything counted was committed, nothing more
        Assert.NotNull(run.EndedUtc);
        Assert.Contains("Stopped", run.Message);
    }

    [LinuxTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cancel_WhileAFileIsHashed_KeepsTheFilesItsFolderHadRead_AndMarksNothingRemoved(bool hashedBefore)
    {
        // A -Hash scan stopped (SIGTERM) while it read a huge file kept none of that folder's other files: the
        // folder's listing waited for the file. Now what the folder had read is stored, as an incomplete listing, and the
        // file being read is recorded too, without the hash it did not finish (a hash stored before stays).
        for (int i = 0; i < 60; i++)
        {
            T.File($"tree/f{i:D2}.txt", $"content {i}");
        }
        string db = T.Db();
        if (hashedBefore)
        {
            ScanRun first = Scan(db, Root("tree", o => o with { ThrottleLimit = 1, Hash = true }));
            Assert.Equal(60, first.Files);
            File.Delete(T.Combine("tree", "f00.txt")); // a removal this stopped scan must not see (its listing is incomplete)
        }

        using var reached = new ManualResetEventSlim();
        using var stopped = new ManualResetEventSlim();
        int opened = 0;
        var settings = new ScanJobSettings
        {
            Registry = Registry,
            ContentOpening = path =>
            {
                if (Interlocked.Increment(ref opened) == 30)
                {
                    reached.Set();
                    Assert.True(stopped.Wait(TimeSpan.FromSeconds(60)), "the caller never cancelled");
                    throw new OperationCanceledException("the hash was interrupted by the stop"); // what the hasher does
                }
            },
        };
        // -Rehash: every file is read again, so 29 are hashed before the 30th blocks.
        using ScanJob job = ScanJob.Start(db, Root("tree", o => o with { ThrottleLimit = 1, Rehash = true }), settings);
        Assert.True(reached.Wait(TimeSpan.FromSeconds(60)), "the scan never opened 30 files");
        job.Cancel();
        stopped.Set();
        ScanRun run = job.Pump(new ScanObserver());

        Assert.Equal(ScanRunStatus.Cancelled, run.Status);
        Assert.Equal(30, run.Files); // the 29 hashed, and the one being read when the stop came
        List<Finding> present = Find(db);
        if (hashedBefore)
        {
            Assert.Equal(60, present.Count); // f00.txt is still taken as present: the stopped listing was incomplete
            Assert.All(present, f => Assert.NotNull(f.Sha256)); // the file being read kept its stored hash
            Assert.Empty(Find(db, new FindingQuery { State = FindingState.Removed }));
            Assert.Equal(0, run.Removed);
        }
        else
        {
            Assert.Equal(30, present.Count); // new files: none of them was recorded before the change
            Assert.Equal(29, present.Count(f => f.Sha256 is not null)); // the one being read has no hash yet
        }
    }

    [Fact]
    public void Pump_DeliversRecordsAndErrors_OnTheCallingThread()
    {
        T.File("tree/a.txt");
        T.File("tree/b.txt");
        string db = T.Db();
        int caller = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        var records = new List<string>();
        var errors = new List<ScanError>();
        using ScanJob job = ScanJob.Start(db,
            new ScanOptions { Roots = new[] { T.Combine("tree"), T.Combine("missing") } },
            new ScanJobSettings { PassThru = true, Registry = Registry });

        ScanRun run = job.Pump(new ScanObserver
        {
            OnRecord = r => { threads.Add(Environment.CurrentManagedThreadId); records.Add(r.Name); },
            OnError = e => { threads.Add(Environment.CurrentManagedThreadId); errors.Add(e); },
            OnProgress = _ => threads.Add(Environment.CurrentManagedThreadId),
        });

        Assert.Equal(new[] { caller }, threads);
        Assert.Equal(new[] { "a.txt", "b.txt" }, records.Order());
        Assert.Equal(ScanErrorKind.RootNotFound, Assert.Single(errors).Kind);
        Assert.Equal(1, run.Errors);
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(ScanErrorKind.RootNotFound, Assert.Single(reader.GetScanErrors(run.Id)).Kind);
    }

    [Fact]
    public async Task ObserverThatThrows_CancelsTheScan_WhichStillCommits()
    {
        // More records than the job buffers (4,096), so the walk must wait for the failing observer.
        for (int i = 0; i < 100; i++)
        {
            for (int j = 0; j < 60; j++)
            {
                T.File($"tree/d{i}/f{j}.txt");
            }
        }
        string db = T.Db();
        using ScanJob job = ScanJob.Start(db, Root("tree"), new ScanJobSettings { PassThru = true, Registry = Registry });

        Assert.Throws<InvalidOperationException>(() => job.Pump(new ScanObserver { OnRecord = _ => throw new InvalidOperationException("downstream stopped") }));

        ScanRun run = await job.Completion;
        Assert.Equal(ScanRunStatus.Cancelled, run.Status);
        Assert.Contains("downstream stopped", run.Message); // the run says who stopped it and why
        Assert.Equal(run.Files, Sql.Files(db));
    }

    [Fact]
    public void Hash_IsStored_KeptByAnUnhashedRescan_AndDroppedWhenTheFileChanges()
    {
        string a = T.File("tree/a.txt", "alpha");
        string b = T.File("tree/b.txt", "bravo");
        string db = T.Db();
        Scan(db, Root("tree", o => o with { Hash = true }));
        File.WriteAllText(b, "bravo, changed");

        Scan(db, Root("tree"));

        List<Finding> files = Find(db);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(a))), files.Single(f => f.Name == "a.txt").Sha256);
        Assert.Null(files.Single(f => f.Name == "b.txt").Sha256);
    }

    [Fact]
    public void UnusableCatalog_FailsAtStart_BeforeAnyWalking()
    {
        T.File("tree/a.txt");
        string notACatalog = T.File("not-a-catalog.db", "plain text that is long enough to have a header");

        var ex = Assert.Throws<CatalogException>(() => ScanJob.Start(notACatalog, Root("tree"), new ScanJobSettings { Registry = Registry }));

        Assert.Equal(CatalogErrorCode.NotACatalog, ex.Code);
        Assert.Empty(Registry.Sessions());
    }
}
