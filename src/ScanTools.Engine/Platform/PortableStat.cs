using System.IO.Enumeration;

namespace ScanTools.Platform;

/// <summary>
/// Metadata from .NET's own enumeration, for platforms without statx (Windows, macOS, old musl).
/// .NET reports a file that vanished between listing and stat as zero length and year 1601 instead of
/// failing, so that case is confirmed with a second look.
/// </summary>
internal static class PortableStat
{
    private static readonly long NoTimeTicks = DateTime.FromFileTimeUtc(0).Ticks;

    /// <summary>Reads the entry the enumerator is positioned on.</summary>
    public static StatFailure FromEntry(ref FileSystemEntry entry, out EntryStat stat)
    {
        FileAttributes attributes = entry.Attributes;
        long mtime = entry.LastWriteTimeUtc.UtcTicks;
        if (mtime == NoTimeTicks && entry.Length == 0)
        {
            string full = entry.ToFullPath();
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                stat = default;
                return StatFailure.NotFound;
            }
        }
        EntryKind kind = (attributes & FileAttributes.ReparsePoint) != 0 ? EntryKind.Symlink
            : entry.IsDirectory ? EntryKind.Directory
            : EntryKind.File;
        stat = new EntryStat
        {
            Kind = kind,
            Length = kind == EntryKind.File || kind == EntryKind.Symlink ? entry.Length : 0,
            LastWriteTicksUtc = mtime,
            CreationTicksUtc = entry.CreationTimeUtc.UtcTicks is var c && c != NoTimeTicks ? c : null,
            Attributes = attributes,
            UnixMode = null,
        };
        return StatFailure.None;
    }

    /// <summary>Stats a path outside an enumeration (the target of a followed link, a pipeline input).</summary>
    public static StatFailure FromPath(string path, bool follow, out EntryStat stat)
    {
        try
        {
            FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
            if (!info.Exists)
            {
                stat = default;
                return StatFailure.NotFound;
            }
            if (follow && info.LinkTarget is not null)
            {
                FileSystemInfo? target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !target.Exists)
                {
                    stat = default;
                    return StatFailure.NotFound;
                }
                info = target;
            }
            FileAttributes attributes = info.Attributes;
            EntryKind kind = (attributes & FileAttributes.ReparsePoint) != 0 ? EntryKind.Symlink
                : (attributes & FileAttributes.Directory) != 0 ? EntryKind.Directory
                : EntryKind.File;
            stat = new EntryStat
            {
                Kind = kind,
                Length = info is FileInfo f ? f.Length : 0,
                LastWriteTicksUtc = info.LastWriteTimeUtc.Ticks,
                CreationTicksUtc = info.CreationTimeUtc.Ticks is var c && c != NoTimeTicks ? c : null,
                Attributes = attributes,
                UnixMode = OperatingSystem.IsWindows() ? null : (int)info.UnixFileMode,
            };
            return StatFailure.None;
        }
        catch (UnauthorizedAccessException)
        {
            stat = default;
            return StatFailure.AccessDenied;
        }
        catch (PathTooLongException)
        {
            stat = default;
            return StatFailure.NameTooLong;
        }
        catch (IOException)
        {
            stat = default;
            return StatFailure.Other;
        }
    }
}
