using System.Diagnostics;
using System.Text;
using ScanTools.Rules;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Rules;

namespace ScanTools.Bench;

/// <summary>
/// A scan with the built-in rules against ripgrep searching the same tree for the same patterns: text
/// files with secrets planted at known lines, plus binaries. Both must find every planted secret.
/// </summary>
public static class RuleBenchmarks
{
    public sealed record Planted(string Path, int Line, string RuleId);

    /// <summary>
    /// <paramref name="files"/> text files of config-like lines (1-8 KiB), every 50th with one planted
    /// secret at a random line, and <paramref name="files"/>/20 binaries of 16 KiB with NUL bytes.
    /// </summary>
    public static (string Root, List<Planted> Planted, long Bytes) EnsureTree(string parent, int files)
    {
        List<string> ids = RuleSamples.Make(new Random(1)).Keys.ToList();
        // The tree depends on the samples (which rule each file gets): a tree built before a rule was added is built again.
        string version = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("named-files," + string.Join(",", ids))))[..8].ToLowerInvariant();
        string root = Path.Combine(parent, $"rules-{files}-{version}");
        string marker = root + ".complete";
        var random = new Random(99);
        var planted = new List<Planted>();
        bool exists = File.Exists(marker);
        if (!exists && Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        string[] words = { "server", "timeout", "retries", "path", "enabled", "level", "name", "region", "cache", "port", "user", "mode" };
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, $"d{i % 100:D2}");
            string path = Path.Combine(dir, $"conf{i:D6}.ini");
            int lines = random.Next(20, 160);
            int secretLine = i % 50 == 0 ? random.Next(1, lines + 1) : -1;
            string? rule = secretLine > 0 ? ids[(i / 50) % ids.Count] : null;
            if (rule is not null && RuleSamples.NameFor(rule) is string named)
            {
                path = Path.Combine(dir, $"conf{i:D6}", named); // a rule that looks only in files of a name (.pgpass, .env)
            }
            var sb = new StringBuilder();
            for (int l = 1; l <= lines; l++)
            {
                if (l == secretLine)
                {
                    // One line, so that ripgrep, which reads line by line, can match it too; a PuTTY key is lines by its format
                    // (its pattern needs them), and ripgrep gets that pattern up to its first line break (ForRipgrep).
                    string sample = RuleSamples.Make(new Random(i))[rule!].Line;
                    sb.Append(rule == "putty-private-key" ? sample : sample.Replace('\n', ' ')).Append('\n');
                    continue;
                }
                sb.Append(words[random.Next(words.Length)]).Append('_').Append(random.Next(1000)).Append(" = ")
                  .Append(RuleSamples.Random(random, "abcdefghijklmnopqrstuvwxyz ./", random.Next(8, 48))).Append('\n');
            }
            if (rule is not null)
            {
                planted.Add(new Planted(path, secretLine, rule));
            }
            byte[]? blob = null;
            if (i % 20 == 0)
            {
                blob = new byte[16 << 10];
                random.NextBytes(blob); // drawn whether or not the tree exists, so the planted list is the same either way
                blob[100] = 0;
            }
            if (!exists)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, sb.ToString());
                if (blob is not null)
                {
                    File.WriteAllBytes(Path.Combine(dir, $"blob{i:D6}.bin"), blob);
                }
            }
        }
        if (!exists)
        {
            File.WriteAllText(marker, DateTime.UtcNow.ToString("o"));
        }
        long bytes = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return (root, planted, bytes);
    }

    /// <summary>A fresh scan with every built-in rule; seconds and the (path, line, rule) of each match.</summary>
    public static (double Seconds, HashSet<(string, int, string)> Found) Scan(string db, string root)
    {
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        var registry = new WriterSessionRegistry();
        var sw = Stopwatch.StartNew();
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root }, Rules = RuleSet.Builtin }, new ScanJobSettings { Registry = registry });
        registry.CloseAll();
        sw.Stop();
        if (run.Status != ScanRunStatus.Completed || run.Errors != 0)
        {
            throw new InvalidOperationException($"The rules scan did not complete cleanly: {run.Status}, {run.Errors} errors.");
        }
        using CatalogReader reader = CatalogReader.Open(db);
        var found = reader.FindMatches(new FindingMatchQuery()).Where(m => m.Line is not null).Select(m => (m.FullName, m.Line!.Value, m.RuleId)).ToHashSet();
        return (sw.Elapsed.TotalSeconds, found);
    }

    /// <summary>Seconds for a rescan of <paramref name="root"/> into the existing <paramref name="db"/>, with or without rules.</summary>
    public static double Rescan(string db, string root, RuleSet? rules)
    {
        var registry = new WriterSessionRegistry();
        var sw = Stopwatch.StartNew();
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root }, Rules = rules }, new ScanJobSettings { Registry = registry });
        registry.CloseAll();
        sw.Stop();
        if (run.Status != ScanRunStatus.Completed)
        {
            throw new InvalidOperationException($"The rescan did not complete: {run.Status}.");
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// ripgrep with the built-in content rules' patterns (named groups made plain: rg joins the patterns into one), binaries skipped as
    /// it does by default, ignore files off; seconds and the (path, line) of each matching line. rg's automata have no look-around,
    /// and need none to run in linear time: the look-arounds that keep .NET's backtracking linear (jwt, connection-string-password,
    /// private-key) are left out, so rg matches a superset, which the planted-secret check allows.
    /// </summary>
    public static (double Seconds, HashSet<(string, int)> Found) Ripgrep(string root, string work)
    {
        string patterns = Path.Combine(work, "rg-patterns.txt");
        File.WriteAllLines(patterns, RuleSet.Builtin.Rules.Where(r => r.IsContentRule).Select(r => ForRipgrep(r.Pattern!)));
        string output = Path.Combine(work, "rg-out.txt");
        var sw = Stopwatch.StartNew();
        ScanBenchmarks.RunShell($"rg --no-ignore --hidden --no-heading --line-number --regex-size-limit 100M --dfa-size-limit 100M -f '{patterns}' '{root}' > '{output}' || [ $? -eq 1 ]");
        sw.Stop();
        var found = new HashSet<(string, int)>();
        foreach (string line in File.ReadLines(output))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length == 3 && int.TryParse(parts[1], out int n))
            {
                found.Add((parts[0], n));
            }
        }
        return (sw.Elapsed.TotalSeconds, found);
    }

    /// <summary>
    /// A .NET pattern as ripgrep's Rust regex reads it: named groups plain, every look-around group dropped (with what it
    /// holds, nested ones too: a superset of the matches), atomic groups plain.
    /// </summary>
    internal static string ForRipgrep(string pattern)
    {
        string p = System.Text.RegularExpressions.Regex.Replace(pattern, @"\(\?<[A-Za-z][A-Za-z0-9_]*>", "(");
        var sb = new System.Text.StringBuilder(p.Length);
        int depth = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (depth == 0 && (At(p, i, @"\r?\n") || At(p, i, @"\n")))
            {
                break; // a line break outside any group: rg reads line by line, so it gets the first line's part (a superset)
            }
            if (At(p, i, @"\r?\n") || At(p, i, @"\n"))
            {
                // A line break inside a group (a command continued on the next line): rg refuses \n in a pattern and reads line
                // by line, so the alternative can match only at the line's end ($), as far as rg can see it.
                sb.Append('$');
                i += At(p, i, @"\r?\n") ? 4 : 1;
                continue;
            }

            if (p[i] == '(' && (At(p, i, "(?=") || At(p, i, "(?!") || At(p, i, "(?<=") || At(p, i, "(?<!")))
            {
                i = GroupEnd(p, i); // skip to its ')'
                continue;
            }
            if (p[i] == '\\' && i + 1 < p.Length)
            {
                sb.Append(p, i, 2);
                i++;
                continue;
            }
            if (p[i] == '[')
            {
                int close = ClassEnd(p, i);
                sb.Append(p, i, close - i + 1);
                i = close;
                continue;
            }
            depth += p[i] switch { '(' => 1, ')' => -1, _ => 0 }; // look-arounds, classes and escapes were passed above
            sb.Append(p[i]);
        }
        // Atomic groups: the same match in an automaton. Bounds past 20,000 (private-key's body, up to 1 Mi characters) are
        // 20,000 for rg: its compiled automaton outgrew the 100 MB size limit, and it reads a line at a time anyway.
        return System.Text.RegularExpressions.Regex.Replace(sb.ToString().Replace("(?>", "(?:", StringComparison.Ordinal),
            @"\{(\d+),(\d{6,})\}", m => "{" + m.Groups[1].Value + ",20000}");
    }

    private static bool At(string p, int i, string what) => string.CompareOrdinal(p, i, what, 0, what.Length) == 0;

    /// <summary>The index of the ')' that closes the group opened at <paramref name="open"/>.</summary>
    private static int GroupEnd(string p, int open)
    {
        int depth = 0;
        for (int i = open; i < p.Length; i++)
        {
            switch (p[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    i = ClassEnd(p, i);
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    if (--depth == 0)
                    {
                        return i;
                    }
                    break;
            }
        }
        throw new FormatException($"Unbalanced group at {open} in {p}");
    }

    /// <summary>The index of the ']' that closes the character class opened at <paramref name="open"/> (a ']' first in it is a member).</summary>
    private static int ClassEnd(string p, int open)
    {
        int i = open + 1;
        if (i < p.Length && p[i] == '^')
        {
            i++;
        }
        if (i < p.Length && p[i] == ']')
        {
            i++;
        }
        for (; i < p.Length; i++)
        {
            if (p[i] == '\\')
            {
                i++;
            }
            else if (p[i] == ']')
            {
                return i;
            }
        }
        throw new FormatException($"Unclosed class at {open} in {p}");
    }
}
