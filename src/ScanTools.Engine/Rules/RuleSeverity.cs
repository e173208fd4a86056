namespace ScanTools.Rules;

/// <summary>How much a rule's match matters, lowest first (the SARIF levels: Info and Low are "note", Medium "warning", High and Critical "error").</summary>
public enum RuleSeverity
{
    /// <summary>Worth knowing; not a problem by itself.</summary>
    Info = 0,
    /// <summary>A weakness with little exposure.</summary>
    Low = 1,
    /// <summary>Should be looked at.</summary>
    Medium = 2,
    /// <summary>A credential or exposure to fix soon.</summary>
    High = 3,
    /// <summary>A credential that grants control: fix now.</summary>
    Critical = 4,
}

/// <summary>What a rule looks at.</summary>
public enum RuleKind
{
    /// <summary>The file's text: the rule has a Pattern.</summary>
    Content = 0,
    /// <summary>Only the file's path, name, size, mode, age and owner.</summary>
    Property = 1,
}

/// <summary>Mode-bit conditions a property rule can ask for (any one of those listed must hold).</summary>
[Flags]
public enum RuleMode
{
    /// <summary>No condition on the mode.</summary>
    None = 0,
    /// <summary>Others may write (o+w, mode &amp; 0o002).</summary>
    WorldWritable = 1,
    /// <summary>Set-user-id (mode &amp; 0o4000).</summary>
    SetUid = 2,
    /// <summary>Set-group-id (mode &amp; 0o2000).</summary>
    SetGid = 4,
    /// <summary>Anyone may execute (mode &amp; 0o111).</summary>
    Executable = 8,
}
