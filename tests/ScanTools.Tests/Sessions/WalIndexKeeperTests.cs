using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// A forwarding session keeps one idle read-only connection to its catalog, so that the writer's
/// process is never the catalog's last user when it hands over (the successor would otherwise rebuild
/// SQLite's WAL index from the whole WAL while everyone waits), and closes it with the session.
/// </summary>
[Collection("MultiProcess")]
public sealed class WalIndexKeeperTests : ChildProcessTest
{
    [LinuxFact]
    public void AForwarder_HoldsTheCatalogOpenWhileItLives_AndNothingAfterItCloses()
    {
        string db = T.Db();
        string real = CanonicalPath.Resolve(db);
        ChildWriter writer = Child(new[] { "write", db, "--hold-open" });
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());

        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            Assert.Equal(SessionRole.Forwarder, lease.Session.Role);
            var run = Guid.NewGuid();
            lease.Write(Writes.Start(run));
            lease.Write(Writes.Listing(run, "/keeper/d", 100));
            lease.Flush();
            Assert.True(lease.Session.WalKeeperSettled.Wait(TimeSpan.FromSeconds(30)), "the idle connection was never opened");

            Assert.Contains(db, OpenFiles());
            Assert.Contains(db + "-shm", OpenFiles()); // the WAL index is mapped: this process keeps it alive
        }

        Assert.DoesNotContain(OpenFiles(), f => f.StartsWith(db, StringComparison.Ordinal));
        writer.CloseInput();
        Assert.Equal(0, writer.WaitForExit());
        Assert.Equal(100, Sql.Files(db));
    }

    [UnixTheory]
    [InlineData(30_000, true)]
    [InlineData(0, false)]
    public void AProcessThatTakesOver_KeepsItsProducersToAFairShare_UntilTheGraceIsOver(int graceMs, bool shareAfterACommit)
    {
        // The old writer's clients are about to reconnect and resend: the new writer's own producers must
        // not fill a deep queue first that the resends would wait behind. No client reconnects here, so
        // once the grace is over the first commit gives the producers the deep queue of a lone writer back.
        string db = T.Db();
        ChildWriter writer = Writer(db, 2_000, "w", "--hold");
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());
        writer.WaitFor(l => l.TryGetProperty("holding", out _));

        var options = new WriterSessionOptions { TakeOverGrace = TimeSpan.FromMilliseconds(graceMs) };
        using WriterSessionLease lease = Registry.Acquire(db, options);
        Assert.Equal(SessionRole.Forwarder, lease.Session.Role);
        var run = Guid.NewGuid();
        lease.Write(Writes.Start(run));
        lease.Write(Writes.Listing(run, "/takeover/before", 500));
        lease.Flush();

        writer.SendLine("go");
        Assert.Equal(0, writer.WaitForExit()); // a clean hand-over: this process, its only client, takes over
        lease.Write(Writes.Listing(run, "/takeover/after", 500));
        lease.Flush(); // committed by this process as the writer

        Assert.Equal(SessionRole.Writer, lease.Session.Role);
        long fairShare = options.MaxForwardedPendingRows / 2;
        Assert.Equal(shareAfterACommit ? fairShare : options.MaxPendingRows, lease.Session.OwnQueueLimit);
        Assert.Equal(3000, Sql.Files(db));
    }

    /// <summary>The files this process has open, by path.</summary>
    private static List<string> OpenFiles()
    {
        var paths = new List<string>();
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is string target)
                {
                    paths.Add(target);
                }
            }
            catch (IOException)
            {
                // closed while listing
            }
        }
        return paths;
    }
}
