using System.Runtime.InteropServices;
using System.Text;

namespace ScanTools.Platform;

/// <summary>
/// statx(2) through libc. One call gives the type bits, mode, size, times and birth time that .NET's
/// FileSystemEntry either hides (type, mode) or reports as zeroes when the file vanished.
/// The statx struct layout is the same on every Linux architecture.
/// </summary>
internal static unsafe partial class LinuxStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const uint StatxBirthTime = 0x800;
    private const int BufferSize = 256;
    private const long UnixEpochTicks = 621355968000000000L;

    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ENAMETOOLONG = 36, ELOOP = 40, EPERM = 1, ENOSYS = 38;

    private static int s_state; // 0 unknown, 1 available, -1 unavailable

    /// <summary>True when statx can be used (Linux with a libc that exports it and a kernel that has it).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (s_state == 0)
            {
                s_state = Probe() ? 1 : -1;
            }
            return s_state == 1;
        }
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("SCANTOOLS_PORTABLE_STAT") == "1")
        {
            return false;
        }
        try
        {
            return TryStat("/", follow: true, out _) == StatFailure.None;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // older musl without a statx wrapper
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Stats <paramref name="path"/>; follows a final symlink only when asked.</summary>
    public static StatFailure TryStat(string path, bool follow, out EntryStat stat)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte[]? rented = null;
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[1024] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int n = Encoding.UTF8.GetBytes(path, utf8);
            utf8[n] = 0;
            fixed (byte* p = utf8)
            {
                return TryStatAt(AtFdCwd, p, path, follow, out stat);
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Stats the NUL-terminated <paramref name="path"/> relative to directory descriptor <paramref name="dirfd"/>.
    /// <paramref name="nameOrPath"/> is the same path as a string; its last component decides the Hidden attribute.
    /// </summary>
    public static StatFailure TryStatAt(int dirfd, byte* path, string nameOrPath, bool follow, out EntryStat stat)
    {
        byte* buf = stackalloc byte[BufferSize];
        int rc = statx(dirfd, path, follow ? 0 : AtSymlinkNoFollow, StatxBasicStats | StatxBirthTime, buf);
        if (rc != 0)
        {
            stat = default;
            int errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ENOENT or ENOTDIR => StatFailure.NotFound,
                EACCES or EPERM => StatFailure.AccessDenied,
                ENAMETOOLONG => StatFailure.NameTooLong,
                ELOOP => StatFailure.Loop,
                ENOSYS => throw new EntryPointNotFoundException("statx is not implemented by this kernel"),
                _ => StatFailure.Other,
            };
        }
        stat = Decode(buf, nameOrPath);
        return StatFailure.None;
    }

    /// <summary>Stats an open descriptor (statx with AT_EMPTY_PATH); <paramref name="path"/> decides the Hidden attribute.</summary>
    public static StatFailure TryStatFd(int fd, string path, out EntryStat stat)
    {
        byte* buf = stackalloc byte[BufferSize];
        byte empty = 0;
        int rc = statx(fd, &empty, AtEmptyPath, StatxBasicStats | StatxBirthTime, buf);
        if (rc != 0)
        {
            stat = default;
            return StatFailure.Other;
        }
        stat = Decode(buf, path);
        return StatFailure.None;
    }

    private const int AtEmptyPath = 0x1000;

    private static EntryStat Decode(byte* buf, string path)
    {
        uint mask = *(uint*)buf;
        int mode = *(ushort*)(buf + 28);
        ulong rawSize = *(ulong*)(buf + 40);
        long size = rawSize > long.MaxValue ? long.MaxValue : (long)rawSize;
        string? clamped = rawSize > long.MaxValue ? $"size ({rawSize:N0} bytes)" : null;
        long? birth = (mask & StatxBirthTime) != 0 ? Ticks(buf + 80, "creation time", ref clamped) : null;
        long mtime = Ticks(buf + 112, "last write time", ref clamped);
        string? ignored = null;
        long ctime = Ticks(buf + 96, "change time", ref ignored); // only for comparing; a clamp of it needs no item
        EntryKind kind = (mode & 0xF000) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Symlink,
            _ => EntryKind.Special,
        };
        return new EntryStat
        {
            Kind = kind,
            Length = size,
            LastWriteTicksUtc = mtime,
            CreationTicksUtc = birth,
            UnixMode = mode,
            Attributes = AttributesOf(kind, mode, path),
            Clamped = clamped,
            Links = (int)Math.Min(*(uint*)(buf + 16), int.MaxValue),
            UserId = *(uint*)(buf + 20),
            GroupId = *(uint*)(buf + 24),
            Inode = (long)*(ulong*)(buf + 32), // reinterpreted: an inode above 2^63 stays distinct
            ChangeTicksUtc = ctime,
            Device = ((long)*(uint*)(buf + 136) << 32) | *(uint*)(buf + 140),
        };
    }

    // Seconds since 1970 that .NET's DateTime can hold: 0001-01-01 to 9999-12-31.
    private const long MinSeconds = -UnixEpochTicks / TimeSpan.TicksPerSecond;
    private const long MaxSeconds = (3155378975999999999L - UnixEpochTicks) / TimeSpan.TicksPerSecond;

    /// <summary>
    /// A statx timestamp as .NET ticks. A time outside what DateTime holds (tmpfs allows year 11476) is
    /// clamped, and said in <paramref name="clamped"/>, instead of failing the whole walk.
    /// </summary>
    private static long Ticks(byte* ts, string what, ref string? clamped)
    {
        long sec = *(long*)ts;
        uint nsec = *(uint*)(ts + 8);
        if (sec < MinSeconds || sec > MaxSeconds)
        {
            string year = sec > 0 ? "after the year 9999" : "before the year 1";
            clamped = clamped is null ? $"{what} ({year}, {sec} s since 1970)" : $"{clamped} and {what} ({year})";
            return sec < 0 ? DateTime.MinValue.Ticks : DateTime.MaxValue.Ticks;
        }
        return Math.Min(UnixEpochTicks + (sec * TimeSpan.TicksPerSecond) + (Math.Min(nsec, 999_999_999u) / 100), DateTime.MaxValue.Ticks);
    }

    /// <summary>The FileAttributes .NET would report on Unix, computed from mode bits and the name.</summary>
    private static FileAttributes AttributesOf(EntryKind kind, int mode, string path)
    {
        FileAttributes a = 0;
        if (kind == EntryKind.Directory)
        {
            a |= FileAttributes.Directory;
        }
        if (kind == EntryKind.Symlink)
        {
            a |= FileAttributes.ReparsePoint;
        }
        if ((mode & 0x92) == 0) // no write bit for owner, group or others
        {
            a |= FileAttributes.ReadOnly;
        }
        int slash = path.LastIndexOf('/');
        if (slash + 1 < path.Length && path[slash + 1] == '.')
        {
            a |= FileAttributes.Hidden;
        }
        return a == 0 ? FileAttributes.Normal : a;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int statx(int dirfd, byte* pathname, int flags, uint mask, byte* statxbuf);
}
