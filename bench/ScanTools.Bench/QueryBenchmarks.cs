using System.Diagnostics;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Bench;

/// <summary>
/// Queries of a large catalog (issue 14): the bench tree five times over (hard-linked copies), scanned into one
/// catalog, against plocate on an updatedb index of the same tree.
/// </summary>
public static class QueryBenchmarks
{
    /// <summary>Five hard-linked copies of <paramref name="tree"/> (cp -al), made once; returns their parent.</summary>
    public static string EnsureCopies(string work, string tree, int copies)
    {
        string root = Path.Combine(work, Path.GetFileName(tree) + $"-x{copies}");
        string marker = root + ".complete";
        if (File.Exists(marker))
        {
            return root;
        }
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        Directory.CreateDirectory(root);
        for (int i = 0; i < copies; i++)
        {
            ScanBenchmarks.RunShell($"cp -al '{tree}' '{Path.Combine(root, $"copy{i}")}'");
        }
        File.WriteAllText(marker, DateTime.UtcNow.ToString("o"));
        return root;
    }

    /// <summary>The catalog of <paramref name="root"/>, scanned once (kept while it holds <paramref name="files"/> files).</summary>
    public static string EnsureCatalog(string work, string root, long files)
    {
        string db = Path.Combine(work, Path.GetFileName(root) + ".db");
        if (File.Exists(db))
        {
            try
            {
                using CatalogReader reader = CatalogReader.Open(db);
                if (reader.Totals().Files == files)
                {
                    return db;
                }
            }
            catch (CatalogException)
            {
                // An older schema: scanned again.
            }
        }
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        var registry = new WriterSessionRegistry();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = registry });
        registry.CloseAll();
        return db;
    }

    /// <summary>plocate's index of <paramref name="root"/>, built once with updatedb.</summary>
    public static string EnsureLocateIndex(string work, string root)
    {
        string index = Path.Combine(work, Path.GetFileName(root) + ".plocate.db");
        if (!File.Exists(index))
        {
            ScanBenchmarks.RunShell($"updatedb -o '{index}' -U '{root}' --require-visibility no");
        }
        return index;
    }

    /// <summary>Seconds for the engine's query (what Get-Finding runs) to return every match; and how many.</summary>
    public static (double Seconds, int Count) Engine(string db, FindingQuery query, int? take = null)
    {
        var sw = Stopwatch.StartNew();
        using CatalogReader reader = CatalogReader.Open(db);
        IEnumerable<Finding> found = reader.FindFiles(query);
        int n = take is int t ? found.Take(t).Count() : found.Count();
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, n);
    }

    /// <summary>Seconds for plocate to print every match; and how many lines.</summary>
    public static (double Seconds, int Count) Plocate(string index, string arguments)
    {
        var sw = Stopwatch.StartNew();
        string output = ScanBenchmarks.RunShell($"plocate -d '{index}' {arguments}");
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
