using Microsoft.Data.Sqlite;

namespace ScanTools.Tests.Support;

/// <summary>Raw SQL against a catalog, for assertions that must not go through the code under test.</summary>
public static class Sql
{
    public static long Scalar(string db, string sql, params (string Name, object Value)[] parameters) =>
        Convert.ToInt64(Query(db, sql, parameters), System.Globalization.CultureInfo.InvariantCulture);

    public static string Text(string db, string sql, params (string Name, object Value)[] parameters) =>
        Convert.ToString(Query(db, sql, parameters), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;

    private static object? Query(string db, string sql, (string Name, object Value)[] parameters)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        return cmd.ExecuteScalar();
    }

    public static void Execute(string db, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        c.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public static long Files(string db) => Scalar(db, "SELECT count(*) FROM files;");
}
