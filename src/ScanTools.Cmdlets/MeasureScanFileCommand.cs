using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Totals the catalog's files by extension, owner or year of last write: bytes, files and share, largest first.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ScanFile")]
[OutputType(typeof(FileGroupSize))]
public sealed class MeasureScanFileCommand : CatalogFolderCommand
{
    /// <summary>What to group by: Extension (default), Owner or Year.</summary>
    [Parameter(Position = 0)]
    public FileGrouping GroupBy { get => (FileGrouping)_groupBy; set => _groupBy = (int)value; }

    private int _groupBy; // an int, not the enum (see MeasureScanFolderCommand)

    /// <summary>Only files in and below these folders; default: the whole catalog.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The files as of this run instead of the present ones.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long ScanId { get; set; }

    /// <summary>Only the N largest groups.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; }

    /// <inheritdoc />
    protected override string[] PathArgument => Path;

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (NoPathLeft)
        {
            return; // every path given was refused
        }
        var bound = MyInvocation.BoundParameters;
        QueryCatalog(reader =>
        {
            foreach (long? scanId in RunsToMeasure(reader, bound.ContainsKey(nameof(ScanId)) ? ScanId : null))
            {
                if (scanId is long run && reader.MissingRuns(new[] { run }).Count > 0)
                {
                    WriteError(ErrorRecords.ForMissingRun(run));
                    continue;
                }
                if (MeasurablePaths(reader, path => reader.FolderProblem(path, scanId, "the whole catalog"), scanId) is not { } usable)
                {
                    return;
                }
                WriteObject(reader.MeasureFiles(GroupBy, usable, scanId, bound.ContainsKey(nameof(Top)) ? Top : null), enumerateCollection: true);
            }
        });
    }
}
