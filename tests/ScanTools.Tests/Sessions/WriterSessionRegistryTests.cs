using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

public sealed class WriterSessionRegistryTests : CatalogTest
{

    [Fact]
    public void DifferentSpellingsOfOnePath_ShareOneSession()
    {
        string dir = T.Dir("data/sub");
        string db = Path.Combine(T.Path, "data", "catalog.db");

        using WriterSessionLease plain = Registry.Acquire(db);
        using WriterSessionLease dotted = Registry.Acquire(Path.Combine(dir, "..", "catalog.db"));
        using WriterSessionLease relative = Registry.Acquire(Path.Combine("data", "catalog.db"), baseDirectory: T.Path);
        using WriterSessionLease doubled = Registry.Acquire(T.Path + Path.DirectorySeparatorChar + Path.DirectorySeparatorChar + Path.Combine("data", ".", "catalog.db"));

        Assert.Same(plain.Session, dotted.Session);
        Assert.Same(plain.Session, relative.Session);
        Assert.Same(plain.Session, doubled.Session);
        SessionStatistics s = Assert.Single(Registry.Sessions());
        Assert.Equal(4, s.References);
    }

    [UnixFact]
    public void PathThroughASymlinkedFolder_SharesTheSessionOfTheRealPath()
    {
        T.Dir("real");
        Directory.CreateSymbolicLink(T.Combine("alias"), T.Combine("real"));

        using WriterSessionLease real = Registry.Acquire(T.Combine("real", "catalog.db"));
        using WriterSessionLease alias = Registry.Acquire(T.Combine("alias", "catalog.db"));

        Assert.Same(real.Session, alias.Session);
        Assert.Equal(T.Combine("real", "catalog.db"), alias.DatabasePath);
    }

    [Fact]
    public void CaseVariants_ShareASession_ExactlyWhereThePlatformIgnoresCase()
    {
        T.Dir("Data");
        using WriterSessionLease upper = Registry.Acquire(T.Combine("Data", "Catalog.db"));
        if (PathComparison.IgnoreCase)
        {
            using WriterSessionLease lower = Registry.Acquire(T.Combine("data", "catalog.db"));
            Assert.Same(upper.Session, lower.Session);
        }
        else
        {
            using WriterSessionLease other = Registry.Acquire(T.Combine("Data", "catalog.DB"));
            Assert.NotSame(upper.Session, other.Session);
        }
    }

    [Fact]
    public void DifferentCatalogs_GetDifferentSessions()
    {
        using WriterSessionLease a = Registry.Acquire(T.Db("a.db"));
        using WriterSessionLease b = Registry.Acquire(T.Db("b.db"));

        Assert.NotSame(a.Session, b.Session);
        Assert.Equal(2, Registry.Sessions().Count);
    }

    [Fact]
    public void LastRelease_ClosesTheSession_AndTheNextAcquireOpensAFreshOne()
    {
        string db = T.Db();
        WriterSession first;
        using (WriterSessionLease a = Registry.Acquire(db))
        {
            first = a.Session;
            using WriterSessionLease b = Registry.Acquire(db);
        }
        Assert.Empty(Registry.Sessions());

        using WriterSessionLease again = Registry.Acquire(db);
        Assert.NotSame(first, again.Session);
    }

    [Fact]
    public void DisposingALeaseTwice_ReleasesOnlyOnce()
    {
        string db = T.Db();
        using WriterSessionLease keeper = Registry.Acquire(db);
        WriterSessionLease other = Registry.Acquire(db);
        other.Dispose();
        other.Dispose();

        Assert.Equal(1, Assert.Single(Registry.Sessions()).References);
        Assert.Throws<ObjectDisposedException>(() => other.Flush());
    }

    [Fact]
    public void MissingFolder_IsAClearError()
    {
        var ex = Assert.Throws<ScanTools.Storage.CatalogException>(() => Registry.Acquire(T.Combine("no", "such", "folder", "c.db")));
        Assert.Equal(ScanTools.Storage.CatalogErrorCode.FolderNotFound, ex.Code);
        Assert.Contains("does not exist", ex.Message);
    }
}
