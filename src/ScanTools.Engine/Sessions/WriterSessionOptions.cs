using ScanTools.Storage;

namespace ScanTools.Sessions;

/// <summary>How a writer session batches and bounds its writes. The defaults suit scans; tests and benchmarks tune them.</summary>
public sealed record WriterSessionOptions
{
    /// <summary>Commit durability; a session only ever moves up from Normal to Full, never down.</summary>
    public Durability Durability { get; init; } = Durability.Normal;

    /// <summary>
    /// SQLite page cache of the write connection, in MiB. Writes append at the right edge of each B-tree,
    /// so a small cache suffices; it is most of the session's memory.
    /// </summary>
    public int CacheSizeMiB { get; init; } = 16;

    /// <summary>
    /// False only to measure what the name index costs a scan (bench: scan_with_indexes_vs_without): the writer then
    /// neither adds names nor notes folders for the name index. A catalog written so answers -Name queries wrongly; never in use.
    /// </summary>
    internal bool MaintainNameIndex { get; init; } = true;

    /// <summary>Rows queued before producers wait (the memory bound).</summary>
    public int MaxPendingRows { get; init; } = 32_768;

    /// <summary>
    /// Rows forwarded by other processes that the writer queues before it stops reading from them. While
    /// other processes are connected, this process's own producers get the same bound, so that no
    /// producer waits behind a deep queue of another's rows; it is also what a closing writer must commit
    /// before it hands over.
    /// </summary>
    public int MaxForwardedPendingRows { get; init; } = 8_192;

    /// <summary>Rows after which a transaction is committed even if more are waiting.</summary>
    public int MaxTransactionRows { get; init; } = 20_000;

    /// <summary>
    /// When the queue runs dry, how long a small transaction waits for more rows before committing,
    /// so a trickle of writes is not committed one row at a time.
    /// </summary>
    public TimeSpan CommitLinger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A transaction smaller than this lingers for <see cref="CommitLinger"/>.</summary>
    public int LingerBelowRows { get; init; } = 1_000;

    /// <summary>Never keep a transaction open longer than this.</summary>
    public TimeSpan MaxCommitDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A forwarding session sends a batch once it holds this many rows (or when its queue runs dry).</summary>
    public int MaxForwardBatchRows { get; init; } = 2_048;

    /// <summary>Rows a forwarding session may have sent but not yet seen acknowledged before it waits.</summary>
    public int MaxUnacknowledgedRows { get; init; } = 4_096;

    /// <summary>How long a forwarder waits without any acknowledgement before it treats the writer as gone.</summary>
    public TimeSpan AcknowledgementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a session keeps trying to become the writer or reach one before it gives up.</summary>
    public TimeSpan ElectionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a process that took over from a writer that left keeps its own producers to a fair share,
    /// counting on the old writer's clients to reconnect, before it counts only those that did.
    /// </summary>
    internal TimeSpan TakeOverGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the writer of a catalog file stays open after its last holder in this process let go, while other
    /// processes use it: as long as one is connected, and this long after the last one left. Without it, every short
    /// command (a script's Write-Finding calls) in the writer's process handed the writer role over while the others
    /// still wrote: 4 processes of 20 commands each waited up to a second a command (bench: short_command_4proc_p95_ms).
    /// A writer no other process used closes at once, so a single process finds its catalog checkpointed and free
    /// when its command returns. Zero turns lingering off.
    /// </summary>
    public TimeSpan IdleLinger { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Test seam: caps the catalog at this many pages so a write fails with "disk full".</summary>
    internal long? MaxPageCount { get; init; }

    internal void Validate()
    {
        if (MaxPendingRows < 1 || MaxTransactionRows < 1 || LingerBelowRows < 0 || CacheSizeMiB < 1 || MaxForwardBatchRows < 1 || MaxForwardedPendingRows < 1 || MaxUnacknowledgedRows < 1 || ElectionTimeout <= TimeSpan.Zero || AcknowledgementTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Session row limits must be positive.");
        }
        if (CommitLinger < TimeSpan.Zero || MaxCommitDelay <= TimeSpan.Zero || IdleLinger < TimeSpan.Zero)
        {
            throw new ArgumentException("Session delays must be positive.");
        }
    }
}
