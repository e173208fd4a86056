using Microsoft.Data.Sqlite;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// Statistics SQLite gathered while a catalog was tiny must not turn the writer's bulk queries quadratic once it
/// is large: a Write-Finding of one file, then a scan of 69,000 files, spun for minutes at the scan's end.
/// </summary>
public sealed class StaleStatisticsTests : CatalogTest
{
    [Fact]
    public void TheNameIndexCatchUp_LooksNamesUpByIndex_EvenWhenStatisticsSayTheCatalogIsTiny()
    {
        string db = T.Db();
        using (Registry.Acquire(db))
        {
        }
        Registry.CloseAll();
        using var connection = new SqliteConnection($"Data Source={db}");
        connection.Open();
        using (SqliteCommand stale = connection.CreateCommand())
        {
            // What ANALYZE leaves after a one-file catalog: every table a row or two.
            stale.CommandText = """
                ANALYZE;
                DELETE FROM sqlite_stat1;
                INSERT INTO sqlite_stat1 VALUES ('files', 'files', '1 1 1'), ('names', 'sqlite_autoindex_names_1', '1 1'), ('name_index_pending', NULL, '1');
                ANALYZE sqlite_schema;
                """;
            stale.ExecuteNonQuery();
        }
        using SqliteCommand plan = connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN " + CatalogWriter.PendingFolderNamesSql;
        var steps = new List<string>();
        using (SqliteDataReader r = plan.ExecuteReader())
        {
            while (r.Read())
            {
                steps.Add(r.GetString(3));
            }
        }
        Assert.DoesNotContain(steps, s => s.StartsWith("SCAN n", StringComparison.Ordinal));
        Assert.Contains(steps, s => s.StartsWith("SEARCH n USING COVERING INDEX sqlite_autoindex_names_1", StringComparison.Ordinal));
    }
}
