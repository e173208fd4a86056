using System.Collections.Concurrent;
using System.Text.Json;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// A write SQLite refuses on its own (here: a trigger the test installs that refuses files named
/// "poison*", a real SQLITE_CONSTRAINT) is undone and reported to the producer that sent it; everything
/// else in its transaction is committed and the session goes on for everyone.
/// </summary>
public sealed class RefusedWriteTests : CatalogTest
{
    private const string RefusePoison = """
        CREATE TRIGGER refuse_poison BEFORE INSERT ON files WHEN NEW.name LIKE 'poison%'
        BEGIN SELECT RAISE(ABORT, 'refused by the test''s trigger'); END;
        """;

    /// <summary>A new catalog with the refusing trigger installed.</summary>
    internal static string PoisonableCatalog(TempDirectory t, WriterSessionRegistry registry)
    {
        string db = t.Db();
        using (WriterSessionLease lease = registry.Acquire(db))
        {
            lease.Flush(); // creates the catalog
        }
        Sql.Execute(db, RefusePoison);
        return db;
    }

    private static DirectoryListing Poison(Guid run, string dir, int files) => Writes.Listing(run, dir, files, prefix: "poison");

    [Fact]
    public void RefusedWrite_AmongGoodOnes_IsLeftOutAlone_ReportedAtFlush_AndTheSessionGoesOn()
    {
        string db = PoisonableCatalog(T, Registry);
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db);
        lease.Write(Writes.Start(run));
        lease.Write(Writes.Listing(run, "/good/a", 100));
        DirectoryListing poison = Poison(run, "/bad", 7);
        lease.Write(poison);
        lease.Write(Writes.Listing(run, "/good/b", 100));

        CatalogException ex = Assert.Throws<CatalogException>(() => lease.Flush());

        Assert.Equal(CatalogErrorCode.WriteRejected, ex.Code);
        RejectedWrite refused = Assert.Single(ex.Rejected);
        Assert.Same(poison, refused.Write);
        Assert.Equal(7, refused.Rows);
        Assert.Contains("refused by the test's trigger", refused.Reason);
        Assert.Contains("/bad", ex.Message);
        Assert.Equal(200, Sql.Files(db));
        Assert.False(lease.Session.IsFaulted);
        SessionStatistics stats = lease.Session.Statistics();
        Assert.Equal(7, stats.RejectedRows);
        Assert.Equal(1, stats.RejectedWrites);
        Assert.Equal(0, stats.FailedRows);
        Assert.Equal(0, stats.PendingRows);

        // The session takes more writes, and a flush with nothing refused since succeeds.
        lease.Write(Writes.Listing(run, "/good/c", 50));
        lease.Flush();
        Assert.Equal(250, Sql.Files(db));
    }

    [Fact]
    public void RefusedWrite_LeavesNoPartOfItself_EvenAFolderRowItCreated()
    {
        string db = PoisonableCatalog(T, Registry);
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db);
        lease.Write(Writes.Start(run));
        var mixed = new DirectoryListing
        {
            RunKey = run,
            DirectoryPath = "/mixed/new-folder",
            Mode = ListingMode.Records,
            Files = new[] { new FileRecord("/mixed/new-folder", "fine.dat"), new FileRecord("/mixed/new-folder", "poison.dat") },
        };
        lease.Write(mixed);

        Assert.Throws<CatalogException>(() => lease.Flush());

        Assert.Equal(0, Sql.Files(db)); // the write is a unit: its good file is not there either
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM directories WHERE path LIKE '/mixed%';"));
        lease.Write(Writes.Listing(run, "/mixed/new-folder", 3)); // the folder can be written afterwards
        lease.Flush();
        Assert.Equal(3, Sql.Files(db));
    }

    [Fact]
    public void RefusalsReachOnlyTheProducerThatSentThem_AcrossThreads()
    {
        const int producers = 8, listingsEach = 40, filesEach = 50;
        string db = PoisonableCatalog(T, Registry);
        var run = Guid.NewGuid();
        using WriterSessionLease setup = Registry.Acquire(db);
        setup.Write(Writes.Start(run));
        setup.Flush();
        var refusedBy = new ConcurrentDictionary<int, int>();
        var otherErrors = new ConcurrentBag<Exception>();
        // Producers 2 and 5 send a poison listing every 4th time; the others only good ones.
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            try
            {
                using WriterSessionLease lease = Registry.Acquire(db);
                for (int i = 0; i < listingsEach; i++)
                {
                    bool poison = p is 2 or 5 && i % 4 == 0;
                    lease.Write(poison ? Poison(run, $"/p{p}/d{i}", filesEach) : Writes.Listing(run, $"/p{p}/d{i}", filesEach));
                }
                try
                {
                    lease.Flush();
                    refusedBy[p] = 0;
                }
                catch (CatalogException ex) when (ex.Code == CatalogErrorCode.WriteRejected)
                {
                    refusedBy[p] = ex.Rejected.Count;
                    Assert.All(ex.Rejected, r => Assert.StartsWith($"/p{p}/", ((DirectoryListing)r.Write).DirectoryPath));
                }
            }
            catch (Exception ex)
            {
                otherErrors.Add(ex);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(otherErrors);
        for (int p = 0; p < producers; p++)
        {
            Assert.Equal(p is 2 or 5 ? listingsEach / 4 : 0, refusedBy[p]);
        }
        int good = producers * listingsEach - 2 * (listingsEach / 4);
        Assert.Equal(good * filesEach, Sql.Files(db));
        Assert.False(setup.Session.IsFaulted);
        Assert.Equal(2 * (listingsEach / 4) * filesEach, setup.Session.Statistics().RejectedRows);
    }

    [Fact]
    public void TheSameFileTwiceInOneListingOfANewFolder_IsRecordedOnce_WithTheLastValues()
    {
        string db = T.Db();
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db);
        lease.Write(Writes.Start(run));
        lease.Write(new DirectoryListing
        {
            RunKey = run,
            DirectoryPath = "/twice",
            Mode = ListingMode.Records,
            Files = new[]
            {
                new FileRecord("/twice", "a.txt") { Length = 1 },
                new FileRecord("/twice", "b.txt") { Length = 5 },
                new FileRecord("/twice", "a.txt") { Length = 2 },
            },
        });

        lease.Flush(); // no refusal: a duplicate is not an error

        Assert.Equal(2, Sql.Files(db));
        Assert.Equal(2, Sql.Scalar(db, "SELECT size FROM files WHERE name = 'a.txt';"));
    }

    [Fact]
    public void ACatalogFailure_IsNotARefusal_ItStillFailsTheSessionForEveryProducer()
    {
        // Disk full concerns every write: it must not be mistaken for a refusal of one and retried forever.
        string db = T.Db();
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db, new WriterSessionOptions { MaxPageCount = 40 });
        lease.Write(Writes.Start(run));

        // The writer fails while the producer still writes or when it flushes, whichever comes first: either way it is told.
        CatalogException ex = Assert.Throws<CatalogException>(() =>
        {
            for (int i = 0; i < 50; i++)
            {
                lease.Write(Writes.Listing(run, $"/full/d{i}", 200));
            }
            lease.Flush();
        });

        Assert.Equal(CatalogErrorCode.WriteFailed, ex.Code);
        Assert.True(lease.Session.IsFaulted);
    }

    [Theory]
    [InlineData(19, true)] // SQLITE_CONSTRAINT
    [InlineData(20, true)] // SQLITE_MISMATCH
    [InlineData(18, true)] // SQLITE_TOOBIG
    [InlineData(13, false)] // SQLITE_FULL
    [InlineData(10, false)] // SQLITE_IOERR
    [InlineData(8, false)] // SQLITE_READONLY
    [InlineData(11, false)] // SQLITE_CORRUPT
    [InlineData(5, false)] // SQLITE_BUSY
    public void OnlyFailuresOfOneWrite_CountAsRefusals(int sqliteCode, bool refusal) =>
        Assert.Equal(refusal, CatalogWriter.IsRefusalOfOneWrite(new Microsoft.Data.Sqlite.SqliteException("x", sqliteCode)));
}

/// <summary>The same across processes: a refused write in a forwarded batch reaches the process that sent it.</summary>
[Collection("MultiProcess")]
public sealed class RefusedWriteAcrossProcessesTests : ChildProcessTest
{
    [UnixFact]
    public void RefusedWritesInForwardedBatches_ReachOnlyTheirProcess_AndNoProcessFails()
    {
        string db = RefusedWriteTests.PoisonableCatalog(T, Registry);
        Registry.CloseAll();
        // Four processes: one becomes the writer, the others forward. Two send a poison listing every 5th.
        var children = new List<ChildWriter>
        {
            Writer(db, 20_000, "a"),
            Writer(db, 20_000, "b", "--poison-every", "5"),
            Writer(db, 20_000, "c"),
            Writer(db, 20_000, "d", "--poison-every", "5"),
        };

        List<JsonElement> done = children.Select(c => c.Done()).ToList();

        Assert.All(children, c => Assert.Equal(0, c.WaitForExit()));
        Assert.Contains(children, c => c.Role().GetProperty("role").GetString() == "Forwarder");
        // 20 listings of 1,000 each: listings 0, 5, 10, 15 are poison for b and d.
        Assert.Equal(new long[] { 0, 4_000, 0, 4_000 }, done.Select(d => d.GetProperty("rejectedRows").GetInt64()));
        Assert.All(done, d => Assert.Equal(0, d.GetProperty("failed").GetInt64()));
        Assert.All(done, d => Assert.False(d.GetProperty("faulted").GetBoolean()));
        Assert.Equal(80_000 - 8_000, Sql.Files(db));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name LIKE 'poison%';"));
        Assert.Equal(4, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';"));
    }
}
