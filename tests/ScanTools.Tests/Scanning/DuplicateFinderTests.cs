using System.Globalization;
using System.Security.Cryptography;
using ScanTools.Duplicates;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>Duplicate groups against a brute-force grouping computed in the test (every file hashed, hard links by inode).</summary>
public sealed class DuplicateFinderTests : CatalogTest
{
    private string BuildTree()
    {
        string root = T.Dir("dups");
        var random = new Random(11);
        byte[] Bytes(int n)
        {
            byte[] b = new byte[n];
            random.NextBytes(b);
            return b;
        }
        void Write(string rel, byte[] content)
        {
            string full = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
        }
        byte[] big = Bytes(300_000);
        Write("a/big1.bin", big);
        Write("b/big2.bin", big);
        Write("c/big3.bin", big);
        // Same size, same first and last 4 KiB, different middle: only the full hash tells them apart.
        byte[] tricky = (byte[])big.Clone();
        tricky[150_000] ^= 0xFF;
        Write("c/tricky.bin", tricky);
        byte[] small = Bytes(100);
        Write("a/small1.txt", small);
        Write("b/small2.txt", small);
        Write("b/other-small.txt", Bytes(100));           // same size, other content
        for (int i = 0; i < 20; i++)
        {
            Write($"unique/u{i}.bin", Bytes(1000 + i));   // unique sizes: never read
        }
        Write("empty1", Array.Empty<byte>());
        Write("a/empty2", Array.Empty<byte>());
        byte[] linked = Bytes(5000);
        Write("links/original.bin", linked);
        File.CreateSymbolicLink(Path.Combine(root, "links", "symlink.bin"), "original.bin"); // a link is not a copy
        Trees.Sh("ln \"$1/links/original.bin\" \"$1/links/hardlink.bin\"", root);               // one file, two names
        Write("elsewhere/copy-of-linked.bin", linked);     // a real copy of it
        Trees.Sh("ln \"$1/a/small1.txt\" \"$1/a/small1-link.txt\"", root);
        return root;
    }

    /// <summary>Brute force: every regular file hashed; names of one inode are one copy; groups of two or more copies.</summary>
    private static List<string> BruteForce(string root, long minSize)
    {
        string listing = Trees.Sh("find \"$1\" -type f -exec stat -c '%i|%s|%n' {} +", root);
        var byDigest = new Dictionary<string, Dictionary<string, List<string>>>();
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] p = line.Split('|', 3);
            if (long.Parse(p[1], CultureInfo.InvariantCulture) < minSize)
            {
                continue;
            }
            string digest = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p[2])));
            if (!byDigest.TryGetValue(digest, out var inodes))
            {
                byDigest[digest] = inodes = new Dictionary<string, List<string>>();
            }
            if (!inodes.TryGetValue(p[0], out var names))
            {
                inodes[p[0]] = names = new List<string>();
            }
            names.Add(p[2]);
        }
        return byDigest.Where(d => d.Value.Count > 1)
            .Select(d => $"{d.Key} x{d.Value.Count}: " + string.Join(", ", d.Value.SelectMany(i => i.Value).OrderBy(n => n, StringComparer.Ordinal)))
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
    }

    private static List<string> Describe(IEnumerable<DuplicateGroup> groups) =>
        groups.Select(g => $"{g.Sha256} x{g.Count}: " + string.Join(", ", g.Files)).OrderBy(s => s, StringComparer.Ordinal).ToList();

    private string Scanned(string root)
    {
        string db = T.Db();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry });
        return db;
    }

    [LinuxFact]
    public void TheGroupsAreThoseOfBruteForce_HardLinksAreOneCopy_AndEmptyFilesAreLeftOutByDefault()
    {
        string root = BuildTree();
        string db = Scanned(root);
        var finder = new DuplicateFinder();

        List<DuplicateGroup> groups = finder.Find(db, new DuplicateSearchOptions { Registry = Registry }).ToList();

        Assert.Equal(BruteForce(root, 1), Describe(groups));
        DuplicateGroup bigs = groups.Single(g => g.Length == 300_000);
        Assert.Equal(3, bigs.Count);
        Assert.Equal(600_000, bigs.WastedBytes);
        Assert.Equal(2, bigs.LiteralPath.Count);
        Assert.DoesNotContain(bigs.Keep, bigs.LiteralPath);
        DuplicateGroup linked = groups.Single(g => g.Length == 5000);
        Assert.Equal(2, linked.Count); // original + hardlink are one copy; the other file is the second
        Assert.Equal(3, linked.Files.Count);
        // Removing LiteralPath frees WastedBytes: every name of each removed copy goes.
        Assert.True(linked.LiteralPath.Count is 1 or 2);
        // Unique sizes were never read; the tricky file needed a full read to be told apart.
        Assert.True(finder.Statistics.FullyHashed >= 4);
        Assert.Equal(0, finder.Statistics.Stale);
    }

    [LinuxFact]
    public void WithMinSizeZero_EmptyFilesAreOneGroup()
    {
        string root = BuildTree();
        string db = Scanned(root);

        List<DuplicateGroup> groups = new DuplicateFinder().Find(db, new DuplicateSearchOptions { MinSize = 0, Registry = Registry }).ToList();

        Assert.Equal(BruteForce(root, 0), Describe(groups));
        Assert.Contains(groups, g => g.Length == 0 && g.Count == 2);
    }

    [LinuxFact]
    public void TheHashesItComputes_AreStored_SoASecondSearchReadsNothing()
    {
        string root = BuildTree();
        string db = Scanned(root);
        List<string> first = Describe(new DuplicateFinder().Find(db, new DuplicateSearchOptions { Registry = Registry }));

        var again = new DuplicateFinder();
        List<string> second = Describe(again.Find(db, new DuplicateSearchOptions { Registry = Registry }));

        Assert.Equal(first, second);
        Assert.Equal(0, again.Statistics.FullyHashed);
        Assert.True(again.Statistics.StoredHashesUsed > 0);
        Assert.Equal("Duplicates", Sql.Text(db, "SELECT kind FROM scan_runs ORDER BY id LIMIT 1 OFFSET 1;"));
        string bigDigest = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "a", "big1.bin"))));
        Assert.Equal(bigDigest, Sql.Text(db, "SELECT hex(sha256) FROM files WHERE name = 'big1.bin';"));
    }

    [LinuxFact]
    public void FilesGoneOrChangedSinceTheScan_AreLeftOut()
    {
        string root = BuildTree();
        string db = Scanned(root);
        File.Delete(Path.Combine(root, "c", "big3.bin"));
        File.AppendAllText(Path.Combine(root, "b", "small2.txt"), "grown");

        var finder = new DuplicateFinder();
        List<DuplicateGroup> groups = finder.Find(db, new DuplicateSearchOptions { Registry = Registry }).ToList();

        Assert.Equal(2, groups.Single(g => g.Length == 300_000).Count);
        Assert.DoesNotContain(groups, g => g.Files.Any(f => f.EndsWith("small2.txt", StringComparison.Ordinal)));
        Assert.Equal(2, finder.Statistics.Stale);
    }

    [LinuxFact]
    public void APathScope_LimitsTheSearch()
    {
        string root = BuildTree();
        string db = Scanned(root);

        List<DuplicateGroup> groups = new DuplicateFinder().Find(db, new DuplicateSearchOptions { Path = new[] { Path.Combine(root, "a"), Path.Combine(root, "b") }, Registry = Registry }).ToList();

        Assert.All(groups.SelectMany(g => g.Files), f => Assert.True(f.StartsWith(Path.Combine(root, "a") + "/", StringComparison.Ordinal) || f.StartsWith(Path.Combine(root, "b") + "/", StringComparison.Ordinal)));
        Assert.Contains(groups, g => g.Length == 300_000 && g.Count == 2);
    }

    [LinuxFact]
    public void ACopyReplacedByALinkSinceTheScan_IsNeverOfferedForRemoval_NorKept()
    {
        string root = T.Dir("linked");
        byte[] content = new byte[30_000];
        new Random(3).NextBytes(content);
        File.WriteAllBytes(Path.Combine(root, "x1"), content);
        File.SetLastWriteTimeUtc(Path.Combine(root, "x1"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.WriteAllBytes(Path.Combine(root, "x2"), content);
        string db = Scanned(root);
        // After the scan, the older copy becomes a link to the other: there is one file left, not two.
        File.Delete(Path.Combine(root, "x1"));
        File.CreateSymbolicLink(Path.Combine(root, "x1"), "x2");

        var finder = new DuplicateFinder();
        List<DuplicateGroup> groups = finder.Find(db, new DuplicateSearchOptions { Registry = Registry }).ToList();

        Assert.Empty(groups);
        Assert.Equal(1, finder.Statistics.Stale);
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM files WHERE name = 'x1' AND sha256 IS NOT NULL;")); // nothing stored under the link's name
    }

    [LinuxFact]
    public void AFileMovedIntoTheNameOfACopy_IsLeftOut()
    {
        string root = T.Dir("replaced");
        byte[] content = new byte[20_000];
        new Random(4).NextBytes(content);
        File.WriteAllBytes(Path.Combine(root, "a"), content);
        File.WriteAllBytes(Path.Combine(root, "b"), content);
        string db = Scanned(root);
        // Another file with the same bytes takes a's name: it is not the file the catalog recorded.
        File.WriteAllBytes(Path.Combine(root, "c.tmp"), content);
        File.Move(Path.Combine(root, "c.tmp"), Path.Combine(root, "a"), overwrite: true);

        var finder = new DuplicateFinder();
        Assert.Empty(finder.Find(db, new DuplicateSearchOptions { Registry = Registry }));
        Assert.Equal(1, finder.Statistics.Stale);
    }

    /// <summary>
    /// Identical files this account cannot read, unchanged since the scan: each is an error item (reported,
    /// stored with the Duplicates run and counted in its Errors), and none is "gone or changed". Run as nobody:
    /// root may read anything.
    /// </summary>
    [RootFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void FilesThisAccountCannotRead_AreErrorItemsOfTheDuplicatesRun_NotGoneOrChanged()
    {
        string folder = T.Dir("shared");
        File.SetUnixFileMode(folder, (UnixFileMode)0x1FF); // 0777: nobody's catalog goes here
        string root = T.Dir("locked");
        byte[] content = new byte[10_000];
        new Random(5).NextBytes(content);
        var locked = new[] { Path.Combine(root, "one.bin"), Path.Combine(root, "two.bin") };
        foreach (string f in locked)
        {
            File.WriteAllBytes(f, content);
            File.SetUnixFileMode(f, UnixFileMode.None); // before the scan: unchanged since
        }
        string db = Path.Combine(folder, "catalog.db");
        var scan = ChildProcess.Run(new[] { "scan", db, root }, ChildProcess.NobodyId);
        Assert.True(scan.ExitCode == 0, string.Join(" ", scan.Lines) + scan.Stderr);

        var (exit, lines, stderr) = ChildProcess.Run(new[] { "duplicates", db }, ChildProcess.NobodyId);

        Assert.True(exit == 0, string.Join(" ", lines) + stderr);
        System.Text.Json.JsonElement found = lines.Single();
        Assert.Equal(0, found.GetProperty("groups").GetInt32());
        Assert.Equal(0, found.GetProperty("stale").GetInt64()); // both are there, as scanned
        var reported = found.GetProperty("problems").EnumerateArray().Select(p => (p.GetProperty("path").GetString(), p.GetProperty("kind").GetString())).OrderBy(p => p.Item1, StringComparer.Ordinal);
        Assert.Equal(locked.Select(f => ((string?)f, (string?)nameof(ScanErrorKind.AccessDenied))), reported);
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = Assert.Single(reader.GetScanRuns(), r => r.Kind == "Duplicates");
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(locked.Length, run.Errors);
        Assert.Equal(ScanTools.Hosting.ScanExitCode.CompletedWithErrors, run.ExitCode);
        Assert.Equal(locked, reader.GetScanErrors(run.Id).Where(e => e.Kind == ScanErrorKind.AccessDenied).Select(e => e.FullName).Order(StringComparer.Ordinal));
    }
}
