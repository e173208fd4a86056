using System.Management.Automation;
using ScanTools.Rules;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists the content and property rules Start-Scan can apply: the built-in ones and those of rules files.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanRule")]
[OutputType(typeof(ScanRule))]
public sealed class GetScanRuleCommand : PSCmdlet
{
    /// <summary>Only rules whose id matches (wildcards, case ignored).</summary>
    /// <remarks>Alias Rule, the name Start-Scan, Get-Finding and Export-FindingMatch give the same ids (without it, -Rule bound to -RulePath by prefix: newcomer test 72).</remarks>
    [Parameter(Position = 0)]
    [Alias("Rule")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] Id { get; set; } = Array.Empty<string>();

    /// <summary>Rules files (.psd1) to read too; their rules replace built-in ones of the same id.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RulePath { get; set; } = Array.Empty<string>();

    /// <summary>Leave the built-in rules out (list only those of -RulePath).</summary>
    [Parameter]
    public SwitchParameter ExcludeBuiltin { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RuleSet all = RuleSupport.LoadAll(this, RulePath);
        foreach (string file in RulePath)
        {
            // Start-Scan refuses a file without rules (InvalidRules): the check a scheduled scan relies on says so too (newcomer test 70).
            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(file);
            if (all.FromFile(path).Count == 0)
            {
                WriteWarning($"The rules file '{path}' holds no rules (Rules = @()): Start-Scan -RulePath refuses it with InvalidRules when no -Rule adds others. Add rules to it.");
            }
        }
        IEnumerable<ScanRule> rules = all.Rules;
        if (ExcludeBuiltin)
        {
            var builtin = RuleSet.Builtin;
            rules = rules.Where(r => !ReferenceEquals(builtin.Find(r.Id), r));
        }
        var patterns = new List<ScanTools.Matching.WildcardPattern>();
        foreach (string id in Id)
        {
            try
            {
                patterns.Add(new ScanTools.Matching.WildcardPattern(id, ignoreCase: true));
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", id)); // as Get-Finding says of -Name 'f[1'
            }
        }
        var matched = new bool[patterns.Count];
        foreach (ScanRule r in rules)
        {
            bool wanted = patterns.Count == 0;
            for (int i = 0; i < patterns.Count; i++)
            {
                if (patterns[i].IsMatch(r.Id))
                {
                    matched[i] = wanted = true;
                }
            }
            if (wanted)
            {
                WriteObject(r);
            }
        }
        // As Get-Process -Name: each id without wildcards that names no rule is an error of its own; a pattern may match none.
        for (int i = 0; i < patterns.Count; i++)
        {
            if (!matched[i] && !ScanTools.Matching.WildcardPattern.ContainsWildcards(Id[i]))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No rule has the id '{Id[i]}'. Get-ScanRule without -Id lists them all."),
                    "RuleNotFound", ErrorCategory.ObjectNotFound, Id[i]));
            }
        }
    }
}
