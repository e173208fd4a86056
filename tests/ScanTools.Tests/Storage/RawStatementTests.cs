using Microsoft.Data.Sqlite;
using ScanTools.Storage;
using Xunit;

namespace ScanTools.Tests.Storage;

/// <summary>
/// The writer's and readers' per-row statement: values go in and come out as bound, through SQLite's functions by
/// pointer (<see cref="SqliteNative"/>), and a NULL bound once is not bound again without the row losing a value.
/// </summary>
public sealed class RawStatementTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public RawStatementTests()
    {
        _connection.Open();
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "CREATE TABLE t (i INTEGER, n INTEGER, s TEXT, b BLOB);";
        c.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    [Fact]
    public void The_native_calls_are_found_here()
    {
        // The process loads SQLitePCLRaw's e_sqlite3; the fast path must find it, or the tests below test the fallback only.
        Assert.True(SqliteNative.Available);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // SQLitePCLRaw's calls, as where the library is not found by pointer
    public void Values_alternating_with_nulls_are_stored_as_bound_on_every_row(bool native)
    {
        var rows = new List<(long I, long? N, string? S, byte[]? B)>();
        var random = new Random(7);
        for (int r = 0; r < 500; r++)
        {
            rows.Add((r,
                random.Next(3) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue),
                random.Next(3) switch { 0 => null, 1 => string.Empty, _ => "名前-" + new string('x', random.Next(0, 600)) + "-😀" },
                random.Next(3) switch { 0 => null, 1 => Array.Empty<byte>(), _ => Enumerable.Range(0, random.Next(1, 40)).Select(x => (byte)x).ToArray() }));
        }
        using (var insert = new RawStatement(_connection, "INSERT INTO t VALUES (?1, ?2, ?3, ?4);", native))
        {
            foreach (var row in rows)
            {
                insert.Bind(1, row.I);
                insert.Bind(2, row.N);
                insert.Bind(3, row.S);
                insert.Bind(4, row.B);
                Assert.Equal(1, insert.Execute());
            }
        }
        using var read = new RawStatement(_connection, "SELECT i, n, s, b, typeof(s), typeof(b) FROM t ORDER BY i;", native);
        int k = 0;
        while (read.Step())
        {
            var expected = rows[k++];
            Assert.Equal(expected.I, read.Int64(0));
            Assert.Equal(expected.N, read.NullableInt64(1));
            Assert.Equal(expected.S is null, read.IsNull(2));
            Assert.Equal(expected.S is null ? "null" : "text", read.Text(4));
            if (expected.S is not null)
            {
                Assert.Equal(expected.S, read.Text(2));
            }
            Assert.Equal(expected.B is null ? "null" : "blob", read.Text(5)); // an empty array is an empty blob, not NULL
            Assert.Equal(expected.B, read.Blob(3));
        }
        Assert.Equal(rows.Count, k);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_parameter_out_of_range_is_SQLites_range_error(bool native)
    {
        using var insert = new RawStatement(_connection, "INSERT INTO t (i) VALUES (?1);", native);
        foreach (Action bind in new Action[] { () => insert.Bind(2, 1L), () => insert.Bind(2, "x"), () => insert.Bind(2, new byte[] { 1 }), () => insert.Bind(0, (long?)null) })
        {
            SqliteException e = Assert.Throws<SqliteException>(bind);
            Assert.Equal(25, e.SqliteErrorCode); // SQLITE_RANGE
        }
    }
}
