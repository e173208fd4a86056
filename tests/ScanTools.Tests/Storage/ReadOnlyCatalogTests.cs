using System.Text.Json;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// A catalog file made read-only (chmod 444) by its owner: it can be read without leaving behind side files
/// (-wal, -shm) its owner cannot write, writing it names the real cause, and once it is writable again
/// everything works without deleting anything by hand. SQLite gives the side files it creates the catalog
/// file's mode, and resets an empty one to it on open, so a read-only catalog would hand them 0444.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReadOnlyCatalogTests : CatalogTest
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Writable = ReadOnly | UnixFileMode.UserWrite;
    private const UnixFileMode Everyone = (UnixFileMode)0x1FF; // 0777

    /// <summary>The side files next to a catalog, by name, with their modes.</summary>
    private static SortedDictionary<string, UnixFileMode> SideFiles(string db) => new(
        new[] { CatalogFiles.Wal(db), CatalogFiles.Shm(db) }.Where(File.Exists)
            .ToDictionary(f => Path.GetFileName(f), f => File.GetUnixFileMode(f)), StringComparer.Ordinal);

    /// <summary>A catalog of <paramref name="files"/> records, closed, with or without the side files its writer keeps.</summary>
    private string ClosedCatalog(int files, bool keepSideFiles)
    {
        string db = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Write(Writes.Listing(Guid.NewGuid(), "/x", files));
            lease.Flush();
        }
        Registry.CloseAll();
        if (!keepSideFiles)
        {
            File.Delete(CatalogFiles.Wal(db));
            File.Delete(CatalogFiles.Shm(db));
        }
        return db;
    }

    [UnixNotRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AReadOnlyCatalogFile_IsRead_WithoutCreatingOrChangingSideFiles(bool sideFilesKept)
    {
        string db = ClosedCatalog(12, sideFilesKept);
        File.SetUnixFileMode(db, ReadOnly);
        SortedDictionary<string, UnixFileMode> before = SideFiles(db);

        using (CatalogReader reader = CatalogReader.Open(db))
        {
            Assert.Equal(12, reader.FindFiles(new FindingQuery()).Count());
        }

        Assert.Equal(before, SideFiles(db));
    }

    /// <summary>Runs a TestHost command as nobody and returns its single JSON line.</summary>
    private static (int ExitCode, JsonElement Line) AsNobody(params string[] args)
    {
        var (exit, lines, stderr) = ChildProcess.Run(args, ChildProcess.NobodyId);
        Assert.True(lines.Count == 1, $"{string.Join(' ', args)}: exit {exit}, {string.Join(" ", lines)} {stderr}");
        return (exit, lines[0]);
    }

    private void ReadOnlyCatalogOfYourOwn(bool sideFilesKept, bool readFirst)
    {
        string folder = T.Dir("own");
        File.SetUnixFileMode(folder, Everyone);
        T.File("tree/a.txt");
        T.File("tree/sub/b.txt");
        string tree = T.Combine("tree");
        int files = Directory.GetFiles(tree, "*", SearchOption.AllDirectories).Length;
        string db = Path.Combine(folder, "catalog.db");
        Assert.Equal(0, AsNobody("scan", db, tree).ExitCode);
        if (!sideFilesKept)
        {
            File.Delete(CatalogFiles.Wal(db));
            File.Delete(CatalogFiles.Shm(db));
        }
        File.SetUnixFileMode(db, ReadOnly); // the owner's own chmod 444 (root may change anyone's mode)
        Assert.Equal((uint)ChildProcess.NobodyId, CatalogFiles.OwnerOf(db));

        if (readFirst)
        {
            SortedDictionary<string, UnixFileMode> before = SideFiles(db);
            (int readExit, JsonElement read) = AsNobody("read", db);
            Assert.Equal(0, readExit);
            Assert.Equal(files, read.GetProperty("files").GetInt32());
            Assert.Equal(before, SideFiles(db));
        }

        (int refusedExit, JsonElement refused) = AsNobody("scan", db, tree);
        Assert.Equal(3, refusedExit);
        Assert.Equal(nameof(CatalogErrorCode.ReadOnly), refused.GetProperty("error").GetString());
        string message = refused.GetProperty("message").GetString()!;
        Assert.Contains($"'{db}'", message);
        Assert.Contains("chmod u+w", message);      // the real cause: the catalog file itself is read-only
        Assert.DoesNotContain("-shm", message);
        Assert.DoesNotContain("-wal", message);
        Assert.DoesNotContain("belongs to", message); // it is the caller's own file
        Assert.All(SideFiles(db), side => Assert.True((side.Value & UnixFileMode.UserWrite) != 0, $"{side.Key} is {side.Value}: its owner could not write it"));

        File.SetUnixFileMode(db, Writable);
        (int againExit, JsonElement again) = AsNobody("scan", db, tree);

        Assert.Equal(0, againExit);
        Assert.Equal("Completed", again.GetProperty("status").GetString());
        Assert.Equal(files, again.GetProperty("files").GetInt32());
    }

    [RootFact]
    public void AReadOnlyCatalogOfYourOwn_WithoutSideFiles_SaysTheCatalogFileIsReadOnly_AndWorksOnceWritable() =>
        ReadOnlyCatalogOfYourOwn(sideFilesKept: false, readFirst: false);

    [RootFact]
    public void AReadOnlyCatalogOfYourOwn_ReadFirst_SaysTheCatalogFileIsReadOnly_AndWorksOnceWritable() =>
        ReadOnlyCatalogOfYourOwn(sideFilesKept: false, readFirst: true);

    [RootFact]
    public void AReadOnlyCatalogOfYourOwn_WithTheSideFilesItsWriterKept_ReadFirst_WorksOnceWritable() =>
        ReadOnlyCatalogOfYourOwn(sideFilesKept: true, readFirst: true);

    [RootFact]
    public void ReadOnlySideFilesOfYourOwn_LeftByAnEarlierReader_AreMadeWritableByTheWriter()
    {
        string folder = T.Dir("own");
        File.SetUnixFileMode(folder, Everyone);
        T.File("tree/a.txt");
        string tree = T.Combine("tree");
        string db = Path.Combine(folder, "catalog.db");
        Assert.Equal(0, AsNobody("scan", db, tree).ExitCode);
        // What a reader of a read-only catalog left behind before: side files of the owner with mode 0444.
        foreach (string side in new[] { CatalogFiles.Wal(db), CatalogFiles.Shm(db) })
        {
            File.SetUnixFileMode(side, ReadOnly);
        }

        (int exit, JsonElement again) = AsNobody("scan", db, tree);

        Assert.Equal(0, exit);
        Assert.Equal("Completed", again.GetProperty("status").GetString());
        Assert.Equal(File.GetUnixFileMode(db), File.GetUnixFileMode(CatalogFiles.Shm(db))); // the catalog's own mode, as SQLite gives
        Assert.Equal(File.GetUnixFileMode(db), File.GetUnixFileMode(CatalogFiles.Wal(db)));
    }
}
