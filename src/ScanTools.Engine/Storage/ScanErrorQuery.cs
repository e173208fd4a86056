using ScanTools.Scanning;

namespace ScanTools.Storage;

/// <summary>A filter over the error items scans stored.</summary>
public sealed record ScanErrorQuery
{
    /// <summary>Only errors of these runs; all runs when empty.</summary>
    public IReadOnlyList<long> ScanId { get; init; } = Array.Empty<long>();

    /// <summary>Only errors of these kinds.</summary>
    public IReadOnlyList<ScanErrorKind> Kind { get; init; } = Array.Empty<ScanErrorKind>();

    /// <summary>At most this many.</summary>
    public int? First { get; init; }
}
