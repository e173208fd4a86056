using MAB.DotIgnore;

namespace ScanTools.Matching;

/// <summary>
/// One rule of a <c>.gitignore</c>-syntax file. Matching is MAB.DotIgnore's; the rule reaches it rewritten
/// (<see cref="Translate"/>) so that it means what git means, as checked against <c>git check-ignore</c> on
/// generated rules and names (IgnoreGitDifferentialTests): characters the library mishandles travel as
/// private-use stand-ins in patterns and paths alike (<see cref="Mapped"/>), a literal space matches the
/// stand-in of a path's leading or trailing space (the library trims paths), runs of '*' and bracket expressions
/// are written the way the library reads them. A rule anchored by a leading '/' with no other '/'
/// (<c>/*.log</c>, <c>/a*</c>, <c>/build/</c>) matches only entries directly in the rule's folder, as in git;
/// the library drops the '/' and then matches such a rule against every component of the path. Known
/// differences from git: ScanTools matches characters where git matches bytes ('?' is one 'é' here, two bytes
/// there), and a "**" that is not a whole path segment but is followed by '/' (<c>a**/b</c>) is a plain '*' here.
/// </summary>
internal sealed class IgnorePattern
{
    private readonly IgnoreRule _rule;
    private const char SpaceStandIn = '\uE000';

    /// <summary>
    /// Characters the library gets wrong in patterns and in paths: it turns every '!' into '^', leaves '^' and ':'
    /// to its regular expression (a name with ':' never matched), reads '\\' in a path as '/', and trims all white space from paths and
    /// patterns where git trims only spaces (so rule "a" matched "a&lt;TAB&gt;"). Each reaches it, in patterns and
    /// in paths alike, as its own private-use character (<see cref="StandIn"/>), which only itself, '?' and '*' match.
    /// </summary>
    private static readonly char[] Mapped = ['!', '^', ':', '\\', '\t', '\n', '\v', '\f', '\r', '\u0085', '\u00A0', '\u1680',
        '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200A',
        '\u2028', '\u2029', '\u202F', '\u205F', '\u3000'];

    private static readonly System.Buffers.SearchValues<char> MappedValues = System.Buffers.SearchValues.Create(Mapped);

    /// <summary>The stand-in of a <see cref="Mapped"/> character (U+E001 on), or the character itself.</summary>
    private static char StandIn(char c) => Array.IndexOf(Mapped, c) is int i and >= 0 ? (char)('\uE001' + i) : c;

    private static bool IsStandIn(char c) => c is >= '\uE000' and <= '\uE0FF';
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

    private IgnorePattern(IgnoreRule rule, bool negated, bool inOwnFolderOnly, string text, string requiredText, bool ignoreCase)
    {
        _rule = rule;
        RequiredText = requiredText;
        _requiredSketch = TextSketch.Of(requiredText);
        _ignoreCase = ignoreCase;
        Negated = negated;
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
        string text = line.EndsWith('\r') ? line[..^1] : line; // git drops one CR before the line's end, not more
        // Trailing spaces are dropped unless the last one is escaped ("\\ " is an escaped backslash and a dropped space).
        string p = text;
        int end = p.Length;
        while (end > 0 && p[end - 1] == ' ')
        {
            end--;
        }
        int backslashes = 0;
        while (end - backslashes > 0 && p[end - 1 - backslashes] == '\\')
        {
            backslashes++;
        }
        p = end < p.Length && backslashes % 2 == 1 ? p[..(end + 1)] : p[..end];
        if (p.Length == 0 || p[0] == '#')
        {
            return null;
        }
        bool negated = p[0] == '!';
        p = Translate(p, negated ? 1 : 0, text);
        int stars = LoneStars(p);
        if (stars > MaxLoneStars)
        {
            throw new ArgumentException($"The ignore rule '{Printable(text)}' has {stars} single '*' wildcards (a '**' inside a name counts as one); ScanTools matches at most {MaxLoneStars} in one rule, because matching more can take minutes on long names. Split it into simpler rules.");
        }
        string body = negated ? p[1..] : p;
        string trimmed = body.TrimEnd('/');
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
            throw new ArgumentException($"The ignore rule '{Printable(text)}' is not valid: check its brackets ([...] must be closed) and ranges.", ex);
        }
        return new IgnorePattern(rule, negated, inOwnFolderOnly, text, LongestPlainRun(p, negated ? 1 : 0, ignoreCase), ignoreCase);
    }

    /// <summary>
    /// The longest run of characters in the pattern (as the library gets it, from <paramref name="start"/>) that
    /// any match must contain as they are. A run ends at a wildcard ('*', '?', a bracket expression), a '/' (which
    /// "**/" lets match nothing), a stand-in (<see cref="Mapped"/>), and a backslash (the escaped character is left out);
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
            if (c is not ('*' or '?' or '/' or '\\' or '[') && !IsStandIn(c))
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
    /// measured on a 255-character name, 3 took 3 ms, 4 took 45 ms, 5 took 2 s and 6 took 100 s. Four, because
    /// GitHub's Node.gitignore template has <c>report.[0-9]*.[0-9]*.[0-9]*.[0-9]*.json</c>; the worst case, 45 ms,
    /// is paid only by a long name that holds the rule's <see cref="RequiredText"/>.
    /// </summary>
    internal const int MaxLoneStars = 4;

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
    /// The pattern as the library must get it to mean what git means (from <paramref name="start"/>, after a
    /// negation's '!'): <see cref="Mapped"/> characters as their stand-ins, escaped or not; other escaped characters
    /// bare ("\." as ".": the library does not take escapes of plain characters), '*', '?' and '[' as one-member
    /// brackets; a literal space as <see cref="AnySpace"/>; a run of '*' as "**" only where git gives "**" its meaning (a whole
    /// path segment) and as "*" elsewhere (the library matched nothing for "**.pyc" or "a**b"); and bracket
    /// expressions written out member by member (<see cref="TranslateBracket"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A '[' is never closed, or a bracket names an unknown class.</exception>
    private static string Translate(string p, int start, string text)
    {
        var sb = new System.Text.StringBuilder(p.Length + 8);
        sb.Append(p, 0, start);
        for (int i = start; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char next = p[++i];
                if (Array.IndexOf(Mapped, next) >= 0)
                {
                    sb.Append(StandIn(next));
                }
                else if (next == ' ')
                {
                    sb.Append(AnySpace);
                }
                else if (next is '*' or '?' or '[')
                {
                    sb.Append('[').Append('\\').Append(next).Append(']'); // "\**" is "\" and "**" to the library
                }
                else
                {
                    sb.Append(next); // the library does not take escapes of plain characters ("/\a" never matched)
                }
                continue;
            }
            if (c == '\\')
            {
                throw new ArgumentException($"The ignore rule '{Printable(text)}' ends with a lone backslash, so git never matches it. Write \\\\ for a literal backslash.");
            }
            if (c == '*')
            {
                int run = 1;
                while (i + run < p.Length && p[i + run] == '*')
                {
                    run++;
                }
                bool segment = (i == start || p[i - 1] == '/') && (i + run == p.Length || p[i + run] == '/');
                sb.Append(run >= 2 && segment ? "**" : "*");
                i += run - 1;
                continue;
            }
            if (c == '[')
            {
                int close = BracketEnd(p, i);
                if (close < 0)
                {
                    throw new ArgumentException($"The ignore rule '{Printable(text)}' has a '[' that is never closed, so git never matches it. Close the bracket, or write \\[ for a literal '['.");
                }
                TranslateBracket(p, i, close, sb, text);
                i = close;
                continue;
            }
            if (c == ' ')
            {
                sb.Append(AnySpace);
                continue;
            }
            sb.Append(StandIn(c));
        }
        return sb.ToString();
    }

    /// <summary>A literal space of a pattern: a space, or the stand-in a path's leading or trailing space gets (<see cref="Protect"/>).</summary>
    private const string AnySpace = "[ \uE000]";

    /// <summary>
    /// Writes the bracket expression p[open..close] for the library: its negation as '!', then every member as a
    /// character the library takes literally (escaped when it is '*', '?', '[', ']', '-' or '\\', a stand-in when
    /// <see cref="Mapped"/>), ranges as they are unless they hold a mapped character (then written out), a range that runs backwards as its first character alone (as git: [z-a] is z), and
    /// POSIX classes as the ASCII characters git's wildmatch gives them (the library used .NET's Unicode
    /// categories: [:punct:] missed '$' and ':', [:print:] matched nothing).
    /// </summary>
    private static void TranslateBracket(string p, int open, int close, System.Text.StringBuilder sb, string text)
    {
        sb.Append('[');
        int i = open + 1;
        if (p[i] is '!' or '^')
        {
            sb.Append('!');
            i++;
        }
        while (i < close)
        {
            char c = p[i];
            if (c == '[' && i + 1 < close && p[i + 1] == ':' && p.IndexOf(":]", i + 2, StringComparison.Ordinal) is int classEnd and > 0 && classEnd < close)
            {
                string name = p[(i + 2)..classEnd];
                string members = PosixClass(name)
                    ?? throw new ArgumentException($"The ignore rule '{Printable(text)}' names the class [:{Printable(name)}:], which git does not know; use alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper or xdigit.");
                foreach (char m in members)
                {
                    AppendMember(sb, m);
                }
                i = classEnd + 2;
                continue;
            }
            char low = c;
            int next = i + 1;
            if (c == '\\' && i + 1 < close)
            {
                low = p[i + 1];
                next = i + 2;
            }
            if (next + 1 < close && p[next] == '-' && p[next + 1] != ']')
            {
                char high = p[next + 1];
                int after = next + 2;
                if (high == '\\' && next + 2 < close)
                {
                    high = p[next + 2];
                    after = next + 3;
                }
                if (high < low)
                {
                    // git's wildmatch compares the range's first character on its own before the range, which
                    // holds nothing when it runs backwards: [z-a] matches 'z' and nothing else.
                    AppendMember(sb, low, written: true);
                    i = after;
                    continue;
                }
                // Written out when it holds a mapped character or '/' (which a bracket never matches, and which the
                // library would take for the pattern's own '/', anchoring it), or is only a few characters wide.
                bool holdsSlash = low <= '/' && '/' <= high;
                if (high - low < 3 || (high - low <= 1024 && (holdsSlash || Mapped.Any(m => m >= low && m <= high))))
                {
                    for (char m = low; m <= high && m >= low; m++)
                    {
                        AppendMember(sb, m);
                    }
                }
                else
                {
                    AppendMember(sb, low);
                    sb.Append('-');
                    AppendMember(sb, high);
                    foreach (char m in Mapped.Where(m => m >= low && m <= high))
                    {
                        sb.Append(StandIn(m));
                    }
                }
                i = after;
                continue;
            }
            AppendMember(sb, low, written: true);
            i = next;
        }
        sb.Append(']');
    }

    /// <summary>
    /// Writes one member. <paramref name="written"/>: the rule's text has it, rather than a range or class that
    /// holds it. A '/' is kept only then: git anchors a rule whose text has a '/' anywhere, brackets included, and
    /// so does the library; a range or class never matches '/' in a path anyway (git's FNM_PATHNAME).
    /// </summary>
    private static void AppendMember(System.Text.StringBuilder sb, char c, bool written = false)
    {
        if (c == '/' && !written)
        {
            return;
        }
        if (c == ' ')
        {
            sb.Append(' ').Append(SpaceStandIn);
        }
        else if (Array.IndexOf(Mapped, c) >= 0)
        {
            sb.Append(StandIn(c));
        }
        else if (c is '*' or '?' or '[' or ']' or '-' or '\\')
        {
            sb.Append('\\').Append(c);
        }
        else
        {
            sb.Append(c);
        }
    }

    /// <summary>The ASCII members of a POSIX class as git's wildmatch has them; null for a name it does not know.</summary>
    private static string? PosixClass(string name)
    {
        static string Range(int low, int high) => new(Enumerable.Range(low, high - low + 1).Select(c => (char)c).ToArray());
        const string digits = "0123456789", upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", lower = "abcdefghijklmnopqrstuvwxyz";
        return name switch
        {
            "alnum" => digits + upper + lower,
            "alpha" => upper + lower,
            "blank" => " \t",
            "cntrl" => Range(0, 31) + "\u007F",
            "digit" => digits,
            "graph" => Range(33, 126),
            "lower" => lower,
            "print" => Range(32, 126),
            "punct" => new string(Range(33, 126).Where(c => !char.IsAsciiLetterOrDigit(c)).ToArray()),
            "space" => " \t\n\r", // git's sane_ctype: not \v nor \f
            "upper" => upper,
            "xdigit" => digits + "ABCDEFabcdef",
            _ => null,
        };
    }

    /// <summary>A rule's text for a message: control characters as \xNN (a rule from someone else's file must not drive the terminal), at most 200 characters.</summary>
    internal static string Printable(string text)
    {
        string shown = Hosting.DisplayText.Escape(text)!;
        return shown.Length > 200 ? shown[..200] + "…" : shown;
    }

    /// <summary>
    /// The path with its leading and trailing spaces replaced, so the library does not trim them, and its
    /// <see cref="Mapped"/> characters replaced as the pattern's are.
    /// </summary>
    private static string Protect(string path)
    {
        if (path.AsSpan().IndexOfAny(MappedValues) >= 0)
        {
            path = string.Create(path.Length, path, static (span, source) =>
            {
                for (int i = 0; i < source.Length; i++)
                {
                    span[i] = StandIn(source[i]);
                }
            });
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
    public bool IsMatch(string relativePath, bool isDirectory) =>
        IsMatch(relativePath, isDirectory, TextSketch.Of(relativePath));

    /// <summary>
    /// As <see cref="IsMatch(string, bool)"/>, with the sketch of a text that contains
    /// <paramref name="relativePath"/> (the path from the scan root), made once for all the rules tried on it.
    /// </summary>
    public bool IsMatch(string relativePath, bool isDirectory, in TextSketch pathSketch)
    {
        if (_inOwnFolderOnly && relativePath.Contains('/', StringComparison.Ordinal))
        {
            return false;
        }
        if (!MayMatch(relativePath, pathSketch))
        {
            return false;
        }
        return LibraryMatches(relativePath, isDirectory);
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
    public bool IsIgnored(string relativePath, bool isDirectory)
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
                if (p.IsMatch(local, isDirectory, sketch))
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
        foreach (string line in ReadLines(path))
        {
            (IgnorePattern? p, string? problem) = ParseCached(line, ignoreCase);
            if (problem is not null)
            {
                invalid.Add(problem);
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

    /// <summary>
    /// The lines of an ignore file as git reads them: bytes as UTF-8 (a UTF-8 byte order mark skipped, nothing
    /// taken for UTF-16), split at '\n' only (a lone '\r' is part of a line; one before '\n' is dropped by
    /// <see cref="IgnorePattern.Parse"/>). At most <see cref="MaxFileBytes"/>, even if the file grew since its stat.
    /// </summary>
    private static string[] ReadLines(string path)
    {
        byte[] buffer = new byte[MaxFileBytes + 1];
        int length = 0;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan))
        {
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }
        }
        if (length > MaxFileBytes)
        {
            throw new IOException($"'{path}' grew past {MaxFileBytes:N0} bytes (1 MiB), the most an ignore file may hold.");
        }
        int skip = length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;
        return new System.Text.UTF8Encoding(false, false).GetString(buffer, skip, length - skip).Split('\n');
    }

    /// <summary>
    /// Parsed rules by their line, for the whole process: the library compiles a regular expression for each rule,
    /// 0.4-2.5 ms (measured), so a tree of projects that share one .gitignore template paid it again in every
    /// project (100 copies of a 360-rule file: 16.8 s against 0.66 s without them). At most 4,096 lines are kept.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Line, bool IgnoreCase), (IgnorePattern? Pattern, string? Problem)> Parsed = new();

    private const int MaxParsed = 4096;

    /// <summary>The rule of a line (null for a blank line or comment), or why it cannot work.</summary>
    internal static (IgnorePattern? Pattern, string? Problem) ParseCached(string line, bool ignoreCase)
    {
        if (Parsed.TryGetValue((line, ignoreCase), out var known))
        {
            return known;
        }
        (IgnorePattern?, string?) parsed;
        try
        {
            parsed = (IgnorePattern.Parse(line, ignoreCase), null);
        }
        catch (ArgumentException ex)
        {
            parsed = (null, ex.Message);
        }
        if (Parsed.Count < MaxParsed)
        {
            Parsed.TryAdd((line, ignoreCase), parsed);
        }
        return parsed;
    }
}
