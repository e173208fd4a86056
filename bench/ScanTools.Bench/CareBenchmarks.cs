using System.Diagnostics;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Bench;

/// <summary>Catalog care: an online backup while a scan writes the catalog, and a prune of old history.</summary>
public static class CareBenchmarks
{
    /// <summary>
    /// Scans <paramref name="tree"/> into a fresh catalog, then rescans it and, once the rescan has handed over a
    /// third of the files, backs the catalog up. Returns the backup's seconds, the rescan's seconds, a rescan's seconds
    /// alone (for the ratio), and the backup's file count (checked against the first scan's).
    /// </summary>
    public static (double Backup, double RescanWithBackup, double RescanAlone, long FilesInBackup) BackupDuringScan(string work, string tree, int treeFiles)
    {
        string db = WriteBenchmarks.NewCatalog(work, "care.db");
        string copy = Path.Combine(work, "care-backup.db");
        var registry = new WriterSessionRegistry();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { tree } }, new ScanJobSettings { Registry = registry });
        var alone = Stopwatch.StartNew();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { tree } }, new ScanJobSettings { Registry = registry });
        alone.Stop();

        // The backup must start while the rescan writes; a small tree's rescan can end first: then try again.
        for (int attempt = 1; ; attempt++)
        {
            var sw = Stopwatch.StartNew();
            ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { tree } }, new ScanJobSettings { Registry = registry });
            SpinWait.SpinUntil(() => job.Progress.Files >= treeFiles / 3 || job.Completion.IsCompleted);
            bool overlapped = !job.Completion.IsCompleted;
            var b = Stopwatch.StartNew();
            CatalogBackupResult backup = CatalogMaintenance.Backup(db, copy, overwrite: true);
            b.Stop();
            ScanRun run = job.Completion.GetAwaiter().GetResult();
            sw.Stop();
            if (run.Status != ScanRunStatus.Completed)
            {
                throw new InvalidOperationException($"The rescan did not complete: {run.Status}.");
            }
            if (overlapped || attempt == 5)
            {
                registry.CloseAll();
                if (!overlapped)
                {
                    throw new InvalidOperationException("In 5 attempts the rescan ended before the backup started.");
                }
                return (b.Elapsed.TotalSeconds, sw.Elapsed.TotalSeconds, alone.Elapsed.TotalSeconds, backup.Files);
            }
        }
    }

    /// <summary>
    /// A prune of history that removed half a tree: a hard-linked copy of <paramref name="tree"/> is scanned, half its
    /// top folders are deleted and it is scanned twice more; then Optimize-ScanCatalog -KeepRuns 1 (what
    /// CatalogMaintenance.Prune runs) drops the first two runs and with them every file the second found gone. Returns
    /// the prune's seconds, a rescan's seconds of the same catalog (for the ratio), and the files the prune removed.
    /// </summary>
    public static (double Prune, double Rescan, long Removed) PruneRemovedHalf(string work, string tree)
    {
        string copy = Path.Combine(work, "prune-tree");
        if (Directory.Exists(copy))
        {
            Directory.Delete(copy, recursive: true);
        }
        ScanBenchmarks.RunShell($"cp -al '{tree}' '{copy}'");
        string db = WriteBenchmarks.NewCatalog(work, "prune.db");
        var registry = new WriterSessionRegistry();
        var options = new ScanOptions { Roots = new[] { copy } };
        ScanJob.Run(db, options, new ScanJobSettings { Registry = registry });
        string[] tops = Directory.GetDirectories(copy).Order(StringComparer.Ordinal).ToArray();
        foreach (string top in tops.Take(tops.Length / 2))
        {
            Directory.Delete(top, recursive: true);
        }
        ScanJob.Run(db, options, new ScanJobSettings { Registry = registry });
        var rescan = Stopwatch.StartNew();
        ScanJob.Run(db, options, new ScanJobSettings { Registry = registry });
        rescan.Stop();
        registry.CloseAll();
        var sw = Stopwatch.StartNew();
        CatalogPruneResult pruned = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1 });
        sw.Stop();
        Directory.Delete(copy, recursive: true);
        return (sw.Elapsed.TotalSeconds, rescan.Elapsed.TotalSeconds, pruned.RemovedFiles);
    }
}
