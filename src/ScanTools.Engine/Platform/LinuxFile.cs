using System.Runtime.InteropServices;
using System.Text;

namespace ScanTools.Platform;

/// <summary>
/// Reads parts of a file on Linux with plain open/statx/pread/close: four system calls, where .NET's file
/// handles add an fstat, an advisory lock and an fadvise to each open (measured: twice the system time
/// when reading the first and last blocks of 20,000 small files). Opened non-blocking, so a FIFO or a
/// pseudo-file that would wait for data (/proc/kmsg) answers at once instead of hanging the caller.
/// </summary>
internal static unsafe partial class LinuxFile
{
    private const int ORdonly = 0, ONonblock = 0x800, OCloexec = 0x80000; // the same on x86_64 and aarch64
    private const int EAGAIN = 11, EINTR = 4, ENOENT = 2, EACCES = 13, EPERM = 1, ENOTDIR = 20, ELOOP = 40, EISDIR = 21, ESPIPE = 29;

    /// <summary>O_NOFOLLOW: 0400000 on x86_64, 0100000 on aarch64 (asm-generic/fcntl.h vs arm64's own).</summary>
    private static readonly int ONofollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    /// <summary>True where this path works (64-bit Linux with statx).</summary>
    public static bool IsSupported => LinuxDirectoryReader.IsSupported;

    /// <summary>Why a read did not happen.</summary>
    public enum ReadFailure
    {
        None,
        NotFound,
        AccessDenied,
        WouldBlock,
        Other,
    }

    /// <summary>
    /// Like <see cref="TryReadEnds"/> for a file expected to be <paramref name="expectedSize"/> bytes long, without a stat:
    /// three system calls (open, read, close; a read more for both ends). The caller stats what it keeps. What is
    /// no longer a regular file here (a folder, a FIFO, a link) is <see cref="ReadFailure.NotFound"/>.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public static ReadFailure TryReadEndsUnstatted(string path, long expectedSize, Span<byte> buffer, int block, out int firstRead, out int lastRead)
    {
        firstRead = lastRead = 0;
        int fd = Open(path, out int errno, noFollow: true);
        if (fd < 0)
        {
            return Failure(errno);
        }
        try
        {
            int half = buffer.Length / 2;
            if (expectedSize <= buffer.Length)
            {
                return ReadAll(fd, buffer[..(int)expectedSize], 0, out firstRead);
            }
            ReadFailure f = ReadAll(fd, buffer[..block], 0, out firstRead);
            return f != ReadFailure.None ? f : ReadAll(fd, buffer.Slice(half, block), expectedSize - block, out lastRead);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/>, stats the open file (so the stat and the bytes are of the same file),
    /// and reads the whole file into <paramref name="buffer"/> when it fits (one read), else its first
    /// <paramref name="block"/> bytes (into the buffer's start) and its last (into the buffer's second half).
    /// </summary>
    public static ReadFailure TryReadEnds(string path, Span<byte> buffer, int block, out EntryStat stat, out int firstRead, out int lastRead)
    {
        stat = default;
        firstRead = lastRead = 0;
        // The name itself, never a link put in its place: the stat of the open file is then the stat of the name.
        int fd = Open(path, out int errno, noFollow: true);
        if (fd < 0)
        {
            return Failure(errno);
        }
        try
        {
            if (LinuxStat.TryStatFd(fd, path, out stat) != StatFailure.None)
            {
                return ReadFailure.Other;
            }
            if (stat.Kind != EntryKind.File)
            {
                return ReadFailure.Other;
            }
            int half = buffer.Length / 2;
            long size = stat.Length;
            if (size <= buffer.Length)
            {
                // Small: one read of everything, placed as "first" (last stays empty).
                return ReadAll(fd, buffer[..(int)size], 0, out firstRead);
            }
            ReadFailure f = ReadAll(fd, buffer[..block], 0, out firstRead);
            if (f != ReadFailure.None)
            {
                return f;
            }
            return ReadAll(fd, buffer.Slice(half, block), size - block, out lastRead);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>
    /// Opens a file the caller stat'd as a regular file, for reading, without blocking and without following a link
    /// (unless <paramref name="followLink"/>), and checks what was opened is still a regular file. Between the stat and
    /// the open anyone who can write the folder can put a FIFO there, whose open would wait for a writer forever, or a
    /// link to a file the scan should not read.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is gone, or a link is there now.</exception>
    /// <exception cref="FileReplacedException">Something else than a regular file is there now (a FIFO, a device, a folder).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenRegularFile(string path, bool followLink)
    {
        int fd = Open(path, out int errno, noFollow: !followLink);
        if (fd < 0)
        {
            throw Failure(errno) switch
            {
                ReadFailure.NotFound => new FileNotFoundException($"Could not find file '{path}'.", path),
                ReadFailure.AccessDenied => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
                _ => new IOException($"Could not open '{path}' (errno {errno}).", errno),
            };
        }
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        if (LinuxStat.TryStatFd(fd, path, out EntryStat opened) != StatFailure.None || opened.Kind != EntryKind.File)
        {
            handle.Dispose();
            throw new FileReplacedException(path);
        }
        return handle;
    }

    private static ReadFailure ReadAll(int fd, Span<byte> into, long offset, out int read)
    {
        read = 0;
        fixed (byte* p = into)
        {
            while (read < into.Length)
            {
                nint n = pread(fd, p + read, (nuint)(into.Length - read), offset + read);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }
                    // A folder or a pipe where a file was (only an unstatted read meets one): not a file any more.
                    return errno is EISDIR or ESPIPE ? ReadFailure.NotFound : Failure(errno);
                }
                if (n == 0)
                {
                    break; // shorter than it said: the caller compares with the stat
                }
                read += (int)n;
            }
        }
        return ReadFailure.None;
    }

    [System.Runtime.CompilerServices.SkipLocalsInit] // the name's buffer is read only up to the terminator written
    private static int Open(string path, out int errno, bool noFollow = false)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> utf8 = max <= 4096 ? stackalloc byte[4096] : new byte[max];
        int n = Encoding.UTF8.GetBytes(path, utf8);
        utf8[n] = 0;
        fixed (byte* p = utf8)
        {
            int fd = open(p, ORdonly | ONonblock | OCloexec | (noFollow ? ONofollow : 0));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
    }

    private static ReadFailure Failure(int errno) => errno switch
    {
        ENOENT or ENOTDIR or ELOOP => ReadFailure.NotFound, // ELOOP with O_NOFOLLOW: a link is there now, not the file
        EACCES or EPERM => ReadFailure.AccessDenied,
        EAGAIN => ReadFailure.WouldBlock,
        _ => ReadFailure.Other,
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial int open(byte* path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint pread(int fd, byte* buf, nuint count, long offset);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}

/// <summary>A file was replaced, between its stat and its open, by something that is not a regular file; nothing was read.</summary>
public sealed class FileReplacedException : IOException
{
    /// <summary>Says which file, and that it is recorded as what it is at the next scan.</summary>
    public FileReplacedException(string path)
        : base($"'{path}' was replaced by something that is not a regular file (a pipe, a device or a folder) while it was being read, so nothing of it was read or recorded this time; the next scan records what is there then.")
    {
    }
}
