using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Queries the files a catalog records.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Finding", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Finding))]
public sealed class GetFindingCommand : CatalogReadCommand
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private string[]? _pipedRule; // the -Rule filter of a piped rule (RuleFilterFor)

    /// <summary>Full-path wildcards; a path without wildcards means that file or everything under that folder.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNoEmptyElement] // an empty list binds (a piped rule's Path is one) and is refused in ProcessRecord
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Paths taken literally (brackets and asterisks in names are just characters): that file, or everything
    /// under that folder. Binds PSPath, so Get-Item, Get-ChildItem and findings pipe in exactly.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [AllowNull, AllowEmptyString, AllowEmptyCollection] // an empty PSPath of a piped finding: LiteralPathsGiven
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The piped object itself: a path (a string, taken literally), or an object whose path properties bind -Path,
    /// -LiteralPath or -ScanId. Error items and folder sizes bind -LiteralPath by their PSPath.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>File-name wildcards (case is ignored).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Extensions, with or without the dot (case is ignored).</summary>
    [Parameter]
    [ValidateNotNull]
    [ValidateCount(1, int.MaxValue)] // @() is a mistake, not "every file" ('' is one: files without an extension)
    [ArgumentCompleter(typeof(ExtensionCompleter))]
    public string[] Extension { get; set; } = Array.Empty<string>();

    /// <summary>Smallest size in bytes (1GB, 10MB work).</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MinSize { get; set; }

    /// <summary>Largest size in bytes.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxSize { get; set; }

    /// <summary>Only files last written after this time.</summary>
    [Parameter]
    public DateTime ModifiedAfter { get; set; }

    /// <summary>Only files last written before this time.</summary>
    [Parameter]
    public DateTime ModifiedBefore { get; set; }

    /// <summary>SHA-256 digests (64 hex digits).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Hash { get; set; } = Array.Empty<string>();

    /// <summary>Present files last seen by this scan run; with -Removed, files this run found gone. Binds a piped scan run.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    public long ScanId { get; set; }

    /// <summary>Only files a later scan found gone.</summary>
    [Parameter]
    public SwitchParameter Removed { get; set; }

    /// <summary>Present and removed files.</summary>
    [Parameter]
    public SwitchParameter IncludeRemoved { get; set; }

    /// <summary>At most this many results; returns as soon as they are read.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <summary>Order of results (Path by default).</summary>
    [Parameter]
    public FindingSort SortBy { get => (FindingSort)_sortBy; set => _sortBy = (int)value; }

    private int _sortBy = (int)FindingSort.Path; // An int, not the enum: PowerShell loads this class before the engine can be resolved (ModuleLifecycle).

    /// <summary>Reverse the order.</summary>
    [Parameter]
    public SwitchParameter Descending { get; set; }

    /// <summary>Only files with open findings of these rules (wildcards); each file carries them in Matches.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] Rule { get; set; } = Array.Empty<string>();

    private readonly HashSet<long> _duplicatesRunsWarned = new(); // Duplicates runs warned of, once each
    private bool _rulesChecked;

    /// <summary>Only files with open findings of these severities.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every file": | Remove-Item removed them all (newcomer test 81)
    public ScanTools.Rules.RuleSeverity[] Severity { get; set; } = Array.Empty<ScanTools.Rules.RuleSeverity>();

    /// <summary>Only files with open findings of this severity or worse.</summary>
    [Parameter]
    public ScanTools.Rules.RuleSeverity MinimumSeverity { get => (ScanTools.Rules.RuleSeverity)_minimumSeverity; set => _minimumSeverity = (int)value; }

    private int _minimumSeverity; // an int, not the enum: value-type fields of engine types would load the engine before ModuleLifecycle can resolve it

    /// <summary>A baseline file (Export-FindingBaseline): the findings it lists are accepted and hidden.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Baseline { get; set; }

    /// <summary>Show baselined findings too (marked Baselined).</summary>
    [Parameter]
    public SwitchParameter IncludeBaselined { get; set; }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ScanTools.Rules.FindingMatchQuery? RuleFilter(Dictionary<string, object> bound)
    {
        if (_pipedRule is null && Rule.Length == 0 && Severity.Length == 0 && !bound.ContainsKey(nameof(MinimumSeverity)))
        {
            return null;
        }
        return new ScanTools.Rules.FindingMatchQuery
        {
            // A piped rule narrows the findings to its own (ProcessRecord skips it when -Rule names other rules).
            Rule = _pipedRule ?? Rule,
            Severity = Severity,
            MinimumSeverity = bound.ContainsKey(nameof(MinimumSeverity)) ? MinimumSeverity : null,
            Baseline = RuleSupport.LoadBaseline(this, Baseline),
            IncludeBaselined = IncludeBaselined,
        };
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (Removed && IncludeRemoved)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ScanTools.Scanning.ScanArgumentException("Use -Removed (only removed files) or -IncludeRemoved (present and removed), not both."),
                "ConflictingStateFilters", null));
        }
        var bound = MyInvocation.BoundParameters;
        if (ParameterSetName == LiteralPathSet)
        {
            if (LiteralPathsGiven(LiteralPath, InputObject) is not string[] given)
            {
                return;
            }
            LiteralPath = given;
        }
        string[] literal = ParameterSetName == LiteralPathSet ? LiteralPath : Array.Empty<string>();
        string[] wildcards = ParameterSetName == LiteralPathSet ? Array.Empty<string>() : Path;
        if (FromPipeline(nameof(InputObject)) && (InputObject?.BaseObject is null || InputObject.BaseObject is string blank && string.IsNullOrWhiteSpace(blank)))
        {
            // No filter at all would follow: '' or $null piped (a blank line of a list) returned every file of the
            // catalog, which a Remove-Item after the pipe would delete.
            WriteEmptyPathPiped(InputObject);
            return;
        }
        _pipedRule = null;
        if (PipedRunOfOtherCatalog(InputObject, nameof(Path), nameof(LiteralPath)))
        {
            return;
        }
        if (FromPipeline(nameof(InputObject)) && InputObject!.BaseObject is ScanTools.Rules.ScanRule rule)
        {
            // Get-ScanRule | Get-Finding: the files with open findings of that rule. Its Path is a list of the rule's
            // own globs (often empty, which failed -Path's validation), never a path of files to list.
            _pipedRule = RuleFilterFor(rule, Rule);
            literal = Array.Empty<string>();
            wildcards = Array.Empty<string>();
            if (_pipedRule is null)
            {
                return; // -Rule names other rules: no finding is of both
            }
        }
        else if (ParameterSetName == PathSet && bound.ContainsKey(nameof(Path)) && Path.Length == 0)
        {
            // An empty list would be no path filter at all: every file of the catalog, one Remove-Item away.
            var empty = new ArgumentException(FromPipeline(nameof(Path))
                ? "A piped object's Path is an empty list; it names no file, so it was skipped."
                : "-Path was given an empty list, which names no file. Give at least one path, or leave -Path out to query the whole catalog.");
            if (FromPipeline(nameof(Path)))
            {
                WriteError(ErrorRecords.ForBadArgument(empty, "EmptyPathPiped", InputObject));
                return;
            }
            ThrowTerminatingError(ErrorRecords.ForBadArgument(empty, "InvalidFilter", null));
        }
        else if (FromPipeline(nameof(InputObject)))
        {
            object piped = InputObject!.BaseObject; // not null: checked just above
            if (piped is string text)
            {
                // Get-Content list.txt | Get-Finding: each line a path, taken literally. Its PSPath note (the list file)
                // bound -LiteralPath, and the list file itself was returned once per line.
                literal = new[] { text };
                wildcards = Array.Empty<string>();
            }
            else if (!FromPipeline(nameof(Path)) && !FromPipeline(nameof(LiteralPath)) && !FromPipeline(nameof(ScanId)))
            {
                // Its catalog alone (a Measure-ScanFile group's Database) selected every file of the catalog, which a
                // Remove-Item after the pipe would delete.
                WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"A piped {ScanTools.Hosting.DisplayText.Escape(piped.GetType().Name)} gives Get-Finding no path or run, so it selects no file. Pipe files, findings, runs, errors or paths (strings)."),
                    "InputObjectNotBound", InputObject));
                return;
            }
        }
        FindingQuery query;
        try
        {
            query = new FindingQuery
            {
                Path = LiteralPatterns(literal).Concat(wildcards.Select(PathPattern)).ToArray(),
                Name = Name,
                Extension = Extension,
                MinSize = bound.ContainsKey(nameof(MinSize)) ? MinSize : null,
                MaxSize = bound.ContainsKey(nameof(MaxSize)) ? MaxSize : null,
                ModifiedAfter = bound.ContainsKey(nameof(ModifiedAfter)) ? ModifiedAfter : null,
                ModifiedBefore = bound.ContainsKey(nameof(ModifiedBefore)) ? ModifiedBefore : null,
                Hash = Hash.Select(h => h.Trim()).ToArray(), // a digest copied with the blanks around it (from sha256sum's output)
                // A piped change, error or match carries the run that found it, not a run whose files to list:
                // Get-ScanChange | Get-Finding asked which files that run saw last, and returned nothing.
                ScanId = bound.ContainsKey(nameof(ScanId)) && !(FromPipeline(nameof(ScanId)) && (FromPipeline(nameof(LiteralPath)) || FromPipeline(nameof(Path)))) ? ScanId : null,
                State = Removed ? FindingState.Removed : IncludeRemoved ? FindingState.All : FindingState.Present,
                First = bound.ContainsKey(nameof(First)) ? First : null,
                SortBy = SortBy,
                Descending = Descending,
                Findings = RuleFilter(bound),
            };
            query.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
            return;
        }

        if (query.Findings is null && (bound.ContainsKey(nameof(Baseline)) || IncludeBaselined))
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException("-Baseline and -IncludeBaselined apply to findings of rules: add -Rule, -Severity or -MinimumSeverity (or use Get-FindingMatch)."), "InvalidFilter", null));
        }
        // One piped path (Get-ChildItem -Recurse | Get-Finding): a folder piped earlier with the same filters already
        // returned everything under it, which its files and subfolders, piped after it, returned a second time.
        string? pipedPath = wildcards.Length == 0 && (FromPipeline(nameof(InputObject)) || FromPipeline(nameof(LiteralPath))) ? SinglePipedPath(literal) : null;
        string selection = $"{Database}\0{query.ScanId}";
        if (pipedPath is not null && AnsweredByPipedFolder(selection, pipedPath))
        {
            return;
        }
        QueryCatalog(reader =>
        {
            if (!_rulesChecked)
            {
                _rulesChecked = true;
                RuleSupport.WarnOfUnknownRules(this, reader, Rule);
            }
            if (query.ScanId is long run && reader.MissingRuns(new[] { run }).Count > 0)
            {
                WriteError(ErrorRecords.ForMissingRun(run)); // as Get-ScanChange: say so, rather than return nothing
                return;
            }
            if (query.ScanId is long searched && _duplicatesRunsWarned.Add(searched)
                && reader.GetScanRuns(new ScanRunQuery { Id = new[] { searched } }).FirstOrDefault() is { Kind: "Duplicates" })
            {
                // Get-ScanRun -Kind Duplicates -Last 1 | Get-Finding | Remove-Item read as "remove the duplicates" and removed
                // the copy each group keeps too: the run records every file whose hash it stored.
                WriteWarning($"Run {searched} is a Find-DuplicateFile run: its files are all those whose SHA-256 it stored, the copy each group keeps included, not the extra copies alone. To remove only the extra copies, pipe Find-DuplicateFile's groups to Remove-Item.");
            }
            int count = 0;
            foreach (Finding f in reader.FindFiles(query))
            {
                count++;
                WriteObject(f);
            }
            if (pipedPath is not null && (query.First is null || count < query.First))
            {
                NotePipedFolderAnswered(reader, selection, pipedPath);
            }
            if (count == 0 && !FromPipeline(nameof(InputObject)) && !FromPipeline(nameof(Path)) && !FromPipeline(nameof(LiteralPath)))
            {
                WarnOfUnknownPaths(reader, literal, wildcards);
            }
        });
    }
}
