namespace ScanTools.Matching;

/// <summary>
/// Decides which entries a scan leaves out. A pattern without a separator matches an entry's name
/// (<c>*.tmp</c>, <c>node_modules</c>); a pattern with <c>/</c> or <c>\</c> matches the entry's path
/// relative to its scan root, written with <c>/</c> (<c>build/*</c>, <c>src/*/obj</c>, and <c>/build</c>
/// for the root's own build folder only). Matching
/// ignores case, as PowerShell's <c>-Exclude</c> does. An excluded directory is not entered.
/// </summary>
public sealed class ExclusionMatcher
{
    private readonly WildcardPattern[] _namePatterns;
    private readonly WildcardPattern[] _pathPatterns;

    /// <summary>A matcher that excludes nothing.</summary>
    public static ExclusionMatcher None { get; } = new(Array.Empty<string>());

    /// <summary>Builds a matcher from the patterns as the user wrote them.</summary>
    /// <exception cref="ArgumentException">A pattern is not a valid wildcard.</exception>
    public ExclusionMatcher(IEnumerable<string> patterns)
    {
        var names = new List<WildcardPattern>();
        var paths = new List<WildcardPattern>();
        foreach (string raw in patterns)
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }
            string normalized = raw.Replace('\\', '/');
            // A leading separator anchors the pattern at the root: "/build" is the root's build, not every build.
            bool anchored = normalized.StartsWith('/');
            string p = normalized.Trim('/');
            if (anchored || p.Contains('/', StringComparison.Ordinal))
            {
                paths.Add(new WildcardPattern(p, ignoreCase: true));
            }
            else
            {
                names.Add(new WildcardPattern(p, ignoreCase: true));
            }
        }
        _namePatterns = names.ToArray();
        _pathPatterns = paths.ToArray();
    }

    /// <summary>True when no pattern was given.</summary>
    public bool IsEmpty => _namePatterns.Length == 0 && _pathPatterns.Length == 0;

    /// <summary>True when some pattern needs the relative path (callers can skip building it otherwise).</summary>
    public bool NeedsRelativePath => _pathPatterns.Length > 0;

    /// <summary>
    /// True when the entry is excluded. <paramref name="relativePath"/> uses <c>/</c> and may be null
    /// when <see cref="NeedsRelativePath"/> is false.
    /// </summary>
    public bool IsExcluded(string name, string? relativePath)
    {
        foreach (WildcardPattern p in _namePatterns)
        {
            if (p.IsMatch(name))
            {
                return true;
            }
        }
        if (relativePath is not null)
        {
            foreach (WildcardPattern p in _pathPatterns)
            {
                if (p.IsMatch(relativePath))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
