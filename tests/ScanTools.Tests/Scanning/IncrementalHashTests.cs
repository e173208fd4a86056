using System.Security.Cryptography;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>
/// A -Hash rescan reads only what changed, proven by the bytes the walk read (ScanProgress.BytesHashed),
/// never by timing; and whatever is kept or read, each stored digest is the SHA-256 of the file.
/// </summary>
public sealed class IncrementalHashTests : CatalogTest
{
    private (ScanRun Run, ScanProgressSnapshot Progress) Scan(string db, string root, bool rehash = false)
    {
        using ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { root }, Hash = !rehash, Rehash = rehash },
            new ScanJobSettings { Registry = Registry });
        ScanRun run = job.Pump(new ScanObserver());
        return (run, job.Progress.Snapshot());
    }

    private static Dictionary<string, string> Digests(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);

    private static void AssertCatalogHolds(string db, string root)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        Dictionary<string, string?> stored = reader.FindFiles(new FindingQuery()).ToDictionary(f => f.FullName, f => f.Sha256, StringComparer.Ordinal);
        Assert.Equal(Digests(root).OrderBy(x => x.Key, StringComparer.Ordinal), stored.Select(x => new KeyValuePair<string, string>(x.Key, x.Value!)).OrderBy(x => x.Key, StringComparer.Ordinal));
    }

    private string BuildTree(int files)
    {
        string root = T.Dir("tree");
        var random = new Random(7);
        for (int i = 0; i < files; i++)
        {
            string dir = T.Dir(Path.Combine("tree", "d" + (i % 5)));
            byte[] content = new byte[random.Next(1, 20_000)];
            random.NextBytes(content);
            File.WriteAllBytes(Path.Combine(dir, $"f{i}.bin"), content);
        }
        return root;
    }

    private static long TotalBytes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    [LinuxFact]
    public void AnUnchangedTree_IsNotReadAgain_AndKeepsItsHashes()
    {
        string root = BuildTree(60);
        string db = T.Db();

        (_, ScanProgressSnapshot first) = Scan(db, root);
        (ScanRun again, ScanProgressSnapshot second) = Scan(db, root);

        Assert.Equal(TotalBytes(root), first.BytesHashed);
        Assert.Equal(60, first.FilesHashed);
        Assert.Equal(0, second.BytesHashed);
        Assert.Equal(0, second.FilesHashed);
        Assert.Equal(60, second.HashesKept);
        Assert.Equal(60, again.Files);
        AssertCatalogHolds(db, root);
    }

    [LinuxFact]
    public void OnlyWhatChanged_IsReadAgain_WhateverStampChanged()
    {
        string root = BuildTree(40);
        string db = T.Db();
        Scan(db, root);

        string appended = Path.Combine(root, "d0", "f0.bin");        // size and time
        File.AppendAllText(appended, "more");
        string chmodded = Path.Combine(root, "d1", "f1.bin");        // change time only
        Trees.Chmod(chmodded, "600");
        string replaced = Path.Combine(root, "d2", "f2.bin");        // another file, same size and time: a new file id
        string twin = Path.Combine(root, "twin.tmp");
        byte[] other = new byte[new FileInfo(replaced).Length];
        new Random(99).NextBytes(other);
        File.WriteAllBytes(twin, other);
        Trees.Sh("touch -r \"$1\" \"$2\" && mv \"$2\" \"$1\"", replaced, twin);

        (_, ScanProgressSnapshot rescan) = Scan(db, root);

        long expected = new FileInfo(appended).Length + new FileInfo(chmodded).Length + new FileInfo(replaced).Length;
        Assert.Equal(3, rescan.FilesHashed);
        Assert.Equal(expected, rescan.BytesHashed);
        Assert.Equal(37, rescan.HashesKept);
        AssertCatalogHolds(db, root); // the replaced file's digest is its new content's, though size and time are the old ones
    }

    [LinuxFact]
    public void Rehash_ReadsEverything()
    {
        string root = BuildTree(25);
        string db = T.Db();
        Scan(db, root);

        (ScanRun run, ScanProgressSnapshot rehash) = Scan(db, root, rehash: true);

        Assert.Equal(TotalBytes(root), rehash.BytesHashed);
        Assert.Equal(0, rehash.HashesKept);
        Assert.Contains("\"Rehash\":true", run.Options, StringComparison.Ordinal);
        AssertCatalogHolds(db, root);
    }

    [LinuxFact]
    public void AHashOnlyScanAfterAMetadataScan_ReadsEverything_ThenNothing()
    {
        string root = BuildTree(10);
        string db = T.Db();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry }); // no hashes stored

        (_, ScanProgressSnapshot first) = Scan(db, root);
        (_, ScanProgressSnapshot second) = Scan(db, root);

        Assert.Equal(TotalBytes(root), first.BytesHashed);
        Assert.Equal(0, second.BytesHashed);
        AssertCatalogHolds(db, root);
    }
}
