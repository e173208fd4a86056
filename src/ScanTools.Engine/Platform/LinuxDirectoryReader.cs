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
    private const int ODirectory = 0x10000, OCloexec = 0x80000, ORdonly = 0; // x86_64 and aarch64 values
    private const int DirentTypeOffset = 18, DirentNameOffset = 19;
    private const byte DtDir = 4;
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ENAMETOOLONG = 36, EPERM = 1;

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
            fd = open(p, ORdonly | ODirectory | OCloexec);
        }
        if (fd < 0)
        {
            throw ErrnoException(Marshal.GetLastPInvokeError(), path);
        }
        IntPtr dir = fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            int errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw ErrnoException(errno, path);
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
            name = StrictUtf8.GetString(bytes);
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
