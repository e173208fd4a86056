using System.Diagnostics;
using System.Text;
using ScanTools.Matching;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Matching;

/// <summary>
/// Generated one-line ignore files against git itself: for each rule, the names <c>git check-ignore</c> reports
/// ignored must be exactly those the rule's <see cref="IgnoreChain"/> ignores. Rules and names are drawn from the
/// characters the library gets wrong (':', '!', '^', white space other than spaces, runs of '*', bracket
/// expressions with wildcards, POSIX classes, escapes). ASCII only: git matches bytes, ScanTools characters
/// (documented), so '?' against 'é' differs on purpose.
/// </summary>
public sealed class IgnoreGitDifferentialTests : IDisposable
{
    private static readonly string[] RuleParts =
    {
        "a", "b", "A", ".", ":", "!", "^", "\t", "\v", " ", "-", "*", "**", "***", "?", "[ab]", "[!a]", "[^a]", "[]a]", "[*?]",
        "[a-c]", "[c-a]", "[b-A]", "[z-a]", "[[:punct:]]", "[[:alpha:]]", "[[:space:]]", "[[:print:]]", "[[:graph:]]", "[ -~]", "[!-/]", "[:]", "[\\]]",
        "\\*", "\\?", "\\!", "\\:", "\\[", "\\\\", "\\ ", "\\a", "x.y", "#", "/", "a/", "**/", "/**", "/**/",
    };

    private static readonly string[] NameParts =
    {
        "a", "b", "A", "B", ".", ":", "!", "^", "\t", "\v", "\r", "\f", " ", "-", "]", "[", "*", "?", "\\", "x.y", "ab", "#", "~", "$",
    };

    private readonly TempDirectory _t = new();

    public void Dispose() => _t.Dispose();

    [UnixFact]
    public void GeneratedRules_IgnoreExactlyWhatGitIgnores()
    {
        Assert.True(File.Exists("/usr/bin/git"), "git is needed for this test (apt-get install git).");
        string repo = _t.Dir("repo");
        Git(repo, "init -q .", null);
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("IGNORE_SEED"), out int seed) ? seed : 20261201);
        var failures = new List<string>();
        for (int round = 0; round < (Environment.GetEnvironmentVariable("IGNORE_ROUNDS") is string r ? int.Parse(r) : 400) && failures.Count < 10; round++)
        {
            string rule = string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => RuleParts[random.Next(RuleParts.Length)]));
            if (System.Text.RegularExpressions.Regex.IsMatch(rule, @"[^/]\*\*+/"))
            {
                continue; // "a**/b": git's own reading of it is not wildmatch's "*" (documented difference)
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int attempt = 0; names.Count < 30 && attempt < 200; attempt++)
            {
                string name = attempt % 2 == 0
                    ? Instance(rule, random)
                    : string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => NameParts[random.Next(NameParts.Length)]));
                if (attempt % 5 == 4 && names.Count > 0)
                {
                    name = names.ElementAt(random.Next(names.Count)) + "/" + name; // a file in a folder
                }
                string[] parts = name.Split('/');
                if (parts.All(part => part.Length > 0 && part is not ("." or "..")) && !name.Contains('\n'))
                {
                    names.Add(name);
                }
            }
            File.WriteAllText(Path.Combine(repo, ".gitignore"), rule + "\n", new UTF8Encoding(false));
            HashSet<string> byGit = GitIgnored(repo, names);
            HashSet<string> byUs = Ignored(rule, names);
            if (!byGit.SetEquals(byUs))
            {
                failures.Add($"rule {Show(rule)}: git ignores [{string.Join(", ", byGit.Except(byUs).Select(Show))}] that ScanTools keeps, " +
                             $"ScanTools ignores [{string.Join(", ", byUs.Except(byGit).Select(Show))}] that git keeps");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The names the rule ignores here; none when ScanTools refuses the rule (git never matches those it cannot parse).</summary>
    private static HashSet<string> Ignored(string rule, IEnumerable<string> names)
    {
        IgnorePattern? pattern;
        try
        {
            pattern = IgnorePattern.Parse(rule, ignoreCase: false);
        }
        catch (ArgumentException)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
        if (pattern is null)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
        IgnoreChain chain = IgnoreChain.ForRoot(new[] { new IgnoreFileRules(string.Empty, new[] { pattern }, "generated") });
        // As the walk decides: a file in an ignored folder is never reached.
        bool Ignored(string path)
        {
            string[] parts = path.Split('/');
            for (int depth = 1; depth <= parts.Length; depth++)
            {
                if (chain.IsIgnored(string.Join('/', parts[..depth]), isDirectory: depth < parts.Length))
                {
                    return true;
                }
            }
            return false;
        }
        return names.Where(Ignored).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A name the rule may well match: its wildcards filled in at random, escapes and brackets resolved.</summary>
    private static string Instance(string rule, Random random)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < rule.Length; i++)
        {
            char c = rule[i];
            switch (c)
            {
                case '\\' when i + 1 < rule.Length:
                    sb.Append(rule[++i]);
                    break;
                case '*':
                    sb.Append(string.Concat(Enumerable.Range(0, random.Next(0, 3)).Select(_ => NameParts[random.Next(NameParts.Length)])));
                    break;
                case '?':
                    sb.Append(NameParts[random.Next(NameParts.Length)][0]);
                    break;
                case '[':
                    int close = rule.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        sb.Append(c);
                        break;
                    }
                    string inside = rule[(i + 1)..close].Replace("[:", "").Replace(":", "");
                    sb.Append(inside.Length > 0 ? inside[random.Next(inside.Length)] : 'a');
                    i = close;
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.ToString().Trim(' ');
    }

    private static HashSet<string> GitIgnored(string repo, IReadOnlyCollection<string> names)
    {
        string output = Git(repo, "-c core.excludesFile=/dev/null -c core.ignorecase=false check-ignore --no-index --stdin -z",
            string.Concat(names.Select(n => "./" + n + "\0"))); // "./": a leading ':' would be pathspec magic
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(n => n.StartsWith("./", StringComparison.Ordinal) ? n[2..] : n)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static string Git(string repo, string arguments, string? input)
    {
        var start = new ProcessStartInfo("git", arguments)
        {
            WorkingDirectory = repo,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        using Process git = Process.Start(start)!;
        if (input is not null)
        {
            git.StandardInput.Write(input);
        }
        git.StandardInput.Close();
        Task<string> error = git.StandardError.ReadToEndAsync();
        string output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"git {arguments} failed ({git.ExitCode}): {error.Result}");
        }
        return output;
    }

    private static string Show(string s) => "'" + string.Concat(s.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString())) + "'";
}
