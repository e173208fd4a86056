using ScanTools.Hosting;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>Catalog paths that cannot work, and what each command says about them.</summary>
public sealed class CatalogPathTests : CatalogTest
{
    /// <summary>Every file and folder under the test folder, to prove nothing was created.</summary>
    private string[] Everything() =>
        Directory.EnumerateFileSystemEntries(T.Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData("cat/newdir/", false)]
    [InlineData("cat/newdir/.", false)]
    [InlineData("cat/existing/", true)]
    public void APathSpelledAsAFolder_IsRefusedAsAFolder_ByEveryWayIn_AndNothingIsCreated(string spelled, bool exists)
    {
        T.Dir("cat");
        if (exists)
        {
            T.Dir("cat/existing");
        }
        string given = Path.Combine(T.Path, spelled.Replace('/', Path.DirectorySeparatorChar));
        string[] before = Everything();

        var errors = new[]
        {
            Assert.Throws<CatalogException>(() => Registry.Acquire(given).Dispose()),
            Assert.Throws<CatalogException>(() => CatalogReader.Open(given).Dispose()),
            Assert.Throws<CatalogException>(() => CatalogLocation.Resolve(spelled, T.Path, environmentValue: "")),
            Assert.Throws<CatalogException>(() => CatalogLocation.Resolve(null, T.Path, environmentValue: spelled)),
        };

        Assert.All(errors, e =>
        {
            Assert.Equal(CatalogErrorCode.NotACatalog, e.Code);
            Assert.Equal(ScanExitCode.CatalogUnusable, e.ExitCode);
            Assert.Contains("folder", e.Message, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(T.Path, "cat", exists ? "existing" : "newdir", "catalog.db"), e.Message, StringComparison.Ordinal);
        });
        Assert.Equal(before, Everything());
    }

    [Fact]
    public void AnSqliteHeaderOverGarbage_IsNotACatalog_WithTheAdviceToChooseAnotherDatabase()
    {
        string db = T.Db("garbage.db");
        byte[] content = new byte[8192];
        new Random(5).NextBytes(content);
        "SQLite format 3\0"u8.CopyTo(content);
        File.WriteAllBytes(db, content);

        var write = Assert.Throws<CatalogException>(() => Registry.Acquire(db).Dispose());
        var read = Assert.Throws<CatalogException>(() => CatalogReader.Open(db).Dispose());

        Assert.All(new[] { write, read }, e =>
        {
            Assert.Equal(CatalogErrorCode.NotACatalog, e.Code);
            Assert.Contains("Choose another -Database", e.Message, StringComparison.Ordinal);
        });
        Assert.Equal(content, File.ReadAllBytes(db));
    }

    [UnixFact]
    public void APerUserFolderThatCannotBeCreated_IsACatalogError_ThatSaysToPassDatabase()
    {
        string home = T.File("home-is-a-file", "not a folder");
        var location = new CatalogLocation(Path.Combine(home, ".local", "share", "ScanTools", "catalog.db"), CatalogSource.Default);
        string[] before = Everything();

        var ex = Assert.Throws<CatalogException>(location.PrepareForWriting);

        Assert.Equal(CatalogErrorCode.FolderNotFound, ex.Code);
        Assert.Equal(ScanExitCode.CatalogUnusable, ex.ExitCode);
        Assert.Equal((int)ScanExitCode.CatalogUnusable, ScanExitCodes.ForException(ex));
        Assert.Contains("-Database", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Everything());
    }

    [MountFact]
    public void APerUserFolderOnAReadOnlyFileSystem_IsCatalogReadOnly_ThatSaysToPassDatabase()
    {
        string mounted = T.Combine("ro");
        using var mounts = new Mounts();
        mounts.ReadOnlyBind(T.Dir("source"), mounted);
        var location = new CatalogLocation(Path.Combine(mounted, "nonexistent", ".local", "share", "ScanTools", "catalog.db"), CatalogSource.Default);

        var ex = Assert.Throws<CatalogException>(location.PrepareForWriting);

        Assert.Equal(CatalogErrorCode.ReadOnly, ex.Code);
        Assert.Equal((int)ScanExitCode.CatalogUnusable, ScanExitCodes.ForException(ex));
        Assert.Contains("-Database", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(mounted));
    }
}
