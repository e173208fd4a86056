using System.Text.Json;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// Real child processes writing one catalog at once: one of them holds the writer lock, the others
/// forward to it. Kills are real SIGKILLs; counts are read back with plain SQL.
/// </summary>
[Collection("MultiProcess")]
public sealed class MultiProcessTests : ChildProcessTest
{
    private static long RowsOf(string db, string prefix) =>
        Sql.Scalar(db, "SELECT count(*) FROM files f JOIN directories d ON d.id = f.dir_id WHERE d.path >= $lo AND d.path < $hi;",
            ("$lo", $"/mp/{prefix}/"), ("$hi", $"/mp/{prefix}0"));

    private static string RunStatus(string db, string run) =>
        Sql.Text(db, "SELECT status FROM scan_runs WHERE run_key = $k;", ("$k", run));

    [UnixFact]
    public void ProcessesWithDifferentEnvironments_FindTheSameWriter()
    {
        // A scan from cron has no XDG_RUNTIME_DIR, one from a login shell has it, and TMPDIR may differ too: the
        // socket folder came from them, so the second process never reached the first and failed its election.
        string db = T.Db();
        ChildWriter writer = Track(new ChildWriter(new[] { "write", db, "--records", "2000", "--prefix", "w", "--report-every", "1", "--hold" },
            env: new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = T.Dir("login-runtime"), ["TMPDIR"] = T.Dir("login-tmp") }));
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());
        ChildWriter cron = Track(new ChildWriter(new[] { "write", db, "--records", "3000", "--prefix", "c", "--report-every", "1" },
            env: new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = string.Empty, ["TMPDIR"] = T.Dir("cron-tmp") }));
        JsonElement role = cron.Role();
        Assert.Equal("Forwarder", role.GetProperty("role").GetString());
        Assert.Equal(writer.Role().GetProperty("pid").GetInt32(), role.GetProperty("writerPid").GetInt32());
        cron.Done();
        Assert.Equal(0, cron.WaitForExit());
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        writer.SendLine("finish");
        writer.Done();
        Assert.Equal(3_000, RowsOf(db, "c"));
        Assert.Equal(2_000, RowsOf(db, "w"));
    }

    [UnixFact]
    public void TwoProcesses_ScanningOneCatalogAgainAndAgain_NeitherCrashes_AndEveryRunCompletes()
    {
        // Each scan opens a new session, so the writer is elected and handed over again and again. A process that
        // read the catalog's files through descriptors of its own released SQLite's locks on them, and the other
        // process rebuilt the -shm file it had mapped: SIGBUS (exit 135), 3 times in 3 with these sizes.
        string db = T.Db();
        string big = T.Dir("big");
        for (int d = 0; d < 25; d++)
        {
            string dir = Directory.CreateDirectory(Path.Combine(big, $"d{d:D2}")).FullName;
            for (int f = 0; f < 400; f++)
            {
                File.WriteAllText(Path.Combine(dir, $"f{f:D3}"), string.Empty);
            }
        }
        string small = T.Dir("small");
        File.WriteAllText(Path.Combine(small, "a"), "a");
        File.WriteAllText(Path.Combine(small, "b"), "b");

        using var a = new ChildWriter(new[] { "scan-loop", db, big, "12" });
        using var b = new ChildWriter(new[] { "scan-loop", db, small, "60" });

        a.WaitFor(l => l.TryGetProperty("loops", out _), TimeSpan.FromMinutes(4));
        b.WaitFor(l => l.TryGetProperty("loops", out _), TimeSpan.FromMinutes(4));
        Assert.Equal(0, a.WaitForExit());
        Assert.Equal(0, b.WaitForExit());
        Assert.Equal(72, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';"));
        Assert.Equal(10_000 + 2, Sql.Files(db));
    }

    [UnixFact]
    public void EightProcesses_OfAHundredThousandRecordsEach_WriteExactlyEightHundredThousandRows()
    {
        string db = T.Db();
        var children = Enumerable.Range(0, 8).Select(i => Writer(db, 100_000, $"p{i}")).ToList();

        List<JsonElement> done = children.Select(c => c.Done()).ToList();

        Assert.All(children, c => Assert.Equal(0, c.WaitForExit()));
        Assert.All(done, d => Assert.Equal(0, d.GetProperty("failed").GetInt64()));
        Assert.Equal(800_000, Sql.Files(db));
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(100_000, RowsOf(db, $"p{i}"));
        }
        Assert.Contains(children, c => c.Role().GetProperty("role").GetString() == "Forwarder");
        Assert.Equal(8, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';"));
    }

    [UnixFact]
    public void KillingTheWriterMidRun_LosesNothingFromTheSurvivors_AndTheyFinish()
    {
        string db = T.Db();
        // The writer writes its rows and holds its run open, serving the others, until it is killed.
        ChildWriter writer = Writer(db, 20_000, "w", "--hold");
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());
        var others = Enumerable.Range(0, 5).Select(i => Writer(db, 100_000, $"s{i}")).ToList();
        Assert.All(others, o => Assert.Equal("Forwarder", o.Role().GetProperty("role").GetString()));
        others.ForEach(o => o.Written(10_000)); // everyone is mid-run, with batches in flight

        writer.Kill();

        List<JsonElement> done = others.Select(o => o.Done()).ToList();
        Assert.All(others, o => Assert.Equal(0, o.WaitForExit()));
        for (int i = 0; i < others.Count; i++)
        {
            Assert.Equal(100_000, RowsOf(db, $"s{i}")); // each record exactly once: the key is (folder, name)
            Assert.Equal("Completed", RunStatus(db, others[i].Role().GetProperty("run").GetString()!));
        }
        Assert.Contains(done, d => d.GetProperty("role").GetString() == "Writer"); // someone took over
        Assert.Contains(done, d => d.GetProperty("resent").GetInt64() > 0);
        // The killed writer's own run cannot finish; the new writer marks it Failed.
        Assert.Equal("Failed", RunStatus(db, writer.Role().GetProperty("run").GetString()!));
    }

    [UnixFact]
    public void KillingAForwarderMidRun_DoesNotDisturbTheOthers()
    {
        string db = T.Db();
        ChildWriter writer = Writer(db, 100_000, "w", "--hold");
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());
        ChildWriter victim = Writer(db, 400_000, "victim");
        var others = Enumerable.Range(0, 3).Select(i => Writer(db, 100_000, $"s{i}")).ToList();
        victim.Written(20_000);

        victim.Kill();

        others.ForEach(o => o.Done());
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        writer.SendLine("finish");
        writer.Done();
        Assert.Equal(100_000, RowsOf(db, "w"));
        for (int i = 0; i < others.Count; i++)
        {
            Assert.Equal(100_000, RowsOf(db, $"s{i}"));
        }
        Assert.InRange(RowsOf(db, "victim"), 0, 400_000 - 1);
    }

    [UnixFact]
    public void CleanExitOfTheWriterMidRun_PausesTheOthersUnderASecond_AndLosesNothing()
    {
        string db = T.Db();
        ChildWriter writer = Writer(db, 10_000, "w", "--hold");
        Assert.Equal("Writer", writer.Role().GetProperty("role").GetString());
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        var others = Enumerable.Range(0, 4).Select(i => Writer(db, 200_000, $"s{i}")).ToList();
        others.ForEach(o => o.Written(20_000));

        writer.SendLine("finish"); // the writer ends its run and exits normally: a hand-over
        Assert.Equal(0, writer.WaitForExit());

        List<JsonElement> done = others.Select(o => o.Done()).ToList();
        Assert.All(done, d => Assert.True(d.GetProperty("maxWriteMs").GetDouble() < 1000, $"a producer waited {d.GetProperty("maxWriteMs").GetDouble():F0} ms"));
        Assert.Contains(done, d => d.GetProperty("role").GetString() == "Writer");
        Assert.Equal(10_000 + 4 * 200_000, Sql.Files(db));
    }

    [UnixFact]
    public void FiftyProcessesAtOnce_WithSmallLoads_AllArrive()
    {
        string db = T.Db();
        var children = Enumerable.Range(0, 50).Select(i => Writer(db, 2_000, $"p{i:D2}")).ToList();

        children.ForEach(c => c.Done(TimeSpan.FromMinutes(5)));

        Assert.All(children, c => Assert.Equal(0, c.WaitForExit()));
        Assert.Equal(100_000, Sql.Files(db));
        Assert.Equal(50, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';"));
    }

    [UnixFact]
    public void TwoCatalogs_WrittenByOverlappingProcesses_EachGetOnlyTheirOwnRows()
    {
        string a = T.Db("a.db"), b = T.Db("b.db");
        var onlyA = Enumerable.Range(0, 2).Select(i => Writer(a, 20_000, $"a{i}")).ToList();
        var onlyB = Enumerable.Range(0, 2).Select(i => Writer(b, 20_000, $"b{i}")).ToList();
        var both = Enumerable.Range(0, 2).Select(i => Writer(a + "," + b, 20_000, $"ab{i}")).ToList();

        onlyA.Concat(onlyB).Concat(both).ToList().ForEach(c => c.Done());

        Assert.Equal(4 * 20_000, Sql.Files(a));
        Assert.Equal(4 * 20_000, Sql.Files(b));
        Assert.Equal(0, Sql.Scalar(a, "SELECT count(*) FROM directories WHERE path LIKE '/mp/b%';"));
        Assert.Equal(0, Sql.Scalar(b, "SELECT count(*) FROM directories WHERE path LIKE '/mp/a_/%';"));
        Assert.Equal(20_000, RowsOf(a, "ab1"));
        Assert.Equal(20_000, RowsOf(b, "ab1"));
    }
}
