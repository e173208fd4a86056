using System.Runtime.InteropServices;
using ScanTools.Storage;

namespace ScanTools.Sessions;

/// <summary>
/// The OS-level exclusive lock that makes one process the writer of a catalog. It lives in a file next
/// to the catalog (<c>&lt;catalog&gt;-scantools.lock</c>) and the operating system releases it when the
/// process dies, so a crashed writer never blocks the others. The file is never deleted: deleting a
/// lock file that another process is about to lock is how two writers could both win.
/// </summary>
internal sealed partial class WriterLock : IDisposable
{
    private const int LockExclusive = 2, LockNonBlocking = 4;

    // .NET reports a lock another process holds as EWOULDBLOCK (11) on Unix and as a sharing violation on
    // Windows; a read-only file system is EROFS (30).
    private const int WouldBlock = 11, ReadOnlyFileSystem = 30, SharingViolation = unchecked((int)0x80070020), LockViolation = unchecked((int)0x80070021);

    private static bool IsHeldByAnother(IOException ex) =>
        OperatingSystem.IsWindows() ? ex.HResult is SharingViolation or LockViolation : ex.HResult == WouldBlock;
    private readonly FileStream _file;

    private WriterLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock file for a catalog.</summary>
    public static string PathFor(string catalogPath) => catalogPath + "-scantools.lock";

    /// <summary>Takes the lock if no other process holds it; null when one does.</summary>
    /// <exception cref="CatalogException">The lock file cannot be created (a read-only folder).</exception>
    public static WriterLock? TryAcquire(string catalogPath)
    {
        string path = PathFor(catalogPath);
        if (!File.Exists(path) && Storage.CatalogFiles.NoOneMayWrite(catalogPath) && Storage.CatalogFiles.UnwritableCatalog(catalogPath) is string readOnly)
        {
            // A catalog whose mode lets no one write it (chmod 444) is refused before the lock file is made: a failed write
            // left one beside a read-only backup, which made it look like a working catalog that Backup-ScanCatalog -Force
            // then refused to replace. (A read-only mount cannot take the lock file anyway, and says so below.)
            throw new CatalogException(CatalogErrorCode.ReadOnly, catalogPath, $"The catalog '{catalogPath}' cannot be written: {readOnly}");
        }
        FileStream file;
        try
        {
            // FileShare.None is the lock: a sharing violation on Windows, flock(LOCK_EX|LOCK_NB) in .NET on Unix.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (UnauthorizedAccessException ex)
        {
            string why = File.Exists(path) && Ipc.UnixUser.OwnerOf(path) is uint owner && owner != Ipc.UnixUser.EffectiveUserId
                ? $"its lock file '{path}' belongs to user id {owner} and this account cannot open it. When no process uses the catalog, remove that file as that user or root, or give this account write access to it"
                : $"ScanTools cannot create its lock file '{path}'. {Storage.CatalogFiles.FolderWriteAdvice(System.IO.Path.GetDirectoryName(path) ?? ".")}";
            throw new CatalogException(CatalogErrorCode.ReadOnly, catalogPath, $"The catalog '{catalogPath}' cannot be written: {why}.", ex);
        }
        catch (IOException ex) when (IsHeldByAnother(ex))
        {
            return null; // another process holds it
        }
        catch (IOException ex)
        {
            // Not a lock someone holds: a read-only file system, or another failure of the file itself.
            string why = ex.HResult != ReadOnlyFileSystem
                ? $"ScanTools cannot create or open the catalog's lock file '{path}' ({ex.Message.TrimEnd('.')}). The folder must be one where this account can create files (not /proc or /sys); choose another -Database"
                : File.Exists(catalogPath)
                    ? $"the catalog '{catalogPath}' is on a read-only file system, so it cannot be written (it can still be read, for example with Get-Finding). Copy it to writable storage to scan into it"
                    : $"the folder of '{catalogPath}' is on a read-only file system, so no catalog can be created there. Choose a -Database on writable storage";
            throw new CatalogException(CatalogErrorCode.ReadOnly, catalogPath, char.ToUpperInvariant(why[0]) + why[1..] + ".", ex);
        }
        if (!OperatingSystem.IsWindows() && RuntimeFileLockingDisabled)
        {
            // Someone turned .NET's locking off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING): lock explicitly.
            if (flock((int)file.SafeFileHandle.DangerousGetHandle(), LockExclusive | LockNonBlocking) != 0)
            {
                file.Dispose();
                return null;
            }
        }
        GiveToCatalogOwner(file, catalogPath);
        return new WriterLock(file, path);
    }

    /// <summary>
    /// Root writing another account's catalog: the lock file goes to the catalog's owner, as SQLite does with
    /// the -wal and -shm files, so the owner can still open it afterwards.
    /// </summary>
    private static void GiveToCatalogOwner(FileStream file, string catalogPath)
    {
        if (OperatingSystem.IsWindows() || Ipc.UnixUser.EffectiveUserId != 0
            || Platform.FileStat.TryStat(catalogPath, follow: true, out Platform.EntryStat catalog) != Platform.StatFailure.None
            || catalog.UserId is not uint uid || uid == 0 || catalog.GroupId is not uint gid)
        {
            return;
        }
        _ = fchown((int)file.SafeFileHandle.DangerousGetHandle(), uid, gid); // best effort: the lock works either way
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchown(int fd, uint owner, uint group);

    private static bool RuntimeFileLockingDisabled =>
        (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool disabled) && disabled)
        || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true";

    /// <summary>
    /// Who holds a catalog's writer lock, for a message: "process 1234 (pwsh, stopped)"; null where it cannot be told
    /// (not Linux, or the lock is not listed in /proc/locks, as for a holder in another PID namespace).
    /// </summary>
    public static string? DescribeHolder(string catalogPath)
    {
        if (!OperatingSystem.IsLinux()
            || Platform.FileStat.TryStat(PathFor(catalogPath), follow: true, out Platform.EntryStat stat) != Platform.StatFailure.None
            || stat.Inode is not long inode || stat.Device is not long device)
        {
            return null;
        }
        try
        {
            // "1: FLOCK  ADVISORY  WRITE 11350 fe:00:11971300 0 EOF": the holder's pid, then major:minor (hex):inode.
            string want = $"{device >> 32:x2}:{device & 0xFFFFFFFF:x2}:{inode}";
            foreach (string line in File.ReadLines("/proc/locks"))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 6 && f[1] == "FLOCK" && f[3] == "WRITE" && f[5] == want && int.TryParse(f[4], out int pid))
                {
                    string? comm = null, state = null;
                    try
                    {
                        string procStat = File.ReadAllText($"/proc/{pid}/stat");
                        int open = procStat.IndexOf('('), close = procStat.LastIndexOf(')');
                        comm = procStat[(open + 1)..close];
                        state = procStat[(close + 2)..].Split(' ')[0] is "T" or "t" ? ", stopped: resume it with kill -CONT " + pid + " or fg" : null;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
                    {
                        // Gone meanwhile, or not ours to look at.
                    }
                    return $"process {pid}{(comm is null ? string.Empty : $" ({comm}{state})")}";
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // No /proc/locks.
        }
        return null;
    }

    /// <summary>Releases the lock (closing the file releases it).</summary>
    public void Dispose() => _file.Dispose();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);
}
