using System.Globalization;
using System.Text.RegularExpressions;
using ScanTools.Matching;

namespace ScanTools.Rules;

/// <summary>
/// A rule: conditions on a file's path, size and metadata, and optionally on its content. A file matches
/// when every condition the rule sets holds; a content rule then gives one match per place its pattern
/// matches (and its keywords and entropy allow). Built from a data file's hashtable by
/// <see cref="FromTable"/>; immutable once built, and safe to share between threads.
/// </summary>
public sealed class ScanRule
{
    /// <summary>The keys a rule's hashtable may hold.</summary>
    public static readonly IReadOnlyList<string> Keys = new[]
    {
        "Id", "Description", "Severity", "Path", "Name", "ExcludePath", "MinimumSize", "MaximumSize", "Mode",
        "OlderThanDays", "OwnerId", "Pattern", "Keywords", "SecretGroup", "MinimumEntropy", "IncludeBinary", "MaximumFileSize",
    };

    /// <summary>How long one pattern may run on one file before the file's matches of that rule are given up (1 s).</summary>
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest Pattern a rule may have: 32,768 characters. Built-in patterns are under 300. A newcomer's rule of
    /// 200,000 alternatives (2.6 MB) overflowed the stack while .NET compiled it, ending the process; 60,000 (0.77 MB)
    /// took 11 s to compile on its first match (measured here, pwsh 7.6.9).
    /// </summary>
    public const int MaxPatternLength = 32_768;

    private WildcardPattern[] _path = Array.Empty<WildcardPattern>();
    private WildcardPattern[] _name = Array.Empty<WildcardPattern>();
    private WildcardPattern[] _excludePath = Array.Empty<WildcardPattern>();

    private ScanRule(string id) => Id = id;

    /// <summary>Lower-case letters, digits and dashes, as gitleaks names its rules (for example <c>aws-access-key-id</c>).</summary>
    public string Id { get; }

    /// <summary>What a match means, in a sentence.</summary>
    public string Description { get; private init; } = string.Empty;

    /// <summary>How much a match matters.</summary>
    public RuleSeverity Severity { get; private init; } = RuleSeverity.Medium;

    /// <summary>Full-path wildcards, any one of which must match; empty for any path.</summary>
    public IReadOnlyList<string> Path { get; private set; } = Array.Empty<string>();

    /// <summary>File-name wildcards (case ignored), any one of which must match; empty for any name.</summary>
    public IReadOnlyList<string> Name { get; private set; } = Array.Empty<string>();

    /// <summary>Full-path wildcards none of which may match.</summary>
    public IReadOnlyList<string> ExcludePath { get; private set; } = Array.Empty<string>();

    /// <summary>Smallest size in bytes, inclusive; null for none.</summary>
    public long? MinimumSize { get; private init; }

    /// <summary>Largest size in bytes, inclusive; null for none.</summary>
    public long? MaximumSize { get; private init; }

    /// <summary>Mode bits of which at least one must be set; <see cref="RuleMode.None"/> for no condition.</summary>
    public RuleMode Mode { get; private init; }

    /// <summary>Only files last written more than this many days ago.</summary>
    public double? OlderThanDays { get; private init; }

    /// <summary>Only files owned by one of these user ids; empty for any owner.</summary>
    public IReadOnlyList<long> OwnerId { get; private init; } = Array.Empty<long>();

    /// <summary>The content pattern (.NET regular expression syntax); null for a property rule.</summary>
    public string? Pattern { get; private init; }

    /// <summary>Words of which one must appear in the file (case ignored) before the pattern is run.</summary>
    public IReadOnlyList<string> Keywords { get; private init; } = Array.Empty<string>();

    /// <summary>The group that holds the secret: a name or a number; by default the group named <c>secret</c>, else group 1, else the whole match.</summary>
    public string? SecretGroup { get; private init; }

    /// <summary>Least Shannon entropy of the secret, in bits per character (random base64 is near 6, English words near 3); null for none.</summary>
    public double? MinimumEntropy { get; private init; }

    /// <summary>Run the pattern on files that look binary (a NUL byte in the first 8,000 bytes, as git decides) too.</summary>
    public bool IncludeBinary { get; private init; }

    /// <summary>Largest file whose content the pattern reads, in bytes; null for the scan's limit.</summary>
    public long? MaximumFileSize { get; private init; }

    /// <summary>True when the rule reads content.</summary>
    public bool IsContentRule => Pattern is not null;

    /// <summary>Content (a Pattern run on the file's text) or Property (path, name, size, mode, age, owner only), as Get-ScanRule shows it.</summary>
    public RuleKind Kind => IsContentRule ? RuleKind.Content : RuleKind.Property;

    internal Regex? Regex { get; private set; }

    /// <summary>True for a rule of ScanTools' own rules file (its pattern cannot be changed by the user).</summary>
    internal bool IsBuiltin { get; private set; }

    /// <summary>The rules file the rule was read from, as given to <see cref="RuleSet.Load"/>; empty for a built-in rule.</summary>
    internal string Source { get; private init; } = string.Empty;

    private Regex?[]? _longer;

    /// <summary>
    /// The pattern with the time limit for a text of <paramref name="length"/> characters: the rule's limit
    /// (<see cref="DefaultMatchTimeout"/>, 1 s) for up to 512 KiB, and as much again for each further 512 KiB, rounded up
    /// to a power of two (2, 4, 8 ... times). The built-in connection-string-password rule reads about 1.2 MB a second
    /// of its worst padding (a key and a code-like value repeated). A pattern that runs in linear time needs more on more text: the built-in
    /// private-key rule reads about 5 MB a second of unterminated BEGIN blocks, so 9 MB of them before a real key hit
    /// a flat 1 s limit and hid the key. A runaway pattern is still stopped, later on a larger file.
    /// </summary>
    /// <remarks>With <paramref name="retry"/>, 8 times that: the second try after a time-out (RuleEvaluator).</remarks>
    internal Regex RegexFor(int length, bool retry = false)
    {
        int units = (int)(((long)length + (1 << 19) - 1) >> 19); // of 512 KiB
        int doubling = units <= 1 ? 0 : System.Numerics.BitOperations.Log2((uint)(units - 1)) + 1; // 2 units: 1, 3-4: 2, 5-8: 3 ...
        doubling += retry ? 3 : 0;
        if (doubling == 0)
        {
            return Regex!;
        }
        Regex?[] cache = _longer ?? Interlocked.CompareExchange(ref _longer, new Regex?[40], null) ?? _longer!;
        return cache[doubling] ??= new Regex(Pattern!, Regex!.Options, Regex.MatchTimeout * (1L << doubling));
    }



    internal int SecretGroupNumber { get; private set; }

    /// <inheritdoc />
    public override string ToString() => Id;

    /// <summary>True when the file's path, name, size and metadata satisfy every property condition.</summary>
    internal bool PropertiesHold(string fullPath, string name, long size, int? mode, DateTime lastWriteUtc, uint? ownerId, DateTime nowUtc)
    {
        if (MinimumSize is long min && size < min)
        {
            return false;
        }
        if (MaximumSize is long max && size > max)
        {
            return false;
        }
        if (Mode != RuleMode.None)
        {
            if (mode is not int m)
            {
                return false;
            }
            bool any = (Mode.HasFlag(RuleMode.WorldWritable) && (m & 0b010) != 0)
                || (Mode.HasFlag(RuleMode.SetUid) && (m & 0x800) != 0)
                || (Mode.HasFlag(RuleMode.SetGid) && (m & 0x400) != 0)
                || (Mode.HasFlag(RuleMode.Executable) && (m & 0b001_001_001) != 0);
            if (!any)
            {
                return false;
            }
        }
        if (OlderThanDays is double days && (nowUtc - lastWriteUtc).TotalDays <= days)
        {
            return false;
        }
        if (OwnerId.Count > 0 && (ownerId is not uint uid || !OwnerId.Contains(uid)))
        {
            return false;
        }
        if (_name.Length > 0 && !_name.Any(p => p.IsMatch(name)))
        {
            return false;
        }
        if (_path.Length > 0 && !_path.Any(p => p.IsMatch(fullPath)))
        {
            return false;
        }
        return _excludePath.Length == 0 || !_excludePath.Any(p => p.IsMatch(fullPath));
    }

    /// <summary>Where a match's text begins, counting its place group (<see cref="PlaceGroup"/>) when that took part before it.</summary>
    internal static int StartOf(Match match) =>
        match.Groups[PlaceGroup] is { Success: true } place && place.Index < match.Index ? place.Index : match.Index;

    /// <summary>A match's text, from its place group (<see cref="StartOf"/>) to its end: what an excerpt shows.</summary>
    internal static string TextOf(string text, Match match)
    {
        int start = StartOf(match);
        return text[start..(match.Index + match.Length)];
    }

    /// <summary>
    /// The secret of a match: the secret group's text; empty (no finding) when that group did not take part, as in
    /// 'API_TOKEN=(?&lt;secret&gt;\S+)?' on a line with no value (the whole match was taken for the secret, and the key was
    /// cut from every excerpt of the file: newcomer tests 67 and 70). A rule without groups takes the whole match.
    /// </summary>
    internal string SecretOf(Match match)
    {
        Group g = match.Groups[SecretGroupNumber];
        return g.Success ? g.Value : string.Empty;
    }

    /// <summary>The group of a Pattern, inside a look-behind, that marks where its finding begins, before the match: the rest of a key.</summary>
    internal const string PlaceGroup = "place";

    /// <summary>
    /// Where a finding is placed: the start of the group named place when it took part (a look-behind before the match:
    /// connection-string-password's match begins at its keyword, which .NET finds fast, and place holds the rest of the
    /// key, as DB_ of DB_PASSWORD), else the match's; then its first character that is not white space.
    /// </summary>
    internal static int PlaceOf(string text, Match match)
    {
        int at = StartOf(match), end = match.Index + match.Length;
        while (at < end - 1 && char.IsWhiteSpace(text[at]))
        {
            at++;
        }
        return at;
    }

    /// <summary>Builds a rule from a data file's hashtable.</summary>
    /// <param name="table">The rule's keys (see <see cref="Keys"/>), case ignored.</param>
    /// <param name="source">Where the rule comes from, for error messages (a file name).</param>
    /// <param name="matchTimeout">How long the pattern may run on one file; <see cref="DefaultMatchTimeout"/> by default.</param>
    /// <exception cref="FormatException">A key is unknown, a value has the wrong type, or the pattern does not compile; the message says which and how to fix it.</exception>
    /// <param name="lineOf">Where a key (null: the rule itself) sits in its file, for messages; from <see cref="DataFile.LineOf"/>.</param>
    public static ScanRule FromTable(IReadOnlyDictionary<string, object?> table, string source, TimeSpan? matchTimeout = null, Func<string?, int?>? lineOf = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        try
        {
            return Build(table, source, matchTimeout);
        }
        catch (FormatException ex) when (lineOf is not null && ex.Message.StartsWith(source + ":", StringComparison.Ordinal))
        {
            // Name the line: of the key the message is about, else of the rule.
            string? key = table.Keys.FirstOrDefault(k => ex.Message.Contains($"'{k}'", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains($": {k} ", StringComparison.OrdinalIgnoreCase)
                || ex.Message.Contains($"{k} must", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains($"the {k}", StringComparison.OrdinalIgnoreCase));
            int? line = lineOf(key) ?? lineOf(null);
            throw line is int l ? new FormatException($"{source}:{l}:{ex.Message[(source.Length + 1)..]}", ex) : ex;
        }
    }

    private static ScanRule Build(IReadOnlyDictionary<string, object?> table, string source, TimeSpan? matchTimeout)
    {
        string id = Text(table, "Id", source, "(no id)") ?? throw new FormatException($"{source}: a rule has no Id. Give each rule an Id such as 'my-api-token'.");
        string where = $"{source}: rule '{id}'";
        if (id.Length is 0 or > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new FormatException($"{where}: an Id has 1 to 100 ASCII letters (a-z, A-Z), digits, '-', '_' or '.'.");
        }
        foreach (string key in table.Keys)
        {
            if (!Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new FormatException($"{where}: '{key}' is not a rule key. The keys are {string.Join(", ", Keys)}.");
            }
        }
        string? severityText = Text(table, "Severity", source, id);
        RuleSeverity severity = RuleSeverity.Medium;
        if (severityText is not null && (!Enum.TryParse(severityText, ignoreCase: true, out severity) || !Enum.IsDefined(severity) || char.IsDigit(severityText[0])))
        {
            throw new FormatException($"{where}: Severity '{severityText}' is not one of {string.Join(", ", Enum.GetNames<RuleSeverity>())}.");
        }
        RuleMode mode = RuleMode.None;
        foreach (string m in Texts(table, "Mode", source, id))
        {
            if (!Enum.TryParse(m, ignoreCase: true, out RuleMode one) || one == RuleMode.None || !Enum.IsDefined(one) || char.IsDigit(m[0]))
            {
                throw new FormatException($"{where}: Mode '{m}' is not one of WorldWritable, SetUid, SetGid, Executable.");
            }
            mode |= one;
        }
        var rule = new ScanRule(id)
        {
            IsBuiltin = source == "BuiltinRules.psd1",
            Source = source == "BuiltinRules.psd1" ? string.Empty : source,
            Description = Text(table, "Description", source, id) ?? string.Empty,
            Severity = severity,
            MinimumSize = Number(table, "MinimumSize", source, id),
            MaximumSize = Number(table, "MaximumSize", source, id),
            Mode = mode,
            OlderThanDays = Real(table, "OlderThanDays", source, id),
            OwnerId = Numbers(table, "OwnerId", source, id),
            Pattern = Text(table, "Pattern", source, id),
            Keywords = KeywordList(table, source, id),
            SecretGroup = !table.TryGetValue("SecretGroup", out object? sg) ? null : sg is null ? throw NullKey("SecretGroup", source, id) : Convert.ToString(sg, CultureInfo.InvariantCulture),
            MinimumEntropy = Real(table, "MinimumEntropy", source, id),
            IncludeBinary = Flag(table, "IncludeBinary", source, id),
            MaximumFileSize = Number(table, "MaximumFileSize", source, id),
        };
        rule.Path = FullPathWildcards(table, "Path", source, id);
        rule.Name = Texts(table, "Name", source, id);
        if (rule.Name.Any(n => n.Length == 0) || (table.TryGetValue("Name", out object? names) && names is not null && rule.Name.Count == 0))
        {
            throw new FormatException($"{source}: rule '{id}': Name '' matches no file (no file has an empty name). Give a file-name wildcard such as '*.env', or leave Name out.");
        }
        rule.ExcludePath = FullPathWildcards(table, "ExcludePath", source, id);
        try
        {
            rule._path = rule.Path.Select(p => new WildcardPattern(p, ignoreCase: !OperatingSystem.IsLinux())).ToArray();
            rule._name = rule.Name.Select(p => new WildcardPattern(p, ignoreCase: true)).ToArray();
            rule._excludePath = rule.ExcludePath.Select(p => new WildcardPattern(p, ignoreCase: !OperatingSystem.IsLinux())).ToArray();
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{where}: a Path, Name or ExcludePath wildcard is malformed: {ex.Message.Split(" (Parameter")[0]}");
        }
        if (rule.Pattern is null && (rule.Keywords.Count > 0 || rule.SecretGroup is not null || rule.MinimumEntropy is not null || rule.IncludeBinary || rule.MaximumFileSize is not null))
        {
            throw new FormatException($"{where}: Keywords, SecretGroup, MinimumEntropy, IncludeBinary and MaximumFileSize apply to a content Pattern, and the rule has none.");
        }
        if (rule.Pattern is null && rule.Path.Count + rule.Name.Count == 0 && rule.MinimumSize is null && rule.MaximumSize is null
            && rule.Mode == RuleMode.None && rule.OlderThanDays is null && rule.OwnerId.Count == 0)
        {
            throw new FormatException($"{where}: the rule sets no condition, so it would match every file. Give it a Pattern, or a Path, Name, size, Mode, OlderThanDays or OwnerId condition.");
        }
        if (rule.MinimumSize is long lo && rule.MaximumSize is long hi && lo > hi)
        {
            throw new FormatException($"{where}: MinimumSize ({lo:N0}) is larger than MaximumSize ({hi:N0}), so the rule could never match.");
        }
        if (rule.MaximumFileSize is 0)
        {
            throw new FormatException($"{where}: MaximumFileSize is 0, so the rule would never read a file. Leave it out to use the scan's -ContentSizeLimit.");
        }
        if (rule.MaximumFileSize is > 1L << 30)
        {
            // The rules read at most RuleSet.MaxContentLength bytes of any file (the longest string .NET holds): 5GB was
            // taken without a word, and files above 1 GiB were still skipped as too large.
            throw new FormatException($"{where}: MaximumFileSize is {rule.MaximumFileSize:N0} bytes, but the rules read at most {RuleSet.MaxContentLength:N0} bytes (1 GiB less 33) of a file, the longest text .NET holds. Give 1GB or less; larger files are counted as too large (OversizedSkipped) and not read.");
        }
        if (rule.MinimumEntropy is > 16)
        {
            throw new FormatException($"{where}: MinimumEntropy {rule.MinimumEntropy} bits per character cannot be reached (random text of any alphabet a file holds stays below 16); random base64 is near 6.");
        }
        if (rule.Pattern is { Length: 0 })
        {
            throw new FormatException($"{where}: the Pattern is empty.");
        }
        if (rule.Pattern is { Length: > MaxPatternLength })
        {
            throw new FormatException($"{where}: the Pattern is {rule.Pattern.Length:N0} characters long; at most {MaxPatternLength:N0} are allowed. Split it into several rules, or give a short Pattern with the literal words in Keywords.");
        }
        if (rule.Pattern is not null)
        {
            try
            {
                rule.Regex = new Regex(rule.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, matchTimeout ?? DefaultMatchTimeout);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"{where}: the Pattern is not a valid .NET regular expression: {ex.Message}");
            }
            if (rule.SecretGroup is string g)
            {
                int n = int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out int number) ? number : rule.Regex.GroupNumberFromName(g);
                if (n < 0 || n >= rule.Regex.GetGroupNumbers().Length || !rule.Regex.GetGroupNumbers().Contains(n))
                {
                    throw new FormatException($"{where}: SecretGroup '{g}' is not a group of the Pattern.");
                }
                rule.SecretGroupNumber = n;
            }
            else
            {
                int named = rule.Regex.GroupNumberFromName("secret");
                // The groups that could hold the secret: not the whole match, nor the groups that only place or hide.
                int[] candidates = rule.Regex.GetGroupNumbers()
                    .Where(n => n > 0 && rule.Regex.GroupNameFromNumber(n) is not (PlaceGroup or RuleEvaluator.HiddenGroup))
                    .ToArray();
                if (named < 0 && candidates.Length > 1)
                {
                    // Group 1 of '(admin|user)=(\S+)' is the key: the password would have been stored in the excerpt (newcomer test 67).
                    throw new FormatException($"{where}: the Pattern has {candidates.Length} capturing groups and none is named secret, so which one holds the secret is not clear; a wrong guess would store the secret in clear. Name it (?<secret>...), or set SecretGroup, or make the other groups non-capturing with (?:...).");
                }
                rule.SecretGroupNumber = named >= 0 ? named : candidates.Length == 1 ? candidates[0] : 0;
            }
            if (rule.Regex.Match(string.Empty).Success)
            {
                throw new FormatException($"{where}: the Pattern matches empty text, so it would match everywhere without finding anything. Make it require at least one character.");
            }
        }
        return rule;
    }

    // A key given as $null is a mistake, not "leave it out": Pattern = $null made a content rule a property rule that
    // matched every file of its Name, without a word (newcomer test 74).
    private static string? Text(IReadOnlyDictionary<string, object?> t, string key, string source, string id) =>
        !t.TryGetValue(key, out object? v) ? null
        : v is null ? throw NullKey(key, source, id)
        : v is string s ? s
        : throw new FormatException($"{source}: rule '{id}': {key} must be a quoted string.");

    private static FormatException NullKey(string key, string source, string id) =>
        new($"{source}: rule '{id}': {key} is $null. Give it a value{(key == "Id" ? string.Empty : $", or leave {key} out")}."); // Id is required: leaving it out is no advice (newcomer test 78)

    private static IReadOnlyList<string> Texts(IReadOnlyDictionary<string, object?> t, string key, string source, string id)
    {
        if (!t.TryGetValue(key, out object? v))
        {
            return Array.Empty<string>();
        }
        if (v is null)
        {
            throw NullKey(key, source, id);
        }
        IEnumerable<object?> items = v is List<object?> list ? list : new[] { v };
        return items.Select(i => i as string ?? throw new FormatException($"{source}: rule '{id}': {key} must be a quoted string or a list of them.")).ToArray();
    }

    /// <summary>
    /// Path and ExcludePath: wildcards on a file's full path, so each starts at the root ('/', a drive, '\\') or with a
    /// wildcard. An empty or relative one ('t11/*') matched nothing, and the rule never applied, without a word.
    /// </summary>
    private static IReadOnlyList<string> FullPathWildcards(IReadOnlyDictionary<string, object?> t, string key, string source, string id)
    {
        IReadOnlyList<string> paths = Texts(t, key, source, id);
        if (t.TryGetValue(key, out object? given) && given is not null && paths.Count == 0)
        {
            throw new FormatException($"{source}: rule '{id}': {key} holds no wildcard. Give one, or leave {key} out.");
        }
        foreach (string p in paths)
        {
            if (p.StartsWith('~'))
            {
                throw new FormatException($"{source}: rule '{id}': {key} '{p}' starts with '~', which a rules file does not expand. Give the full path, for example '{Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)}{p[1..]}'.");
            }
            bool full = p.Length > 0 && (p[0] is '/' or '*' or '?' or '[' or '\\' || (p.Length > 1 && char.IsAsciiLetter(p[0]) && p[1] == ':'));
            if (!full)
            {
                throw new FormatException($"{source}: rule '{id}': {key} '{p}' is not a full path, and {key} wildcards match full paths, so it would match nothing. "
                    + "Start it with '/' or a wildcard, for example '*/" + p.TrimStart('.', '/') + "'.");
            }
        }
        return paths;
    }

    /// <summary>Keywords: given, each is a word to look for; given empty (Keywords = '' or @()) is a mistake, not "every file".</summary>
    private static string[] KeywordList(IReadOnlyDictionary<string, object?> t, string source, string id)
    {
        IReadOnlyList<string> words = Texts(t, "Keywords", source, id);
        if (t.TryGetValue("Keywords", out object? v) && v is not null && (words.Count == 0 || words.Any(w => w.Trim().Length == 0)))
        {
            throw new FormatException($"{source}: rule '{id}': Keywords holds no word (or an empty one). Give the words a file must hold for the rule to look at it, or leave Keywords out to check every file.");
        }
        return words.ToArray();
    }

    private static long? Number(IReadOnlyDictionary<string, object?> t, string key, string source, string id) =>
        !t.TryGetValue(key, out object? v) ? null
        : v is null ? throw NullKey(key, source, id)
        : v is long n && n >= 0 ? n
        : v is double d && d >= 0 && d <= long.MaxValue && Math.Floor(d) == d ? (long)d // 1.5KB is 1536 bytes
        : throw new FormatException($"{source}: rule '{id}': {key} must be a whole number of bytes, {(key == "MaximumFileSize" ? "1" : "0")} or more (1MB and 1GB are allowed).");

    private static IReadOnlyList<long> Numbers(IReadOnlyDictionary<string, object?> t, string key, string source, string id)
    {
        if (!t.TryGetValue(key, out object? v))
        {
            return Array.Empty<long>();
        }
        if (v is null)
        {
            throw NullKey(key, source, id);
        }
        IEnumerable<object?> items = v is List<object?> list ? list : new[] { v };
        return items.Select(i => i is long n && n >= 0 ? n : throw new FormatException($"{source}: rule '{id}': {key} must be a number or a list of numbers (user ids).")).ToArray();
    }

    private static double? Real(IReadOnlyDictionary<string, object?> t, string key, string source, string id) =>
        !t.TryGetValue(key, out object? v) ? null
        : v is null ? throw NullKey(key, source, id)
        : v is long n && n >= 0 ? n
        : v is double d && d >= 0 && double.IsFinite(d) ? d
        : throw new FormatException($"{source}: rule '{id}': {key} must be a number, 0 or more.");

    private static bool Flag(IReadOnlyDictionary<string, object?> t, string key, string source, string id) =>
        t.TryGetValue(key, out object? v)
        && (v is bool b ? b : throw (v is null ? NullKey(key, source, id) : new FormatException($"{source}: rule '{id}': {key} must be $true or $false.")));
}
