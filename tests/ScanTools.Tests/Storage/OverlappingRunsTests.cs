using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// Two scans of one folder that overlap: the older run (started first) delivers its listing after the newer run
/// recorded the folder. A newcomer saw the older listing mark a file the newer run had found as removed (and bring
/// back one it had found gone). The folder keeps the newer run's view; the older run adds only hashes of files
/// whose content stamps are still those recorded.
/// </summary>
public sealed class OverlappingRunsTests : CatalogTest
{
    private static readonly DateTime Stamp = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    private static FileRecord Record(string dir, string name, byte[]? sha = null) =>
        new(dir, name) { Length = 10, LastWriteTimeUtc = Stamp, ChangeTimeUtc = Stamp, Inode = name.Length, Device = 7, Sha256Bytes = sha };

    private static DirectoryListing Listing(Guid run, string dir, IReadOnlyList<string> subfolders, params FileRecord[] files) =>
        new() { RunKey = run, DirectoryPath = dir, Files = files, IsComplete = true, SubdirectoryNames = subfolders };

    [Fact]
    public void An_older_runs_listing_applied_after_a_newer_one_changes_nothing_but_hashes()
    {
        string dir = T.Dir("overlap");
        string db = T.Db();
        byte[] keepHash = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        Guid first = Guid.NewGuid(), older = Guid.NewGuid(), newer = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = first, StartedUtc = DateTime.UtcNow });
            lease.Write(Listing(first, dir, new[] { "gone" }, Record(dir, "keep.txt"), Record(dir, "old.txt")));
            lease.Write(Listing(first, Path.Combine(dir, "gone"), Array.Empty<string>(), Record(Path.Combine(dir, "gone"), "g.txt")));
            lease.Write(new ScanRunEnd { RunKey = first, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });

            lease.Write(new ScanRunStart { RunKey = older, StartedUtc = DateTime.UtcNow }); // run 2, a slow -Hash scan
            lease.Write(new ScanRunStart { RunKey = newer, StartedUtc = DateTime.UtcNow }); // run 3
            // Between the two listings old.txt and the folder 'gone' were deleted, new.txt and 'late' created.
            lease.Write(Listing(newer, dir, new[] { "late" }, Record(dir, "keep.txt"), Record(dir, "new.txt")));
            lease.Write(new ScanRunEnd { RunKey = newer, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Write(Listing(older, dir, new[] { "gone", "early" }, Record(dir, "keep.txt", keepHash), Record(dir, "old.txt", keepHash)));
            lease.Write(Listing(older, Path.Combine(dir, "gone"), Array.Empty<string>(), Record(Path.Combine(dir, "gone"), "g.txt")));
            lease.Write(Listing(older, Path.Combine(dir, "early"), Array.Empty<string>(), Record(Path.Combine(dir, "early"), "e.txt")));
            lease.Write(new ScanRunEnd { RunKey = older, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }

        long olderId = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE run_key = $k;", ("$k", older.ToString()));
        long newerId = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE run_key = $k;", ("$k", newer.ToString()));
        Assert.True(newerId > olderId);
        using CatalogReader reader = CatalogReader.Open(db);
        var present = reader.FindFiles(new FindingQuery()).Select(f => Path.GetRelativePath(dir, f.FullName)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "keep.txt", "new.txt" }, present);
        Assert.Equal(newerId, Sql.Scalar(db, "SELECT removed_scan_id FROM files WHERE name = 'old.txt';"));
        Assert.Equal(newerId, Sql.Scalar(db, "SELECT removed_scan_id FROM files WHERE name = 'g.txt';"));
        Assert.Equal(newerId, Sql.Scalar(db, "SELECT last_scan_id FROM directories WHERE path = $p;", ("$p", dir)));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM directories WHERE path LIKE '%early%';"));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE scan_id = $r;", ("$r", olderId)));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'keep.txt' AND hex(sha256) = $h;", ("$h", Convert.ToHexString(keepHash))));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'old.txt' AND sha256 IS NOT NULL;"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_folder_a_newer_run_did_not_reach_keeps_the_older_runs_listing_when_it_exists_on_this_computer(bool throughBroker)
    {
        // Newcomer test 80: a later scan of the same tree listed the parent, then was stopped (Select-Object -First,
        // SIGTERM, a kill); every folder it had not reached yet was judged by the parent and dropped from the older -Hash
        // run, which still ended Completed with up to 45% of its files missing.
        string dir = T.Dir("overlap-unreached");
        string unreached = Path.Combine(dir, "unreached");
        Directory.CreateDirectory(unreached);
        string gone = Path.Combine(dir, "gone"); // listed by the older run, deleted before the newer run listed the parent
        string db = T.Db();
        byte[] hash = Enumerable.Repeat((byte)0xCD, 32).ToArray();
        Guid older = Guid.NewGuid(), newer = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = older, StartedUtc = DateTime.UtcNow });
            lease.Write(Listing(older, dir, new[] { "unreached", "gone" }));
            lease.Write(new ScanRunStart { RunKey = newer, StartedUtc = DateTime.UtcNow });
            lease.Write(Listing(newer, dir, new[] { "unreached" }));
            lease.Write(new ScanRunEnd { RunKey = newer, Status = ScanRunStatus.Cancelled, EndedUtc = DateTime.UtcNow });
            DirectoryListing late = Listing(older, unreached, Array.Empty<string>(), Record(unreached, "u1.txt", hash), Record(unreached, "u2.txt", hash));
            late.FromAnotherComputer = throughBroker;
            lease.Write(late);
            lease.Write(Listing(older, gone, Array.Empty<string>(), Record(gone, "g.txt", hash)));
            lease.Write(new ScanRunEnd { RunKey = older, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }

        using CatalogReader reader = CatalogReader.Open(db);
        var present = reader.FindFiles(new FindingQuery()).Select(f => Path.GetRelativePath(dir, f.FullName)).Order(StringComparer.Ordinal).ToList();
        // A broker's listing names a folder of another computer: judged by the parent alone, as before.
        Assert.Equal(throughBroker ? Array.Empty<string>() : new[] { Path.Combine("unreached", "u1.txt"), Path.Combine("unreached", "u2.txt") }, present);
        Assert.Equal(throughBroker ? 0 : 2, Sql.Scalar(db, "SELECT count(*) FROM files WHERE hex(sha256) = $h;", ("$h", Convert.ToHexString(hash))));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM directories WHERE path = $p;", ("$p", gone)));
    }

    [Fact]
    public void A_hash_of_other_content_stamps_is_not_adopted()
    {
        string dir = T.Dir("overlap-changed");
        string db = T.Db();
        Guid older = Guid.NewGuid(), newer = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = older, StartedUtc = DateTime.UtcNow });
            lease.Write(new ScanRunStart { RunKey = newer, StartedUtc = DateTime.UtcNow });
            lease.Write(Listing(newer, dir, Array.Empty<string>(), Record(dir, "edited.txt")));
            lease.Write(new ScanRunEnd { RunKey = newer, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            FileRecord before = new(dir, "edited.txt") { Length = 9, LastWriteTimeUtc = Stamp.AddDays(-1), ChangeTimeUtc = Stamp.AddDays(-1), Inode = 10, Device = 7, Sha256Bytes = new byte[32] };
            lease.Write(Listing(older, dir, Array.Empty<string>(), before));
            lease.Write(new ScanRunEnd { RunKey = older, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }

        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'edited.txt' AND size = 10 AND sha256 IS NULL;"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_findings_an_older_run_made_are_kept_unless_the_same_rules_read_the_newer_content(bool newerReadBySameRules)
    {
        // A nightly -Rule * scan overlapped by a scan without rules that reached the folder first recorded no finding
        // there, and said nothing: a new secret waited a night (helper 63). In a file that changed between the two, the
        // older run's findings were dropped: a whole folder of secrets read as clean while files changed (helper 74). Run in
        // either order, the two scans leave the finding open; only the same rules reading the newer content can say it is gone.
        string dir = T.Dir("overlap-rules");
        string db = T.Db();
        Guid rules = Guid.NewGuid(), newer = Guid.NewGuid();
        var secret = new ScanTools.Rules.RuleMatch("github-token", ScanTools.Rules.RuleSeverity.High, 1, 1, "ghp_…", "fp-same-content");
        var stale = new ScanTools.Rules.RuleMatch("github-token", ScanTools.Rules.RuleSeverity.High, 1, 1, "ghp_…", "fp-other-content");
        const long rulesKey = 4242;
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = rules, StartedUtc = DateTime.UtcNow, OptionsJson = """{"RuleIds":["github-token"]}""" }); // the nightly scan
            lease.Write(new ScanRunStart { RunKey = newer, StartedUtc = DateTime.UtcNow, OptionsJson = newerReadBySameRules ? """{"RuleIds":["github-token"]}""" : "{}" });
            FileRecord edited = new(dir, "edited.txt") { Length = 9, LastWriteTimeUtc = Stamp, ChangeTimeUtc = Stamp, Inode = 99, Device = 7, RulesKey = newerReadBySameRules ? rulesKey : null };
            lease.Write(Listing(newer, dir, Array.Empty<string>(), Record(dir, "token.txt"), edited));
            lease.Write(new ScanRunEnd { RunKey = newer, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            FileRecord before = new(dir, "edited.txt") { Length = 8, LastWriteTimeUtc = Stamp.AddDays(-1), ChangeTimeUtc = Stamp.AddDays(-1), Inode = 99, Device = 7, Matches = new[] { stale }, RulesKey = rulesKey };
            lease.Write(Listing(rules, dir, Array.Empty<string>(), new FileRecord(dir, "token.txt") { Length = 10, LastWriteTimeUtc = Stamp, ChangeTimeUtc = Stamp, Inode = "token.txt".Length, Device = 7, Matches = new[] { secret }, RulesKey = rulesKey }, before));
            lease.Write(new ScanRunEnd { RunKey = rules, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }

        long rulesId = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE run_key = $k;", ("$k", rules.ToString()));
        Assert.Equal(rulesId, Sql.Scalar(db, "SELECT first_scan_id FROM findings WHERE fingerprint = 'fp-same-content' AND resolved_scan_id IS NULL;"));
        using CatalogReader reader = CatalogReader.Open(db);
        var open = reader.FindMatches(new ScanTools.Rules.FindingMatchQuery()).Select(m => m.Name).Order(StringComparer.Ordinal).ToArray();
        if (newerReadBySameRules)
        {
            // The same rules read the newer content and found nothing there: the older reading is stale.
            Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM findings WHERE fingerprint = 'fp-other-content';"));
            Assert.Equal(new[] { "token.txt" }, open);
        }
        else
        {
            Assert.Equal(rulesId, Sql.Scalar(db, "SELECT first_scan_id FROM findings WHERE fingerprint = 'fp-other-content' AND resolved_scan_id IS NULL;"));
            Assert.Equal(new[] { "edited.txt", "token.txt" }, open);
            // The newer content stays unread by these rules: the next scan with them reads it, and resolves what is gone.
            Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'edited.txt' AND rules_key IS NULL;"));
        }
    }

    [Fact]
    public void An_older_run_that_did_not_read_an_unchanged_file_again_still_sees_its_findings()
    {
        // A finding stayed New through complete -Rule * scans that overlapped scans without rules (helper 64): the file was
        // unchanged since the same rules read it, so the overlapped run did not read it, and nothing marked it seen.
        string dir = T.Dir("overlap-seen");
        string db = T.Db();
        Guid first = Guid.NewGuid(), rules = Guid.NewGuid(), plain = Guid.NewGuid();
        var secret = new ScanTools.Rules.RuleMatch("github-token", ScanTools.Rules.RuleSeverity.High, 1, 1, "ghp_…", "fp-seen");
        FileRecord Token(bool read) => new(dir, "token.txt")
        {
            Length = 10, LastWriteTimeUtc = Stamp, ChangeTimeUtc = Stamp, Inode = 9, Device = 7,
            Matches = read ? new[] { secret } : null, FindingsUnchanged = !read,
        };
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = first, StartedUtc = DateTime.UtcNow, OptionsJson = """{"RuleIds":["github-token"]}""" });
            lease.Write(Listing(first, dir, Array.Empty<string>(), Token(read: true)));
            lease.Write(new ScanRunEnd { RunKey = first, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Write(new ScanRunStart { RunKey = rules, StartedUtc = DateTime.UtcNow, OptionsJson = """{"RuleIds":["github-token"]}""" });
            lease.Write(new ScanRunStart { RunKey = plain, StartedUtc = DateTime.UtcNow });
            lease.Write(Listing(plain, dir, Array.Empty<string>(), new FileRecord(dir, "token.txt") { Length = 10, LastWriteTimeUtc = Stamp, ChangeTimeUtc = Stamp, Inode = 9, Device = 7 }));
            lease.Write(new ScanRunEnd { RunKey = plain, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Write(Listing(rules, dir, Array.Empty<string>(), Token(read: false)));
            lease.Write(new ScanRunEnd { RunKey = rules, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }

        long rulesId = Sql.Scalar(db, "SELECT id FROM scan_runs WHERE run_key = $k;", ("$k", rules.ToString()));
        Assert.Equal(rulesId, Sql.Scalar(db, "SELECT last_scan_id FROM findings WHERE fingerprint = 'fp-seen' AND resolved_scan_id IS NULL;"));
    }
}
