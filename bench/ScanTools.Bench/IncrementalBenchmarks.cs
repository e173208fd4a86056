using System.Diagnostics;
using ScanTools.Duplicates;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Bench;

/// <summary>
/// What a catalog earns on the second scan: an incremental -Hash rescan against a metadata rescan,
/// Find-DuplicateFile (scan plus search) against rmlint and jdupes on one tree with planted duplicate
/// groups (the groups found are checked to be the same), and listing changes from a large catalog.
/// </summary>
public static class IncrementalBenchmarks
{
    /// <summary>Seconds for one scan of <paramref name="root"/> into <paramref name="db"/> (kept), hashing or not.</summary>
    public static double ScanSeconds(string db, string root, bool hash, bool rehash = false)
    {
        var sw = Stopwatch.StartNew();
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root }, Hash = hash, Rehash = rehash }, new ScanJobSettings { Registry = new WriterSessionRegistry() });
        sw.Stop();
        if (run.Status != ScanRunStatus.Completed || run.Errors != 0)
        {
            throw new InvalidOperationException($"The benchmark scan did not complete cleanly: {run.Status}, {run.Errors} errors.");
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// A tree for duplicate finders: <paramref name="files"/> files of distinct content whose sizes come from
    /// a small set (so sizes collide as in real trees and the prefilter has work), plus planted groups of
    /// 2 to 4 identical copies at 4 KiB, 64 KiB, 1 MiB and 4 MiB. Returns the root and the planted groups.
    /// </summary>
    public static (string Root, List<List<string>> Planted) EnsureDuplicateTree(string parent, int files, int groups)
    {
        string root = Path.Combine(parent, $"dups-{files}-{groups}");
        string marker = root + ".complete";
        var planted = new List<List<string>>();
        var random = new Random(42);
        int[] sizes = { 4 << 10, 64 << 10, 1 << 20, 4 << 20 };
        for (int g = 0; g < groups; g++)
        {
            int copies = 2 + (g % 3);
            planted.Add(Enumerable.Range(0, copies).Select(c => Path.Combine(root, $"g{g % 10}", $"set{g:D3}-copy{c}.bin")).ToList());
        }
        if (File.Exists(marker))
        {
            return (root, planted);
        }
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        for (int g = 0; g < groups; g++)
        {
            byte[] content = new byte[sizes[g % sizes.Length]];
            random.NextBytes(content);
            foreach (string path in planted[g])
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, content);
            }
        }
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, $"d{i % 200:D3}");
            Directory.CreateDirectory(dir);
            byte[] content = new byte[100 + (i % 150) * 97];
            random.NextBytes(content);
            File.WriteAllBytes(Path.Combine(dir, $"f{i:D6}.dat"), content);
        }
        File.WriteAllText(marker, DateTime.UtcNow.ToString("o"));
        return (root, planted);
    }

    /// <summary>A fresh metadata scan plus Find-DuplicateFile, as a user runs them; returns seconds and the groups.</summary>
    public static (double Seconds, List<List<string>> Groups) ScanAndFindDuplicates(string db, string root)
    {
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        var registry = new WriterSessionRegistry();
        var sw = Stopwatch.StartNew();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = registry });
        double scanned = sw.Elapsed.TotalSeconds;
        var finder = new DuplicateFinder();
        var groups = finder.Find(db, new DuplicateSearchOptions { Registry = registry }).Select(g => g.Files.ToList()).ToList();
        double found = sw.Elapsed.TotalSeconds;
        registry.CloseAll(); // the stored hashes are committed before the clock stops
        sw.Stop();
        if (Environment.GetEnvironmentVariable("SCANTOOLS_BENCH_SPLIT") is not null)
        {
            Console.WriteLine($"  split: scan {scanned:F3} s, find {found - scanned:F3} s (check {finder.Statistics.CheckTime.TotalSeconds:F3}, hash {finder.Statistics.HashTime.TotalSeconds:F3}), close {sw.Elapsed.TotalSeconds - found:F3} s");
        }
        return (sw.Elapsed.TotalSeconds, groups);
    }

    /// <summary>rmlint, duplicates only, groups written in fdupes format.</summary>
    public static (double Seconds, List<List<string>> Groups) Rmlint(string root, string work)
    {
        string output = Path.Combine(work, "rmlint-groups.txt");
        File.Delete(output); // rmlint keeps an existing output file under a time-stamped name: one more per run
        var sw = Stopwatch.StartNew();
        ScanBenchmarks.RunShell($"cd '{work}' && rmlint -T df -o fdupes:'{output}' '{root}' > /dev/null");
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, ParseBlankLineGroups(File.ReadAllText(output)));
    }

    /// <summary>jdupes, recursive, groups separated by blank lines.</summary>
    public static (double Seconds, List<List<string>> Groups) Jdupes(string root)
    {
        var sw = Stopwatch.StartNew();
        string output = ScanBenchmarks.RunShell($"jdupes -q -r '{root}'");
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, ParseBlankLineGroups(output));
    }

    private static List<List<string>> ParseBlankLineGroups(string text)
    {
        var groups = new List<List<string>>();
        var current = new List<string>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (current.Count > 0)
                {
                    groups.Add(current);
                    current = new List<string>();
                }
                continue;
            }
            current.Add(line);
        }
        if (current.Count > 0)
        {
            groups.Add(current);
        }
        return groups;
    }

    /// <summary>Groups as one comparable text: each group's sorted paths, groups sorted.</summary>
    public static string Canonical(IEnumerable<IEnumerable<string>> groups) =>
        string.Join("\n", groups.Select(g => string.Join("|", g.OrderBy(p => p, StringComparer.Ordinal))).OrderBy(g => g, StringComparer.Ordinal));

    /// <summary>
    /// A catalog of <paramref name="rows"/> synthetic files, then a second run that modifies
    /// <paramref name="changes"/> of them; returns the catalog and the second run's id.
    /// </summary>
    public static (string Db, long RunId) CatalogWithChanges(string work, int rows, int changes)
    {
        string db = WriteBenchmarks.NewCatalog(work, "changes.db");
        var registry = new WriterSessionRegistry();
        Guid first = Guid.NewGuid(), second = Guid.NewGuid();
        List<DirectoryListing> listings = WriteBenchmarks.MakeListings(rows, first);
        using (WriterSessionLease lease = registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = first, StartedUtc = DateTime.UtcNow });
            foreach (DirectoryListing l in listings)
            {
                lease.Write(l);
            }
            lease.Write(new ScanRunEnd { RunKey = first, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow, Files = rows });
            lease.Write(new ScanRunStart { RunKey = second, StartedUtc = DateTime.UtcNow });
            // Every listing gives up some files, spread over the whole catalog; incomplete listings infer no removals.
            int perListing = Math.Max(1, changes / listings.Count);
            int made = 0;
            foreach (DirectoryListing l in listings)
            {
                var changed = l.Files.Take(Math.Min(perListing, changes - made))
                    .Select(f => new FileRecord(f.DirectoryName, f.Name)
                    {
                        Length = f.Length + 1,
                        LastWriteTimeUtc = f.LastWriteTimeUtc.AddSeconds(1),
                        CreationTimeUtc = f.CreationTimeUtc,
                        Attributes = f.Attributes,
                        UnixStatMode = f.UnixStatMode,
                    }).ToList();
                made += changed.Count;
                lease.Write(new DirectoryListing { RunKey = second, DirectoryPath = l.DirectoryPath, Files = changed, Mode = ListingMode.Walk, IsComplete = false });
                if (made >= changes)
                {
                    break;
                }
            }
            lease.Write(new ScanRunEnd { RunKey = second, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow, Files = made });
            lease.Flush();
        }
        registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(db);
        return (db, reader.GetScanRuns(new ScanRunQuery { Last = 1 })[0].Id);
    }

    /// <summary>Seconds to list every change of <paramref name="run"/>, and how many there were.</summary>
    public static (double Seconds, int Count) ListChanges(string db, long run)
    {
        var sw = Stopwatch.StartNew();
        using CatalogReader reader = CatalogReader.Open(db);
        int n = reader.GetChanges(new ScanChangeQuery { ScanId = new[] { run } }).Count();
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, n);
    }
}
