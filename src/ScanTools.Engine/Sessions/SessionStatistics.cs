namespace ScanTools.Sessions;

/// <summary>A snapshot of one writer session's counters.</summary>
public sealed record SessionStatistics
{
    /// <summary>The canonical path of the catalog.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>
    /// <see cref="DatabasePath"/> by the name the other commands' objects give it, so a session pipes to them
    /// (Get-ScanSession | Get-ScanRun binds -Database; newcomer test 75).
    /// </summary>
    public string Database => DatabasePath;

    /// <summary>Writer, or forwarder to another process's writer.</summary>
    public SessionRole Role { get; init; }

    /// <summary>How the session commits: Normal, or Full (each commit synced to disk) once any holder asked for it.</summary>
    public Storage.Durability Durability { get; init; }

    /// <summary>Producers holding the session open (cmdlets, runspaces, jobs in this process).</summary>
    public int References { get; init; }

    /// <summary>Rows producers handed over.</summary>
    public long AcceptedRows { get; init; }

    /// <summary>Rows committed (by this process, or acknowledged as committed by the writer).</summary>
    public long CommittedRows { get; init; }

    /// <summary>Rows accepted and neither committed nor failed yet.</summary>
    public long PendingRows { get; init; }

    /// <summary>Rows whose transaction failed; their producers were told.</summary>
    public long FailedRows { get; init; }

    /// <summary>Rows of writes the catalog refused on their own (a constraint, a value SQLite will not store); their producers were told and the session went on.</summary>
    public long RejectedRows { get; init; }

    /// <summary>Writes (listings, error batches, run records) the catalog refused on their own.</summary>
    public long RejectedWrites { get; init; }

    /// <summary>The last refusal: what was refused and why.</summary>
    public string? LastRejection { get; init; }

    /// <summary>Transactions committed.</summary>
    public long Transactions { get; init; }

    /// <summary>Committed rows per second between the first accepted row and the last commit.</summary>
    public double RowsPerSecond { get; init; }

    /// <summary>When the session opened (UTC).</summary>
    public DateTime OpenedUtc { get; init; }

    /// <summary>When the session took its current role (UTC): opened, or became the writer after a failover.</summary>
    public DateTime RoleSinceUtc { get; init; }

    /// <summary>The local endpoint the writer of this catalog listens on (a socket file or a pipe name).</summary>
    public string Endpoint { get; init; } = string.Empty;

    /// <summary>When the last transaction committed (UTC); for a forwarder, the last acknowledgement.</summary>
    public DateTime? LastCommitUtc { get; init; }

    /// <summary>The error that stopped the session, if one did.</summary>
    public string? LastError { get; init; }

    /// <summary>True when a failed write stopped the session; it takes no more writes.</summary>
    public bool IsFaulted { get; init; }

    /// <summary>For a forwarder: the writer's process id. For a writer: this process.</summary>
    public int WriterProcessId { get; init; }

    /// <summary>For a writer: the processes forwarding to it now.</summary>
    public IReadOnlyList<int> ClientProcessIds { get; init; } = Array.Empty<int>();

    /// <summary>Batches sent to another process's writer.</summary>
    public long ForwardedBatches { get; init; }

    /// <summary>Forwarded batches the writer acknowledged as committed.</summary>
    public long AcknowledgedBatches { get; init; }

    /// <summary>Batches sent again after a writer went away.</summary>
    public long ResentBatches { get; init; }

    /// <summary>For a writer: batches received from other processes.</summary>
    public long ReceivedBatches { get; init; }
}
