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
    /// with the counts of what the catalog holds for it.
    /// </summary>
    public static ScanRunEnd CountedFromCatalog(Guid runKey, ScanRunStatus status, string message) => new()
    {
        RunKey = runKey,
        Status = status,
        EndedUtc = DateTime.UtcNow,
        Message = message,
        CountFromCatalog = true,
    };

    /// <summary>The end of a run whose catalog failed under it (a full disk): Failed, with that reason.</summary>
    public static ScanRunEnd AfterCatalogFailure(Guid runKey, CatalogException failed) => CountedFromCatalog(runKey, ScanRunStatus.Failed,
        failed.Message.TrimEnd('.') + ". What was committed before is kept; the counts are what the catalog holds.");

    /// <inheritdoc />
    public override int RowCount => 1;

    /// <inheritdoc />
    public override string Describe() => $"the end ({Status}) of run {RunKey:D}";
}
