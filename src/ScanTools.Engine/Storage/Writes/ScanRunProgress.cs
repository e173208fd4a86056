namespace ScanTools.Storage.Writes;

/// <summary>
/// The counts of a run that is still going, so Get-ScanRun shows them while it runs. Applied only while
/// the run is Running; the run's end sets the final counts. Applied again, it sets the same values.
/// </summary>
public sealed class ScanRunProgress : CatalogWrite
{
    /// <summary>Files handed over so far.</summary>
    public long Files { get; init; }

    /// <summary>Bytes in those files.</summary>
    public long Bytes { get; init; }

    /// <summary>Folders listed so far.</summary>
    public long Directories { get; init; }

    /// <summary>Error items so far.</summary>
    public long Errors { get; init; }

    /// <summary>Entries left out so far.</summary>
    public long Skipped { get; init; }

    /// <inheritdoc />
    public override int RowCount => 1;

    /// <inheritdoc />
    public override string Describe() => $"the progress of run {RunKey:D}";
}
