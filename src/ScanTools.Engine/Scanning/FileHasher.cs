using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ScanTools.Scanning;

/// <summary>
/// SHA-256 of file content, read in large blocks without FileStream buffering. One instance per walker
/// thread: it owns its buffer and hash state.
/// </summary>
internal sealed class FileHasher : IDisposable
{
    private const int BufferSize = 1 << 20;
    private static readonly byte[] EmptyDigest = SHA256.HashData(ReadOnlySpan<byte>.Empty);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _buffer;

    /// <summary>
    /// Hashes the file. A file of length 0 is not opened: its digest is known, and special files
    /// (devices, FIFOs on systems where their type is not visible) report length 0.
    /// </summary>
    public byte[] Hash(string path, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return (byte[])EmptyDigest.Clone();
        }
        _buffer ??= new byte[BufferSize];
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read,
            FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        long offset = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int read = RandomAccess.Read(handle, _buffer, offset);
            if (read == 0)
            {
                break;
            }
            _hash.AppendData(_buffer, 0, read);
            offset += read;
        }
        return _hash.GetHashAndReset();
    }

    public void Dispose() => _hash.Dispose();
}
