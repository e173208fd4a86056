using MAB.DotIgnore;

namespace ScanTools.Matching;

/// <summary>
/// One rule of a <c>.gitignore</c>-syntax file. Matching is MAB.DotIgnore's; this adds what git does and
/// the library does not (found by checking it against <c>git check-ignore</c>): <c>\!</c> at the start of
/// a pattern (a literal '!', not a negation), <c>\ </c> at its end (a kept trailing space) and leading
/// spaces (literal in git) are matched as <c>?</c> by the library and checked here; and paths that start
/// or end with spaces, which the library trims, reach it with those spaces replaced by a private-use
/// character that only <c>?</c> and <c>*</c> match. A rule anchored by a leading '/' with no other '/'
/// (<c>/*.log</c>, <c>/a*</c>, <c>/build/</c>) matches only entries directly in the rule's folder, as in git;
/// the library drops the '/' and then matches such a rule against every component of the path. The library
/// also turns every '!' of a pattern into '^' (its bracket negation) and leaves '^' unescaped in its regular
/// expression, so a literal '!' or '^' (<c>we!rd*</c>, <c>a^b</c>) matched nothing or, in <c>*!*</c>,
/// everything: both reach it, in patterns and paths, as private-use characters that mean only themselves.
/// </summary>
internal sealed class IgnorePattern
{
    private readonly IgnoreRule _rule;
    private const char SpaceStandIn = '\uE000';
    private const char BangStandIn = '\uE001';
    private const char CaretStandIn = '\uE002';
    private readonly bool _firstIsBang;
    private readonly bool _lastIsSpace;
    private readonly int _leadingSpaces;
    private readonly bool _anchored;
    private readonly bool _inOwnFolderOnly;
    private readonly bool _ignoreCase;

    /// <summary>
    /// A run of plain characters that every path this rule matches contains ("" when the rule has none): a path
    /// without it is refused before the library's regular expression runs (first by <see cref="TextSketch"/>,
    /// then by a search). Measured in bench/ (walk_ignore_*): 300 template-like rules made the bare walk of
    /// 200,000 files 31-38 times slower with the library alone, 1.8 times with this check.
    /// </summary>
    internal string RequiredText { get; }

    private readonly TextSketch _requiredSketch;

    /// <summary>Bench seam: false leaves every path to the library, to measure what <see cref="RequiredText"/> saves.</summary>
    internal static bool UseRequiredText { get; set; } = true;

    private IgnorePattern(IgnoreRule rule, bool negated, bool firstIsBang, bool lastIsSpace, int leadingSpaces, bool anchored, bool inOwnFolderOnly, string text, string requiredText, bool ignoreCase)
    {
        _rule = rule;
        RequiredText = requiredText;
        _requiredSketch = TextSketch.Of(requiredText);
        _ignoreCase = ignoreCase;
        Negated = negated;
        _firstIsBang = firstIsBang;
        _lastIsSpace = lastIsSpace;
        _leadingSpaces = leadingSpaces;
        _anchored = anchored;
        _inOwnFolderOnly = inOwnFolderOnly;
        Text = text;
    }

    /// <summary>A <c>!pattern</c>: a match re-includes what an earlier rule ignored.</summary>
    public bool Negated { get; }

    /// <summary>The line as written.</summary>
    public string Text { get; }

    /// <summary>
    /// Parses one line; null for a blank line or a comment.
    /// </summary>
    /// <exception cref="ArgumentException">The pattern is malformed (an unclosed '[', for example).</exception>
    public static IgnorePattern? Parse(string line, bool ignoreCase)
    {
        string text = line.TrimEnd('\r');
        // Trailing spaces are dropped unless the last one is escaped with a backslash.
        bool lastIsSpace = false;
        string p = text;
        int end = p.Length;
        while (end > 0 && p[end - 1] == ' ')
        {
            end--;
        }
        if (end < p.Length && end > 0 && p[end - 1] == '\\')
        {
            p = p[..(end - 1)] + "?";
            lastIsSpace = true;
        }
        else
        {
            p = p[..end];
        }
        if (p.Length == 0 || p[0] == '#')
        {
            return null;
        }
        bool firstIsBang = false;
        bool negated = false;
        if (p.StartsWith("\\!", StringComparison.Ordinal))
        {
            p = "?" + p[2..];
            firstIsBang = true;
        }
        else if (p[0] == '!')
        {
            negated = true;
        }
        int leading = 0;
        int start = negated ? 1 : 0;
        while (start + leading < p.Length && p[start + leading] == ' ')
        {
            leading++;
        }
        if (leading > 0)
        {
            p = p[..start] + new string('?', leading) + p[(start + leading)..];
        }
        // Outside brackets, "\." is a literal dot, as a plain dot is in a glob (the library does not take it).
        p = UnescapeDots(p);
        p = ReplaceCarets(p, negated ? 1 : 0);
        int stars = LoneStars(p);
        if (stars > MaxLoneStars)
        {
            throw new ArgumentException($"The ignore rule '{text}' has {stars} single '*' wildcards; ScanTools matches at most {MaxLoneStars} in one rule, because matching more can take minutes on long names. Split it into simpler rules.");
        }
        string body = negated ? p[1..] : p;
        string trimmed = body.TrimEnd('/');
        bool anchored = trimmed.Contains('/', StringComparison.Ordinal);
        // "/name" with no other '/': the rule's own folder only (git matches it against the whole relative path).
        bool inOwnFolderOnly = trimmed.StartsWith('/') && !trimmed[1..].Contains('/', StringComparison.Ordinal);
        IgnoreRule rule;
        try
        {
            rule = new IgnoreRule(p, ignoreCase ? MatchFlags.PATHNAME | MatchFlags.CASEFOLD : MatchFlags.PATHNAME, null);
            _ = rule.IsMatch("probe", false); // the library compiles lazily on some paths: fail here, not mid-walk
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IndexOutOfRangeException)
        {
            throw new ArgumentException($"The ignore rule '{text}' is not valid: check its brackets ([...] must be closed) and ranges.", ex);
        }
        return new IgnorePattern(rule, negated, firstIsBang, lastIsSpace, leading, anchored, inOwnFolderOnly, text, LongestPlainRun(p, negated ? 1 : 0, ignoreCase), ignoreCase);
    }

    /// <summary>
    /// The longest run of characters in the pattern (as the library gets it, from <paramref name="start"/>) that
    /// any match must contain as they are. A run ends at a wildcard ('*', '?', a bracket expression), a '/' (which
    /// "**/" lets match nothing), a stand-in for '!' or '^', and a backslash (the escaped character is left out);
    /// nothing after an unclosed '[' counts. Leaving characters out only makes the check weaker, never wrong.
    /// Under case folding only ASCII runs count, since the library's folding may pair an ASCII letter with
    /// another (k and the Kelvin sign).
    /// </summary>
    internal static string LongestPlainRun(string pattern, int start, bool ignoreCase)
    {
        int bestStart = 0, bestLength = 0, runStart = start;
        for (int i = start; i <= pattern.Length; i++)
        {
            char c = i < pattern.Length ? pattern[i] : '*';
            if (c is not ('*' or '?' or '/' or '\\' or '[' or BangStandIn or CaretStandIn))
            {
                continue;
            }
            if (i - runStart > bestLength)
            {
                bestStart = runStart;
                bestLength = i - runStart;
            }
            if (c == '\\')
            {
                i++; // the escaped character
            }
            else if (c == '[')
            {
                int close = BracketEnd(pattern, i);
                if (close < 0)
                {
                    break;
                }
                i = close;
            }
            runStart = i + 1;
        }
        string run = pattern.Substring(bestStart, bestLength);
        return ignoreCase && !System.Text.Ascii.IsValid(run) ? "" : run;
    }

    /// <summary>
    /// The index of the ']' that closes the bracket expression opening at <paramref name="open"/>, or -1: after
    /// '[' come an optional negation ('!' or '^'), an optional ']' taken literally, then members, escapes
    /// (<c>\]</c>) and classes (<c>[:alpha:]</c>), as in git's wildmatch.
    /// </summary>
    private static int BracketEnd(string p, int open)
    {
        int i = open + 1;
        if (i < p.Length && p[i] is '!' or '^')
        {
            i++;
        }
        if (i < p.Length && p[i] == ']')
        {
            i++;
        }
        while (i < p.Length)
        {
            char c = p[i];
            if (c == '\\')
            {
                i += 2;
            }
            else if (c == '[' && i + 1 < p.Length && p[i + 1] == ':' && p.IndexOf(":]", i + 2, StringComparison.Ordinal) is int classEnd and > 0)
            {
                i = classEnd + 2;
            }
            else if (c == ']')
            {
                return i;
            }
            else
            {
                i++;
            }
        }
        return -1;
    }

    /// <summary>
    /// The most single '*' one rule may have. The library matches through backtracking regular expressions:
    /// measured on a 255-character name, 3 took 3 ms, 4 took 45 ms, 5 took 2 s and 6 took 100 s.
    /// </summary>
    internal const int MaxLoneStars = 3;

    /// <summary>How many '*' stand alone (not part of '**'), outside brackets and escapes.</summary>
    private static int LoneStars(string p)
    {
        int count = 0;
        bool inBracket = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\')
            {
                i++;
                continue;
            }
            if (inBracket)
            {
                inBracket = c != ']';
                continue;
            }
            if (c == '[')
            {
                inBracket = true;
                continue;
            }
            if (c == '*')
            {
                bool doubled = (i + 1 < p.Length && p[i + 1] == '*') || (i > 0 && p[i - 1] == '*');
                if (!doubled)
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>
    /// The pattern with each literal '!' and '^' (escaped or not, in or out of brackets, but not the rule's
    /// leading negation nor a bracket's own negation right after '[') replaced by its stand-in.
    /// </summary>
    private static string ReplaceCarets(string p, int start)
    {
        if (p.AsSpan(start).IndexOfAny('!', '^') < 0)
        {
            return p;
        }
        var sb = new System.Text.StringBuilder(p.Length);
        sb.Append(p, 0, start);
        int bracketEnd = -1; // inside a bracket expression up to this index
        for (int i = start; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char next = p[++i];
                if (next is '!' or '^')
                {
                    sb.Append(next == '!' ? BangStandIn : CaretStandIn);
                }
                else
                {
                    sb.Append(c).Append(next);
                }
                continue;
            }
            if (i > bracketEnd && c == '[' && BracketEnd(p, i) is int close and > 0)
            {
                bracketEnd = close;
                sb.Append(c);
                if (p[i + 1] is '!' or '^')
                {
                    sb.Append(p[++i]); // the bracket's own negation
                }
                continue;
            }
            sb.Append(c switch { '!' => BangStandIn, '^' => CaretStandIn, _ => c });
        }
        return sb.ToString();
    }

    private static string UnescapeDots(string p)
    {
        if (!p.Contains("\\.", StringComparison.Ordinal))
        {
            return p;
        }
        var sb = new System.Text.StringBuilder(p.Length);
        bool inBracket = false;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                if (!inBracket && p[i + 1] == '.')
                {
                    sb.Append('.');
                }
                else
                {
                    sb.Append(c).Append(p[i + 1]);
                }
                i++;
                continue;
            }
            if (c == '[')
            {
                inBracket = true;
            }
            else if (c == ']')
            {
                inBracket = false;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The path with its leading and trailing spaces replaced, so the library does not trim them, and its '!'
    /// and '^' replaced as the pattern's are.
    /// </summary>
    private static string Protect(string path)
    {
        if (path.AsSpan().IndexOfAny('!', '^') >= 0)
        {
            path = path.Replace('!', BangStandIn).Replace('^', CaretStandIn);
        }
        if (path.Length == 0 || (path[0] != ' ' && path[^1] != ' '))
        {
            return path;
        }
        int lead = 0;
        while (lead < path.Length && path[lead] == ' ')
        {
            lead++;
        }
        if (lead == path.Length)
        {
            return new string(SpaceStandIn, lead);
        }
        int trail = 0;
        while (path[path.Length - 1 - trail] == ' ')
        {
            trail++;
        }
        return new string(SpaceStandIn, lead) + path[lead..^trail] + new string(SpaceStandIn, trail);
    }

    /// <summary>
    /// False when the path lacks <see cref="RequiredText"/>, so the library need not run. <paramref name="pathSketch"/>
    /// is the sketch of a text that contains the path; when it does not cover the text's, the search is skipped.
    /// </summary>
    internal bool MayMatch(string relativePath, in TextSketch pathSketch)
    {
        if (!UseRequiredText || RequiredText.Length == 0 || (_ignoreCase && pathSketch.HasNonAscii))
        {
            return true;
        }
        return pathSketch.Covers(_requiredSketch) && Contains(relativePath, RequiredText, _ignoreCase);
    }

    /// <summary>The library's own answer for the path, without the <see cref="RequiredText"/> check (for tests of that check).</summary>
    internal bool LibraryMatches(string relativePath, bool isDirectory) => _rule.IsMatch(Protect(relativePath), isDirectory);

    /// <summary>
    /// False only when no match can hold: <paramref name="path"/> lacks <paramref name="text"/>. Under case folding a
    /// path with non-ASCII characters is always passed on to the library (see <see cref="LongestPlainRun"/>).
    /// </summary>
    internal static bool Contains(string path, string text, bool ignoreCase) =>
        !ignoreCase ? path.Contains(text, StringComparison.Ordinal)
        : !System.Text.Ascii.IsValid(path) || path.Contains(text, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the rule matches <paramref name="relativePath"/> (with '/', relative to the rule's folder).</summary>
    public bool IsMatch(string relativePath, string name, bool isDirectory) =>
        IsMatch(relativePath, name, isDirectory, TextSketch.Of(relativePath));

    /// <summary>
    /// As <see cref="IsMatch(string, string, bool)"/>, with the sketch of a text that contains
    /// <paramref name="relativePath"/> (the path from the scan root), made once for all the rules tried on it.
    /// </summary>
    public bool IsMatch(string relativePath, string name, bool isDirectory, in TextSketch pathSketch)
    {
        if (_inOwnFolderOnly && relativePath.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }
        if (!MayMatch(relativePath, pathSketch))
        {
            return false;
        }
        if (!LibraryMatches(relativePath, isDirectory))
        {
            return false;
        }
        string subject = _anchored ? relativePath : name;
        if (_firstIsBang && (subject.Length == 0 || subject[0] != '!'))
        {
            return false;
        }
        for (int i = 0; i < _leadingSpaces; i++)
        {
            if (i >= subject.Length || subject[i] != ' ')
            {
                return false;
            }
        }
        return !_lastIsSpace || (subject.Length > 0 && subject[^1] == ' ');
    }
}

/// <summary>The rules of one ignore file and the folder they apply to (relative to the scan root, with '/').</summary>
internal sealed record IgnoreFileRules(string BaseRelativePath, IReadOnlyList<IgnorePattern> Patterns, string Source);

/// <summary>
/// The ignore rules in force in one folder of a walk: those of <c>-IgnoreFile</c> (lowest precedence, like
/// git's core.excludesFile), then those of the ignore files found in the folder and its ancestors, the
/// deeper ones overriding. As in git, the last rule that matches decides, and a negated rule re-includes.
/// Immutable: a child folder's chain shares its parent's.
/// </summary>
internal sealed class IgnoreChain
{
    private readonly IgnoreChain? _parent;
    private readonly IgnoreFileRules? _rules;

    private IgnoreChain(IgnoreChain? parent, IgnoreFileRules? rules)
    {
        _parent = parent;
        _rules = rules;
    }

    /// <summary>The chain of a root: the rules of the -IgnoreFile files, relative to the root.</summary>
    public static IgnoreChain ForRoot(IReadOnlyList<IgnoreFileRules> global)
    {
        IgnoreChain chain = new(null, null);
        foreach (IgnoreFileRules r in global)
        {
            chain = new IgnoreChain(chain, r);
        }
        return chain;
    }

    /// <summary>This chain with a folder's own ignore file added (deepest, so it overrides).</summary>
    public IgnoreChain With(IgnoreFileRules rules) => new(this, rules);

    /// <summary>
    /// True when the entry at <paramref name="relativePath"/> (from the scan root, with '/') is ignored.
    /// </summary>
    public bool IsIgnored(string relativePath, string name, bool isDirectory)
    {
        TextSketch sketch = TextSketch.Of(relativePath); // covers every rule file's local part of the path
        // Deepest first: the first rule that matches, reading each file from its end, is the last in git's order.
        for (IgnoreChain? c = this; c is not null; c = c._parent)
        {
            if (c._rules is not { } rules)
            {
                continue;
            }
            string local;
            if (rules.BaseRelativePath.Length == 0)
            {
                local = relativePath;
            }
            else if (relativePath.Length > rules.BaseRelativePath.Length
                && relativePath.StartsWith(rules.BaseRelativePath, StringComparison.Ordinal)
                && relativePath[rules.BaseRelativePath.Length] == '/')
            {
                local = relativePath[(rules.BaseRelativePath.Length + 1)..];
            }
            else
            {
                continue;
            }
            for (int i = rules.Patterns.Count - 1; i >= 0; i--)
            {
                IgnorePattern p = rules.Patterns[i];
                if (p.IsMatch(local, name, isDirectory, sketch))
                {
                    return !p.Negated;
                }
            }
        }
        return false;
    }

    /// <summary>The most an ignore file may hold: 1 MiB (git's own .gitignore templates are a few KiB).</summary>
    public const long MaxFileBytes = 1L << 20;

    /// <summary>
    /// The most rules an ignore file may hold: 1,000. Every rule is tried on every entry below the file: a few
    /// nanoseconds when the path lacks the rule's <see cref="IgnorePattern.RequiredText"/>, 0.26-1 us when the
    /// library's regular expression runs (5,000 rules took a 2,000-file scan from well under a second to 10.7 s
    /// before that check), so a file of someone else's in a scanned tree could otherwise stall the scan.
    /// </summary>
    public const int MaxRules = 1000;

    /// <summary>
    /// Reads an ignore file. Malformed rules are returned in <paramref name="invalid"/>, the others apply.
    /// Only a regular file is opened: a FIFO would block the walk, and (with <paramref name="followLinks"/>
    /// false, for files found in the tree) a symbolic link is not followed, as git does not.
    /// </summary>
    /// <exception cref="IOException">The file cannot be read, is not a regular file, or is over <see cref="MaxFileBytes"/> or <see cref="MaxRules"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static IgnoreFileRules Load(string path, string baseRelativePath, bool ignoreCase, out List<string> invalid, bool followLinks = false)
    {
        Platform.StatFailure failure = Platform.FileStat.TryStat(path, followLinks, out Platform.EntryStat stat);
        if (failure == Platform.StatFailure.AccessDenied)
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }
        if (failure != Platform.StatFailure.None)
        {
            throw new FileNotFoundException($"'{path}' does not exist.", path);
        }
        if (stat.Kind != Platform.EntryKind.File)
        {
            throw new IOException(stat.Kind switch
            {
                Platform.EntryKind.Directory => $"'{path}' is a folder, not an ignore file.",
                Platform.EntryKind.Symlink => $"'{path}' is a symbolic link; ignore files found in the tree are not followed (git does not follow them either).",
                _ => $"'{path}' is not a regular file (a FIFO, socket or device), so it is not read as an ignore file.",
            });
        }
        if (stat.Length > MaxFileBytes)
        {
            throw new IOException($"'{path}' holds {stat.Length:N0} bytes; an ignore file is at most {MaxFileBytes:N0} (1 MiB).");
        }
        var patterns = new List<IgnorePattern>();
        invalid = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            IgnorePattern? p;
            try
            {
                p = IgnorePattern.Parse(line, ignoreCase);
            }
            catch (ArgumentException ex)
            {
                invalid.Add(ex.Message);
                continue;
            }
            if (p is not null)
            {
                if (patterns.Count == MaxRules)
                {
                    throw new IOException($"'{path}' has more than {MaxRules:N0} rules; an ignore file may hold at most {MaxRules:N0} (each is tried on every entry below it).");
                }
                patterns.Add(p);
            }
        }
        return new IgnoreFileRules(baseRelativePath, patterns, path);
    }
}
