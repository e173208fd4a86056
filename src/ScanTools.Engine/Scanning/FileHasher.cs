using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ScanTools.Platform;

namespace ScanTools.Scanning;

/// <summary>What hashing a file gave: a digest that describes the bytes read, or why there is none.</summary>
/// <param name="Digest">SHA-256 of exactly <paramref name="Length"/> bytes; null when there is no trustworthy digest.</param>
/// <param name="Length">The bytes hashed: the file's size, except for pseudo-files whose stat size is not their content.</param>
/// <param name="Problem">Why there is no digest (the file changed while it was read, its content did not end), or null.</param>
/// <param name="ProblemKind">The error item's kind for <paramref name="Problem"/>.</param>
internal readonly record struct HashOutcome(byte[]? Digest, long Length, string? Problem = null, ScanErrorKind ProblemKind = ScanErrorKind.HashFailed)
{
    /// <summary>The bytes actually read from the file, whatever came of them.</summary>
    public long BytesRead { get; init; }
}

/// <summary>
/// SHA-256 of file content, read in large blocks without FileStream buffering. One instance per walker
/// thread: it owns its buffer and hash state. It reads to the end of the file, whatever stat said its size
/// was, and checks the open file afterwards: a digest is only ever paired with the size and time it describes.
/// </summary>
internal sealed class FileHasher : IDisposable
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// How far a file whose stat size is 0 or 4096 (what procfs and sysfs report for files with content)
    /// is read before giving up on it: pseudo-files are small, and some never end.
    /// </summary>
    internal const long PseudoFileLimit = 64L << 20;

    private static readonly byte[] EmptyDigest = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>Files whose reads take data away from others (the kernel log): never read.</summary>
    private static readonly HashSet<string> KernelStreams = new(StringComparer.Ordinal) { "/proc/kmsg" };
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _buffer;
    private byte[] _captured = Array.Empty<byte>();

    /// <summary>
    /// The file's content as the last <see cref="Hash"/> with a capture limit read it: the whole file when
    /// <see cref="CapturedAll"/>, else its first bytes. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Captured => _captured.AsSpan(0, CapturedLength);

    /// <summary>Bytes in <see cref="Captured"/>.</summary>
    public int CapturedLength { get; private set; }

    /// <summary>True when <see cref="Captured"/> holds the whole file (it was no longer than the capture limit).</summary>
    public bool CapturedAll { get; private set; }

    /// <summary>
    /// Lets go of the capture buffer (after a large file's content was matched): a walker kept a 1 GB buffer for the rest
    /// of its scan. The next capture allocates what it needs.
    /// </summary>
    public void ReleaseCapture()
    {
        _captured = Array.Empty<byte>();
        CapturedLength = 0;
        CapturedAll = false;
    }

    /// <summary>Hashes the file <paramref name="path"/>, which <paramref name="stat"/> describes as listed.</summary>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">The content cannot be read.</exception>
    /// <param name="path">The file.</param>
    /// <param name="stat">What the listing said of it.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <param name="digest">Compute SHA-256; false when the content is read for rules only.</param>
    /// <param name="followLink">The path is a link the scan follows (-FollowSymlink): read its target. Otherwise a link found
    /// there now is not followed (<see cref="FileNotFoundException"/>).</param>
    /// <param name="capture">Keep up to this many leading bytes in <see cref="Captured"/> (0: none); the same read feeds hash and rules.</param>
    public HashOutcome Hash(string path, in EntryStat stat, CancellationToken cancellationToken, bool digest = true, int capture = 0, bool followLink = false)
    {
        CapturedLength = 0;
        CapturedAll = false;
        if (capture > 0 && stat.Length > 0 && (int)Math.Min(capture + 1L, stat.Length + 1L) is int room && _captured.Length < room && room > (1 << 20))
        {
            // Sized once for a large file: doubling up to 1 GB copied 512 MB into a new 1 GB array, both alive at once.
            _captured = GC.AllocateUninitializedArray<byte>(room);
        }
        if (stat.Length == 0 && !OperatingSystem.IsLinux())
        {
            // Only statx tells FIFOs and devices from files for sure; elsewhere an empty "file" is not opened.
            return new HashOutcome((byte[])EmptyDigest.Clone(), 0);
        }
        _buffer ??= new byte[BufferSize];
        bool pseudo = stat.Length is 0 or 4096;
        long limit = pseudo ? PseudoFileLimit : long.MaxValue;
        if (pseudo && OperatingSystem.IsLinux() && KernelStreams.Contains(path))
        {
            return new HashOutcome(null, stat.Length, "Reading this file would consume the kernel's messages (it is a stream, not content), so it is recorded without a hash.");
        }
        // Opened non-blocking: a pseudo-file that waits for data that never comes answers EAGAIN instead; and checked to be
        // a regular file still, so a FIFO put in its place since the stat cannot hold the scan forever.
        using SafeFileHandle handle = Platform.LinuxFile.IsSupported
            ? Platform.LinuxFile.OpenRegularFile(path, followLink)
            : File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        long offset = 0;
        byte[] result;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(handle, _buffer, offset);
                if (read == 0)
                {
                    break;
                }
                if (digest)
                {
                    _hash.AppendData(_buffer, 0, read);
                }
                if (capture > 0 && offset < capture + 1L)
                {
                    Keep(_buffer.AsSpan(0, read), offset, capture);
                }
                offset += read;
                if (!digest && offset > capture)
                {
                    break; // read for rules only, and past what they read: the rest is not needed
                }
                if (offset > limit)
                {
                    _ = _hash.GetHashAndReset();
                    return new HashOutcome(null, stat.Length,
                        $"The file reports {stat.Length:N0} bytes but its content went on past {limit >> 20} MiB, so it is recorded without a hash (a pseudo-file that does not end?).")
                    { BytesRead = offset };
                }
            }
            result = _hash.GetHashAndReset();
        }
        catch
        {
            _ = _hash.GetHashAndReset(); // nothing of this file may leak into the next one
            CapturedLength = 0;
            throw;
        }
        CapturedAll = capture > 0 && offset <= capture;
        if (!digest)
        {
            return new HashOutcome(null, offset) { BytesRead = offset };
        }
        return Settle(handle, stat, result, offset);
    }

    /// <summary>Copies a block read at <paramref name="offset"/> into the capture buffer, up to one byte past the limit (which tells a longer file).</summary>
    private void Keep(ReadOnlySpan<byte> block, long offset, int capture)
    {
        int room = (int)Math.Min(block.Length, capture + 1L - offset);
        int need = (int)offset + room;
        if (_captured.Length < need)
        {
            Array.Resize(ref _captured, (int)Math.Min(Math.Max(need, Math.Min(_captured.Length * 2L, capture + 1L)), capture + 1L));
        }
        block[..room].CopyTo(_captured.AsSpan((int)offset));
        CapturedLength = Math.Min(need, capture);
    }

    /// <summary>
    /// After reading: the open file must still have the size and time it was listed with, else the bytes
    /// read are of another version of it. A pseudo-file keeps its stat size of 0 or 4096 while its content
    /// is longer or shorter; its digest then describes the bytes actually read.
    /// </summary>
    private static HashOutcome Settle(SafeFileHandle handle, in EntryStat stat, byte[] digest, long bytesRead)
    {
        long sizeNow = RandomAccess.GetLength(handle);
        long timeNow;
        try
        {
            timeNow = File.GetLastWriteTimeUtc(handle).Ticks;
        }
        catch (ArgumentOutOfRangeException)
        {
            timeNow = stat.LastWriteTicksUtc; // a time .NET cannot hold was clamped when listed
        }
        if (sizeNow != stat.Length || timeNow != stat.LastWriteTicksUtc || (bytesRead != stat.Length && stat.Length is not (0 or 4096)))
        {
            return new HashOutcome(null, stat.Length,
                $"The file changed while it was being read ({stat.Length:N0} bytes listed, {bytesRead:N0} read, {sizeNow:N0} now), so it is recorded without a hash; the next scan reads it again.",
                ScanErrorKind.FileChangedWhileHashed)
            { BytesRead = bytesRead };
        }
        return new HashOutcome(digest, bytesRead) { BytesRead = bytesRead };
    }

    public void Dispose() => _hash.Dispose();
}
