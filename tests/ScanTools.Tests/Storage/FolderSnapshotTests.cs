using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// The writer takes a walker's folder snapshot instead of reading the rows itself only while the folder's
/// version is what the snapshot saw; a stale snapshot is read again, so it can never cause a wrong change.
/// </summary>
public sealed class FolderSnapshotTests : CatalogTest
{
    private (string Db, string Dir, long DirId, long Version) Scanned()
    {
        string dir = T.Dir("snap");
        File.WriteAllText(Path.Combine(dir, "real.txt"), "x");
        string db = T.Db();
        ScanJob.Run(db, new ScanOptions { Roots = new[] { dir } }, new ScanJobSettings { Registry = Registry });
        return (db, dir, Sql.Scalar(db, "SELECT id FROM directories WHERE path = $p;", ("$p", dir)), Sql.Scalar(db, "SELECT version FROM directories WHERE path = $p;", ("$p", dir)));
    }

    /// <summary>A snapshot that claims real.txt was 12,345 bytes, which it never was.</summary>
    private static FolderSnapshot Doctored(long dirId, long version, string dir)
    {
        var real = new FileInfo(Path.Combine(dir, "real.txt"));
        var row = new StoredRow(12_345, real.LastWriteTimeUtc.Ticks, null, (long)FileAttributes.Normal, null, 0, false, null, null, null, null, null, null, null, null, null);
        return new FolderSnapshot { DirectoryId = dirId, Version = version, Rows = new Dictionary<string, StoredRow>(StringComparer.Ordinal) { ["real.txt"] = row } };
    }

    private void Apply(string db, string dir, FolderSnapshot snapshot)
    {
        var run = Guid.NewGuid();
        var real = new FileInfo(Path.Combine(dir, "real.txt"));
        using WriterSessionLease lease = Registry.Acquire(db);
        lease.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow });
        lease.Write(new DirectoryListing
        {
            RunKey = run,
            DirectoryPath = dir,
            Files = new[] { new FileRecord(dir, "real.txt") { Length = real.Length, LastWriteTimeUtc = real.LastWriteTimeUtc } },
            IsComplete = true,
            Snapshot = snapshot,
        });
        lease.Write(new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
        lease.Flush();
    }

    [Fact]
    public void AStaleSnapshot_IsReadAgain_AndChangesNothingItClaims()
    {
        (string db, string dir, long dirId, long version) = Scanned();
        Apply(db, dir, Doctored(dirId, version - 1, dir));

        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE old_size = 12345;"));
    }

    [Fact]
    public void ACurrentSnapshot_IsTrusted_InsteadOfReadingTheRows()
    {
        (string db, string dir, long dirId, long version) = Scanned();
        Apply(db, dir, Doctored(dirId, version, dir));

        // The doctored snapshot was used: the writer compared with its size, not the row's.
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM file_changes WHERE name = 'real.txt' AND change = 3 AND old_size = 12345;"));
    }

    [Fact]
    public void WritingAFolder_BumpsItsVersion_SoSnapshotsTakenBeforeAreStale()
    {
        (string db, string dir, _, long version) = Scanned();
        File.AppendAllText(Path.Combine(dir, "real.txt"), "more");

        ScanJob.Run(db, new ScanOptions { Roots = new[] { dir } }, new ScanJobSettings { Registry = Registry });

        Assert.True(Sql.Scalar(db, "SELECT version FROM directories WHERE path = $p;", ("$p", dir)) > version);
    }
}
