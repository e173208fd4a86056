using System.Collections.Concurrent;
using System.Text.Json;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// A new catalog appears whole: every opener that races its creation (readers and writers, in this process
/// and in others) finds either no catalog at all or a complete one, never a half-made file.
/// </summary>
public sealed class CatalogCreationTests : ChildProcessTest
{
    /// <summary>Opens the catalog for reading until it exists; anything but "not there yet" is a failure.</summary>
    private static void ReadUntilThere(string db, ConcurrentBag<string> failures, CancellationToken giveUp)
    {
        while (!giveUp.IsCancellationRequested)
        {
            try
            {
                using CatalogReader reader = CatalogReader.Open(db);
                _ = reader.GetScanRuns();
                return;
            }
            catch (CatalogException ex) when (ex.Code == CatalogErrorCode.NotFound)
            {
                Thread.SpinWait(50); // not created yet: the one answer a racing reader may get
            }
            catch (Exception ex)
            {
                failures.Add($"{ex.GetType().Name}: {ex.Message}");
                return;
            }
        }
    }

    [UnixFact]
    public void TheWriter_RemovesTheDraftsOfCreationsWhoseProcessDied_AndKeepsLiveOnes()
    {
        string db = T.Db();
        string dead = db + ".creating-999999-0123456789abcdef"; // no such process: a creation killed mid-way
        string live = db + $".creating-{Environment.ProcessId}-fedcba9876543210";
        foreach (string f in new[] { dead, dead + "-journal", dead + "-shm", live })
        {
            File.WriteAllText(f, "draft");
        }

        using (Registry.Acquire(db))
        {
        }

        Assert.True(File.Exists(db));
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(dead + "-journal"));
        Assert.False(File.Exists(dead + "-shm"));
        Assert.True(File.Exists(live), "a draft of a live process was removed");
    }

    [Fact]
    public void ReadersAndWritersRacingANewCatalog_InOneProcess_NeverSeeItHalfMade()
    {
        var failures = new ConcurrentBag<string>();
        for (int round = 0; round < 40; round++)
        {
            string db = T.Db($"round{round}.db");
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            using var start = new Barrier(8);
            // Two writers with separate registries: two sessions that race for the writer lock like two processes.
            var registries = new[] { new WriterSessionRegistry(), new WriterSessionRegistry() };
            var threads = new List<Thread>();
            foreach (WriterSessionRegistry registry in registries)
            {
                threads.Add(new Thread(() =>
                {
                    start.SignalAndWait();
                    try
                    {
                        using WriterSessionLease lease = registry.Acquire(db);
                        lease.Write(Writes.Start(Guid.NewGuid()));
                        lease.Flush();
                    }
                    catch (Exception ex)
                    {
                        failures.Add($"writer: {ex.GetType().Name}: {ex.Message}");
                    }
                }));
            }
            for (int i = 0; i < 6; i++)
            {
                threads.Add(new Thread(() =>
                {
                    start.SignalAndWait();
                    ReadUntilThere(db, failures, giveUp.Token);
                }));
            }
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            foreach (WriterSessionRegistry r in registries)
            {
                r.CloseAll();
            }
            long runs = Sql.Scalar(db, "SELECT count(*) FROM scan_runs;");
            Assert.True(runs == 2, $"round {round}: {runs} runs in the catalog, not 2; {string.Join("; ", failures)}; files: {string.Join(", ", Directory.GetFiles(T.Path, $"round{round}*").Select(Path.GetFileName))}");
        }
        Assert.Empty(failures);
    }

    [UnixFact]
    public void ProcessesRacingANewCatalog_WithReadersHere_AllSucceed()
    {
        var failures = new ConcurrentBag<string>();
        for (int round = 0; round < 5; round++)
        {
            string db = T.Db($"round{round}.db");
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var children = Enumerable.Range(0, 4).Select(_ => Child(new[] { "open-writer", db })).ToList();
            var readers = Enumerable.Range(0, 4).Select(_ => new Thread(() => ReadUntilThere(db, failures, giveUp.Token))).ToList();
            readers.ForEach(t => t.Start());

            foreach (ChildWriter c in children)
            {
                JsonElement line = c.WaitFor(l => l.TryGetProperty("ok", out _) || l.TryGetProperty("error", out _));
                Assert.True(line.TryGetProperty("ok", out _), line.ToString());
                int exit = c.WaitForExit();
                Assert.True(exit == 0, $"child exited {exit}: {c.Stderr}");
            }
            readers.ForEach(t => t.Join());
            Assert.Equal(4, Sql.Scalar(db, "SELECT count(*) FROM scan_runs;"));
        }
        Assert.Empty(failures);
    }
}
