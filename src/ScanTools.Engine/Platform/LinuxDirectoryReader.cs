using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace ScanTools.Platform;

/// <summary>
/// Lists one directory on Linux with opendir/readdir and stats each entry relative to the directory's
/// descriptor (statx(dirfd, name)): the kernel resolves one name instead of the whole path, names
/// arrive as the bytes on disk (so a name that is not UTF-8 is known exactly), and d_type spares a stat
/// for subfolders. glibc and musl lay out struct dirent identically on 64-bit targets.
/// </summary>
internal sealed unsafe partial class LinuxDirectoryReader : IDisposable
{
    private const int ODirectory = 0x10000, OCloexec = 0x80000, ORdonly = 0, ONofollow = 0x20000, OPath = 0x200000; // x86_64 values
    private const int OAarch64Directory = 0x4000, OAarch64Nofollow = 0x8000; // aarch64 differs for these two
    private const long SysOpenat2 = 437; // the same number on every architecture (it came after they were unified)
    private const ulong ResolveNoSymlinks = 0x04;
    private const int DirentTypeOffset = 18, DirentNameOffset = 19;
    private const byte DtDir = 4;
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ENAMETOOLONG = 36, EPERM = 1, ELOOP = 40, ENOSYS = 38, E2BIG = 7, EINVAL = 22;

    private static int DirectoryFlag => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? OAarch64Directory : ODirectory;

    private static int NofollowFlag => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? OAarch64Nofollow : ONofollow;

    /// <summary>0 until openat2 was tried, 1 when the kernel has it, -1 when not (before Linux 5.6, or a seccomp filter refuses it).</summary>
    private static int _openat2;

    /// <summary>Test seam: false makes <see cref="OpenBeneath"/> act as on a kernel without openat2 (O_NOFOLLOW only).</summary>
    internal static bool Openat2Allowed
    {
        get => Volatile.Read(ref _openat2) >= 0;
        set => Volatile.Write(ref _openat2, value ? 0 : -1);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private IntPtr _dir;
    private readonly int _fd;

    private LinuxDirectoryReader(IntPtr dir)
    {
        _dir = dir;
        _fd = dirfd(dir);
    }

    /// <summary>True on 64-bit Linux where statx is usable.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && LinuxStat.IsAvailable
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Opens <paramref name="path"/> for listing, or throws the exception .NET would for the same errno.</summary>
    public static LinuxDirectoryReader Open(string path)
    {
        int fd;
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> utf8 = max <= 4096 ? stackalloc byte[4096] : new byte[max];
        int n = Encoding.UTF8.GetBytes(path, utf8);
        utf8[n] = 0;
        fixed (byte* p = utf8)
        {
            fd = open(p, ORdonly | DirectoryFlag | OCloexec);
        }
        return FromDescriptor(fd, fd < 0 ? Marshal.GetLastPInvokeError() : 0, path);
    }

    /// <summary>
    /// A descriptor of the folder <paramref name="path"/> (links followed, as a walk's root is), for
    /// <see cref="OpenBeneath"/>; -1 when it cannot be opened (the walk then reports the folder as it lists it).
    /// </summary>
    public static int OpenRoot(string path)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = utf8)
        {
            return open(p, OPath | DirectoryFlag | OCloexec);
        }
    }

    /// <summary>Closes a descriptor from <see cref="OpenRoot"/>.</summary>
    public static void CloseRoot(int fd)
    {
        if (fd >= 0)
        {
            close(fd);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/>, a folder below the root whose descriptor is <paramref name="rootFd"/> and whose
    /// path is <paramref name="rootPath"/>, without following a symbolic link anywhere below the root: a folder
    /// listed as a folder and replaced by a link to elsewhere before it is opened (or one of its parents replaced so)
    /// is refused (ELOOP, reported as a folder that vanished), so a walk never leaves its tree through a link it was
    /// told not to follow. openat2(RESOLVE_NO_SYMLINKS) (Linux 5.6) checks every component; where the kernel lacks it,
    /// O_NOFOLLOW checks the last one.
    /// </summary>
    public static LinuxDirectoryReader OpenBeneath(int rootFd, string rootPath, string path)
    {
        string relative = path.Length > rootPath.Length && path.StartsWith(rootPath, StringComparison.Ordinal)
            ? path[rootPath.Length..].TrimStart('/')
            : string.Empty;
        if (rootFd < 0 || relative.Length == 0)
        {
            return OpenNoFollow(path);
        }
        byte[] utf8 = Encoding.UTF8.GetBytes(relative + "\0");
        if (Volatile.Read(ref _openat2) >= 0)
        {
            var how = new OpenHow { Flags = (ulong)(ORdonly | DirectoryFlag | OCloexec | NofollowFlag), Mode = 0, Resolve = ResolveNoSymlinks };
            long fd;
            fixed (byte* p = utf8)
            {
                fd = syscall(SysOpenat2, rootFd, (IntPtr)p, (IntPtr)(&how), sizeof(OpenHow));
            }
            int errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (fd >= 0 || errno is not (ENOSYS or EPERM or E2BIG or EINVAL))
            {
                Volatile.Write(ref _openat2, 1);
                return FromDescriptor((int)fd, errno, path, linksRefused: true);
            }
            if (Volatile.Read(ref _openat2) == 0)
            {
                Volatile.Write(ref _openat2, -1); // never answered: not this kernel's (EPERM of a seccomp filter counts)
            }
            else if (errno == EPERM)
            {
                return FromDescriptor(-1, errno, path); // openat2 works here: EPERM is the folder's
            }
        }
        return OpenNoFollow(path);
    }

    private static LinuxDirectoryReader OpenNoFollow(string path)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = utf8)
        {
            fd = open(p, ORdonly | DirectoryFlag | OCloexec | NofollowFlag);
        }
        return FromDescriptor(fd, fd < 0 ? Marshal.GetLastPInvokeError() : 0, path, linksRefused: true);
    }

    private static LinuxDirectoryReader FromDescriptor(int fd, int errno, string path, bool linksRefused = false)
    {
        if (fd < 0)
        {
            // A link where a folder was: O_NOFOLLOW with O_DIRECTORY says ENOTDIR for the last component, ELOOP above it.
            if (linksRefused && (errno == ELOOP || (errno == ENOTDIR && FileStat.TryStat(path, follow: false, out EntryStat now) == StatFailure.None && now.Kind == EntryKind.Symlink)))
            {
                throw new FolderReplacedException(path);
            }
            throw ErrnoException(errno, path);
        }
        IntPtr dir = fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            int failed = Marshal.GetLastPInvokeError();
            close(fd);
            throw ErrnoException(failed, path);
        }
        return new LinuxDirectoryReader(dir);
    }

    /// <summary>
    /// Reads the next entry (skipping . and ..). <paramref name="name"/> is decoded from UTF-8; when the
    /// bytes are not UTF-8, <paramref name="validName"/> is false and the name holds replacement characters.
    /// </summary>
    /// <exception cref="IOException">The directory could not be read further.</exception>
    public bool Next(out string name, out bool validName, out bool isDirectory, out IntPtr rawName)
    {
        while (true)
        {
            IntPtr entry = readdir(_dir);
            if (entry == IntPtr.Zero)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != 0)
                {
                    throw ErrnoException(errno, "(directory listing)");
                }
                name = string.Empty;
                validName = false;
                isDirectory = false;
                rawName = IntPtr.Zero;
                return false;
            }
            byte* n = (byte*)entry + DirentNameOffset;
            var bytes = new ReadOnlySpan<byte>(n, IndexOfNul(n));
            if (bytes.Length <= 2 && bytes[0] == (byte)'.' && (bytes.Length == 1 || bytes[1] == (byte)'.'))
            {
                continue;
            }
            validName = Utf8.IsValid(bytes);
            name = validName ? StrictUtf8.GetString(bytes) : Scanning.EntryNames.EscapeInvalidUtf8(bytes);
            byte type = *((byte*)entry + DirentTypeOffset);
            isDirectory = type == DtDir;
            rawName = (IntPtr)n;
            return true;
        }
    }

    /// <summary>Stats the entry <see cref="Next"/> just returned, by its raw name, relative to this directory.</summary>
    public StatFailure Stat(IntPtr rawName, string name, bool follow, out EntryStat stat) =>
        LinuxStat.TryStatAt(_fd, (byte*)rawName, name, follow, out stat);

    public void Dispose()
    {
        if (_dir != IntPtr.Zero)
        {
            closedir(_dir);
            _dir = IntPtr.Zero;
        }
    }

    private static int IndexOfNul(byte* p)
    {
        int i = 0;
        while (p[i] != 0)
        {
            i++;
        }
        return i;
    }

    private static Exception ErrnoException(int errno, string path) => errno switch
    {
        ENOENT or ENOTDIR => new DirectoryNotFoundException($"Could not find a part of the path '{path}'."),
        EACCES or EPERM => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
        ENAMETOOLONG => new PathTooLongException($"The path '{path}' is too long."),
        _ => new IOException($"Listing '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno),
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial int open(byte* path, int flags);

    /// <summary>struct open_how of openat2(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, int dirfd, IntPtr path, IntPtr how, nint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial IntPtr readdir(IntPtr dir);

    [LibraryImport("libc")]
    private static partial int dirfd(IntPtr dir);

    [LibraryImport("libc")]
    private static partial int closedir(IntPtr dir);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}

/// <summary>
/// A folder below a walk's root that, by the time it was opened, was reached only through a symbolic link: it, or a
/// folder above it, was replaced by one while the walk ran (ELOOP from <see cref="LinuxDirectoryReader.OpenBeneath"/>).
/// </summary>
internal sealed class FolderReplacedException : DirectoryNotFoundException
{
    public FolderReplacedException(string path)
        : base($"'{path}' is no longer a folder of the tree: it, or a folder above it, was replaced by a symbolic link while the scan ran.")
    {
    }
}
