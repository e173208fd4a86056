using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

public sealed class WriterSessionRegistryTests : IDisposable
{
    private readonly TempDirectory _t = new();
    private readonly WriterSessionRegistry _registry = new();

    public void Dispose()
    {
        _registry.CloseAll();
        _t.Dispose();
    }

    [Fact]
    public void DifferentSpellingsOfOnePath_ShareOneSession()
    {
        string dir = _t.Dir("data/sub");
        string db = Path.Combine(_t.Path, "data", "catalog.db");

        using WriterSessionLease plain = _registry.Acquire(db);
        using WriterSessionLease dotted = _registry.Acquire(Path.Combine(dir, "..", "catalog.db"));
        using WriterSessionLease relative = _registry.Acquire(Path.Combine("data", "catalog.db"), baseDirectory: _t.Path);
        using WriterSessionLease doubled = _registry.Acquire(_t.Path + Path.DirectorySeparatorChar + Path.DirectorySeparatorChar + Path.Combine("data", ".", "catalog.db"));

        Assert.Same(plain.Session, dotted.Session);
        Assert.Same(plain.Session, relative.Session);
        Assert.Same(plain.Session, doubled.Session);
        SessionStatistics s = Assert.Single(_registry.Sessions());
        Assert.Equal(4, s.References);
    }

    [UnixFact]
    public void PathThroughASymlinkedFolder_SharesTheSessionOfTheRealPath()
    {
        _t.Dir("real");
        Directory.CreateSymbolicLink(_t.Combine("alias"), _t.Combine("real"));

        using WriterSessionLease real = _registry.Acquire(_t.Combine("real", "catalog.db"));
        using WriterSessionLease alias = _registry.Acquire(_t.Combine("alias", "catalog.db"));

        Assert.Same(real.Session, alias.Session);
        Assert.Equal(_t.Combine("real", "catalog.db"), alias.DatabasePath);
    }

    [Fact]
    public void CaseVariants_ShareASession_ExactlyWhereThePlatformIgnoresCase()
    {
        _t.Dir("Data");
        using WriterSessionLease upper = _registry.Acquire(_t.Combine("Data", "Catalog.db"));
        if (PathComparison.IgnoreCase)
        {
            using WriterSessionLease lower = _registry.Acquire(_t.Combine("data", "catalog.db"));
            Assert.Same(upper.Session, lower.Session);
        }
        else
        {
            using WriterSessionLease other = _registry.Acquire(_t.Combine("Data", "catalog.DB"));
            Assert.NotSame(upper.Session, other.Session);
        }
    }

    [Fact]
    public void DifferentCatalogs_GetDifferentSessions()
    {
        using WriterSessionLease a = _registry.Acquire(_t.Db("a.db"));
        using WriterSessionLease b = _registry.Acquire(_t.Db("b.db"));

        Assert.NotSame(a.Session, b.Session);
        Assert.Equal(2, _registry.Sessions().Count);
    }

    [Fact]
    public void LastRelease_ClosesTheSession_AndTheNextAcquireOpensAFreshOne()
    {
        string db = _t.Db();
        WriterSession first;
        using (WriterSessionLease a = _registry.Acquire(db))
        {
            first = a.Session;
            using WriterSessionLease b = _registry.Acquire(db);
        }
        Assert.Empty(_registry.Sessions());

        using WriterSessionLease again = _registry.Acquire(db);
        Assert.NotSame(first, again.Session);
    }

    [Fact]
    public void DisposingALeaseTwice_ReleasesOnlyOnce()
    {
        string db = _t.Db();
        using WriterSessionLease keeper = _registry.Acquire(db);
        WriterSessionLease other = _registry.Acquire(db);
        other.Dispose();
        other.Dispose();

        Assert.Equal(1, Assert.Single(_registry.Sessions()).References);
        Assert.Throws<ObjectDisposedException>(() => other.Flush());
    }

    [Fact]
    public void MissingFolder_IsAClearError()
    {
        var ex = Assert.Throws<ScanTools.Storage.CatalogException>(() => _registry.Acquire(_t.Combine("no", "such", "folder", "c.db")));
        Assert.Equal(ScanTools.Storage.CatalogErrorCode.FolderNotFound, ex.Code);
        Assert.Contains("does not exist", ex.Message);
    }
}
