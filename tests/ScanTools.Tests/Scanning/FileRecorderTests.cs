using System.Security.Cryptography;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

public sealed class FileRecorderTests : CatalogTest
{

    private List<Finding> Find(string db, FindingQuery? q = null)
    {
        using CatalogReader r = CatalogReader.Open(db);
        return r.FindFiles(q ?? new FindingQuery { State = FindingState.All }).ToList();
    }

    [Theory]
    [InlineData("Records", "Stopped before the input ended; what was recorded is kept.")]
    [InlineData("Duplicates", "Stopped before it ended; what was recorded is kept.")] // Find-DuplicateFile takes no input
    public void ARunStoppedBeforeItCompleted_EndsCancelled_WithAMessageThatFitsItsKind(string kind, string message)
    {
        string db = T.Db();
        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry, kind: kind))
        {
            rec.Add(rec.Capture(T.File("in/a.txt", "alpha")));
        }
        Registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = Assert.Single(reader.GetScanRuns());
        Assert.Equal(ScanRunStatus.Cancelled, run.Status);
        Assert.Equal(kind, run.Kind);
        Assert.Equal(message, run.Message);
    }

    [UnixFact]
    public void AWalDeletedWhileTheWriterHoldsIt_EndsTheCommandWithACatalogError_ThatSaysSo_AndTheRunLandsWhenTheWriterCloses()
    {
        string a = T.File("in/a.txt", "alpha");
        string db = T.Db();
        using (FileRecorder first = FileRecorder.Start(db, registry: Registry))
        {
            first.Add(first.Capture(a));
            first.Complete();
        }
        CatalogException refused;
        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
        {
            rec.Add(rec.Capture(a));
            Assert.True(File.Exists(db + "-wal"), "the writer holds its log open from the start of its session");
            File.Delete(db + "-wal"); // what a user's clean-up script did while the command ran
            refused = Assert.Throws<CatalogException>(() => rec.Complete());
        }
        Assert.True(refused.Code == CatalogErrorCode.WriteFailed, refused.Code + ": " + refused.Message);
        Assert.Contains("-wal file", refused.Message);
        Assert.Contains("Get-ScanRun", refused.Message);
        Registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(2, reader.GetScanRuns().Count);
        Assert.All(reader.GetScanRuns(), r => Assert.Equal(ScanRunStatus.Completed, r.Status));
    }

    [Fact]
    public void CapturedFiles_AreRecordedWithTheirMetadataAndHash_AsOneRecordsRun()
    {
        string a = T.File("in/a.txt", "alpha");
        string b = T.File("other/b.bin", "bravo!");
        string db = T.Db();
        ScanRun run;
        using (FileRecorder rec = FileRecorder.Start(db, hash: true, registry: Registry))
        {
            rec.Add(rec.Capture(a));
            rec.Add(rec.Capture(b));
            run = rec.Complete();
        }

        Assert.Equal("Records", run.Kind);
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(2, run.Files);
        Assert.Equal(11, run.Bytes);
        List<Finding> files = Find(db);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), files.Select(f => f.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToHexString(SHA256.HashData("bravo!"u8)), files.Single(f => f.Name == "b.bin").Sha256);
        Assert.All(files, f => Assert.Equal(run.Id, f.LastScanId));
    }

    [Fact]
    public void RecordingSomeFilesOfAFolder_NeverMarksTheOthersRemoved()
    {
        T.File("tree/a.txt");
        string b = T.File("tree/b.txt");
        string db = T.Db();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { T.Combine("tree") } }, new ScanJobSettings { Registry = Registry });

        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
        {
            rec.Add(rec.Capture(b));
            rec.Complete();
        }

        Assert.Equal(2, Find(db, new FindingQuery()).Count);
    }

    [Fact]
    public void AFinding_IsCopiedWithWhatTheCatalogKnows_EvenIfTheFileIsGone()
    {
        string f = T.File("tree/gone-later.txt", "12345");
        string source = T.Db("source.db");
        ScanJob.Run(source, new ScanOptions { Roots = new[] { T.Combine("tree") }, Hash = true }, new ScanJobSettings { Registry = Registry });
        File.Delete(f);
        Finding original = Find(source).Single();

        string copy = T.Db("copy.db");
        using (FileRecorder rec = FileRecorder.Start(copy, registry: Registry))
        {
            rec.Add(FileRecord.FromFinding(original));
            rec.Complete();
        }

        Finding copied = Find(copy).Single();
        Assert.Equal(original.FullName, copied.FullName);
        Assert.Equal(original.Length, copied.Length);
        Assert.Equal(original.LastWriteTimeUtc, copied.LastWriteTimeUtc);
        Assert.Equal(original.Sha256, copied.Sha256);
    }

    [Fact]
    public void Capture_SaysClearlyWhatIsWrongWithAPath_WithAKindTheCmdletMapsOnce()
    {
        string db = T.Db();
        using FileRecorder rec = FileRecorder.Start(db, registry: Registry);

        ScanItemException missing = Assert.Throws<ScanItemException>(() => rec.Capture(T.Combine("missing.txt")));
        Assert.Equal(ScanErrorKind.FileVanished, missing.Kind);
        Assert.Equal(T.Combine("missing.txt"), missing.Path);
        ScanItemException folder = Assert.Throws<ScanItemException>(() => rec.Capture(T.Dir("a-folder")));
        Assert.Equal(ScanErrorKind.NotAFile, folder.Kind);
        Assert.Contains("Start-Scan", folder.Message);
        Assert.Equal(ScanErrorKind.InvalidName, Assert.Throws<ScanItemException>(() => rec.Capture("bad\0name")).Kind);
    }

    [Fact]
    public void TheSameFileAddedTwice_IsRecordedOnce_AndCountedOnce()
    {
        string db = T.Db();
        string a = T.File("twice.txt", "12345");
        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
        {
            rec.Add(rec.Capture(a));
            rec.Add(rec.Capture(a));
            ScanRun run = rec.Complete();
            Assert.Equal(1, run.Files);
            Assert.Equal(5, run.Bytes);
        }
        Assert.Equal(1, Sql.Files(db));
    }

    [UnixFact]
    public void ASymlinkWithTwoNames_IsCountedOnce_AsDuCountsIt()
    {
        string db = T.Db();
        string l1 = T.Combine("links", "l1");
        Directory.CreateDirectory(Path.GetDirectoryName(l1)!);
        File.CreateSymbolicLink(l1, "some/long/target/path");
        string l2 = T.Combine("links", "l2");
        Trees.Sh("ln -P \"$1\" \"$2\"", l1, l2); // the link itself gets a second name
        using FileRecorder rec = FileRecorder.Start(db, registry: Registry);
        rec.Add(rec.Capture(l1));
        rec.Add(rec.Capture(l2));
        ScanRun run = rec.Complete();
        Assert.Equal(2, run.Files);
        Assert.Equal("some/long/target/path".Length, run.Bytes);
    }

    [Fact]
    public void ErrorsOfARecordsRun_AreStoredAndCounted()
    {
        string db = T.Db();
        ScanRun run;
        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
        {
            rec.AddError(new ScanError(T.Combine("gone.txt"), ScanErrorKind.FileVanished, "no such file"));
            rec.Add(rec.Capture(T.File("here.txt")));
            run = rec.Complete();
        }

        Assert.Equal(1, run.Errors);
        using CatalogReader r = CatalogReader.Open(db);
        Assert.Equal(ScanErrorKind.FileVanished, Assert.Single(r.GetScanErrors(run.Id)).Kind);
    }

    [UnixFact]
    public void SpecialFiles_AreRecordedButNeverOpenedForHashing()
    {
        string fifo = T.Combine("not-regular");
        Trees.MkFifo(fifo); // recorded as a special file: never opened, so never hashed, and no error
        string db = T.Db();
        using FileRecorder rec = FileRecorder.Start(db, hash: true, registry: Registry);

        FileRecord special = rec.Capture(fifo, out IReadOnlyList<ScanError> problems);

        Assert.Empty(problems);
        Assert.Null(special.Sha256);
        Assert.Equal(ScanTools.Platform.EntryKind.Special, special.Kind);
    }

    [Fact]
    public void DisposedBeforeComplete_EndsTheRunCancelled_KeepingWhatWasAdded()
    {
        string a = T.File("a.txt");
        string db = T.Db();
        Guid key;
        using (FileRecorder rec = FileRecorder.Start(db, registry: Registry))
        {
            key = rec.RunKey;
            rec.Add(rec.Capture(a));
        }

        using CatalogReader r = CatalogReader.Open(db);
        ScanRun run = r.GetScanRun(key)!;
        Assert.Equal(ScanRunStatus.Cancelled, run.Status);
        Assert.Equal(1, run.Files);
        Assert.Single(r.FindFiles(new FindingQuery()));
    }

    /// <summary>What ForEach-Object -Parallel does with Write-Finding: many runspaces, one process, one catalog.</summary>
    [Fact]
    public void EightParallelRecorders_IntoOneCatalog_ShareOneSession_AndLoseNothing()
    {
        const int workers = 8, filesEach = 150;
        for (int w = 0; w < workers; w++)
        {
            for (int i = 0; i < filesEach; i++)
            {
                T.File($"w{w}/f{i}.txt");
            }
        }
        string db = T.Db();
        using WriterSessionLease holder = Registry.Acquire(db);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();

        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            try
            {
                using FileRecorder rec = FileRecorder.Start(db, registry: Registry);
                foreach (string f in Directory.GetFiles(T.Combine($"w{w}")))
                {
                    rec.Add(rec.Capture(f));
                }
                rec.Complete();
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        });

        Assert.Empty(errors);
        Assert.Equal(workers * filesEach, Sql.Files(db));
        SessionStatistics s = Assert.Single(Registry.Sessions());
        Assert.Equal(0, s.FailedRows);
    }
}
