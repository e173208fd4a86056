using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists what scans found changed: files added, removed, modified (and which properties) and renamed.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanChange", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ScanChange))]
[OutputType(typeof(ScanChangeSummary))]
public sealed class GetScanChangeCommand : CatalogReadCommand
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Changes found by these runs. Binds a piped scan run. Default: every run after the previous completed scan of the newest scan's folders.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    public long[] ScanId { get; set; } = Array.Empty<long>();

    /// <summary>
    /// The RunKey of a piped scan run, bound from the pipeline: with -Database, a run whose key is not that catalog's run
    /// of the same id came from another catalog and is refused (ObjectFromOtherCatalog).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public Guid RunKey { get; set; }

    /// <summary>Compare the state after this run with the state after -DifferenceRun (default: the newest run).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long ReferenceRun { get; set; }

    /// <summary>The later run of a comparison; alone, it is compared with the run before it.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateRange(1, long.MaxValue)]
    public long DifferenceRun { get; set; }

    /// <summary>Changes found by runs started at or after this time.</summary>
    [Parameter]
    public DateTime After { get; set; }

    /// <summary>Changes found by runs started before this time.</summary>
    [Parameter]
    public DateTime Before { get; set; }

    /// <summary>Full-path wildcards; a path without wildcards means that file or everything under that folder.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Paths taken literally: that file, or everything under that folder. Binds PSPath, so piped files and findings select their own changes.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [AllowNull, AllowEmptyString, AllowEmptyCollection] // an empty PSPath of a piped finding (removed, or misread): LiteralPathsGiven
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The piped object itself: a string is a path taken literally; a finding, change or error item whose PSPath is empty (a
    /// removed file, a name PowerShell misreads) gives its FullName. An object that gives no path or run is the error
    /// InputObjectNotBound.
    /// </summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>File-name wildcards (case is ignored).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Only these kinds of change: Added, Removed, Modified, Renamed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    public ScanChangeType[] ChangeType { get; set; } = Array.Empty<ScanChangeType>();

    /// <summary>Only Modified (and Renamed) changes in which any of these properties changed: Length, LastWriteTime, Hash, Mode, Owner, LinkTarget, Kind.</summary>
    [Parameter]
    public ChangedProperties Property { get => (ChangedProperties)_property; set => _property = (int)value; }

    private int _property; // An int, not the enum: PowerShell loads this class before the engine can be resolved (ModuleLifecycle).

    /// <summary>At most this many changes.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <summary>Return one summary object (counts per change type and property) instead of the changes.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>
    /// The selections gathered from the input, one per catalog: piped runs are one selection, listed or
    /// summarised once in EndProcessing, as if their ids had been given to -ScanId.
    /// </summary>
    private readonly List<(string? Database, ScanChangeQuery Query)> _selections = new();

    /// <summary>The paths typed on the command line (not piped), by catalog: warned of if no scan has recorded them.</summary>
    private readonly Dictionary<string, (List<string> Literal, List<string> Paths)> _typed = new();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var bound = MyInvocation.BoundParameters;
        bool literalSet = ParameterSetName == LiteralPathSet;
        if (literalSet)
        {
            if (LiteralPathsGiven(LiteralPath, InputObject) is not string[] given)
            {
                return;
            }
            LiteralPath = given;
        }
        else if (FromPipeline(nameof(InputObject)) && !FromPipeline(nameof(ScanId)))
        {
            // Nothing but the object itself came through: a string is a path; anything else (its catalog alone) would have
            // listed every change of the catalog.
            if (InputObject?.BaseObject is string { Length: > 0 } text && !string.IsNullOrWhiteSpace(text))
            {
                LiteralPath = new[] { text };
                literalSet = true;
            }
            else if (InputObject?.BaseObject is null or string)
            {
                WriteEmptyPathPiped(InputObject);
                return;
            }
            else
            {
                WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"A piped {ScanTools.Hosting.DisplayText.Escape(InputObject.BaseObject.GetType().Name)} gives Get-ScanChange no path or run, so it selects no change. Pipe files, findings, runs, changes or paths (strings)."),
                    "InputObjectNotBound", InputObject));
                return;
            }
        }
        if (FromPipeline(nameof(RunKey)))
        {
            NotePipedRun(ScanId, RunKey);
        }
        ScanChangeQuery query;
        try
        {
            if (Summary && bound.ContainsKey(nameof(First)))
            {
                // The summary counts every change selected: -First was ignored without a word (newcomer test 84).
                throw new ArgumentException("-Summary counts every change the other parameters select; -First limits a list of changes. Use one of them: Get-ScanChange -First N lists the first N, Get-ScanChange -Summary counts them all.");
            }
            if (bound.ContainsKey(nameof(Property)) && _property == 0)
            {
                // None is no property: as a filter it would select nothing, and "every change" is what leaving it out means.
                throw new ArgumentException("-Property None selects no property. To get every change, leave out -Property; for every modified file, use -ChangeType Modified.");
            }
            query = new ScanChangeQuery
            {
                ScanId = ScanId,
                ReferenceRun = bound.ContainsKey(nameof(ReferenceRun)) ? ReferenceRun : null,
                DifferenceRun = bound.ContainsKey(nameof(DifferenceRun)) ? DifferenceRun : null,
                After = bound.ContainsKey(nameof(After)) ? After : null,
                Before = bound.ContainsKey(nameof(Before)) ? Before : null,
                Path = literalSet ? LiteralPatterns(LiteralPath) : Path.Select(PathPattern).ToArray(),
                Name = Name,
                ChangeType = ChangeType,
                Property = Property,
                First = bound.ContainsKey(nameof(First)) ? First : null,
            };
            query.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
            return;
        }

        if (!FromPipeline(nameof(LiteralPath)) && !FromPipeline(nameof(InputObject)) && (Path.Length > 0 || LiteralPath.Length > 0))
        {
            if (!_typed.TryGetValue(Database ?? string.Empty, out var typed))
            {
                _typed[Database ?? string.Empty] = typed = (new List<string>(), new List<string>());
            }
            typed.Literal.AddRange(literalSet ? LiteralPath : Array.Empty<string>());
            typed.Paths.AddRange(literalSet ? Array.Empty<string>() : Path);
        }

        // Only -ScanId, -LiteralPath and -Database bind from the pipeline: for one catalog, the queries differ only in
        // their runs and paths, gathered into one selection (files piped in: the changes of those files).
        int same = _selections.FindIndex(x => x.Database == Database && (x.Query.ScanId.Count > 0) == (query.ScanId.Count > 0)
            && (x.Query.Path.Count > 0) == (query.Path.Count > 0));
        if (same < 0)
        {
            _selections.Add((Database, query));
        }
        else
        {
            ScanChangeQuery gathered = _selections[same].Query;
            _selections[same] = (Database, gathered with
            {
                ScanId = gathered.ScanId.Concat(query.ScanId).Distinct().ToArray(),
                Path = gathered.Path.Concat(query.Path).Distinct(StringComparer.Ordinal).ToArray(),
            });
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        foreach ((string? database, ScanChangeQuery query) in _selections)
        {
            Database = database;
            ScanChangeQuery asked = query;
            QueryCatalog(reader =>
            {
                ScanChangeQuery query = asked;
                if (query.ScanId.Count > 0 && ForeignRuns(reader, query.ScanId.ToArray()) is { Count: > 0 } foreign)
                {
                    query = query with { ScanId = query.ScanId.Except(foreign).ToArray() };
                    if (query.ScanId.Count == 0)
                    {
                        return;
                    }
                }
                if (query.ScanId.Count > 0 && reader.MissingRuns(query.ScanId) is { Count: > 0 } missing)
                {
                    // As Get-ScanError, Get-Finding and the others: a non-terminating error for the runs the catalog does not
                    // hold, and the changes of those it does (a terminating error here stopped the script instead).
                    foreach (long run in missing)
                    {
                        WriteError(ErrorRecords.ForMissingRun(run));
                    }
                    query = query with { ScanId = query.ScanId.Except(missing).ToArray() };
                    if (query.ScanId.Count == 0)
                    {
                        return;
                    }
                }
                bool any = false;
                if (Summary)
                {
                    WriteObject(reader.SummarizeChanges(query));
                }
                else
                {
                    foreach (ScanChange c in reader.GetChanges(query))
                    {
                        any = true;
                        WriteObject(c);
                    }
                }
                if (!any && _typed.Remove(database ?? string.Empty, out var typed))
                {
                    // As Get-Finding: a typo in a path looked like a folder where nothing changed.
                    WarnOfUnknownPaths(reader, typed.Literal, typed.Paths);
                }
            });
        }
    }
}
