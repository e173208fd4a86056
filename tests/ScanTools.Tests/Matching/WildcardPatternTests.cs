using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;
using ScanTools.Matching;

namespace ScanTools.Tests.Matching;

public sealed class WildcardPatternTests : IDisposable
{
    private readonly SqliteConnection _sqlite = new("Data Source=:memory:");

    public WildcardPatternTests() => _sqlite.Open();

    public void Dispose() => _sqlite.Dispose();

    [Theory]
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "app.log.1", false)]
    [InlineData("*.LOG", "app.log", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("report`[1`].txt", "report[1].txt", true)]
    [InlineData("report`[1`].txt", "report1.txt", false)]
    [InlineData("100%_done", "100%_done", true)]
    [InlineData("100%_done", "100x_done", false)]
    [InlineData("*", "", true)]
    [InlineData("dir/*", "dir/sub/file", true)]
    [InlineData("σσς*", "ΣΣΣ.txt", true)]                        // one letter in upper case, as -like compares
    [InlineData("µ*", "μ.txt", true)]                            // the micro sign and mu
    [InlineData("µ*", "Μ.txt", true)]
    [InlineData("\U00010428abc.txt", "\U00010400abc.txt", true)] // Deseret small and capital, outside the BMP
    [InlineData("x\U00010428y.txt", "x\U00010400y.txt", true)]
    [InlineData("emoji????.txt", "emoji\U0001F600\U0001F525.txt", true)] // ? is a UTF-16 unit, as in -like
    [InlineData("emoji??.txt", "emoji\U0001F600\U0001F525.txt", false)]
    public void IsMatch_FollowsPowerShellWildcards_IgnoringCaseWhenAsked(string pattern, string input, bool expected)
    {
        Assert.Equal(expected, new WildcardPattern(pattern, ignoreCase: true).IsMatch(input));
    }

    [Fact]
    public void MalformedPatterns_AreRejected_WithAMessageThatSaysHowToEscape()
    {
        Assert.Contains("`[", Assert.Throws<ArgumentException>(() => new WildcardPattern("abc[", true)).Message);
        Assert.Contains("``", Assert.Throws<ArgumentException>(() => new WildcardPattern("abc`", true)).Message);
        string backwards = Assert.Throws<ArgumentException>(() => new WildcardPattern("[b-a]*", true)).Message;
        Assert.Contains("'[b-a]*'", backwards);
        Assert.Contains("[a-z]", backwards);
        Assert.Contains("NUL", Assert.Throws<ArgumentException>(() => new WildcardPattern("a\0b", true)).Message);
        Assert.Contains("NUL", Assert.Throws<ArgumentException>(() => new WildcardPattern("/srv/a\0zz*", false)).Message);
    }

    [Fact]
    public void LiteralPrefix_IsEverythingBeforeTheFirstWildcard_Unescaped()
    {
        Assert.Equal("/srv/data/", new WildcardPattern("/srv/data/*.log", false).LiteralPrefix);
        Assert.Equal("a[b", new WildcardPattern("a`[b?", false).LiteralPrefix);
        Assert.Null(new WildcardPattern("a*", false).Literal);
        Assert.Equal("a*b", new WildcardPattern("a`*b", false).Literal);
    }

    [Fact]
    public void Escape_MakesAnyTextMatchOnlyItself()
    {
        Prop.ForAll(Arb.From(Texts), text =>
        {
            var p = new WildcardPattern(WildcardPattern.Escape(text), ignoreCase: false);
            return p.IsMatch(text) && !p.HasWildcards && p.Literal == text;
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>
    /// The SQL translations must mean what the pattern means. SQLite itself evaluates GLOB and LIKE,
    /// and an independent matcher written in this test is the reference.
    /// </summary>
    [Fact]
    public void SqlTranslations_AgreeWithAnIndependentMatcher_AsSqliteEvaluatesThem()
    {
        Gen<(string Pattern, string Text)> cases = Patterns.SelectMany(p =>
            Gen.OneOf(Texts, Gen.Choose(0, int.MaxValue).Select(seed => Instance(p, new Random(seed)))).Select(t => (p, t)));
        Prop.ForAll(Arb.From(cases), c =>
        {
            (string pattern, string text) = c;
            WildcardPattern sensitive, insensitive;
            try
            {
                sensitive = new WildcardPattern(pattern, ignoreCase: false);
                insensitive = new WildcardPattern(pattern, ignoreCase: true);
            }
            catch (ArgumentException)
            {
                return true; // malformed patterns are rejected, covered elsewhere
            }
            bool expectSensitive = ReferenceMatch(pattern, text, ignoreCase: false);
            bool expectInsensitive = ReferenceMatch(pattern, text, ignoreCase: true);
            bool ok = sensitive.IsMatch(text) == expectSensitive
                && insensitive.IsMatch(text) == expectInsensitive
                && SqlBool($"SELECT $t GLOB $p", text, sensitive.ToGlob()) == expectSensitive;
            if (insensitive.TryToLike(out string like))
            {
                ok &= SqlBool("SELECT $t LIKE $p ESCAPE '\\'", text, like) == expectInsensitive;
            }
            return ok;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3_000));
    }

    private bool SqlBool(string sql, string text, string pattern)
    {
        using SqliteCommand c = _sqlite.CreateCommand();
        c.CommandText = sql;
        c.Parameters.AddWithValue("$t", text);
        c.Parameters.AddWithValue("$p", pattern);
        return Convert.ToInt64(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    private static readonly Gen<string> Texts =
        Gen.Elements('a', 'b', 'A', 'B', '.', '/', '%', '_', '\\', '*', '?', '[', ']', '-', '^', 'é', 'É')
            .ListOf().Select(cs => new string(cs.Take(8).ToArray()));

    private static readonly Gen<string> Patterns =
        Gen.Elements("a", "b", "A", ".", "/", "%", "_", "\\", "*", "?", "[ab]", "[a-b]", "[^a]", "[]", "`*", "`?", "`[", "`]", "``", "é", "[-a]", "[*?]")
            .ListOf().Select(parts => string.Concat(parts.Take(5)));

    /// <summary>
    /// A text the pattern should match (wildcards filled in at random), sometimes with case flipped and
    /// sometimes with one character changed, so both matches and near-misses are common.
    /// </summary>
    private static string Instance(string pattern, Random rnd)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '`' && i + 1 < pattern.Length)
            {
                sb.Append(pattern[++i]);
            }
            else if (c == '*')
            {
                sb.Append("ab*?"[..rnd.Next(0, 4)]);
            }
            else if (c == '?')
            {
                sb.Append("aZ*é"[rnd.Next(4)]);
            }
            else if (c == '[' && pattern.IndexOf(']', i + 1) is int close && close > i + 1)
            {
                string set = pattern.Substring(i + 1, close - i - 1);
                sb.Append(set[rnd.Next(set.Length)]);
                i = close;
            }
            else
            {
                sb.Append(c);
            }
        }
        string text = sb.ToString();
        switch (rnd.Next(4))
        {
            case 0:
                text = new string(text.Select(ch => rnd.Next(2) == 0 ? char.ToUpperInvariant(ch) : char.ToLowerInvariant(ch)).ToArray());
                break;
            case 1 when text.Length > 0:
                int at = rnd.Next(text.Length);
                text = text[..at] + "b*%_"[rnd.Next(4)] + text[(at + 1)..];
                break;
        }
        return text;
    }

    /// <summary>A plain recursive matcher: the reference the translations are checked against.</summary>
    private static bool ReferenceMatch(string pattern, string text, bool ignoreCase)
    {
        var tokens = new List<Func<char, bool>?>(); // null = '*'
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '`')
            {
                char lit = pattern[++i];
                tokens.Add(x => Same(x, lit, ignoreCase));
            }
            else if (c == '*')
            {
                tokens.Add(null);
            }
            else if (c == '?')
            {
                tokens.Add(_ => true);
            }
            else if (c == '[')
            {
                int close = i + 1;
                while (pattern[close] != ']')
                {
                    close += pattern[close] == '`' ? 2 : 1;
                }
                string set = pattern.Substring(i + 1, close - i - 1).Replace("`", string.Empty, StringComparison.Ordinal);
                tokens.Add(x =>
                {
                    for (int k = 0; k < set.Length; k++)
                    {
                        if (k + 2 < set.Length && set[k + 1] == '-')
                        {
                            char lo = set[k], hi = set[k + 2];
                            if ((x >= lo && x <= hi) || (ignoreCase && ((char.ToLowerInvariant(x) >= lo && char.ToLowerInvariant(x) <= hi) || (char.ToUpperInvariant(x) >= lo && char.ToUpperInvariant(x) <= hi))))
                            {
                                return true;
                            }
                            k += 2;
                        }
                        else if (Same(x, set[k], ignoreCase))
                        {
                            return true;
                        }
                    }
                    return false;
                });
                i = close;
            }
            else
            {
                tokens.Add(x => Same(x, c, ignoreCase));
            }
        }
        return MatchFrom(tokens, 0, text, 0);
    }

    private static bool MatchFrom(List<Func<char, bool>?> tokens, int t, string text, int s)
    {
        if (t == tokens.Count)
        {
            return s == text.Length;
        }
        if (tokens[t] is null)
        {
            for (int k = s; k <= text.Length; k++)
            {
                if (MatchFrom(tokens, t + 1, text, k))
                {
                    return true;
                }
            }
            return false;
        }
        return s < text.Length && tokens[t]!(text[s]) && MatchFrom(tokens, t + 1, text, s + 1);
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
