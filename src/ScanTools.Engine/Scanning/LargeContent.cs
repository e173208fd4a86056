namespace ScanTools.Scanning;

/// <summary>
/// Keeps the memory of content rules bounded: a file's content is read whole into memory and matched as text (UTF-16),
/// about 3 times its size at its peak. Files whose content read is at least <see cref="Threshold"/> are therefore read and
/// matched one at a time in the process, whatever -ThrottleLimit; smaller files go on in parallel beside them. Measured
/// (pwsh, rules with IncludeBinary and a 1 GB MaximumFileSize, files of 1,073,741,791 bytes, peak RSS): one file 4.3 GB
/// before, 3.3 GB now (the buffer is sized once); two files on two walkers 6.4 GB before (newcomer test 67), 5.3 GB now;
/// four files on four walkers 5.4 GB now.
/// </summary>
internal static class LargeContent
{
    /// <summary>The content read (bytes) from which a file waits for its turn: 64 MiB.</summary>
    public const long Threshold = 64L << 20;

    private static readonly SemaphoreSlim Turn = new(1, 1);

    /// <summary>Waits for the turn; a stop (<paramref name="ct"/>) while waiting gives a lease that did not enter.</summary>
    public static Lease Enter(FileHasher hasher, CancellationToken ct)
    {
        try
        {
            Turn.Wait(ct);
            return new Lease(hasher, entered: true);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new Lease(hasher, entered: false);
        }
    }

    /// <summary>The turn, held until disposed; disposing also lets go of the walker's capture buffer.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly FileHasher _hasher;
        private bool _disposed;

        internal Lease(FileHasher hasher, bool entered)
        {
            _hasher = hasher;
            Entered = entered;
        }

        /// <summary>False when the scan was stopped before the turn came: the file is not read.</summary>
        public bool Entered { get; }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (Entered)
            {
                _hasher.ReleaseCapture();
                // The file's bytes and its text (3 GB for a 1 GB file) are garbage now, in the large object heap, which is
                // swept only by a full collection: without one, two 1 GB files read in turn peaked at 6.4 GB, with it at 5.3 GB
                // (one alone: 3.3 GB). A full collection per file of 64 MiB or more costs little beside its seconds of matching.
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                Turn.Release();
            }
        }
    }
}
