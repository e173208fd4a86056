using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>
/// The files SQLite keeps beside a catalog in WAL mode (<c>-wal</c>, <c>-shm</c>) and who may touch them.
/// The writer keeps them for the catalog's life, owned by the catalog's owner, so that a reader of another
/// account never has to create them (and so can never leave behind files the owner cannot write).
/// </summary>
internal static partial class CatalogFiles
{
    private const int SqliteFcntlPersistWal = 10;

    /// <summary>The write-ahead log of a catalog.</summary>
    public static string Wal(string catalog) => catalog + "-wal";

    /// <summary>The shared-memory index of the write-ahead log.</summary>
    public static string Shm(string catalog) => catalog + "-shm";

    /// <summary>
    /// Tells SQLite not to delete the -wal and -shm files when this connection is the last to close (it
    /// still folds the log back and truncates it). Readers of other accounts then find them and create nothing.
    /// </summary>
    public static void KeepWalFiles(SqliteConnection connection)
    {
        int on = 1;
        _ = sqlite3_file_control(connection.Handle!.DangerousGetHandle(), "main", SqliteFcntlPersistWal, ref on);
    }

    /// <summary>True when the write-ahead log holds nothing that is not in the catalog file itself.</summary>
    public static bool WalIsEmpty(string catalog)
    {
        var wal = new FileInfo(Wal(catalog));
        return !wal.Exists || wal.Length == 0;
    }

    /// <summary>The owner (uid) of a file on Unix; null on Windows or when it cannot be read.</summary>
    public static uint? OwnerOf(string path) => OperatingSystem.IsWindows() ? null : Sessions.Ipc.UnixUser.OwnerOf(path);

    /// <summary>
    /// A companion file this account cannot write, which makes SQLite refuse to write the catalog: the
    /// sentence naming it and its owner, or null. (A process of another account created it.)
    /// </summary>
    public static string? UnwritableCompanion(string catalog)
    {
        foreach (string companion in new[] { Shm(catalog), Wal(catalog) })
        {
            if (File.Exists(companion) && !CanWrite(companion))
            {
                string owner = OwnerOf(companion) is uint uid ? $"user id {uid}" : "another account";
                return $"its file '{companion}' belongs to {owner} and this account cannot write it (a process of that account opened the catalog when no writer kept the file). " +
                    $"When no process uses the catalog, remove '{companion}' as that user or root, or give this account write access to it.";
            }
        }
        return null;
    }

    private static bool CanWrite(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // locked or busy, not forbidden
        }
    }

    [LibraryImport("e_sqlite3", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int sqlite3_file_control(IntPtr db, string name, int op, ref int arg);
}
