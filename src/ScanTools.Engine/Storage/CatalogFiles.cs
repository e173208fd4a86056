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
    /// True when nobody but root may write the file: no write permission bit (Unix), or the ReadOnly
    /// attribute (Windows). False when it cannot be told (missing, unreadable metadata).
    /// </summary>
    public static bool IsReadOnlyFile(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                return (File.GetAttributes(path) & FileAttributes.ReadOnly) != 0;
            }
            const UnixFileMode anyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
            return (File.GetUnixFileMode(path) & anyWrite) == 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="path"/> is an existing file whose mode lets no one write it (chmod 444). Unix only.</summary>
    public static bool NoOneMayWrite(string path) =>
        !OperatingSystem.IsWindows() && File.Exists(path)
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;

    /// <summary>
    /// Why this account cannot write the catalog file itself, as the end of a sentence that says what to
    /// do; null when it can (or the file does not exist yet).
    /// </summary>
    public static string? UnwritableCatalog(string catalog)
    {
        if (NoOneMayWrite(catalog) && Sessions.Ipc.UnixUser.EffectiveUserId == 0)
        {
            // Root may write any file, so chmod 444, an admin's way of freezing a catalog, was ignored and a scan added its run.
            return $"the catalog file itself is read-only (mode {ModeOf(catalog)}). Root could write it anyway, but ScanTools keeps to the mode: make it writable (chmod u+w '{catalog}') to scan into it, or choose another -Database.";
        }
        if (!File.Exists(catalog) || CanWrite(catalog))
        {
            return null;
        }
        if (OperatingSystem.IsWindows())
        {
            return (File.GetAttributes(catalog) & FileAttributes.ReadOnly) != 0
                ? $"the catalog file itself is read-only (its Read-only attribute is set). Clear it (attrib -r \"{catalog}\"), or choose another -Database."
                : "this account may not write the catalog file itself. Give it write access, or choose another -Database.";
        }
        uint? owner = OwnerOf(catalog);
        string mode = ModeOf(catalog);
        if (owner is uint uid && uid != Sessions.Ipc.UnixUser.EffectiveUserId)
        {
            return $"the catalog file itself belongs to user id {uid} and this account may not write it (mode {mode}). " +
                "Run the command as that user, give this account write access to the file, or choose another -Database.";
        }
        if (!File.GetUnixFileMode(catalog).HasFlag(UnixFileMode.UserWrite))
        {
            return $"the catalog file itself is read-only (mode {mode}). Make it writable (chmod u+w '{catalog}'), or choose another -Database.";
        }
        // Its mode allows writing: the file system refuses (mounted read-only) or the file is immutable (chattr +i).
        return $"the catalog file cannot be written although its mode allows it (mode {mode}): its file system is mounted read-only, " +
            $"or the file is immutable or append-only (lsattr '{catalog}' shows i or a; chattr -i -a removes them). Choose another -Database, or copy the catalog to writable storage.";
    }

    /// <summary>
    /// Gives the -wal and -shm files that belong to this account but that it cannot write (left read-only
    /// by a reader of an earlier ScanTools, when the catalog file was read-only) the catalog file's own mode,
    /// which is what SQLite gives the side files it creates. Unix only; a file it cannot change is left for
    /// <see cref="UnwritableCompanion"/> to name.
    /// </summary>
    public static void MakeOwnCompanionsWritable(string catalog)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(catalog))
        {
            return;
        }
        foreach (string companion in new[] { Shm(catalog), Wal(catalog) })
        {
            try
            {
                if (File.Exists(companion) && OwnerOf(companion) == Sessions.Ipc.UnixUser.EffectiveUserId && !CanWrite(companion))
                {
                    File.SetUnixFileMode(companion, File.GetUnixFileMode(catalog) | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Reported by the open that follows, with UnwritableCompanion's sentence.
            }
        }
    }

    /// <summary>
    /// A companion file this account cannot write, which makes SQLite refuse to write the catalog: the
    /// sentence naming it and its owner, or null. (A process of another account created it, or it is read-only.)
    /// </summary>
    public static string? UnwritableCompanion(string catalog)
    {
        foreach (string companion in new[] { Shm(catalog), Wal(catalog) })
        {
            if (File.Exists(companion) && !CanWrite(companion))
            {
                uint? owner = OwnerOf(companion);
                if (owner is uint own && own == Sessions.Ipc.UnixUser.EffectiveUserId && !OperatingSystem.IsWindows())
                {
                    return $"its file '{companion}' belongs to this account but is read-only (mode {ModeOf(companion)}), and ScanTools could not make it writable. " +
                        $"Make it writable (chmod u+w '{companion}'), or remove it when no process uses the catalog.";
                }
                string who = owner is uint uid ? $"user id {uid}" : "another account";
                return $"its file '{companion}' belongs to {who} and this account cannot write it (a process of that account opened the catalog when no writer kept the file). " +
                    $"When no process uses the catalog, remove '{companion}' as that user or root, or give this account write access to it.";
            }
        }
        return null;
    }

    /// <summary>The permission bits in octal, as chmod takes them (0444); "unknown" when they cannot be read.</summary>
    private static string ModeOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "unknown";
        }
        try
        {
            return Convert.ToString((int)File.GetUnixFileMode(path) & 0xFFF, 8).PadLeft(4, '0');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>The files a catalog NAME keeps next to it, as suffixes of NAME: its log and index, its journal, its locks.</summary>
    public static readonly IReadOnlyList<string> CompanionSuffixes = new[] { "-wal", "-shm", "-journal", "-scantools.lock", "-consumer.lock" };

    /// <summary>
    /// Why no catalog or backup may be created at <paramref name="path"/>, or null: a name that ends like one of a catalog's
    /// own files (NAME-wal, NAME-shm, ...). SQLite takes such a file for the log or shared memory of NAME once a catalog is
    /// created there, and empties or overwrites it (newcomer test 69: a backup named x.db-wal was wiped by the first scan
    /// into x.db).
    /// </summary>
    public static string? CompanionNameProblem(string path)
    {
        string name = Path.GetFileName(path);
        string? suffix = CompanionSuffixes.FirstOrDefault(c => name.Length > c.Length && name.EndsWith(c, Platform.PathComparison.Comparison));
        return suffix is null ? null
            : $"'{path}' ends with '{suffix}', the name of a catalog's own file: {(suffix.EndsWith(".lock", StringComparison.Ordinal) ? "ScanTools" : "SQLite")} would take it for the {suffix[1..]} file of '{path[..^suffix.Length]}' once a catalog is made there, and overwrite it. Choose a name that does not end with {string.Join(", ", CompanionSuffixes)}.";
    }

    /// <summary>The prefix (after NAME) of a catalog being created, a draft that ScanTools deletes.</summary>
    public const string DraftInfix = ".creating-";

    /// <summary>The name of a draft whose catalog's name leaves no room for NAME.creating-...: .scantools.creating-...</summary>
    public static readonly string ShortDraftPrefix = ShortDraftPrefixFor(DraftInfix);

    /// <summary>The longest file name in bytes (UTF-8) the file systems ScanTools runs on take (NAME_MAX, and NTFS's 255 characters).</summary>
    private const int NameMax = 255;

    /// <summary>
    /// Why the catalog's file name is too long to write it: with its longest companion (-scantools.lock) it must fit in
    /// 255 bytes; null when it fits.
    /// </summary>
    public static string? NameTooLong(string catalog)
    {
        string name = Path.GetFileName(catalog);
        int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        int room = NameMax - CompanionSuffixes.Max(c => c.Length);
        return bytes <= room ? null
            : $"The name '{name}' is {bytes} bytes long: with the {NameMax - room} bytes ScanTools adds for a file it keeps beside a catalog (NAME-scantools.lock), that is over the {NameMax} a file name can have. Give a name of at most {room} bytes (UTF-8; fewer characters for non-Latin scripts).";
    }

    /// <summary>
    /// The private file a catalog file is built in before it takes its name: NAME{infix}PID-ID in its folder (a new catalog:
    /// <see cref="DraftInfix"/>; a backup: .partial-), or .scantools{infix}PID-ID when NAME leaves no room for that and
    /// SQLite's -journal after it.
    /// </summary>
    public static string DraftFor(string file, string infix = DraftInfix)
    {
        string unique = $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..^16]; // pid and 16 hex digits
        string draft = file + infix + unique;
        return System.Text.Encoding.UTF8.GetByteCount(Path.GetFileName(draft)) + "-journal".Length <= NameMax
            ? draft
            : Path.Join(Path.GetDirectoryName(file), ShortDraftPrefixFor(infix) + unique);
    }

    /// <summary>The infix of a backup's or a report's draft: NAME.partial-PID-ID.</summary>
    public const string PartialInfix = ".partial-";

    /// <summary>
    /// Drafts left next to <paramref name="target"/> by backups or reports (<paramref name="infix"/> .partial-) or by the
    /// creation of the catalog (.creating-), whose process died (killed or stopped by SIGTERM mid-write), with their
    /// -wal, -shm and -journal files: removed.
    /// </summary>
    public static void RemoveDeadDrafts(string target, string infix = PartialInfix)
    {
        string folder = System.IO.Path.GetDirectoryName(target)!;
        foreach (string prefix in new[] { System.IO.Path.GetFileName(target) + infix, CatalogFiles.ShortDraftPrefixFor(infix) })
        {
            RemoveDeadDraftsIn(folder, prefix);
        }
    }

    private static void RemoveDeadDraftsIn(string folder, string prefix)
    {
        try
        {
            foreach (string draft in Directory.EnumerateFiles(folder, prefix + "*"))
            {
                string rest = System.IO.Path.GetFileName(draft)[prefix.Length..];
                int dash = rest.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0 && int.TryParse(rest[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                    && !Platform.ProcessLiveness.IsAlive(pid, File.GetLastWriteTimeUtc(draft)))
                {
                    File.Delete(draft);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only leftovers: the backup goes on.
        }
    }

    /// <summary>The start of a draft's name when the file's own name leaves no room (see <see cref="DraftFor"/>).</summary>
    public static string ShortDraftPrefixFor(string infix) => ".scantools" + infix;

    /// <summary>
    /// True when <paramref name="fileName"/> is the catalog <paramref name="catalogName"/> itself, one of its
    /// <see cref="CompanionSuffixes"/> files, or a draft of it (NAME.creating-..., or .scantools.creating-...): names only,
    /// folders aside.
    /// </summary>
    public static bool IsCatalogOrCompanionName(string catalogName, string fileName)
    {
        if (fileName.StartsWith(ShortDraftPrefix, StringComparison.Ordinal))
        {
            return true;
        }
        if (!fileName.StartsWith(catalogName, Platform.PathComparison.Comparison))
        {
            return false;
        }
        string rest = fileName[catalogName.Length..];
        return rest.Length == 0 || CompanionSuffixes.Contains(rest, StringComparer.Ordinal) || rest.StartsWith(DraftInfix, StringComparison.Ordinal);
    }

    /// <summary>
    /// What to do about a folder where the catalog's lock file cannot be created, in sentences (no final full stop): give the account
    /// write access, or, where the kernel refuses for another reason (faccessat's EROFS: a read-only mount; EPERM: the folder
    /// is immutable or append-only), that. Root was told to give itself write access to a folder made immutable with chattr +i
    /// (newcomer test 80).
    /// </summary>
    public static string FolderWriteAdvice(string folder)
    {
        if (!OperatingSystem.IsWindows() && faccessat(AtFdCwd, folder, WriteOk, AtEaccess) != 0)
        {
            switch (Marshal.GetLastPInvokeError())
            {
                case EROFS:
                    return $"Its folder '{folder}' is on a file system mounted read-only. Choose another -Database, on writable storage";
                case EPERM:
                    return $"Its folder '{folder}' is immutable or append-only (lsattr -d '{folder}' shows i or a; chattr -i -a removes them), so no file can be created in it. Remove the flag, or choose another -Database";
            }
        }
        return "Give your account write access to the folder, or choose another -Database";
    }

    /// <summary>True when this account may open the file for writing (also when it is missing, locked or busy).</summary>
    /// <remarks>
    /// On Unix the permission is asked of the kernel (faccessat with the effective ids), never by opening the file:
    /// closing a descriptor of a catalog, or of its -wal or -shm file, would release the POSIX locks SQLite holds on
    /// it in this process, and another process could then rebuild a -shm file this one has mapped (SIGBUS).
    /// </remarks>
    public static bool CanWrite(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            if (faccessat(AtFdCwd, path, WriteOk, AtEaccess) == 0)
            {
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            return errno is not (EACCES or EROFS or EPERM); // missing or otherwise unknown: not forbidden
        }
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

    private const int AtFdCwd = -100, WriteOk = 2, AtEaccess = 0x200, EACCES = 13, EROFS = 30, EPERM = 1;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int faccessat(int dirfd, string path, int mode, int flags);

    [LibraryImport("e_sqlite3", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int sqlite3_file_control(IntPtr db, string name, int op, ref int arg);
}
