using Microsoft.Data.Sqlite;
using ScanTools.Storage;

namespace ScanTools.Tests.Storage;

/// <summary>SQLite's failures as the catalog errors a user reads: each says what happened and what to do.</summary>
public sealed class CatalogErrorTranslationTests
{
    [Theory]
    [InlineData(true, CatalogErrorCode.WriteFailed)]
    [InlineData(false, CatalogErrorCode.OpenFailed)]
    public void A_lock_held_past_SQLites_wait_names_another_program_and_what_to_do(bool writing, CatalogErrorCode code)
    {
        // Newcomer test 80: sqlite3 held BEGIN IMMEDIATE for 36 s, and the scan failed with the bare "database is locked".
        var busy = new SqliteException("SQLite Error 5: 'database is locked'.", 5, 5);

        CatalogException ex = CatalogDatabase.Translate(busy, "/srv/c.db", writing);

        Assert.Equal(code, ex.Code);
        Assert.Contains("'/srv/c.db' stayed locked by another program for more than 30 s", ex.Message);
        Assert.Contains("database is locked", ex.Message);
        Assert.Contains("Close that program", ex.Message);
        Assert.DoesNotContain(".)", ex.Message);
        Assert.Same(busy, ex.InnerException);
    }

    [Fact]
    public void An_error_without_its_own_message_keeps_SQLites_words_and_code()
    {
        var other = new SqliteException("SQLite Error 19: 'constraint failed'.", 19, 2067);

        CatalogException ex = CatalogDatabase.Translate(other, "/srv/c.db", writing: true);

        Assert.Equal(CatalogErrorCode.WriteFailed, ex.Code);
        Assert.Contains("could not be written: SQLite Error 19: 'constraint failed' (SQLite extended code 2067)", ex.Message);
    }
}
