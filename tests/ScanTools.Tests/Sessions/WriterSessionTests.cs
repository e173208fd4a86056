using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

public sealed class WriterSessionTests : CatalogTest
{

    [Fact]
    public void SixteenProducerThreads_ThroughOneSession_WriteExactlyEveryRow_WithoutError()
    {
        const int producers = 16, listingsEach = 50, filesEach = 100;
        string db = T.Db();
        var run = Guid.NewGuid();
        using (WriterSessionLease setup = Registry.Acquire(db))
        {
            setup.Write(Writes.Start(run));
            var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
            {
                try
                {
                    using WriterSessionLease lease = Registry.Acquire(db);
                    for (int i = 0; i < listingsEach; i++)
                    {
                        lease.Write(Writes.Listing(run, $"/synthetic/p{p}/d{i}", filesEach));
                    }
                    lease.Flush();
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.Empty(errors);
            SessionStatistics stats = setup.Session.Statistics();
            Assert.Equal(producers * listingsEach * filesEach + 1, stats.CommittedRows);
            Assert.Equal(0, stats.PendingRows);
            Assert.Equal(0, stats.FailedRows);
            Assert.Single(Registry.Sessions());
        }
        Assert.Equal(producers * listingsEach * filesEach, Sql.Files(db));
    }

    [Fact]
    public void Flush_ReturnsOnlyOnceEverythingSentIsVisibleToAnotherConnection()
    {
        string db = T.Db();
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db);
        lease.Write(Writes.Start(run));
        for (int i = 0; i < 20; i++)
        {
            lease.Write(Writes.Listing(run, $"/d{i}", 500));
        }

        lease.Flush();

        Assert.Equal(10_000, Sql.Files(db)); // a separate read connection sees it: committed, not just queued
        Assert.Equal(lease.Session.Statistics().AcceptedRows, lease.Session.Statistics().CommittedRows);
    }

    [Fact]
    public void LastLeaseDisposed_DrainsAndCommitsEverythingQueued()
    {
        string db = T.Db();
        var run = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(run));
            for (int i = 0; i < 50; i++)
            {
                lease.Write(Writes.Listing(run, $"/d{i}", 1000));
            }
            // no Flush: disposal must commit
        }

        Assert.Equal(50_000, Sql.Files(db));
        Assert.Empty(Registry.Sessions());
    }

    [Fact]
    public void Producers_WaitWhileTheQueueIsFull_AndContinueWhenTheWriterCatchesUp()
    {
        string db = T.Db();
        var run = Guid.NewGuid();
        var options = new WriterSessionOptions { MaxPendingRows = 1_000 };
        using WriterSessionLease lease = Registry.Acquire(db, options);
        lease.Write(Writes.Start(run));
        lease.Flush();

        // Another connection holds the write lock, so the session's writer cannot commit.
        using var blocker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();
        }
        using var finished = new ManualResetEventSlim();
        var producer = new Thread(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                lease.Write(Writes.Listing(run, $"/d{i}", 400)); // 4,000 rows against a budget of 1,000
            }
            finished.Set();
        });
        producer.Start();

        // The queue fills up to the budget and then the producer must wait, however long we watch.
        Assert.True(SpinWait.SpinUntil(() => lease.Session.Statistics().PendingRows >= 800, TimeSpan.FromSeconds(30)), "the producer never filled the queue");
        Assert.False(finished.Wait(TimeSpan.FromMilliseconds(300)), "the producer should be held back by the full queue");
        Assert.InRange(lease.Session.Statistics().PendingRows, 800, 1_000 + 400);

        using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }
        Assert.True(finished.Wait(TimeSpan.FromSeconds(30)), "the producer should continue once the writer commits");
        lease.Flush();
        Assert.Equal(4_000, Sql.Files(db));
    }

    [Fact]
    public void FailedWrite_ReachesEveryProducerAsAnError_NothingHangs_AndCommittedRowsStay()
    {
        string db = T.Db();
        var run = Guid.NewGuid();
        using WriterSessionLease lease = Registry.Acquire(db, new WriterSessionOptions { MaxPageCount = 200 });
        lease.Write(Writes.Start(run));
        lease.Write(Writes.Listing(run, "/early", 100));
        lease.Flush();

        var failure = Assert.Throws<CatalogException>(() =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                lease.Write(Writes.Listing(run, $"/bulk/d{i}", 1000));
            }
            lease.Flush();
        });

        Assert.Equal(CatalogErrorCode.WriteFailed, failure.Code);
        Assert.Contains("full", failure.Message);
        SessionStatistics stats = lease.Session.Statistics();
        Assert.True(stats.IsFaulted);
        Assert.True(stats.FailedRows > 0);
        Assert.Equal(stats.AcceptedRows, stats.CommittedRows + stats.FailedRows); // every row accounted for
        Assert.Throws<CatalogException>(() => lease.Write(Writes.Listing(run, "/late", 1)));
        Assert.Throws<CatalogException>(() => lease.Flush());
        Assert.Equal(100, Sql.Files(db) - Sql.Scalar(db, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path LIKE '/bulk/%'") );
        Assert.Equal(100, Sql.Scalar(db, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path = '/early'"));

        // A new holder gets a fresh session rather than the failed one.
        using WriterSessionLease fresh = Registry.Acquire(db);
        Assert.NotSame(lease.Session, fresh.Session);
    }

    [UnixFact]
    public void ReadOnlyCatalog_FailsWhenOpened_WithAnErrorThatSaysWhatToDo()
    {
        string db = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
        }
        string code, message;
        if (ChildProcess.IsRoot)
        {
            // Root may write anything; open as an unprivileged user in a child process instead.
            Trees.Chmod(db, "644");
            Trees.Chmod(T.Path, "755");
            var (exit, lines, stderr) = ChildProcess.Run(new[] { "open-writer", db }, asNobody: true, timeout: TimeSpan.FromSeconds(60));
            Assert.True(exit == 3, $"exit {exit}: {stderr}");
            code = lines.Single().GetProperty("error").GetString()!;
            message = lines.Single().GetProperty("message").GetString()!;
        }
        else
        {
            Trees.Chmod(db, "444");
            Trees.Chmod(T.Path, "555");
            var ex = Assert.Throws<CatalogException>(() => Registry.Acquire(db));
            code = ex.Code.ToString();
            message = ex.Message;
        }
        Trees.Chmod(T.Path, "777");

        Assert.Equal(nameof(CatalogErrorCode.ReadOnly), code);
        Assert.Contains(db, message);
        Assert.Contains("write access", message);
    }

    [Fact]
    public void DurabilityFull_IsHonoured_AndNeverLowered()
    {
        string db = T.Db();
        using WriterSessionLease normal = Registry.Acquire(db);
        using WriterSessionLease full = Registry.Acquire(db, new WriterSessionOptions { Durability = Durability.Full });
        var run = Guid.NewGuid();
        full.Write(Writes.Start(run));
        full.Write(Writes.Listing(run, "/d", 10));
        full.Flush();
        Assert.Same(normal.Session, full.Session);
        Assert.Equal(10, Sql.Files(db));
    }
}
