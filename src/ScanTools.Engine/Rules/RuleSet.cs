using System.Reflection;
using ScanTools.Matching;

namespace ScanTools.Rules;

/// <summary>
/// The rules a scan applies: the built-in set that ships with the module, rules read from data files, or a
/// selection of either. A rules file is a PowerShell data file whose <c>Rules</c> key lists one hashtable per
/// rule (see <see cref="ScanRule.Keys"/>); a rule in a file replaces a built-in rule of the same id.
/// </summary>
public sealed class RuleSet
{
    /// <summary>Content larger than this is not read for rules unless a rule's MaximumFileSize says otherwise: 10 MiB.</summary>
    public const long DefaultContentSizeLimit = 10L << 20;

    /// <summary>
    /// The largest file the content rules ever read, whatever -ContentSizeLimit or a rule's MaximumFileSize allow:
    /// 1,073,741,791 bytes (1 GiB less 33 bytes), the longest string .NET holds (0x3FFFFFDF characters), since patterns
    /// match decoded text. A larger file was decoded into a string that could not exist, and the OutOfMemoryException
    /// failed the whole scan; now it is counted as too large (OversizedSkipped), unread.
    /// </summary>
    public const int MaxContentLength = 0x3FFFFFDF;

    private static readonly Lazy<RuleSet> BuiltinRules = new(LoadBuiltin);

    /// <summary>Wraps <paramref name="rules"/>; ids must be distinct.</summary>
    /// <exception cref="ArgumentException">Two rules share an id.</exception>
    public RuleSet(IEnumerable<ScanRule> rules)
    {
        Rules = rules.ToArray();
        string? twice = Rules.GroupBy(r => r.Id, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (twice is not null)
        {
            throw new ArgumentException($"Two rules have the id '{twice}'.", nameof(rules));
        }
        ContentRules = Rules.Where(r => r.IsContentRule).ToArray();
        PropertyRules = Rules.Where(r => !r.IsContentRule).ToArray();
    }

    /// <summary>
    /// 63 bits that identify what the content rules look for (each rule's id, pattern, keywords, secret group,
    /// entropy, binary and size settings, and the scan's content limit): a file read whole by rules with the
    /// same key, and unchanged since, need not be read again. Computed per scan with <see cref="ContentKey"/>.
    /// </summary>
    /// <returns>The key, or 0 when a content rule depends on the date (OlderThanDays), so no reading may be reused.</returns>
    public long ContentKey(long contentSizeLimit)
    {
        if (ContentRules.Length == 0 || ContentRules.Any(r => r.OlderThanDays is not null))
        {
            return 0;
        }
        var sb = new System.Text.StringBuilder();
        sb.Append(contentSizeLimit).Append('\n');
        foreach (ScanRule r in ContentRules.OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase))
        {
            sb.Append(r.Id).Append('\0').Append(r.Pattern).Append('\0').Append(string.Join("\u0001", r.Keywords)).Append('\0')
              .Append(r.SecretGroup).Append('\0').Append(r.MinimumEntropy?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('\0')
              .Append(r.IncludeBinary).Append('\0').Append(r.MaximumFileSize).Append('\0')
              .Append(string.Join("\u0001", r.Path)).Append('\0').Append(string.Join("\u0001", r.Name)).Append('\0').Append(string.Join("\u0001", r.ExcludePath))
              .Append('\0').Append(r.MinimumSize).Append('\0').Append(r.MaximumSize).Append('\0').Append(r.Mode).Append('\0').Append(r.OlderThanDays)
              .Append('\0').Append(string.Join(",", r.OwnerId)).Append('\0').Append((int)r.Severity).Append('\n');
        }
        byte[] digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sb.ToString()));
        return BitConverter.ToInt64(digest, 0) & long.MaxValue;
    }

    /// <summary>The rules, in the order they were defined.</summary>
    public IReadOnlyList<ScanRule> Rules { get; }

    internal ScanRule[] ContentRules { get; }

    internal ScanRule[] PropertyRules { get; }

    /// <summary>The rules that ship with ScanTools (ScanTools.Engine's BuiltinRules.psd1).</summary>
    public static RuleSet Builtin => BuiltinRules.Value;

    /// <summary>The text of the built-in rules file, to read or to copy as a start for one's own.</summary>
    public static string BuiltinText()
    {
        using Stream stream = typeof(RuleSet).Assembly.GetManifestResourceStream("ScanTools.Rules.BuiltinRules.psd1")
            ?? throw new InvalidOperationException("The built-in rules are missing from ScanTools.Engine.dll.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static RuleSet LoadBuiltin() => new(Parse(BuiltinText(), "BuiltinRules.psd1", null));

    /// <summary>Reads the rules of one data file.</summary>
    /// <exception cref="FormatException">The file is not a rules file; the message names the file, the rule and what to change.</exception>
    /// <exception cref="IOException">The file cannot be read, or is not a regular file of at most 16 MiB (<see cref="Platform.InputFile"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static IReadOnlyList<ScanRule> ReadFile(string path, TimeSpan? matchTimeout = null)
    {
        if (Directory.Exists(path))
        {
            throw new FormatException($"'{path}' is a folder; give the path of a rules file (.psd1).");
        }
        Platform.InputFile.Check(path, "rules file (.psd1)", Platform.InputFile.MaxRulesBytes);
        return Parse(File.ReadAllText(path), path, matchTimeout);
    }

    /// <summary>Parses rules-file text; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="FormatException">The text is not a rules file.</exception>
    public static IReadOnlyList<ScanRule> Parse(string text, string source, TimeSpan? matchTimeout = null)
    {
        Dictionary<string, object?> top = DataFile.Parse(text, source);
        foreach (string key in top.Keys)
        {
            if (!key.Equals("Rules", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"{source}: '{key}' is not a key of a rules file; it holds one key, Rules = @( @{{ Id = ...; ... }}, ... ).");
            }
        }
        if (!top.TryGetValue("Rules", out object? value) || value is null)
        {
            throw new FormatException($"{source}: a rules file holds Rules = @( @{{ Id = ...; ... }}, ... ), and this one has no Rules.");
        }
        IEnumerable<object?> items = value is List<object?> list ? list : new[] { value };
        var rules = new List<ScanRule>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (object? item in items)
        {
            if (item is not Dictionary<string, object?> table)
            {
                throw new FormatException($"{source}: each item of Rules must be a hashtable @{{ Id = ...; ... }}.");
            }
            ScanRule rule = ScanRule.FromTable(table, source, matchTimeout, key => DataFile.LineOf(table, key));
            if (!ids.Add(rule.Id))
            {
                throw new FormatException($"{source}: two rules have the id '{rule.Id}'.");
            }
            rules.Add(rule);
        }
        return rules;
    }

    /// <summary>
    /// The built-in rules (unless <paramref name="includeBuiltin"/> is false) and those of <paramref name="files"/>,
    /// a file's rule replacing an earlier rule of the same id.
    /// </summary>
    /// <exception cref="FormatException">A file is not a rules file, or two files define one id.</exception>
    public static RuleSet Load(IEnumerable<string> files, bool includeBuiltin = true, TimeSpan? matchTimeout = null)
    {
        var byId = new Dictionary<string, ScanRule>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        if (includeBuiltin)
        {
            foreach (ScanRule r in matchTimeout is null ? Builtin.Rules : Parse(BuiltinText(), "BuiltinRules.psd1", matchTimeout))
            {
                byId[r.Id] = r;
                order.Add(r.Id);
            }
        }
        var fromFiles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string file in files)
        {
            foreach (ScanRule r in ReadFile(file, matchTimeout))
            {
                if (fromFiles.TryGetValue(r.Id, out string? other))
                {
                    throw new FormatException($"The rule '{r.Id}' is defined in both '{other}' and '{file}'. Rename one of them.");
                }
                fromFiles[r.Id] = file;
                if (!byId.ContainsKey(r.Id))
                {
                    order.Add(r.Id);
                }
                byId[r.Id] = r;
            }
        }
        return new RuleSet(order.Select(id => byId[id]));
    }

    /// <summary>The rules of this set read from the rules file <paramref name="path"/> (as given to <see cref="Load"/>); none for a file without rules.</summary>
    public IReadOnlyList<ScanRule> FromFile(string path) => Rules.Where(r => r.Source == path).ToList();

    /// <summary>
    /// The rules whose id matches one of <paramref name="idPatterns"/> (wildcards, case ignored); all when empty.
    /// </summary>
    /// <exception cref="ArgumentException">A pattern matches no rule; the message lists the ids there are.</exception>
    public RuleSet Select(IEnumerable<string> idPatterns, IEnumerable<string>? excludePatterns = null)
    {
        var patterns = idPatterns.Select(p => new WildcardPattern(p, ignoreCase: true)).ToList();
        var excluded = (excludePatterns ?? Array.Empty<string>()).Select(p => new WildcardPattern(p, ignoreCase: true)).ToList();
        foreach (WildcardPattern p in patterns.Concat(excluded))
        {
            if (!Rules.Any(r => p.IsMatch(r.Id)))
            {
                throw new ArgumentException($"No rule has the id '{p.Pattern}'. The rules are: {string.Join(", ", Rules.Select(r => r.Id))}. Get-ScanRule lists them.");
            }
        }
        return new RuleSet(Rules.Where(r => (patterns.Count == 0 || patterns.Any(p => p.IsMatch(r.Id))) && !excluded.Any(p => p.IsMatch(r.Id))));
    }

    /// <summary>The rule with this id, or null.</summary>
    public ScanRule? Find(string id) => Rules.FirstOrDefault(r => r.Id.Equals(id, StringComparison.OrdinalIgnoreCase));
}
