using ScanTools.Scanning;

namespace ScanTools.Storage.Writes;

/// <summary>Error items to store with a run.</summary>
public sealed class ScanErrorBatch : CatalogWrite
{
    /// <summary>The errors.</summary>
    public required IReadOnlyList<ScanError> Errors { get; init; }

    /// <inheritdoc />
    public override int RowCount => Math.Max(1, Errors.Count);

    /// <inheritdoc />
    public override string Describe() => Errors.Count == 1 ? $"the error item for '{Errors[0].FullName}'" : $"{Errors.Count:N0} error items";
}
