using System.Runtime.InteropServices;

namespace ScanTools.Platform;

/// <summary>
/// What an admin set on a file that a command replaces whole (written to a temporary file beside it, then renamed over
/// it): the rename leaves the new file with the temporary file's mode, which comes from the umask, so a report the admin
/// had made private (chmod 600) came back world-readable (644), and a read-only one (444) was replaced without a word.
/// The commands that replace files (Export-FindingMatch, Export-FindingBaseline, Export-ScanReport, Backup-ScanCatalog)
/// refuse a read-only file unless forced, and give the new file the old one's permissions.
/// </summary>
public static partial class ReplacedFile
{
    private const UnixFileMode AnyWrite = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>
    /// The file that writing <paramref name="path"/> should replace: the final target of a symbolic link of this account's
    /// own (a 'latest.sarif' link to a dated report was replaced by a plain file, and its target kept the old content), else
    /// the path itself. A link owned by another account is not followed, as Linux's protected_symlinks does not follow one
    /// in a shared folder: a root cron job exporting into a world-writable folder would otherwise write wherever another
    /// user's link pointed (/etc/...); the rename then replaces that link itself. A link of one's own whose target is
    /// missing gives that target, which is then created.
    /// </summary>
    public static string ThroughLinks(string path)
    {
        try
        {
            if (new FileInfo(path).LinkTarget is null)
            {
                return path;
            }
            if (!OperatingSystem.IsWindows()
                && (FileStat.TryStat(path, follow: false, out EntryStat link) != StatFailure.None
                    || link.UserId != Sessions.Ipc.UnixUser.EffectiveUserId))
            {
                return path;
            }
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path; // a link loop: the rename replaces the link itself, as before
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> is an existing file that no one is meant to write: on Unix no write bit in its
    /// mode (chmod 444: root could write it, and is refused all the same), on Windows the ReadOnly attribute.
    /// </summary>
    public static bool IsReadOnly(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        return OperatingSystem.IsWindows()
            ? (File.GetAttributes(path) & FileAttributes.ReadOnly) != 0
            : (File.GetUnixFileMode(path) & AnyWrite) == 0;
    }

    /// <summary>
    /// The sentence of a refusal to replace the read-only <paramref name="path"/>, saying what to do; <paramref name="what"/>
    /// names the file's kind ("report", "baseline").
    /// </summary>
    public static string ReadOnlyRefusal(string path, string what) => OperatingSystem.IsWindows()
        ? $"The {what} '{path}' is read-only, so it was left as it is. Add -Force to replace it (it stays read-only), or choose another -Path."
        : $"The {what} '{path}' is read-only (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(3, '0')}), so it was left as it is. Add -Force to replace it (it keeps its mode), or choose another -Path.";

    /// <summary>
    /// Replaces <paramref name="target"/> with <paramref name="replacement"/> (a file in the same folder) by a rename, the new
    /// file keeping the old one's permissions: its Unix mode (permission, set-id and sticky bits) and, where this account may
    /// give them (root; or a group it is in), its owner and group, so a report shared with a group keeps its readers; on
    /// Windows its ReadOnly attribute. Where <paramref name="target"/> does not exist, the new file keeps its own (the
    /// umask's) mode and this account's owner. Another name of the old file (a hard link) keeps the old content.
    /// </summary>
    /// <exception cref="IOException">The rename failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    public static void Replace(string replacement, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            bool readOnly = File.Exists(target) && (File.GetAttributes(target) & FileAttributes.ReadOnly) != 0;
            if (readOnly)
            {
                File.SetAttributes(target, File.GetAttributes(target) & ~FileAttributes.ReadOnly); // a rename over it is refused otherwise
            }
            File.Move(replacement, target, overwrite: true);
            if (readOnly)
            {
                File.SetAttributes(target, File.GetAttributes(target) | FileAttributes.ReadOnly);
            }
            return;
        }
        if (File.Exists(target))
        {
            if (FileStat.TryStat(target, follow: true, out EntryStat old) == StatFailure.None && old.UserId is uint uid && old.GroupId is uint gid)
            {
                // Before the mode: chown clears set-id bits. Refused (EPERM) for an owner this account may not give: the
                // new file is then this account's, with the old file's mode.
                if (chown(replacement, uid, gid) != 0)
                {
                    _ = chown(replacement, uint.MaxValue, gid); // (uid_t)-1: keep the owner, try the group alone
                }
            }
            File.SetUnixFileMode(replacement, File.GetUnixFileMode(target));
        }
        File.Move(replacement, target, overwrite: true);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);
}
