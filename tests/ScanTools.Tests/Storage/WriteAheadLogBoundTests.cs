using Microsoft.Data.Sqlite;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>The writer keeps the write-ahead log bounded while readers keep reading (as a -Hash scan's walkers do).</summary>
public sealed class WriteAheadLogBoundTests : CatalogTest
{
    [Fact]
    public void WithAReaderAlwaysInATransaction_TheWriterStillEmptiesTheLogPastItsLimit_AndLosesNothing()
    {
        string db = T.Combine("catalog.db");
        var run = Guid.NewGuid();
        long maxLog = 0;
        int rows = 0;
        using var stop = new CancellationTokenSource();
        long reads = 0;
        long truncations;
        using (var writer = new CatalogWriter(db, Durability.Normal) { LogLimitBytes = 1L << 20, LogLimitInterval = TimeSpan.FromMilliseconds(50) })
        {
            writer.Begin();
            writer.Apply(Writes.Start(run));
            writer.Commit();
            // A reader that is always in a short transaction, as the walkers reading stored hashes folder by folder.
            var reader = new Thread(() =>
            {
                using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
                c.Open();
                using SqliteCommand q = c.CreateCommand();
                q.CommandText = "SELECT count(*) FROM files;";
                while (!stop.IsCancellationRequested)
                {
                    using SqliteTransaction tx = c.BeginTransaction(deferred: true);
                    q.Transaction = tx;
                    q.ExecuteScalar();
                    Interlocked.Increment(ref reads);
                }
            }) { IsBackground = true };
            reader.Start();
            SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > 0);
            for (int i = 0; i < 600; i++)
            {
                writer.Begin();
                writer.Apply(Writes.Listing(run, $"/synthetic/d{i:D4}", 200));
                writer.Commit();
                rows += 200;
                maxLog = Math.Max(maxLog, new FileInfo(db + "-wal").Length);
            }
            stop.Cancel();
            reader.Join();
            truncations = writer.LogTruncations;
        }
        // Without the bound the log reached 44 MiB here (all that was written); with a limit of 1 MiB, 7-11 MiB: what is
        // committed between two attempts, more when the reader, in a transaction all the time, makes one give up.
        Assert.True(maxLog < 16L << 20, $"the log reached {maxLog:N0} bytes");
        Assert.True(truncations > 0, "the writer emptied the log at least once");
        Assert.Equal(rows, Sql.Files(db));
    }
}
