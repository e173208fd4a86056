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
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
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
        IEnumerable<ScanRule> rules = all.Rules;
        if (ExcludeBuiltin)
        {
            var builtin = RuleSet.Builtin;
            rules = rules.Where(r => !ReferenceEquals(builtin.Find(r.Id), r));
        }
        var patterns = Id.Select(p => new ScanTools.Matching.WildcardPattern(p, ignoreCase: true)).ToList();
        bool any = false;
        foreach (ScanRule r in rules)
        {
            if (patterns.Count == 0 || patterns.Any(p => p.IsMatch(r.Id)))
            {
                any = true;
                WriteObject(r);
            }
        }
        if (!any && patterns.Count > 0 && Id.All(i => !ScanTools.Matching.WildcardPattern.ContainsWildcards(i)))
        {
            WriteError(new ErrorRecord(new ItemNotFoundException($"No rule has the id '{string.Join("', '", Id)}'. Get-ScanRule without -Id lists them all."),
                "RuleNotFound", ErrorCategory.ObjectNotFound, Id));
        }
    }
}
