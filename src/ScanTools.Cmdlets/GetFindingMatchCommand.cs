using System.Management.Automation;
using ScanTools.Rules;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists what content and property rules found: one object per match, worst first, secrets redacted.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "FindingMatch", DefaultParameterSetName = PathSet)]
[OutputType(typeof(FindingMatch))]
public sealed class GetFindingMatchCommand : CatalogReadCommand
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>Full-path wildcards, or folders (everything below them).</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Paths taken as written (no wildcards). Binds PSPath and FullName, so findings, files (Get-ChildItem) and matches
    /// pipe in: each piped object gives the matches of its own file. (Before, nothing bound them: a piped object ran the
    /// query without a path, and every match of the catalog came out once for each object.)
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [AllowNull, AllowEmptyString, AllowEmptyCollection] // an empty PSPath of a piped finding: LiteralPathsGiven
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Only these rules (wildcards, case ignored).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] Rule { get; set; } = Array.Empty<string>();

    private bool _rulesChecked;

    /// <summary>Only these severities.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one" (newcomer test 81)
    public RuleSeverity[] Severity { get; set; } = Array.Empty<RuleSeverity>();

    /// <summary>Only this severity or worse.</summary>
    [Parameter]
    public RuleSeverity MinimumSeverity { get => (RuleSeverity)_minimumSeverity; set => _minimumSeverity = (int)value; }

    private int _minimumSeverity; // an int, not the enum: value-type fields of engine types would load the engine before ModuleLifecycle can resolve it

    /// <summary>New, Open (both by default) or Resolved.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public FindingStatus[] Status { get; set; } = Array.Empty<FindingStatus>();

    /// <summary>Only findings first found by this run. Binds a piped scan run's Id.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    public long ScanId { get; set; }

    /// <summary>A baseline file (Export-FindingBaseline): the findings it lists are accepted and hidden.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Baseline { get; set; }

    /// <summary>Return baselined findings too, marked Baselined.</summary>
    [Parameter]
    public SwitchParameter IncludeBaselined { get; set; }

    /// <summary>At most this many.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <summary>
    /// The piped object: a rule (Get-ScanRule) selects its findings, a string is a path taken literally; other objects bind
    /// -LiteralPath, -ScanId and -Database by their properties.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var bound = MyInvocation.BoundParameters;
        string[] rules = Rule;
        string[]? pipedPath = null;
        string? rowFingerprint = null;
        if (PipedRunOfOtherCatalog(InputObject, nameof(LiteralPath)))
        {
            return;
        }
        if (ParameterSetName == LiteralPathSet)
        {
            if (LiteralPathsGiven(LiteralPath, InputObject) is not string[] given)
            {
                return;
            }
            LiteralPath = given;
        }
        if (FromPipeline(nameof(InputObject)))
        {
            switch (InputObject?.BaseObject)
            {
                case ScanTools.Rules.ScanRule piped:
                    // Get-ScanRule -Id github-token | Get-FindingMatch: its findings. It could not be bound at all.
                    if (RuleFilterFor(piped, Rule) is not string[] own)
                    {
                        return; // -Rule names other rules: no finding is of both
                    }
                    rules = own;
                    break;
                case null:
                case string text when string.IsNullOrWhiteSpace(text):
                    WriteEmptyPathPiped(InputObject);
                    return;
                case string text:
                    pipedPath = new[] { text }; // a line of a list of paths, as Get-Finding takes it
                    break;
                default:
                    if (!FromPipeline(nameof(ScanId))
                        && InputObject.BaseObject is PSCustomObject && InputObject.Properties["Fingerprint"] is not null
                        && (InputObject.Properties["FullName"] ?? InputObject.Properties["Path"])?.Value is string { Length: > 0 } rowPath)
                    {
                        // The column is FullName since newcomer test 76 (a Path column bound Remove-Item -Path, a wildcard);
                        // reports written before name it Path.
                        // A row of Export-FindingMatch's CSV read back (Import-Csv report.csv | Get-FindingMatch): its Path is
                        // the file's full path, taken literally, its RuleId the rule, unless -Rule says otherwise, and its
                        // Fingerprint the finding itself: a file with two findings of one rule gave both for each row, and a
                        // baseline made of one reviewed row accepted the other too. Every row was InputObjectNotBound, as its
                        // column is Path, not FullName.
                        pipedPath = new[] { rowPath };
                        if (Rule.Length == 0 && InputObject.Properties["RuleId"]?.Value is string { Length: > 0 } rowRule)
                        {
                            rules = new[] { ScanTools.Matching.WildcardPattern.Escape(rowRule) };
                        }
                        rowFingerprint = InputObject.Properties["Fingerprint"]?.Value as string is { Length: > 0 } f ? f : null;
                        break;
                    }
                    if (!FromPipeline(nameof(LiteralPath)) && !FromPipeline(nameof(ScanId)))
                    {
                        WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                            $"A piped {ScanTools.Hosting.DisplayText.Escape(InputObject.BaseObject.GetType().Name)} gives Get-FindingMatch no path, run or rule, so it selects no finding. Pipe files, findings, runs, rules or paths (strings)."),
                            "InputObjectNotBound", InputObject));
                        return;
                    }
                    break;
            }
        }
        if (IncludeBaselined && !bound.ContainsKey(nameof(Baseline)))
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException("-IncludeBaselined shows the findings a baseline accepts: give the baseline with -Baseline."), "InvalidFilter", null));
        }
        var query = new FindingMatchQuery
        {
            Path = pipedPath is not null ? LiteralPatterns(pipedPath) : ParameterSetName == LiteralPathSet ? LiteralPatterns(LiteralPath) : Path.Select(PathPattern).ToArray(),
            Rule = rules,
            Severity = Severity,
            MinimumSeverity = bound.ContainsKey(nameof(MinimumSeverity)) ? MinimumSeverity : null,
            Status = Status,
            ScanId = bound.ContainsKey(nameof(ScanId)) ? ScanId : null,
            Baseline = RuleSupport.LoadBaseline(this, Baseline),
            IncludeBaselined = IncludeBaselined,
            First = bound.ContainsKey(nameof(First)) ? First : null,
        };
        // One piped path: a folder piped earlier with the same filters already returned what is under it (Get-Finding's rule).
        string? onePath = pipedPath is not null ? SinglePipedPath(pipedPath) : FromPipeline(nameof(LiteralPath)) ? SinglePipedPath(LiteralPath) : null;
        string selection = $"{Database}\0{query.ScanId}\0{string.Join('\0', rules)}\0{rowFingerprint}";
        if (query.First == 0 || (onePath is not null && AnsweredByPipedFolder(selection, onePath)))
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
                WriteError(ErrorRecords.ForMissingRun(run)); // as Get-Finding: say so, rather than return nothing
                return;
            }
            bool any = false;
            int count = 0;
            foreach (FindingMatch m in reader.FindMatches(query))
            {
                if (rowFingerprint is null || string.Equals(m.Fingerprint, rowFingerprint, StringComparison.OrdinalIgnoreCase))
                {
                    any = true;
                    WriteObject(m);
                }
                count++;
            }
            if (onePath is not null && (query.First is null || count < query.First))
            {
                NotePipedFolderAnswered(reader, selection, onePath);
            }
            if (!any && pipedPath is null && !FromPipeline(nameof(LiteralPath)))
            {
                WarnOfUnknownPaths(reader, ParameterSetName == LiteralPathSet ? LiteralPath : Array.Empty<string>(), ParameterSetName == LiteralPathSet ? Array.Empty<string>() : Path);
            }
        });
    }
}
