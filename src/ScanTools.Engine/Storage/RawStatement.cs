using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ScanTools.Storage;

/// <summary>
/// A prepared statement driven through SQLitePCLRaw directly. The writer's per-row statements use it:
/// Microsoft.Data.Sqlite builds a data reader and boxes every parameter on each execution, which
/// measured about 1.5x slower per row here. The per-row calls (bind, column) go through <see cref="SqliteNative"/>'s
/// function pointers where it has them, and a NULL already bound is not bound again. Errors surface as
/// <see cref="SqliteException"/>, like the rest.
/// </summary>
internal sealed unsafe class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private IntPtr _handle; // the statement's pointer for SqliteNative's calls; 0 once disposed (SQLite then answers SQLITE_MISUSE)
    private byte[] _utf8 = new byte[256];
    private readonly bool[] _boundNull; // per parameter: NULL is bound now (SQLite keeps bindings across resets), so binding NULL again is skipped

    /// <summary>Whether this statement's per-row calls go by pointer (false: through SQLitePCLRaw, as where <see cref="SqliteNative"/> finds no library).</summary>
    private readonly bool _native;

    public RawStatement(SqliteConnection connection, string sql) : this(connection, sql, native: true)
    {
    }

    /// <summary>Prepares <paramref name="sql"/> (its first statement) on <paramref name="connection"/>.</summary>
    /// <param name="connection">An open connection; the statement must not outlive it.</param>
    /// <param name="sql">The statement, with ?N or $name parameters.</param>
    /// <param name="native">False to use SQLitePCLRaw's calls even where the pointers are found (tests of that path).</param>
    internal RawStatement(SqliteConnection connection, string sql, bool native)
    {
        _native = native && SqliteNative.Available;
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _stmt);
        Check(rc);
        _handle = _stmt.DangerousGetHandle();
        _boundNull = new bool[raw.sqlite3_bind_parameter_count(_stmt) + 1];
        Array.Fill(_boundNull, true); // a fresh statement's parameters are NULL
        _boundNull[0] = false; // there is no parameter 0: binding it is SQLite's range error
    }

    public void Bind(int index, long value)
    {
        Check(_native ? Alive(SqliteNative.BindInt64(_handle, index, value)) : raw.sqlite3_bind_int64(_stmt, index, value));
        _boundNull[index] = false;
    }

    /// <summary>
    /// Passes a native call's result through while keeping the statement's SafeHandle reachable until the call has
    /// returned: by pointer, nothing else keeps it (SQLitePCLRaw's marshalling did), and its finalizer would finalize the
    /// statement under a call still running.
    /// </summary>
    private T Alive<T>(T result)
    {
        GC.KeepAlive(_stmt);
        return result;
    }

    private int BindNull(int index)
    {
        if ((uint)index < (uint)_boundNull.Length && _boundNull[index])
        {
            return raw.SQLITE_OK;
        }
        int rc = _native ? Alive(SqliteNative.BindNull(_handle, index)) : raw.sqlite3_bind_null(_stmt, index);
        if (rc == raw.SQLITE_OK)
        {
            _boundNull[index] = true;
        }
        return rc;
    }

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
            case double d: Check(raw.sqlite3_bind_double(_stmt, index, d)); _boundNull[index] = false; break;
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

    public void Bind(int index, long? value)
    {
        if (value is long v)
        {
            Bind(index, v);
        }
        else
        {
            Check(BindNull(index));
        }
    }

    /// <summary>Binds text as UTF-8 from a reused buffer (SQLite copies it), or NULL.</summary>
    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(BindNull(index));
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
        if (!_native)
        {
            Check(raw.sqlite3_bind_text(_stmt, index, _utf8.AsSpan(0, n)));
        }
        else
        {
            fixed (byte* p = _utf8)
            {
                Check(Alive(SqliteNative.BindText(_handle, index, p, n, SqliteNative.Transient)));
            }
        }
        _boundNull[index] = false; // after Check: an index out of range is SQLite's error, not ours
    }

    public void Bind(int index, byte[]? value)
    {
        if (value is null)
        {
            Check(BindNull(index));
        }
        else if (!_native)
        {
            Check(raw.sqlite3_bind_blob(_stmt, index, value));
            _boundNull[index] = false;
        }
        else
        {
            fixed (byte* p = value)
            {
                byte empty = 0; // a zero-length blob is an empty value, not NULL: SQLite needs a pointer for it
                Check(Alive(SqliteNative.BindBlob(_handle, index, value.Length == 0 ? &empty : p, value.Length, SqliteNative.Transient)));
            }
            _boundNull[index] = false;
        }
    }

    /// <summary>Runs a statement that returns no rows; returns the number of rows it changed.</summary>
    public int Execute()
    {
        int rc = StepOnce();
        Reset();
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            Check(rc);
        }
        return raw.sqlite3_changes(_db);
    }

    /// <summary>Advances to the next row; false (and reset) when there are no more.</summary>
    public bool Step()
    {
        int rc = StepOnce();
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }
        Reset();
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }
        return false;
    }

    /// <summary>Ends a row-returning execution early.</summary>
    public void Reset()
    {
        if (_native)
        {
            Alive(SqliteNative.Reset(_handle));
        }
        else
        {
            raw.sqlite3_reset(_stmt);
        }
    }

    private int StepOnce() => _native ? Alive(SqliteNative.Step(_handle)) : raw.sqlite3_step(_stmt);

    public long Int64(int column) => _native ? Alive(SqliteNative.ColumnInt64(_handle, column)) : raw.sqlite3_column_int64(_stmt, column);

    public bool IsNull(int column) =>
        (_native ? Alive(SqliteNative.ColumnType(_handle, column)) : raw.sqlite3_column_type(_stmt, column)) == raw.SQLITE_NULL;

    public string Text(int column)
    {
        // The column's UTF-8 bytes decoded directly: SQLitePCL's utf8_to_string measures the length again.
        ReadOnlySpan<byte> bytes = ColumnBytes(column);
        return Alive(bytes.Length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes)); // the bytes are the statement's until decoded
    }

    /// <summary>A column as a copied byte array; null for NULL.</summary>
    public byte[]? Blob(int column) => IsNull(column) ? null : Alive(ColumnBytes(column).ToArray());

    /// <summary>A column as a long, or null for NULL.</summary>
    public long? NullableInt64(int column) => IsNull(column) ? null : Int64(column);

    /// <summary>The column's bytes, valid until the next step, reset or conversion of that column.</summary>
    private ReadOnlySpan<byte> ColumnBytes(int column)
    {
        if (!_native)
        {
            return raw.sqlite3_column_blob(_stmt, column);
        }
        byte* p = SqliteNative.ColumnBlob(_handle, column); // first the pointer, then its length (SQLite's documented order)
        return p is null ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(p, Alive(SqliteNative.ColumnBytes(_handle, column)));
    }

    public void Dispose()
    {
        _handle = 0;
        _stmt.Dispose();
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
