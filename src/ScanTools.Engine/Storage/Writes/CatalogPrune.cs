namespace ScanTools.Storage.Writes;

/// <summary>
/// Removes the history of the listed runs from the catalog, in the writer's transaction: their error items, their
/// recorded changes, the findings they resolved, the files they found removed (with those files' findings and the
/// folders left empty and removed), and the runs themselves; then, with <see cref="Optimize"/>, lets SQLite refresh
/// its statistics (PRAGMA optimize) and hand free pages back to the file system where the catalog allows it
/// (PRAGMA incremental_vacuum). Applied again, it removes nothing more. Built by <see cref="CatalogMaintenance"/>,
/// which never lists a run that is still running.
/// </summary>
public sealed class CatalogPrune : CatalogWrite
{
    /// <summary>The ids of the runs whose history goes.</summary>
    public IReadOnlyList<long> RunIds { get; init; } = Array.Empty<long>();

    /// <summary>Refresh the query planner's statistics and return free pages after pruning.</summary>
    public bool Optimize { get; init; }

    /// <inheritdoc />
    public override int RowCount => 1 + RunIds.Count;

    /// <inheritdoc />
    public override string Describe() => $"the pruning of {RunIds.Count:N0} run(s)";
}
