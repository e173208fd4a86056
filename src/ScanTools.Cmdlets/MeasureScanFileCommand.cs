using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Totals the catalog's files by extension, owner or year of last write: bytes, files and share, largest first.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "ScanFile")]
[OutputType(typeof(FileGroupSize))]
public sealed class MeasureScanFileCommand : CatalogReadCommand
{
    private readonly List<string> _paths = new();

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
            return;
        }
        long? scanId = bound.ContainsKey(nameof(ScanId)) ? ScanId : null;
        QueryCatalog(reader =>
        {
            if (scanId is long run && reader.MissingRuns(new[] { run }).Count > 0)
            {
                WriteError(ErrorRecords.ForMissingRun(run));
                return;
            }
            var usable = new List<string>();
            foreach (string path in _paths)
            {
                if (reader.FolderProblem(path, scanId) is string problem)
                {
                    WriteError(ErrorRecords.ForBadArgument(new ArgumentException(problem), "InvalidFilter", path));
                    continue;
                }
                usable.Add(path);
                MeasureScanFolderCommand.WarnAboveScanRoots(this, reader, path, scanId);
            }
            if (_paths.Count > 0 && usable.Count == 0)
            {
                return;
            }
            WriteObject(reader.MeasureFiles(GroupBy, usable, scanId, bound.ContainsKey(nameof(Top)) ? Top : null), enumerateCollection: true);
        });
    }
}
