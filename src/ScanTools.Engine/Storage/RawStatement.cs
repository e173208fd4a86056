using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScanTools.Storage;

/// <summary>
/// A prepared statement driven through SQLitePCLRaw directly. The writer's per-row statements use it:
/// Microsoft.Data.Sqlite builds a data reader and boxes every parameter on each execution, which
/// measured about 1.5x slower per row here. Errors surface as <see cref="SqliteException"/>, like the rest.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private byte[] _utf8 = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt);
        Check(rc);
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));

    /// <summary>Binds a named parameter ($name) to a long, string, byte array or double.</summary>
    public void Bind(string name, object value)
    {
        int index = raw.sqlite3_bind_parameter_index(_stmt, name);
        if (index == 0)
        {
            throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
        }
        switch (value)
        {
            case long l: Bind(index, l); break;
            case int i: Bind(index, (long)i); break;
            case string s: Bind(index, s); break;
            case byte[] b: Bind(index, b); break;
            case double d: Check(raw.sqlite3_bind_double(_stmt, index, d)); break;
            default: throw new ArgumentException($"Cannot bind a {value.GetType().Name}.", nameof(value));
        }
    }

    /// <summary>Binds a named parameter if the statement has it (a filter may bind a value its SQL left out); see <see cref="Bind(string, object)"/>.</summary>
    public void BindIfUsed(string name, object value)
    {
        if (raw.sqlite3_bind_parameter_index(_stmt, name) != 0)
        {
            Bind(name, value);
        }
    }

    public void Bind(int index, long? value) => Check(value is long v ? raw.sqlite3_bind_int64(_stmt, index, v) : raw.sqlite3_bind_null(_stmt, index));

    /// <summary>Binds text as UTF-8 from a reused buffer (SQLite copies it), or NULL.</summary>
    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_stmt, index));
            return;
        }
        Bind(index, value.AsSpan());
    }

    /// <summary>Binds characters as UTF-8 text without making a string of them first.</summary>
    public void Bind(int index, ReadOnlySpan<char> value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _utf8.Length)
        {
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        }
        int n = Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_stmt, index, _utf8.AsSpan(0, n)));
    }

    public void Bind(int index, byte[]? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_stmt, index) : raw.sqlite3_bind_blob(_stmt, index, value));

    /// <summary>Runs a statement that returns no rows; returns the number of rows it changed.</summary>
    public int Execute()
    {
        int rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            Check(rc);
        }
        return raw.sqlite3_changes(_db);
    }

    /// <summary>Advances to the next row; false (and reset) when there are no more.</summary>
    public bool Step()
    {
        int rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }
        return false;
    }

    /// <summary>Ends a row-returning execution early.</summary>
    public void Reset() => raw.sqlite3_reset(_stmt);

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    public bool IsNull(int column) => raw.sqlite3_column_type(_stmt, column) == raw.SQLITE_NULL;

    public string Text(int column)
    {
        // The column's UTF-8 bytes decoded directly: SQLitePCL's utf8_to_string measures the length again.
        ReadOnlySpan<byte> bytes = raw.sqlite3_column_blob(_stmt, column);
        return bytes.Length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A column as a copied byte array; null for NULL.</summary>
    public byte[]? Blob(int column) => IsNull(column) ? null : raw.sqlite3_column_blob(_stmt, column).ToArray();

    /// <summary>A column as a long, or null for NULL.</summary>
    public long? NullableInt64(int column) => IsNull(column) ? null : raw.sqlite3_column_int64(_stmt, column);

    public void Dispose() => _stmt.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
