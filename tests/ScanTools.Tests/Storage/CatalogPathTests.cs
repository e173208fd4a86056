using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>Catalog paths that cannot work, and what each command says about them.</summary>
public sealed class CatalogPathTests : CatalogTest
{
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
}
