using System.Reflection;
using System.Runtime.InteropServices;

namespace ScanTools.Storage;

/// <summary>
/// The handful of SQLite C functions the writer's per-row loop and the readers' per-row decoding call, as
/// unmanaged function pointers taking the statement's raw pointer. SQLitePCLRaw passes its statement as a
/// SafeHandle, so each of its calls adds a reference count taken and released around the call and an interface
/// dispatch: measured here 31 ns a <c>sqlite3_bind_int64</c> through <c>SQLitePCL.raw</c> against 18 ns through
/// a function pointer, 1.47 against 1.20 us a 16-column row inserted (bench/README.md, "The writer's native calls").
/// <para>
/// The library is resolved exactly as SQLitePCLRaw's own provider resolves it: <c>NativeLibrary.TryLoad(name, assembly, searchPath)</c>
/// for the provider's assembly, which goes through that assembly's load context (the module's own, in PowerShell)
/// and so yields the very library whose connections and statements these pointers are handed. If it cannot be
/// resolved, or lacks a function, <see cref="Available"/> is false and callers use SQLitePCLRaw as before.
/// </para>
/// </summary>
internal static unsafe class SqliteNative
{
    /// <summary>SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.</summary>
    public static readonly IntPtr Transient = new(-1);

    public static readonly bool Available;
    public static readonly delegate* unmanaged<IntPtr, int, long, int> BindInt64;
    public static readonly delegate* unmanaged<IntPtr, int, int> BindNull;
    public static readonly delegate* unmanaged<IntPtr, int, byte*, int, IntPtr, int> BindText;
    public static readonly delegate* unmanaged<IntPtr, int, byte*, int, IntPtr, int> BindBlob;
    public static readonly delegate* unmanaged<IntPtr, int, long> ColumnInt64;
    public static readonly delegate* unmanaged<IntPtr, int, int> ColumnType;
    public static readonly delegate* unmanaged<IntPtr, int, byte*> ColumnBlob;
    public static readonly delegate* unmanaged<IntPtr, int, int> ColumnBytes;
    public static readonly delegate* unmanaged<IntPtr, int> Step;
    public static readonly delegate* unmanaged<IntPtr, int> Reset;

    static SqliteNative()
    {
        try
        {
            Assembly provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
            if (!NativeLibrary.TryLoad("e_sqlite3", provider, null, out IntPtr library))
            {
                return;
            }
            IntPtr bindInt64 = Export(library, "sqlite3_bind_int64"), bindNull = Export(library, "sqlite3_bind_null"),
                bindText = Export(library, "sqlite3_bind_text"), bindBlob = Export(library, "sqlite3_bind_blob"),
                columnInt64 = Export(library, "sqlite3_column_int64"), columnType = Export(library, "sqlite3_column_type"),
                columnBlob = Export(library, "sqlite3_column_blob"), columnBytes = Export(library, "sqlite3_column_bytes"),
                step = Export(library, "sqlite3_step"), reset = Export(library, "sqlite3_reset");
            if (bindInt64 == 0 || bindNull == 0 || bindText == 0 || bindBlob == 0 || columnInt64 == 0 || columnType == 0 || columnBlob == 0 || columnBytes == 0 || step == 0 || reset == 0)
            {
                return;
            }
            BindInt64 = (delegate* unmanaged<IntPtr, int, long, int>)bindInt64;
            BindNull = (delegate* unmanaged<IntPtr, int, int>)bindNull;
            BindText = (delegate* unmanaged<IntPtr, int, byte*, int, IntPtr, int>)bindText;
            BindBlob = (delegate* unmanaged<IntPtr, int, byte*, int, IntPtr, int>)bindBlob;
            ColumnInt64 = (delegate* unmanaged<IntPtr, int, long>)columnInt64;
            ColumnType = (delegate* unmanaged<IntPtr, int, int>)columnType;
            ColumnBlob = (delegate* unmanaged<IntPtr, int, byte*>)columnBlob;
            ColumnBytes = (delegate* unmanaged<IntPtr, int, int>)columnBytes;
            Step = (delegate* unmanaged<IntPtr, int>)step;
            Reset = (delegate* unmanaged<IntPtr, int>)reset;
            Available = true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or FileLoadException)
        {
            // SQLitePCLRaw's calls remain.
        }
    }

    private static IntPtr Export(IntPtr library, string name) => NativeLibrary.TryGetExport(library, name, out IntPtr address) ? address : 0;
}
