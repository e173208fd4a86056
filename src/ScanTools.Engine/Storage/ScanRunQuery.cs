namespace ScanTools.Storage;

/// <summary>A filter over a catalog's scan runs; the newest come first.</summary>
public sealed record ScanRunQuery
{
    /// <summary>Only these run ids.</summary>
    public IReadOnlyList<long> Id { get; init; } = Array.Empty<long>();

    /// <summary>Only runs in these states.</summary>
    public IReadOnlyList<ScanRunStatus> Status { get; init; } = Array.Empty<ScanRunStatus>();

    /// <summary>Only runs of these kinds (Scan: Start-Scan; Records: Write-Finding; Duplicates: Find-DuplicateFile), case ignored.</summary>
    public IReadOnlyList<string> Kind { get; init; } = Array.Empty<string>();

    /// <summary>Only the newest N runs that pass the other filters.</summary>
    public int? Last { get; init; }
}
