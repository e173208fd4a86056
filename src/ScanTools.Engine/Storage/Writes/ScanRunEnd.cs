namespace ScanTools.Storage.Writes;

/// <summary>What a run's rules did: matches found, files whose content was read, files left unread as binary or too large.</summary>
public readonly record struct RuleCounts(long Matches, long ContentFiles, long BinarySkipped, long OversizedSkipped);

/// <summary>Closes a scan run with its final status and counts. Applied again, it sets the same values.</summary>
public sealed class ScanRunEnd : CatalogWrite
{
    /// <summary>How the run ended.</summary>
    public required ScanRunStatus Status { get; init; }

    /// <summary>When it ended (UTC).</summary>
    public required DateTime EndedUtc { get; init; }

    /// <summary>Files recorded.</summary>
    public long Files { get; init; }

    /// <summary>Bytes in the files recorded.</summary>
    public long Bytes { get; init; }

    /// <summary>Folders listed.</summary>
    public long Directories { get; init; }

    /// <summary>Error items met.</summary>
    public long Errors { get; init; }

    /// <summary>Entries left out (see <see cref="Scanning.ScanProgress.Skipped"/>).</summary>
    public long Skipped { get; init; }

    /// <summary>What the run's rules did; null when it applied none.</summary>
    public RuleCounts? Rules { get; init; }

    /// <summary>Why the run failed or was cancelled, when it did not complete.</summary>
    public string? Message { get; init; }

    /// <summary>
    /// Take the counts from what the catalog holds for the run instead of the values above: for a run whose
    /// writes failed partway (disk full), so that its counts match its rows.
    /// </summary>
    public bool CountFromCatalog { get; init; }

    /// <summary>
    /// The end of a run that could not end itself (its catalog failed under it, or it did not stop in time),
    /// with the counts of what the catalog holds for it. An <see cref="EndedUtc"/> of default (year 1) ends it at the last
    /// progress its process stored (its start when none), for a run whose process went silent long before.
    /// </summary>
    public static ScanRunEnd CountedFromCatalog(Guid runKey, ScanRunStatus status, string message, DateTime? endedUtc = null) => new()
    {
        RunKey = runKey,
        Status = status,
        EndedUtc = endedUtc ?? DateTime.UtcNow,
        Message = message,
        CountFromCatalog = true,
    };

    /// <summary>
    /// The run's start, written again before this end where the end is written late (<see cref="AfterCatalogFailure"/>):
    /// the start may have failed with the catalog too (a full disk), and a stand-in run had no kind, roots or start time
    /// (newcomer test 65). Not forwarded with the end: it is written as its own start, which is a no-op for a run on record.
    /// </summary>
    public ScanRunStart? Start { get; init; }

    /// <summary>The end of a run whose catalog failed under it (a full disk): Failed, with that reason.</summary>
    public static ScanRunEnd AfterCatalogFailure(Guid runKey, CatalogException failed, ScanRunStart? start = null) => new()
    {
        RunKey = runKey,
        Status = ScanRunStatus.Failed,
        EndedUtc = DateTime.UtcNow,
        Message = failed.Message.TrimEnd('.') + ". What was committed before is kept; the counts are what the catalog holds.",
        CountFromCatalog = true,
        Start = start,
    };

    /// <inheritdoc />
    public override int RowCount => 1;

    /// <inheritdoc />
    public override string Describe() => $"the end ({Status}) of run {RunKey:D}";
}
