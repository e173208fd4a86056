namespace ScanTools.Rules;

/// <summary>
/// One match of a rule in one file, as a worker found it: never the secret itself, only where it is, a
/// redacted excerpt, and a fingerprint that is the same for the same secret at the same path on every scan.
/// </summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="Severity">The rule's severity when it matched.</param>
/// <param name="Line">1-based line of the match's start; null for a property rule.</param>
/// <param name="Column">1-based column (UTF-16 code units from the line's start); null for a property rule.</param>
/// <param name="Excerpt">The matched text with the secret cut to a few leading characters and an ellipsis; at most 120 characters. For a property rule, what was seen (the mode, the size).</param>
/// <param name="Fingerprint">32 hex digits: the first 128 bits of SHA-256 over the rule id, the full path and the secret.</param>
public sealed record RuleMatch(string RuleId, RuleSeverity Severity, int? Line, int? Column, string? Excerpt, string Fingerprint);
