using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Shows where the space goes: each folder's bytes, files and last writes from the catalog, to a depth, largest first.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ScanFolder")]
[OutputType(typeof(FolderSize))]
public sealed class MeasureScanFolderCommand : CatalogFolderCommand
{
    /// <summary>Folders to measure; default: each top folder of the catalog. Binds piped folders (Get-Item, Get-ChildItem -Directory).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Levels of subfolders below each folder (0: the folders alone).</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int Depth { get; set; } = 1;

    /// <summary>Sizes as of this run instead of the present files.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long ScanId { get; set; }

    /// <summary>Also measure as of this earlier run: PreviousBytes and GrowthBytes.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long ComparedTo { get; set; }

    /// <summary>Order of folders among their siblings (or of all of them with -Top): Size (default), Growth, Files, Oldest, Name.</summary>
    [Parameter]
    public FolderSort SortBy { get => (FolderSort)_sortBy; set => _sortBy = (int)value; }

    private int _sortBy; // an int, not the enum: value-type fields of engine types would load the engine before ModuleLifecycle can resolve it

    /// <summary>Only the first N folders within -Depth, in -SortBy order, as one list instead of a tree.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; }

    /// <inheritdoc />
    protected override string[] PathArgument => Path;

    /// <summary>The type name of the folders of a -Top list, which the format file shows by path.</summary>
    internal const string RankedTypeName = "ScanTools.Storage.FolderSize#Ranked";

    private const string TypeName = "ScanTools.Storage.FolderSize";

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (NoPathLeft)
        {
            return; // every path given was refused above
        }
        var bound = MyInvocation.BoundParameters;
        var query = new FolderSizeQuery
        {
            Depth = Depth,
            ScanId = bound.ContainsKey(nameof(ScanId)) ? ScanId : null,
            ComparedToScanId = bound.ContainsKey(nameof(ComparedTo)) ? ComparedTo : null,
            SortBy = SortBy,
            Top = bound.ContainsKey(nameof(Top)) ? Top : null,
        };
        try
        {
            query.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
        }
        QueryCatalog(reader =>
        {
            foreach (long? run in RunsToMeasure(reader, query.ScanId))
            {
                FolderSizeQuery asOf = query with { ScanId = run };
                asOf.Validate();
                Measure(reader, asOf);
            }
        });
    }

    /// <summary>Measures as of one run (or the present files), with the query's other settings.</summary>
    private void Measure(CatalogReader reader, FolderSizeQuery query)
    {
        long[] runs = new[] { query.ScanId, query.ComparedToScanId }.OfType<long>().ToArray();
        IReadOnlyList<long> missing = reader.MissingRuns(runs);
        if (missing.Count > 0)
        {
            foreach (long run in missing)
            {
                WriteError(ErrorRecords.ForMissingRun(run));
            }
            return;
        }
        // Each path on its own: one the catalog cannot measure is reported, and the others are measured.
        if (MeasurablePaths(reader, path => reader.MeasureProblem(path, query), query.ScanId) is not { } usable)
        {
            return;
        }
        foreach (FolderSize folder in reader.MeasureFolders(query with { Path = usable }))
        {
            if (query.Top is null && query.ComparedToScanId is null)
            {
                WriteObject(folder);
                continue;
            }
            // One ranked list, not a tree: its view shows each folder's path, where the tree's indents its name. With
            // -ComparedTo, a view with a Growth column (the others leave it out, to give the folder the room).
            var shown = PSObject.AsPSObject(folder);
            string view = query.Top is null ? TypeName : RankedTypeName;
            shown.TypeNames.Insert(0, query.ComparedToScanId is null ? view : view + "#Growth");
            WriteObject(shown);
        }
    }
}
