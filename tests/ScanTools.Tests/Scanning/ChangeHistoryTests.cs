using System.Globalization;
using System.Security.Cryptography;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>
/// The changes a scan records, checked against ground truth the test computes itself: a snapshot of the
/// tree (lstat through stat(1), SHA-256 through .NET) before and after a scripted sequence of edits, and
/// the difference of the two snapshots.
/// </summary>
public sealed class ChangeHistoryTests : CatalogTest
{
    private sealed record Entry(long Inode, long Size, long MtimeTicks, int Mode, long Uid, long Gid, string? Sha256, string? LinkTarget)
    {
        public bool IsLink => LinkTarget is not null;
    }

    /// <summary>Every file and link under <paramref name="root"/>, as the OS reports it now.</summary>
    private static Dictionary<string, Entry> Snapshot(string root)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        string listing = Trees.Sh("find \"$1\" -mindepth 1 \\( -type f -o -type l \\) -exec stat -c '%i|%s|%.9Y|%f|%u|%g|%n' {} +", root);
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split('|', 7);
            string[] time = p[2].Split('.');
            long ticks = DateTime.UnixEpoch.Ticks + (long.Parse(time[0], CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond)
                + (long.Parse(time[1], CultureInfo.InvariantCulture) / 100);
            int mode = int.Parse(p[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string path = p[6];
            bool link = (mode & 0xF000) == 0xA000;
            entries[path] = new Entry(long.Parse(p[0], CultureInfo.InvariantCulture), long.Parse(p[1], CultureInfo.InvariantCulture), ticks, mode,
                long.Parse(p[4], CultureInfo.InvariantCulture), long.Parse(p[5], CultureInfo.InvariantCulture),
                link ? null : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))),
                link ? new FileInfo(path).LinkTarget : null);
        }
        return entries;
    }

    /// <summary>The changes between two snapshots, by the definitions of about_ScanTools.</summary>
    private static List<string> Expected(Dictionary<string, Entry> before, Dictionary<string, Entry> after)
    {
        var result = new List<string>();
        var removed = before.Keys.Except(after.Keys).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var added = after.Keys.Except(before.Keys).OrderBy(k => k, StringComparer.Ordinal).ToList();
        foreach (string a in added)
        {
            Entry n = after[a];
            string? from = removed.FirstOrDefault(r => before[r].Inode == n.Inode && before[r].Size == n.Size && before[r].MtimeTicks == n.MtimeTicks && !n.IsLink);
            if (from is not null)
            {
                removed.Remove(from);
                result.Add($"Renamed {a} <- {from}");
            }
            else
            {
                result.Add($"Added {a}");
            }
        }
        result.AddRange(removed.Select(r => $"Removed {r}"));
        foreach (string k in before.Keys.Intersect(after.Keys))
        {
            Entry o = before[k], n = after[k];
            var c = ChangedProperties.None;
            if (o.Size != n.Size) c |= ChangedProperties.Length;
            if (o.MtimeTicks != n.MtimeTicks) c |= ChangedProperties.LastWriteTime;
            if (o.Sha256 is not null && n.Sha256 is not null && o.Sha256 != n.Sha256) c |= ChangedProperties.Hash;
            if (o.Mode != n.Mode) c |= ChangedProperties.Mode;
            if (o.Uid != n.Uid || o.Gid != n.Gid) c |= ChangedProperties.Owner;
            if (o.LinkTarget != n.LinkTarget) c |= ChangedProperties.LinkTarget;
            if (o.IsLink != n.IsLink) c |= ChangedProperties.Kind;
            if (c != ChangedProperties.None)
            {
                result.Add($"Modified {k} {c}");
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    private static List<string> Describe(IEnumerable<ScanChange> changes)
    {
        var list = changes.Select(c => c.ChangeType switch
        {
            ScanChangeType.Renamed => $"Renamed {c.FullName} <- {c.OldFullName}",
            ScanChangeType.Modified => $"Modified {c.FullName} {c.Properties}",
            _ => $"{c.ChangeType} {c.FullName}",
        }).ToList();
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private ScanRun Scan(string db, string root) =>
        ScanJob.Run(db, new ScanOptions { Roots = new[] { root }, Hash = true }, new ScanJobSettings { Registry = Registry });

    private string BuildTree()
    {
        string root = T.Dir("tree");
        foreach (string d in new[] { "docs", "src", "src/lib", "old", "old/deep" })
        {
            T.Dir(Path.Combine("tree", d));
        }
        int i = 0;
        foreach (string f in new[] { "a.txt", "b.txt", "c.txt", "docs/readme.md", "docs/guide.md", "src/main.c", "src/util.c", "src/lib/x.c",
                     "old/one.log", "old/deep/two.log", "keep.bin", "move-me.txt", "rename-me.txt", "same-size.txt" })
        {
            File.WriteAllText(Path.Combine(root, f), $"content {i++} of {f}");
        }
        File.CreateSymbolicLink(Path.Combine(root, "link"), "a.txt");
        return root;
    }

    /// <summary>The scripted edits: content, time, mode, rename, move, delete (a file and a folder), add, retarget, replace.</summary>
    private static void Edit(string root)
    {
        Trees.Sh("""
            set -e
            cd "$1"
            printf 'appended' >> a.txt
            touch -d '2020-01-02 03:04:05' b.txt
            chmod 600 c.txt
            mv rename-me.txt renamed.txt
            mv move-me.txt src/lib/moved.txt
            rm docs/guide.md
            rm -r old
            echo new > new.txt
            mkdir fresh && echo one > fresh/1.txt && echo two > fresh/2.txt
            ln -sfn b.txt link
            printf 'XXXXXXXXXXXXXXXXXXXXXXXXX' > same-size.tmp && touch -r same-size.txt same-size.tmp && mv same-size.tmp same-size.txt
            """, root);
    }

    [LinuxFact]
    public void AFirstScan_RecordsEveryFileAsAdded_WithOneRowPerFolder()
    {
        string root = BuildTree();
        string db = T.Db();

        ScanRun run = Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        var changes = reader.GetChanges(new ScanChangeQuery { ScanId = new[] { run.Id } }).ToList();
        Assert.Equal(Expected(new Dictionary<string, Entry>(), Snapshot(root)), Describe(changes));
        Assert.Equal(6, Sql.Scalar(db, "SELECT count(*) FROM file_changes;")); // one per folder, not one per file
    }

    [LinuxFact]
    public void ARescan_RecordsWhatTheEditsChanged_AndNothingElse()
    {
        string root = BuildTree();
        string db = T.Db();
        Scan(db, root);
        Dictionary<string, Entry> before = Snapshot(root);

        Edit(root);
        Dictionary<string, Entry> after = Snapshot(root);
        ScanRun second = Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        List<string> actual = Describe(reader.GetChanges(new ScanChangeQuery()));  // the newest scan by default
        Assert.Equal(Expected(before, after), actual);
        Assert.Contains(actual, a => a.StartsWith("Renamed ", StringComparison.Ordinal) && a.Contains("moved.txt", StringComparison.Ordinal));
        Assert.Contains(actual, a => a.StartsWith("Removed ", StringComparison.Ordinal) && a.Contains("two.log", StringComparison.Ordinal));

        ScanChangeSummary summary = reader.SummarizeChanges(new ScanChangeQuery { ScanId = new[] { second.Id } });
        Assert.Equal(actual.Count(a => a.StartsWith("Added", StringComparison.Ordinal)), summary.Added);
        Assert.Equal(actual.Count(a => a.StartsWith("Removed", StringComparison.Ordinal)), summary.Removed);
        Assert.Equal(actual.Count(a => a.StartsWith("Modified", StringComparison.Ordinal)), summary.Modified);
        Assert.Equal(2, summary.Renamed);
        Assert.Equal(second.Files, summary.Entries);
    }

    [LinuxFact]
    public void AnUnchangedRescan_RecordsNothing()
    {
        string root = BuildTree();
        string db = T.Db();
        Scan(db, root);
        ScanRun again = Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Empty(reader.GetChanges(new ScanChangeQuery { ScanId = new[] { again.Id } }));
    }

    [LinuxFact]
    public void AComparisonOfTwoRuns_FoldsTheRunsBetween_IntoTheNetChange()
    {
        string root = BuildTree();
        string db = T.Db();
        ScanRun first = Scan(db, root);
        Dictionary<string, Entry> start = Snapshot(root);

        Edit(root);
        Scan(db, root);
        Trees.Sh("""
            set -e
            cd "$1"
            rm new.txt
            printf 'again' >> a.txt
            mv renamed.txt renamed-twice.txt
            echo back > docs/guide.md
            """, root);
        Dictionary<string, Entry> end = Snapshot(root);
        ScanRun third = Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        List<string> net = Describe(reader.GetChanges(new ScanChangeQuery { ReferenceRun = first.Id, DifferenceRun = third.Id }));
        // A file renamed twice is one rename, from where it started; a file removed and written again is Modified.
        Assert.Equal(Expected(start, end), net);
    }

    [LinuxFact]
    public void Filters_SelectByPathAndType_AndFirstStops()
    {
        string root = BuildTree();
        string db = T.Db();
        Scan(db, root);
        Edit(root);
        Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        var underSrc = reader.GetChanges(new ScanChangeQuery { Path = new[] { Path.Combine(root, "src") } }).ToList();
        Assert.All(underSrc, c => Assert.StartsWith(Path.Combine(root, "src") + "/", c.FullName, StringComparison.Ordinal));
        Assert.NotEmpty(underSrc);
        var modified = reader.GetChanges(new ScanChangeQuery { ChangeType = new[] { ScanChangeType.Modified } }).ToList();
        Assert.All(modified, c => Assert.Equal(ScanChangeType.Modified, c.ChangeType));
        var hashOnly = reader.GetChanges(new ScanChangeQuery { Property = ChangedProperties.Hash }).ToList();
        Assert.All(hashOnly, c => Assert.True(c.Properties.HasFlag(ChangedProperties.Hash)));
        Assert.Contains(hashOnly, c => c.Name == "same-size.txt"); // same size and time, new content
        Assert.Single(reader.GetChanges(new ScanChangeQuery { First = 1 }));
        Assert.Throws<ArgumentException>(() => reader.GetChanges(new ScanChangeQuery { ScanId = new[] { 999L } }));
    }
}
