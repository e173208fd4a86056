using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Shows where the space goes: each folder's bytes, files and last writes from the catalog, to a depth, largest first.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ScanFolder")]
[OutputType(typeof(FolderSize))]
public sealed class MeasureScanFolderCommand : CatalogReadCommand
{
    private readonly List<string> _paths = new();

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

    /// <summary>Warns when <paramref name="path"/> lies above the folders scans started at: only what they recorded below it counts.</summary>
    internal static void WarnAboveScanRoots(PSCmdlet cmdlet, CatalogReader reader, string path, long? scanId)
    {
        IReadOnlyList<string> below = reader.ScanRootsBelow(path, scanId);
        if (below.Count > 0)
        {
            cmdlet.WriteWarning($"'{path}' lies above the folders scans started at ({string.Join(", ", below.Take(5))}{(below.Count > 5 ? ", ..." : string.Empty)}): only what they recorded below it is counted, not the rest of the folder.");
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            _paths.AddRange(Path.Select(ToFileSystemPath));
        }
        catch (ArgumentException ex)
        {
            WriteError(ErrorRecords.ForBadArgument(ex, "InvalidPath", Path));
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var bound = MyInvocation.BoundParameters;
        if (bound.ContainsKey(nameof(Path)) && _paths.Count == 0)
        {
            return; // every path given was refused above
        }
        var query = new FolderSizeQuery
        {
            Path = _paths,
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
            var usable = new List<string>();
            foreach (string path in query.Path)
            {
                if (reader.MeasureProblem(path, query) is string problem)
                {
                    WriteError(ErrorRecords.ForBadArgument(new ArgumentException(problem), "InvalidFilter", path));
                    continue;
                }
                usable.Add(path);
                WarnAboveScanRoots(this, reader, path, query.ScanId);
            }
            if (query.Path.Count > 0 && usable.Count == 0)
            {
                return;
            }
            WriteObject(reader.MeasureFolders(query with { Path = usable }), enumerateCollection: true);
        });
    }
}
