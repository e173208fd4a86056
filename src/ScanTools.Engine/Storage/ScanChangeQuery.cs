namespace ScanTools.Storage;

/// <summary>Which changes <see cref="CatalogReader.GetChanges"/> returns. Without runs, those of every run after the previous completed scan of the newest scan's folders.</summary>
public sealed record ScanChangeQuery
{
    /// <summary>Changes found by these runs, each as it was found (a file changed by two runs is listed twice).</summary>
    public IReadOnlyList<long> ScanId { get; init; } = Array.Empty<long>();

    /// <summary>
    /// With <see cref="DifferenceRun"/>: the net change of each file from the state after this run to the
    /// state after <see cref="DifferenceRun"/> (the runs in between folded together).
    /// </summary>
    public long? ReferenceRun { get; init; }

    /// <summary>The later run of a comparison; alone, it compares with the run before it.</summary>
    public long? DifferenceRun { get; init; }

    /// <summary>Changes found by runs that started at or after this time.</summary>
    public DateTime? After { get; init; }

    /// <summary>Changes found by runs that started before this time.</summary>
    public DateTime? Before { get; init; }

    /// <summary>Path patterns (wildcards, or a folder meaning its subtree), as for Get-Finding -Path.</summary>
    public IReadOnlyList<string> Path { get; init; } = Array.Empty<string>();

    /// <summary>Name patterns.</summary>
    public IReadOnlyList<string> Name { get; init; } = Array.Empty<string>();

    /// <summary>Only these kinds of change; all when empty.</summary>
    public IReadOnlyList<ScanChangeType> ChangeType { get; init; } = Array.Empty<ScanChangeType>();

    /// <summary>
    /// When not None: only the Modified changes, and the Renamed changes that came with a change, in which any
    /// of these properties changed (no Added or Removed). None: no filter.
    /// </summary>
    public ChangedProperties Property { get; init; }

    /// <summary>At most this many changes.</summary>
    public int? First { get; init; }

    /// <summary>True when the query compares two states rather than listing what runs found.</summary>
    public bool IsComparison => ReferenceRun is not null || DifferenceRun is not null;

    /// <summary>Throws an <see cref="ArgumentException"/> that says what to change when the selection cannot work.</summary>
    public void Validate()
    {
        int ways = (ScanId.Count > 0 ? 1 : 0) + (IsComparison ? 1 : 0) + (After is not null || Before is not null ? 1 : 0);
        if (ways > 1)
        {
            throw new ArgumentException("Choose the runs one way: -ScanId, or -ReferenceRun and -DifferenceRun, or -After and -Before.");
        }
        // ReferenceRun >= DifferenceRun is refused by the reader, after it checked both runs exist: -ReferenceRun 999
        // -DifferenceRun 5 was told 999 must be earlier, of a run the catalog does not hold (newcomer test 73).
        if (After is DateTime a && Before is DateTime b && a.ToUniversalTime() >= b.ToUniversalTime())
        {
            throw new ArgumentException(a.ToUniversalTime() == b.ToUniversalTime()
                ? $"After and Before are the same time ({a.ToUniversalTime():u}): no run starts after it and before it. Give a later Before, or only one."
                : "After must be earlier than Before; no run can match. Swap them, or give only one.");
        }
        if (Property != ChangedProperties.None && ChangeType.Count > 0
            && ChangeType.All(t => t is not (ScanChangeType.Modified or ScanChangeType.Renamed)))
        {
            // Newcomer test 66: -Property Hash -ChangeType Added returned nothing, silently.
            throw new ArgumentException($"-Property selects among modified and renamed files, and -ChangeType {string.Join(",", ChangeType)} selects neither; no change can match. Add Modified or Renamed to -ChangeType, or leave out -Property.");
        }
        if (First is < 0)
        {
            throw new ArgumentException("First cannot be negative.");
        }
    }
}
