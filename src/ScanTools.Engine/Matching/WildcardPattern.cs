using System.Text;
using System.Text.RegularExpressions;

namespace ScanTools.Matching;

/// <summary>
/// A PowerShell-style wildcard: <c>*</c> any run of characters (separators included), <c>?</c> one
/// character, <c>[abc]</c> or <c>[a-z]</c> one character of a set, and a backtick escaping the next
/// character. It matches in memory (exclusions while walking) and translates to SQL (catalog queries).
/// </summary>
public sealed class WildcardPattern
{
    private readonly List<Token> _tokens;
    private readonly Regex _regex;

    /// <summary>Parses <paramref name="pattern"/>.</summary>
    /// <exception cref="ArgumentException">The pattern has an unclosed <c>[</c>, ends in a lone backtick, or holds a NUL.</exception>
    public WildcardPattern(string pattern, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Contains('\0', StringComparison.Ordinal))
        {
            // SQLite's LIKE and GLOB end a pattern at a NUL: "a`0b" matched the file 'a', which Remove-Item would then delete.
            throw new ArgumentException($"The wildcard pattern '{pattern.Replace("\0", "`0", StringComparison.Ordinal)}' holds a NUL character (`0), which no file name or path has. Remove it.");
        }
        Pattern = pattern;
        IgnoreCase = ignoreCase;
        _tokens = Parse(pattern);
        HasWildcards = _tokens.Exists(t => t.Kind != TokenKind.Literal);
        var prefix = new StringBuilder();
        foreach (Token t in _tokens)
        {
            if (t.Kind != TokenKind.Literal)
            {
                break;
            }
            prefix.Append(t.Char);
        }
        LiteralPrefix = prefix.ToString();
        Literal = HasWildcards ? null : LiteralPrefix;
        var options = RegexOptions.CultureInvariant | RegexOptions.Singleline;
        if (ignoreCase)
        {
            options |= RegexOptions.IgnoreCase;
        }
        try
        {
            // Ignoring case, the literals are compared in upper case (invariant), as PowerShell's -like compares them:
            // σ, ς and Σ are one letter, µ and μ too, and so are the cases of letters outside the BMP (𐐨 and 𐐀).
            _regex = new Regex(ToRegex(ignoreCase ? UpperLiterals(_tokens) : _tokens), options);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The wildcard pattern '{pattern}' has a set that cannot match: a range runs from the lower character to the higher, as [a-z]. ({ex.Message})");
        }
    }

    /// <summary>The tokens with each run of literals in upper case (invariant; a surrogate pair stays a pair).</summary>
    private static List<Token> UpperLiterals(List<Token> tokens)
    {
        var result = new List<Token>(tokens.Count);
        var run = new StringBuilder();
        void Flush()
        {
            foreach (char c in run.ToString().ToUpperInvariant())
            {
                result.Add(Token.Lit(c));
            }
            run.Clear();
        }
        foreach (Token t in tokens)
        {
            if (t.Kind == TokenKind.Literal)
            {
                run.Append(t.Char);
                continue;
            }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Whether matching ignores case.</summary>
    public bool IgnoreCase { get; }

    /// <summary>True when the pattern has at least one unescaped wildcard.</summary>
    public bool HasWildcards { get; }

    /// <summary>
    /// True when the pattern has a <c>?</c>: one UTF-16 unit here and in PowerShell's -like, but one code point in SQLite's
    /// GLOB and LIKE, which differ on characters outside the BMP; such a pattern is matched by the pattern itself.
    /// </summary>
    public bool HasAnyOne => _tokens.Exists(t => t.Kind == TokenKind.AnyOne);

    /// <summary>True when a literal is half of a character outside the BMP (a lone surrogate): SQLite's UTF-8 cannot hold it.</summary>
    public bool HasLoneSurrogate
    {
        get
        {
            for (int i = 0; i < _tokens.Count; i++)
            {
                if (_tokens[i].Kind == TokenKind.Literal && char.IsHighSurrogate(_tokens[i].Char)
                    && i + 1 < _tokens.Count && _tokens[i + 1].Kind == TokenKind.Literal && char.IsLowSurrogate(_tokens[i + 1].Char))
                {
                    i++;
                    continue;
                }
                if (_tokens[i].Kind == TokenKind.Literal && char.IsSurrogate(_tokens[i].Char))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The characters before the first wildcard, unescaped.</summary>
    public string LiteralPrefix { get; }

    /// <summary>The unescaped text when the pattern has no wildcard; otherwise null.</summary>
    public string? Literal { get; }

    /// <summary>True when <paramref name="input"/> matches the whole pattern.</summary>
    public bool IsMatch(string input) =>
        _regex.IsMatch(IgnoreCase && !System.Text.Ascii.IsValid(input) ? input.ToUpperInvariant() : input);

    /// <summary>True when <paramref name="text"/> holds a character that makes it a wildcard pattern.</summary>
    public static bool ContainsWildcards(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '`')
            {
                i++;
            }
            else if (c is '*' or '?' or '[')
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Escapes every wildcard character so the text matches only itself.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '`')
            {
                sb.Append('`');
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The pattern as an SQLite GLOB operand (case-sensitive).</summary>
    public string ToGlob()
    {
        var sb = new StringBuilder();
        foreach (Token t in _tokens)
        {
            switch (t.Kind)
            {
                case TokenKind.Literal:
                    // GLOB has no escape character; a one-character set matches a metacharacter literally.
                    sb.Append(t.Char switch { '*' => "[*]", '?' => "[?]", '[' => "[[]", _ => t.Char.ToString() });
                    break;
                case TokenKind.AnyOne:
                    sb.Append('?');
                    break;
                case TokenKind.AnyRun:
                    sb.Append('*');
                    break;
                case TokenKind.Set:
                    sb.Append('[');
                    // ']' first in a set is literal in GLOB; '^' first would negate, so move it.
                    string set = t.Set!;
                    if (set.Contains(']', StringComparison.Ordinal))
                    {
                        set = "]" + set.Replace("]", string.Empty, StringComparison.Ordinal);
                    }
                    if (set.StartsWith('^') && set.Length > 1)
                    {
                        set = set[1..] + "^";
                    }
                    sb.Append(set).Append(']');
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The pattern as an SQLite LIKE operand with <c>\</c> as escape, when LIKE can express it exactly:
    /// no character sets, no <c>?</c> (see below), and, when case is ignored, only ASCII letters (LIKE folds only ASCII).
    /// </summary>
    public bool TryToLike(out string like)
    {
        if (HasLoneSurrogate)
        {
            like = string.Empty; // half a character outside the BMP cannot travel as UTF-8
            return false;
        }
        var sb = new StringBuilder();
        foreach (Token t in _tokens)
        {
            switch (t.Kind)
            {
                case TokenKind.Set:
                    like = string.Empty;
                    return false;
                case TokenKind.AnyOne:
                    // ? is one UTF-16 unit (as PowerShell's -like); SQLite's _ is one code point: they differ on
                    // characters outside the BMP (emoji), so ? is left to the pattern itself.
                    like = string.Empty;
                    return false;
                case TokenKind.AnyRun:
                    sb.Append('%');
                    break;
                default:
                    if (t.Char > 127 && char.IsLetter(t.Char))
                    {
                        like = string.Empty;
                        return false;
                    }
                    if (t.Char is '%' or '_' or '\\')
                    {
                        sb.Append('\\');
                    }
                    sb.Append(t.Char);
                    break;
            }
        }
        like = sb.ToString();
        return true;
    }

    /// <summary>
    /// A LIKE operand (no escape character) for an FTS5 trigram index that matches every name this pattern
    /// matches ignoring case, and maybe more: each wildcard, set, non-ASCII character, <c>%</c> and <c>_</c> becomes
    /// <c>%</c>, so the index narrows and the pattern itself decides. False when no run of three plain ASCII characters
    /// is left, since the index cannot narrow such a pattern (SQLite would read the whole index).
    /// </summary>
    public bool TryToTrigramLike(out string like)
    {
        var sb = new StringBuilder();
        int run = 0, longest = 0;
        foreach (Token t in _tokens)
        {
            bool plain = t.Kind == TokenKind.Literal && t.Char is > ' ' and < (char)127 and not ('%' or '_');
            // Not '_': SQLite's _ is one code point, and a character outside the BMP is two UTF-16 units here.
            sb.Append(plain ? t.Char : '%');
            run = plain ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        like = longest >= 3 ? sb.ToString() : string.Empty;
        return longest >= 3;
    }

    /// <inheritdoc />
    public override string ToString() => Pattern;

    private static List<Token> Parse(string pattern)
    {
        var tokens = new List<Token>(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '`':
                    if (i + 1 >= pattern.Length)
                    {
                        throw new ArgumentException($"The wildcard pattern '{pattern}' ends with a lone backtick (`). Escape a backtick as ``.");
                    }
                    tokens.Add(Token.Lit(pattern[++i]));
                    break;
                case '*':
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.AnyRun)
                    {
                        tokens.Add(new Token(TokenKind.AnyRun, '\0', null));
                    }
                    break;
                case '?':
                    tokens.Add(new Token(TokenKind.AnyOne, '\0', null));
                    break;
                case '[':
                    int close = FindSetEnd(pattern, i);
                    if (close < 0)
                    {
                        throw new ArgumentException($"The wildcard pattern '{pattern}' has a '[' without a closing ']'. Escape a literal bracket as `[.");
                    }
                    string body = pattern.Substring(i + 1, close - i - 1).Replace("`", string.Empty, StringComparison.Ordinal);
                    if (body.Length == 0)
                    {
                        throw new ArgumentException($"The wildcard pattern '{pattern}' has an empty set '[]'.");
                    }
                    tokens.Add(new Token(TokenKind.Set, '\0', body));
                    i = close;
                    break;
                default:
                    tokens.Add(Token.Lit(c));
                    break;
            }
        }
        return tokens;
    }

    private static int FindSetEnd(string pattern, int open)
    {
        for (int j = open + 1; j < pattern.Length; j++)
        {
            if (pattern[j] == '`')
            {
                j++;
            }
            else if (pattern[j] == ']')
            {
                return j;
            }
        }
        return -1;
    }

    private static string ToRegex(List<Token> tokens)
    {
        var sb = new StringBuilder("^");
        foreach (Token t in tokens)
        {
            switch (t.Kind)
            {
                case TokenKind.Literal:
                    sb.Append(Regex.Escape(t.Char.ToString()));
                    break;
                case TokenKind.AnyOne:
                    sb.Append('.');
                    break;
                case TokenKind.AnyRun:
                    sb.Append(".*");
                    break;
                case TokenKind.Set:
                    sb.Append('[');
                    string set = t.Set!;
                    for (int k = 0; k < set.Length; k++)
                    {
                        char s = set[k];
                        if (s == '-' && k > 0 && k < set.Length - 1)
                        {
                            sb.Append('-');
                        }
                        else
                        {
                            sb.Append(s is '\\' or ']' or '[' or '^' or '-' ? "\\" + s : s.ToString());
                        }
                    }
                    sb.Append(']');
                    break;
            }
        }
        return sb.Append('$').ToString();
    }

    private enum TokenKind
    {
        Literal,
        AnyOne,
        AnyRun,
        Set,
    }

    private readonly record struct Token(TokenKind Kind, char Char, string? Set)
    {
        public static Token Lit(char c) => new(TokenKind.Literal, c, null);
    }
}
