using System.Text;
using ScanTools.Rules;
using ScanTools.Scanning;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Rules;

/// <summary>Findings through a real scan into a real catalog: stored redacted, found again, resolved, baselined, exported.</summary>
public sealed class FindingsCatalogTests : CatalogTest
{
    private ScanRun Scan(string db, string root, RuleSet? rules)
    {
        using ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Rules = rules }, new ScanJobSettings { Registry = Registry });
        return job.Pump(new ScanObserver());
    }

    private static List<FindingMatch> Matches(string db, FindingMatchQuery? query = null)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindMatches(query ?? new FindingMatchQuery()).ToList();
    }

    /// <summary>Plants every sample in its own file at a random line; returns rule id -> (path, line, secret).</summary>
    private Dictionary<string, (string Path, int Line, string Secret)> Plant(string root, int seed)
    {
        var r = new Random(seed);
        var planted = new Dictionary<string, (string, int, string)>();
        foreach (var (id, (line, secret, _)) in RuleSamples.Make(r))
        {
            string dir = Path.Combine(root, "d" + r.Next(3));
            Directory.CreateDirectory(dir);
            int before = r.Next(0, 30);
            var sb = new StringBuilder();
            for (int i = 0; i < before; i++)
            {
                sb.Append("setting").Append(i).Append(" = plain value\n");
            }
            sb.Append(line).Append('\n');
            string path = Path.Combine(dir, RuleSamples.NameFor(id) ?? id + ".txt");
            File.WriteAllText(path, sb.ToString());
            planted[id] = (path, before + 1, secret);
        }
        return planted;
    }

    [Fact]
    public void Planted_secrets_are_found_at_their_lines_and_never_stored()
    {
        string root = T.Dir("tree");
        var planted = Plant(root, 21);
        string db = Path.Combine(T.Path, "c.db");
        ScanRun run = Scan(db, root, RuleSet.Builtin);
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        List<FindingMatch> found = Matches(db);
        foreach (var (id, (path, line, _)) in planted)
        {
            Assert.Contains(found, m => m.RuleId == id && m.FullName == path && m.Line == line && m.Status == FindingStatus.New);
        }
        Registry.CloseAll();
        byte[] catalog = new[] { db, db + "-wal", db + "-shm" }.Where(File.Exists).SelectMany(File.ReadAllBytes).ToArray();
        foreach (var (id, (_, _, secret)) in planted)
        {
            // The whole secret, and any 12 characters of it, are absent from every byte of the catalog.
            byte[] needle = Encoding.UTF8.GetBytes(secret.Length > 12 ? secret.Substring(secret.Length / 2 - 6, 12) : secret);
            Assert.True(catalog.AsSpan().IndexOf(needle) < 0, $"Part of the {id} secret is in the catalog file.");
        }
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun stored = reader.GetScanRuns().Single(x => x.Id == run.Id);
        Assert.Equal(found.Count, stored.RuleMatches);
        Assert.Equal(planted.Count, stored.ContentFiles);
        Assert.Equal(0, stored.BinarySkipped);
    }

    [Fact]
    public void Binary_and_oversized_files_are_counted_on_the_run_and_a_run_without_rules_has_no_counts()
    {
        string root = T.Dir("tree");
        File.WriteAllBytes(Path.Combine(root, "a.bin"), new byte[] { 1, 0, 2, 3 });
        File.WriteAllText(Path.Combine(root, "big.txt"), new string('x', 5000));
        File.WriteAllText(Path.Combine(root, "small.txt"), "x");
        string db = Path.Combine(T.Path, "c.db");
        using (ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Rules = RuleSet.Builtin, ContentSizeLimit = 1000 }, new ScanJobSettings { Registry = Registry }))
        {
            job.Pump(new ScanObserver());
        }
        Scan(db, root, null);
        using CatalogReader reader = CatalogReader.Open(db);
        List<ScanRun> runs = reader.GetScanRuns().OrderBy(r => r.Id).ToList();
        Assert.Equal((1L, 1L, 1L), (runs[0].ContentFiles!.Value, runs[0].BinarySkipped!.Value, runs[0].OversizedSkipped!.Value));
        Assert.Null(runs[1].RuleMatches);
    }

    [Fact]
    public void A_file_longer_than_any_string_is_counted_oversized_unread_and_the_scan_records_the_rest()
    {
        // A newcomer's 1.2 GB file under -ContentSizeLimit 2000MB: its text could not become a .NET string, and the
        // OutOfMemoryException failed the whole scan with no file recorded. Sparse, so it costs no disk.
        string root = T.Dir("tree");
        var planted = Plant(root, 3);
        using (FileStream big = File.Create(Path.Combine(root, "huge.txt")))
        {
            big.Write(System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("hello ", 2000)))); // text, not binary, where rules look
            big.SetLength(RuleSet.MaxContentLength + 1L);
        }
        string db = Path.Combine(T.Path, "c.db");
        ScanRun run;
        using (ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Rules = RuleSet.Builtin, ContentSizeLimit = 2000L << 20 }, new ScanJobSettings { Registry = Registry }))
        {
            job.Pump(new ScanObserver());
            run = job.Completion.Result;
        }
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(planted.Count + 1, run.Files);
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun stored = reader.GetScanRuns().Single();
        Assert.Equal(1L, stored.OversizedSkipped);
        Assert.Equal(planted.Count, Matches(db).Select(m => m.FullName).Distinct().Count());
    }

    [Fact]
    public void Findings_stay_open_on_rescan_resolve_when_gone_and_reopen_as_new()
    {
        string root = T.Dir("tree");
        var planted = Plant(root, 5);
        string db = Path.Combine(T.Path, "c.db");
        Scan(db, root, RuleSet.Builtin);
        int total = Matches(db).Count;

        Scan(db, root, RuleSet.Builtin);
        Assert.All(Matches(db), m => Assert.Equal(FindingStatus.Open, m.Status));
        Assert.Equal(total, Matches(db).Count);

        // Removed from one file, the file itself deleted for another.
        (string tokenFile, _, _) = planted["github-token"];
        File.WriteAllText(tokenFile, "nothing here any more\n");
        (string jwtFile, _, _) = planted["jwt"];
        File.Delete(jwtFile);

        // A rescan without rules resolves nothing: it did not look.
        Scan(db, root, null);
        Assert.Equal(total, Matches(db).Count);

        ScanRun third = Scan(db, root, RuleSet.Builtin);
        List<FindingMatch> resolved = Matches(db, new FindingMatchQuery { Status = new[] { FindingStatus.Resolved } });
        Assert.Equal(new[] { "github-token", "jwt" }, resolved.Select(m => m.RuleId).OrderBy(x => x, StringComparer.Ordinal));
        Assert.All(resolved, m => Assert.Equal(third.Id, m.ResolvedScanId));
        Assert.Equal(total - 2, Matches(db).Count);

        // A scan with other rules does not resolve findings of rules it did not run.
        File.WriteAllText(planted["gitlab-token"].Path, "clean\n");
        Scan(db, root, RuleSet.Builtin.Select(new[] { "jwt" }));
        Assert.Contains(Matches(db), m => m.RuleId == "gitlab-token");

        // The same secret back in the same place is the same finding, New again.
        File.WriteAllText(jwtFile, RuleSamples.Make(new Random(5))["jwt"].Line);
        ScanRun fifth = Scan(db, root, RuleSet.Builtin);
        FindingMatch back = Assert.Single(Matches(db, new FindingMatchQuery { Rule = new[] { "jwt" } }));
        Assert.Equal(FindingStatus.New, back.Status);
        Assert.Equal(fifth.Id, back.FirstScanId);
        Assert.Equal(resolved.Single(m => m.RuleId == "jwt").Fingerprint, back.Fingerprint);
    }

    [Fact]
    public void A_rescan_with_the_same_rules_reads_only_what_changed()
    {
        string root = T.Dir("tree");
        var planted = Plant(root, 31);
        string db = Path.Combine(T.Path, "c.db");
        ScanRun first = Scan(db, root, RuleSet.Builtin);
        int total = Matches(db).Count;
        ScanRun second = Scan(db, root, RuleSet.Builtin);
        ScanRun Stored(ScanRun r)
        {
            using CatalogReader reader = CatalogReader.Open(db);
            return reader.GetScanRuns().Single(x => x.Id == r.Id);
        }
        Assert.Equal(planted.Count, Stored(first).ContentFiles);
        Assert.Equal(0, Stored(second).ContentFiles); // nothing changed: nothing read
        Assert.Equal(total, Matches(db).Count(m => m.Status == FindingStatus.Open));

        // One file edited (its secret gone): only it is read, and its finding resolves.
        string edited = planted["slack-token"].Path;
        File.WriteAllText(edited, "rotated\n");
        File.SetLastWriteTimeUtc(edited, DateTime.UtcNow.AddMinutes(1));
        ScanRun third = Scan(db, root, RuleSet.Builtin);
        Assert.Equal(1, Stored(third).ContentFiles);
        Assert.Equal(new[] { "slack-token" }, Matches(db, new FindingMatchQuery { Status = new[] { FindingStatus.Resolved } }).Select(m => m.RuleId));

        // Other rules: everything is read again; a scan without rules in between does not let stale readings count.
        Scan(db, root, null);
        ScanRun fifth = Scan(db, root, RuleSet.Builtin.Select(new[] { "jwt", "github-token" }));
        Assert.Equal(planted.Count, Stored(fifth).ContentFiles);
    }

    [Fact]
    public void What_a_cancelled_run_read_is_read_again_so_the_next_completed_run_resolves_it()
    {
        string root = T.Dir("tree");
        var random = new Random(77);
        var files = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            string dir = Path.Combine(root, "d" + (i % 10));
            Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, $"f{i:D3}.txt");
            File.WriteAllText(path, "id = AKIA" + RuleSamples.Random(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) + "\n");
            files.Add(path);
        }
        string db = Path.Combine(T.Path, "c.db");
        RuleSet rules = RuleSet.Builtin.Select(new[] { "aws-access-key-id" });
        Scan(db, root, rules);
        Assert.Equal(300, Matches(db).Count);
        foreach (string f in files)
        {
            File.WriteAllText(f, "clean\n"); // every secret removed
        }

        // A run that reads part of the tree and is cancelled: it resolves nothing...
        int listed = 0;
        using var started = new ManualResetEventSlim();
        ScanJob? job = null;
        var settings = new ScanJobSettings
        {
            Registry = Registry,
            ReportErrors = false,
            EntryListed = path =>
            {
                if (Interlocked.Increment(ref listed) == 120)
                {
                    started.Wait(); // the walk can get here before Start has returned the job
                    job!.Cancel();
                }
            },
        };
        using (job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Rules = rules, ThrottleLimit = 1 }, settings))
        {
            started.Set();
            ScanRun cancelled = job.Pump(new ScanObserver());
            Assert.True(cancelled.Status == ScanRunStatus.Cancelled, $"{cancelled.Status}: {cancelled.Message}");
        }
        Assert.Equal(300, Matches(db).Count);

        // ...and what it read is not taken as read: the next completed run reads those files and resolves all.
        ScanRun done = Scan(db, root, rules);
        Assert.Empty(Matches(db));
        Assert.Equal(300, Matches(db, new FindingMatchQuery { Status = new[] { FindingStatus.Resolved } }).Count);
        Assert.All(Matches(db, new FindingMatchQuery { Status = new[] { FindingStatus.Resolved } }), m => Assert.Equal(done.Id, m.ResolvedScanId));
    }

    [Fact]
    public void Files_the_rules_did_not_look_at_keep_their_findings_unchanged()
    {
        string root = T.Dir("tree");
        var planted = Plant(root, 41);
        string db = Path.Combine(T.Path, "c.db");
        Scan(db, root, RuleSet.Builtin);
        List<FindingMatch> before = Matches(db);
        // Too large for the limit now: not looked at, so neither resolved nor seen (same LastScanId), but carried forward by
        // that run, so no longer New to it: Open.
        using (ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Rules = RuleSet.Builtin, ContentSizeLimit = 10 }, new ScanJobSettings { Registry = Registry }))
        {
            job.Pump(new ScanObserver());
        }
        List<FindingMatch> after = Matches(db);
        Assert.Equal(before.Select(m => (m.Fingerprint, m.LastScanId)).OrderBy(x => x.Fingerprint), after.Select(m => (m.Fingerprint, m.LastScanId)).OrderBy(x => x.Fingerprint));
        Assert.All(before, m => Assert.Equal(FindingStatus.New, m.Status));
        Assert.All(after, m => Assert.Equal(FindingStatus.Open, m.Status));
        Assert.Equal(planted.Count, before.Count);
    }

    [Fact]
    public void A_hostile_file_does_not_stall_the_scan_and_keeps_its_findings_open()
    {
        string root = T.Dir("tree");
        string rules = Path.Combine(T.Path, "r.psd1");
        File.WriteAllText(rules, "@{ Rules = @( @{ Id = 'evil'; Pattern = '(a+)+$|secret-(?<secret>\\d+)' } ) }");
        RuleSet set = RuleSet.Load(new[] { rules }, includeBuiltin: false, matchTimeout: TimeSpan.FromMilliseconds(200));
        File.WriteAllText(Path.Combine(root, "ok.txt"), "secret-42\n");
        File.WriteAllText(Path.Combine(root, "hostile.txt"), "secret-7\n" + new string('a', 40_000) + "!");
        string db = Path.Combine(T.Path, "c.db");
        ScanRun first = Scan(db, root, set);
        Assert.Equal(ScanRunStatus.Completed, first.Status);
        using (CatalogReader reader = CatalogReader.Open(db))
        {
            Assert.Contains(reader.GetScanErrors(first.Id), e => e.Kind == ScanErrorKind.RuleFailed && e.FullName.EndsWith("hostile.txt", StringComparison.Ordinal));
        }
        Assert.Equal(2, Matches(db).Count); // ok.txt, and what was found in hostile.txt before the limit
        Scan(db, root, set);
        Assert.Equal(2, Matches(db).Count); // the rule could not finish on hostile.txt: its finding is kept open
    }

    [Fact]
    public void Baselines_hide_accepted_findings_and_round_trip()
    {
        string root = T.Dir("tree");
        Plant(root, 9);
        string db = Path.Combine(T.Path, "c.db");
        Scan(db, root, RuleSet.Builtin);
        List<FindingMatch> all = Matches(db);
        var baseline = new FindingBaseline();
        foreach (FindingMatch m in all.Where(m => m.Severity == RuleSeverity.Critical))
        {
            baseline.Add(new FindingBaseline.Entry(m.Fingerprint, m.RuleId, m.FullName, "test fixture"));
        }
        string file = Path.Combine(T.Path, "baseline.json");
        baseline.Save(file);
        FindingBaseline loaded = FindingBaseline.Load(file);
        List<FindingMatch> shown = Matches(db, new FindingMatchQuery { Baseline = loaded });
        Assert.Equal(all.Count(m => m.Severity != RuleSeverity.Critical), shown.Count);
        List<FindingMatch> everything = Matches(db, new FindingMatchQuery { Baseline = loaded, IncludeBaselined = true });
        Assert.Equal(all.Count, everything.Count);
        Assert.All(everything.Where(m => m.Baselined), m => Assert.Equal("test fixture", m.BaselineReason));
        Assert.Equal(baseline.Entries.Count, everything.Count(m => m.Baselined));

        File.WriteAllText(file, "{ \"version\": 1, \"findings\": [ { \"fingerprint\": \"xyz\" } ] }");
        Assert.Throws<FormatException>(() => FindingBaseline.Load(file));

        // A byte that is not UTF-8 in a reason: said where, without the .NET types of the reader's own message.
        File.WriteAllBytes(file, "{ \"version\": 1,\n  \"findings\": [ { \"fingerprint\": \"ab\", \"reason\": \"~\" } ] }"u8.ToArray().Select(b => b == (byte)'~' ? (byte)0xFF : b).ToArray());
        var bad = Assert.Throws<FormatException>(() => FindingBaseline.Load(file));
        Assert.Contains("at line 2", bad.Message);
        Assert.DoesNotContain("ScanTools.Rules.FindingBaseline+", bad.Message);

        // A value of the wrong type edited by hand: the field is named.
        File.WriteAllText(file, "{ \"version\": 1,\n  \"findings\": [ { \"fingerprint\": \"0123456789abcdef0123456789abcdef\", \"reason\": 5 } ] }");
        var typed = Assert.Throws<FormatException>(() => FindingBaseline.Load(file));
        Assert.Contains("$.findings[0].reason", typed.Message);
    }

    [Fact]
    public void Get_Finding_filters_by_rule_and_severity_and_carries_the_matches()
    {
        string root = T.Dir("tree");
        var planted = Plant(root, 13);
        File.WriteAllText(Path.Combine(root, "clean.txt"), "nothing\n");
        string db = Path.Combine(T.Path, "c.db");
        Scan(db, root, RuleSet.Builtin);
        using CatalogReader reader = CatalogReader.Open(db);
        var critical = reader.FindFiles(new FindingQuery { Findings = new FindingMatchQuery { MinimumSeverity = RuleSeverity.Critical } }).ToList();
        var expected = planted.Where(p => RuleSet.Builtin.Find(p.Key)!.Severity == RuleSeverity.Critical).Select(p => p.Value.Path).OrderBy(x => x, StringComparer.Ordinal);
        Assert.Equal(expected, critical.Select(f => f.FullName).OrderBy(x => x, StringComparer.Ordinal));
        Assert.All(critical, f => Assert.All(f.Matches, m => Assert.Equal(RuleSeverity.Critical, m.Severity)));
        var tokens = reader.FindFiles(new FindingQuery { Findings = new FindingMatchQuery { Rule = new[] { "git*" } } }).ToList();
        Assert.Equal(planted.Keys.Count(k => k.StartsWith("git", StringComparison.Ordinal)), tokens.Count);
        Assert.Equal(reader.FindFiles(new FindingQuery()).Count(), reader.FindFiles(new FindingQuery { Findings = new FindingMatchQuery() }).Count());
    }

    [Fact]
    public void Matches_travel_between_processes_intact()
    {
        var record = new FileRecord("/d", "f.txt")
        {
            Length = 10,
            Matches = new[] { new RuleMatch("jwt", RuleSeverity.Medium, 3, 7, "eyJa…", new string('a', 32)), new RuleMatch("world-writable-file", RuleSeverity.Medium, null, null, null, new string('b', 32)) },
            KeepFindings = true,
        };
        var listing = new ScanTools.Storage.Writes.DirectoryListing { RunKey = Guid.NewGuid(), DirectoryPath = "/d", Files = new[] { record } };
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            CatalogWriteCodec.Write(w, listing);
        }
        ms.Position = 0;
        var back = (ScanTools.Storage.Writes.DirectoryListing)CatalogWriteCodec.Read(new BinaryReader(ms));
        FileRecord f = Assert.Single(back.Files);
        Assert.True(f.KeepFindings);
        Assert.Equal(record.Matches, f.Matches);
    }
}
