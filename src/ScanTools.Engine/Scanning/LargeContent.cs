namespace ScanTools.Scanning;

/// <summary>
/// Keeps the memory of content rules bounded: a file's content is read whole into memory and matched as text (UTF-16),
/// about 3 to 4 times its size at its peak (a 1 GB file took a scan to 4.3 GB; two at once, on two walkers, 6.4 GB:
/// newcomer test 67). Files whose content read is at least <see cref="Threshold"/> are therefore read and matched one at
/// a time in the process, whatever -ThrottleLimit; smaller files go on in parallel beside them.
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
                Turn.Release();
            }
        }
    }
}
