namespace ScanTools.Rules;

/// <summary>Where a finding stands.</summary>
public enum FindingStatus
{
    /// <summary>Seen first by the latest run that saw it, and no later run kept it without looking.</summary>
    New = 0,
    /// <summary>Seen by more than one run, or kept open by a later run with its rule that could not look at the file.</summary>
    Open = 1,
    /// <summary>A completed rescan with its rule no longer saw it.</summary>
    Resolved = 2,
}

/// <summary>
/// One stored match of a rule in a file (Get-FindingMatch): where it is, how bad, a redacted excerpt and a
/// fingerprint that stays the same for the same secret at the same path. The secret itself is never stored.
/// </summary>
public sealed class FindingMatch
{
    /// <summary>The file's full path.</summary>
    public required string FullName { get; init; }

    /// <summary>The file's folder.</summary>
    public required string Directory { get; init; }

    /// <summary>The file's name.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Provider path, so that matches pipe into Get-Item, Remove-Item and friends; null where PowerShell would read it as
    /// another file (<see cref="Platform.PowerShellPath.For"/>).
    /// </summary>
    public string? PSPath => Platform.PowerShellPath.For(FullName);

    /// <summary>The rule's id.</summary>
    public required string RuleId { get; init; }

    /// <summary>The rule's severity when it matched.</summary>
    public RuleSeverity Severity { get; init; }

    /// <summary>1-based line of the match; null for a property rule (mode, size, age).</summary>
    public int? Line { get; init; }

    /// <summary>1-based column (UTF-16 code units); null for a property rule.</summary>
    public int? Column { get; init; }

    /// <summary>The matched text with the secret cut to at most 4 leading characters and an ellipsis; for a property rule, what was seen.</summary>
    public string? Excerpt { get; init; }

    /// <summary>32 hex digits that identify the finding across scans (rule, path, secret); what a baseline lists.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>New, Open or Resolved.</summary>
    public FindingStatus Status { get; init; }

    /// <summary>The run that found it (again, if it had been resolved).</summary>
    public long FirstScanId { get; init; }

    /// <summary>The last run that saw it.</summary>
    public long LastScanId { get; init; }

    /// <summary>The run that no longer saw it; null while open.</summary>
    public long? ResolvedScanId { get; init; }

    /// <summary>True when the baseline the query was given lists this fingerprint (an accepted finding).</summary>
    public bool Baselined { get; init; }

    /// <summary>Why the baseline accepts it, when it says.</summary>
    public string? BaselineReason { get; init; }

    /// <summary>The catalog it came from.</summary>
    public string? Database { get; init; }

    /// <summary>"path:line:column" as compilers and grep print places.</summary>
    public string Location => Line is int l ? $"{FullName}:{l}:{Column}" : FullName;

    /// <inheritdoc />
    public override string ToString() => $"{Location} {RuleId}";
}

/// <summary>
/// A file's findings (Finding.Matches). As text (ToString, which Export-Csv and ConvertTo-Csv use), the rule ids and
/// lines, "private-key:1; aws-access-key:12", rather than the collection's type name.
/// </summary>
public sealed class FindingMatchList : System.Collections.ObjectModel.ReadOnlyCollection<FindingMatch>
{
    /// <summary>No findings.</summary>
    public static FindingMatchList None { get; } = new(Array.Empty<FindingMatch>());

    /// <summary>Wraps <paramref name="matches"/> (not copied).</summary>
    public FindingMatchList(IList<FindingMatch> matches)
        : base(matches)
    {
    }

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", this.Select(m => m.Line is int line ? $"{m.RuleId}:{line}" : m.RuleId));
}

/// <summary>A filter over stored findings; every set filter must hold, several values of one filter are alternatives.</summary>
public sealed record FindingMatchQuery
{
    /// <summary>Full-path wildcards, or folders (everything below), as Get-Finding -Path.</summary>
    public IReadOnlyList<string> Path { get; init; } = Array.Empty<string>();

    /// <summary>Rule-id wildcards (case ignored).</summary>
    public IReadOnlyList<string> Rule { get; init; } = Array.Empty<string>();

    /// <summary>Exactly these severities.</summary>
    public IReadOnlyList<RuleSeverity> Severity { get; init; } = Array.Empty<RuleSeverity>();

    /// <summary>This severity or worse.</summary>
    public RuleSeverity? MinimumSeverity { get; init; }

    /// <summary>Which statuses: open ones (New and Open) when empty.</summary>
    public IReadOnlyList<FindingStatus> Status { get; init; } = Array.Empty<FindingStatus>();

    /// <summary>Only findings first found by this run.</summary>
    public long? ScanId { get; init; }

    /// <summary>Accepted findings: hidden unless <see cref="IncludeBaselined"/>.</summary>
    public FindingBaseline? Baseline { get; init; }

    /// <summary>Return baselined findings too (marked <see cref="FindingMatch.Baselined"/>).</summary>
    public bool IncludeBaselined { get; init; }

    /// <summary>At most this many; null for all.</summary>
    public int? First { get; init; }

    /// <summary>True when a filter about rules is set (Get-Finding then returns only files with such findings).</summary>
    public bool FiltersRules => Rule.Count > 0 || Severity.Count > 0 || MinimumSeverity is not null;
}
