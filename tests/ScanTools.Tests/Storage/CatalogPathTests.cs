using ScanTools.Hosting;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// Catalog paths that cannot work: a path spelled as a folder, a per-user folder that cannot be created,
/// a file with an SQLite header over garbage; and the check -WhatIf makes, which must refuse what the real
/// open refuses, with the same error, and create nothing.
/// </summary>
public sealed class CatalogPathTests : CatalogTest
{
    /// <summary>Every file and folder under the test folder, to prove nothing was created.</summary>
    private string[] Everything() =>
        Directory.EnumerateFileSystemEntries(T.Path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData(200)]
    [InlineData(240)] // the longest: NAME-scantools.lock is 255 bytes
    public void ACatalogNameUpTo240Bytes_IsCreatedAndWritten(int length)
    {
        string db = Path.Combine(T.Path, new string('c', length - 3) + ".db");
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM scan_runs;"));
        Assert.DoesNotContain(Directory.EnumerateFiles(T.Path), f => f.Contains(CatalogFiles.DraftInfix, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(241, "c")]
    [InlineData(81, "\u732b")] // 81 CJK characters: 243 bytes of UTF-8
    public void ACatalogNameTooLongForItsCompanions_IsRefusedAsTooLong_NotAsReadOnly(int count, string letter)
    {
        string name = string.Concat(Enumerable.Repeat(letter, count));
        string db = Path.Combine(T.Path, name);
        string[] before = Everything();

        var ex = Assert.Throws<CatalogException>(() => Registry.Acquire(db).Dispose());

        Assert.Equal(CatalogErrorCode.OpenFailed, ex.Code);
        Assert.Contains("at most 240 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Everything());
    }

    [UnixFact]
    public void ACatalogWithTwoNames_HardLinks_IsRefusedForWritingThroughEither_AndReadsThroughBoth()
    {
        // Each name would get its own -wal and writer lock: two writers at once, a damaged file.
        string one = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(one))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        Registry.CloseAll();
        string two = Path.Combine(T.Dir("elsewhere"), "two.db");
        Trees.HardLink(one, two);
        long runs = Sql.Scalar(one, "SELECT count(*) FROM scan_runs;");

        foreach (string name in new[] { one, two })
        {
            var ex = Assert.Throws<CatalogException>(() => Registry.Acquire(name).Dispose());
            Assert.Equal(CatalogErrorCode.OpenFailed, ex.Code);
            Assert.Contains("2 names (hard links)", ex.Message, StringComparison.Ordinal);
            Assert.Equal(CatalogErrorCode.OpenFailed, Assert.Throws<CatalogException>(() => CatalogLocation.Resolve(name, T.Path, environmentValue: "").ThrowIfUnusableForWriting()).Code);
            using CatalogReader reader = CatalogReader.Open(name);
            Assert.Equal(runs, reader.GetScanRuns().Count);
        }
        Assert.False(File.Exists(two + "-scantools.lock"));

        File.Delete(two); // one name again: writable
        using (WriterSessionLease lease = Registry.Acquire(one))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
            lease.Flush();
        }
        Assert.Equal(runs + 1, Sql.Scalar(one, "SELECT count(*) FROM scan_runs;"));
    }

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
    public void AFileWhereAFolderOfTheCatalogShouldBe_IsNamed_NotCalledMissing()
    {
        string file = Path.Join(T.Path, "plain.txt");
        File.WriteAllText(file, "x");
        string folder = Path.Join(file, "a", "b");

        Assert.Equal(file, ScanTools.Platform.FileInTheWay.Of(folder));
        Assert.Null(ScanTools.Platform.FileInTheWay.Of(Path.Join(T.Path, "missing", "b")));
        Assert.Null(ScanTools.Platform.FileInTheWay.Of(T.Path));
        var error = Assert.Throws<CatalogException>(() => CatalogDatabase.OpenForWriting(Path.Join(folder, "c.db"), Durability.Normal).Dispose());
        Assert.Equal(CatalogErrorCode.FolderNotFound, error.Code);
        Assert.Contains($"cannot be created: '{file}' is a file, not a folder", error.Message);
        Assert.Equal("x", File.ReadAllText(file));
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
        // What -WhatIf reports, without trying: the same error.
        Assert.Equal(ex.Code, Assert.Throws<CatalogException>(location.ThrowIfUnusableForWriting).Code);
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
        Assert.Equal(ex.Code, Assert.Throws<CatalogException>(location.ThrowIfUnusableForWriting).Code);
    }

    /// <summary>Catalog paths that opening for writing refuses, each made by a setup that returns the path.</summary>
    public static TheoryData<string> Refused => new() { "missing folder", "text file", "other database", "garbage after the header", "newer schema", "a folder" };

    private string Make(string kind)
    {
        string db = T.Db();
        switch (kind)
        {
            case "missing folder":
                return T.Combine("no-such-folder", "catalog.db");
            case "text file":
                File.WriteAllText(db, "milk\neggs\nthis is a shopping list, not a catalog\n");
                break;
            case "other database":
                Sql.Execute(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY); INSERT INTO customers DEFAULT VALUES;");
                break;
            case "garbage after the header":
                File.WriteAllBytes(db, "SQLite format 3\0"u8.ToArray().Concat(Enumerable.Repeat((byte)'x', 4096)).ToArray());
                break;
            case "newer schema":
                Registry.Acquire(db).Dispose();
                Registry.CloseAll();
                Sql.Execute(db, $"PRAGMA user_version = {CatalogSchema.CurrentVersion + 1};");
                break;
            case "a folder":
                return T.Dir("a-folder");
        }
        return db;
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void TheCheckForWhatIf_RefusesWhatOpeningForWritingRefuses_WithTheSameError_AndCreatesNothing(string kind)
    {
        string db = Make(kind);
        string[] before = Everything();
        var location = new CatalogLocation(db, CatalogSource.Parameter);

        var predicted = Assert.Throws<CatalogException>(location.ThrowIfUnusableForWriting);

        Assert.Equal(before, Everything());
        var real = Assert.Throws<CatalogException>(() => Registry.Acquire(db).Dispose());
        Assert.Equal(real.Code, predicted.Code);
        Assert.Equal(real.Message, predicted.Message);
    }

    [Fact]
    public void TheCheckForWhatIf_PassesANewCatalogInAnExistingFolder_AndAnExistingCatalog_AndCreatesNothing()
    {
        string fresh = T.Db("fresh.db");
        string existing = T.Db("existing.db");
        Registry.Acquire(existing).Dispose();
        Registry.CloseAll();
        string[] before = Everything();

        new CatalogLocation(fresh, CatalogSource.Parameter).ThrowIfUnusableForWriting();
        new CatalogLocation(existing, CatalogSource.Environment).ThrowIfUnusableForWriting();
        new CatalogLocation(T.Combine("per-user", "ScanTools", "catalog.db"), CatalogSource.Default).ThrowIfUnusableForWriting();

        Assert.Equal(before, Everything());
    }

    [ChattrFact]
    public void A_catalog_in_an_immutable_folder_is_refused_saying_the_folder_is_immutable_not_to_give_root_write_access()
    {
        // Newcomer test 80: root was told to "give your account write access to the folder" of a folder made chattr +i.
        string folder = T.Dir("immutable");
        string db = Path.Combine(folder, "c.db");
        Assert.True(ChattrFactAttribute.Immutable(folder, true));
        try
        {
            var checkedAhead = Assert.Throws<CatalogException>(() => new CatalogLocation(db, CatalogSource.Parameter).ThrowIfUnusableForWriting());
            var opened = Assert.Throws<CatalogException>(() => Registry.Acquire(db).Dispose());

            foreach (CatalogException ex in new[] { checkedAhead, opened })
            {
                Assert.Equal(CatalogErrorCode.ReadOnly, ex.Code);
                Assert.Contains($"Its folder '{folder}' is immutable or append-only (lsattr -d '{folder}' shows i or a; chattr -i -a removes them)", ex.Message, StringComparison.Ordinal);
                Assert.DoesNotContain("Give your account write access", ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            ChattrFactAttribute.Immutable(folder, false);
        }
    }

    [Fact]
    public void A_catalog_in_a_folder_the_account_may_not_write_says_to_give_it_write_access()
    {
        Assert.Equal("Give your account write access to the folder, or choose another -Database", CatalogFiles.FolderWriteAdvice(T.Dir("writable")));
    }
}
