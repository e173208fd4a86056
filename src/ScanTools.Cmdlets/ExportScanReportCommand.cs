using System.Management.Automation;
using ScanTools.Reports;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Writes a self-contained HTML report of a catalog or a run: totals, a treemap of where the space goes, size by extension and owner, changes, findings, duplicates and errors.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "ScanReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportScanReportCommand : CatalogReadCommand
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The HTML file to write (a PowerShell path); its folder must exist.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// Report on this run: sizes as of it, its changes and errors. Default: the present files and the newest completed
    /// run. Binds a piped run's Id (before, a piped run bound only -Database, and the report was of the newest run).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long ScanId { get; set; }

    /// <summary>Levels of folders in the treemap (1 to 6).</summary>
    [Parameter]
    [ValidateRange(1, 6)]
    public int Depth { get; set; } = 3;

    /// <summary>The page's title.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    /// <summary>Replace the file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also output the report's file (FileInfo).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// The RunKey of a piped scan run, bound from the pipeline: with -Database, a run whose key is not that catalog's run
    /// of the same id came from another catalog and is refused (ObjectFromOtherCatalog).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public Guid RunKey { get; set; }

    private readonly SortedSet<long> _runs = new();
    private long _catalogOnly; // piped objects that gave only their catalog
    private bool _runPiped; // only a piped run can be of another catalog: a typed -ScanId opens no reader to check

    /// <summary>Notes the run of each piped object: one report is of one run.</summary>
    protected override void ProcessRecord()
    {
        if (FromPipeline(nameof(Database)) && !FromPipeline(nameof(ScanId)))
        {
            _catalogOnly++; // a finding, a change, a folder size: only its catalog bound
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(ScanId)))
        {
            _runs.Add(ScanId);
        }
        if (FromPipeline(nameof(RunKey)))
        {
            NotePipedRun(new[] { ScanId }, RunKey); // a run of catalog A piped with -Database B reported on B's run (newcomer test 76)
            _runPiped = true;
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_runs.Count > 1)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                $"The objects piped in are of {_runs.Count} runs ({string.Join(", ", _runs.Take(10))}{(_runs.Count > 10 ? ", ..." : "")}), and a report is of one run. Pipe one run (Get-ScanRun -Last 1), or give -ScanId."),
                "InvalidFilter", null));
        }
        bool foreign = false;
        if (_runs.Count == 1 && _runPiped)
        {
            ReadCatalog(reader => foreign = ForeignRuns(reader, _runs).Count > 0); // each is an ObjectFromOtherCatalog error
        }
        if (foreign)
        {
            return;
        }
        string catalog = ResolveCatalog().Path;
        if (_catalogOnly > 0)
        {
            // Get-Finding -Name *.log | Export-ScanReport wrote the whole catalog's report without a word (newcomer test 84).
            WriteWarning($"{_catalogOnly:N0} piped object{(_catalogOnly == 1 ? " gives" : "s give")} Export-ScanReport only {(_catalogOnly == 1 ? "its" : "their")} catalog: a report is of a whole catalog (or of one run piped from Get-ScanRun), so this one is of all of '{catalog}', not of the objects piped in.");
        }
        string target;
        try
        {
            RuleSupport.RefuseWildcard(this, Path, "InvalidDestination", "scan-report.html");
            target = ToFileSystemPath(Path);
            ScanReport.CheckDestination(catalog, target, Force.IsPresent);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidDestination", Path));
            return;
        }
        if (!ShouldProcess(target, $"Write a report of the catalog '{catalog}'"))
        {
            return;
        }
        var options = new ScanReportOptions
        {
            ScanId = MyInvocation.BoundParameters.ContainsKey(nameof(ScanId)) ? ScanId : null,
            Depth = Depth,
            Title = Title,
        };
        QueryCatalog(reader =>
        {
            if (options.ScanId is long run && reader.MissingRuns(new[] { run }).Count > 0)
            {
                WriteError(ErrorRecords.ForMissingRun(run));
                return;
            }
            FileInfo written;
            try
            {
                written = ScanReport.WriteFile(reader, target, options, Force.IsPresent, _stop.Token);
            }
            catch (IOException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "ExportFailed", ErrorCategory.WriteError, Path));
                return;
            }
            if (PassThru)
            {
                FileOutput.WriteItem(this, written.FullName);
            }
        });
    }

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        _stop.Cancel();
        base.StopProcessing();
    }
}
