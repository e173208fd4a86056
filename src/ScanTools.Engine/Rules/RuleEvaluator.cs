using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ScanTools.Platform;
using ScanTools.Scanning;

namespace ScanTools.Rules;

/// <summary>Counts of what rules did in one run (added up over the workers).</summary>
public sealed class RuleStatistics
{
    private long _contentFiles, _contentBytes, _binarySkipped, _oversizedSkipped, _matches;

    /// <summary>Files whose content the rules read.</summary>
    public long ContentFiles => Interlocked.Read(ref _contentFiles);

    /// <summary>Bytes of content the rules read.</summary>
    public long ContentBytes => Interlocked.Read(ref _contentBytes);

    /// <summary>Files a content rule applied to but that look binary (a NUL byte in the first 8,000 bytes), so were not matched.</summary>
    public long BinarySkipped => Interlocked.Read(ref _binarySkipped);

    /// <summary>Files a content rule applied to but that are larger than its size limit, so were not read.</summary>
    public long OversizedSkipped => Interlocked.Read(ref _oversizedSkipped);

    /// <summary>Matches found (after entropy checks and redaction).</summary>
    public long Matches => Interlocked.Read(ref _matches);

    internal void AddContent(long bytes)
    {
        Interlocked.Increment(ref _contentFiles);
        Interlocked.Add(ref _contentBytes, bytes);
    }

    internal void AddBinary() => Interlocked.Increment(ref _binarySkipped);

    internal void AddOversized() => Interlocked.Increment(ref _oversizedSkipped);

    internal void AddMatches(int n) => Interlocked.Add(ref _matches, n);

    /// <summary>
    /// Files on which one rule may run out of time, for good (after its second try), before the run stops applying it: 3. A
    /// pattern that backtracks without end ((a+)+b) cost a second or more on every file it met, so a nightly scan of a
    /// million files with it would never end (newcomer test 74).
    /// </summary>
    public const int TimeoutsBeforeDropped = 3;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _timeouts = new(StringComparer.Ordinal);

    /// <summary>Counts one more file on which <paramref name="ruleId"/> ran out of time; true for the one that reaches the limit.</summary>
    internal bool AddTimeout(string ruleId) => _timeouts.AddOrUpdate(ruleId, 1, (_, n) => n + 1) == TimeoutsBeforeDropped;

    /// <summary>Whether this run no longer applies <paramref name="ruleId"/> (it ran out of time on <see cref="TimeoutsBeforeDropped"/> files).</summary>
    internal bool IsDropped(string ruleId) => _timeouts.TryGetValue(ruleId, out int n) && n >= TimeoutsBeforeDropped;
}

/// <summary>
/// Applies a <see cref="RuleSet"/> to files on one walker thread (one instance per thread). The walker asks
/// <see cref="CaptureLimit"/> how much content to read, reads it once for hash and rules together, and hands
/// it to <see cref="Evaluate"/>. Secrets never leave this class: a match carries its place, a redacted
/// excerpt and a fingerprint.
/// </summary>
internal sealed class RuleEvaluator
{
    /// <summary>git's test for binary content: a NUL byte in the first 8,000 bytes.</summary>
    internal const int BinaryProbe = 8000;

    /// <summary>At most this many matches of one rule in one file are kept; more are reported as one error item.</summary>
    internal const int MaxMatchesPerRule = 1000;

    private readonly RuleSet _set;
    private readonly long _limit;
    private readonly DateTime _nowUtc;
    private readonly RuleStatistics _stats;
    private readonly Dictionary<string, bool> _keywordSeen = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _secretsOfRule = new(StringComparer.Ordinal);

    /// <summary>
    /// The most matches one rule is followed through in one file, repeats of a secret included: 100,000, so that a file
    /// of the same fake secret repeated costs bounded time (each match is a few µs) while repeats no longer fill
    /// <see cref="MaxMatchesPerRule"/>.
    /// </summary>
    internal const int MaxMatchesTried = 100_000;
    private List<int>? _lineStarts;

    public RuleEvaluator(RuleSet set, long contentSizeLimit, DateTime nowUtc, RuleStatistics stats)
    {
        _set = set;
        _limit = contentSizeLimit;
        _nowUtc = nowUtc;
        _stats = stats;
    }

    /// <summary>True when the set holds rules of any kind.</summary>
    public bool Active => _set.Rules.Count > 0;

    /// <summary>
    /// How many bytes of this file the content rules need (0: none apply, or the file is larger than every
    /// applicable rule's limit, which is then counted as skipped).
    /// </summary>
    public int CaptureLimit(string fullPath, string name, in EntryStat stat)
    {
        ContentSkipped = false;
        if (stat.Kind != EntryKind.File || _set.ContentRules.Length == 0 || stat.Length == 0)
        {
            return 0;
        }
        long need = 0;
        bool oversized = false;
        foreach (ScanRule r in _set.ContentRules)
        {
            if (!Applies(r, fullPath, name, stat))
            {
                continue;
            }
            long limit = Math.Min(r.MaximumFileSize ?? _limit, RuleSet.MaxContentLength);
            if (stat.Length > limit && stat.Length is not 4096)
            {
                oversized = true;
                continue;
            }
            need = Math.Max(need, limit);
        }
        if (oversized)
        {
            ContentSkipped = true; // some content rule applied and could not read the file
            if (need == 0)
            {
                _stats.AddOversized();
            }
        }
        return (int)Math.Min(need, RuleSet.MaxContentLength);
    }

    /// <summary>
    /// After <see cref="CaptureLimit"/> and <see cref="Evaluate"/>: a content rule applied to the file but did not
    /// look at its content (too large, binary, or read in part). Its earlier findings must then stay open: a
    /// rule that did not look cannot say the secret is gone.
    /// </summary>
    public bool ContentSkipped { get; private set; }

    private bool Applies(ScanRule r, string fullPath, string name, in EntryStat stat) =>
        r.PropertiesHold(fullPath, name, stat.Length, stat.UnixMode, new DateTime(stat.LastWriteTicksUtc, DateTimeKind.Utc), stat.UserId, _nowUtc);

    /// <summary>
    /// The matches of every rule on one regular file. <paramref name="content"/> is what was read (empty when
    /// nothing was); <paramref name="contentComplete"/> is false when the file was longer than what was read.
    /// Problems (a pattern that timed out, too many matches) go to <paramref name="problems"/>; a problem of one
    /// rule never stops the others. Returns null when nothing matched.
    /// </summary>
    public List<RuleMatch>? Evaluate(string fullPath, string name, in EntryStat stat, ReadOnlySpan<byte> content, bool contentComplete, List<ScanError> problems)
    {
        if (stat.Kind != EntryKind.File)
        {
            return null;
        }
        List<RuleMatch>? matches = null;
        foreach (ScanRule r in _set.PropertyRules)
        {
            if (Applies(r, fullPath, name, stat))
            {
                (matches ??= new List<RuleMatch>()).Add(new RuleMatch(r.Id, r.Severity, null, null, Describe(r, name, stat), Fingerprint(r.Id, fullPath, string.Empty)));
            }
        }
        if (content.Length > 0 && _set.ContentRules.Length > 0)
        {
            MatchContent(fullPath, name, stat, content, contentComplete, problems, ref matches);
        }
        if (matches is not null)
        {
            _stats.AddMatches(matches.Count);
        }
        return matches;
    }

    private void MatchContent(string fullPath, string name, in EntryStat stat, ReadOnlySpan<byte> content, bool complete, List<ScanError> problems, ref List<RuleMatch>? matches)
    {
        bool utf16 = content.Length >= 2 && ((content[0] == 0xFF && content[1] == 0xFE) || (content[0] == 0xFE && content[1] == 0xFF));
        bool binary = !utf16 && content[..Math.Min(content.Length, BinaryProbe)].Contains((byte)0);
        string? text = null;
        _keywordSeen.Clear();
        _lineStarts = null;
        _found.Clear(); // never another file's matches, even after a failure that left the last file's here
        _hidden.Clear();
        bool counted = false, skippedBinary = false, skippedOversized = false;
        foreach (ScanRule r in _set.ContentRules)
        {
            if (!Applies(r, fullPath, name, stat))
            {
                continue;
            }
            long limit = Math.Min(r.MaximumFileSize ?? _limit, RuleSet.MaxContentLength);
            if (!complete || content.Length > limit)
            {
                // Larger than this rule reads. A stat size of 4096 (a sysfs pseudo-file) was read up to the limit to
                // find its true size; a regular file of 4096 bytes over the limit is not matched on its first bytes.
                skippedOversized = true;
                continue;
            }
            if (binary && !r.IncludeBinary)
            {
                skippedBinary = true;
                continue;
            }
            if (text is null)
            {
                try
                {
                    text = Decode(content, utf16);
                }
                catch (OutOfMemoryException)
                {
                    // Several workers each decoding a file near the limit at once: this file goes unread, the scan goes on.
                    problems.Add(new ScanError(fullPath, ScanErrorKind.ContentUnreadable,
                        $"The file's text ({content.Length:N0} bytes) did not fit in memory to be matched by the rules; its content was not read. Lower -ContentSizeLimit or -ThrottleLimit."));
                    ContentSkipped = true;
                    _found.Clear();
                    _hidden.Clear();
                    return;
                }
            }
            if (!counted)
            {
                _stats.AddContent(content.Length);
                counted = true;
            }
            if (r.Keywords.Count > 0 && !r.Keywords.Any(k => Seen(text, k)))
            {
                continue;
            }
            if (_stats.IsDropped(r.Id))
            {
                ContentSkipped = true; // not read by it: its findings here are kept, and the next scan reads the file again
                continue;
            }
            // A timeout on a busy host is the host's, not the file's: at a load of 30 on 2 cores a 29-byte file hit the 1 s
            // limit and its secret went unreported. So a timeout is tried again once, with 8 times the limit, after the
            // matches of the first try are set aside; a rule whose second try also runs out gets no more second tries.
            int mark = _found.Count;
            Regex regex = r.RegexFor(text.Length);
            for (bool retried = false; ; retried = true)
            {
                try
                {
                    MatchRule(r, regex, text, fullPath, problems);
                    break;
                }
                catch (RegexMatchTimeoutException)
                {
                    if (!retried && !_timeoutsFinal.Contains(r.Id))
                    {
                        _found.RemoveRange(mark, _found.Count - mark);
                        regex = r.RegexFor(text.Length, retry: true);
                        continue;
                    }
                    if (retried)
                    {
                        _timeoutsFinal.Add(r.Id); // the pattern, not a busy host, is the likelier cause: no more 9-fold waits
                    }
                    bool dropped = _stats.AddTimeout(r.Id);
                    problems.Add(new ScanError(fullPath, ScanErrorKind.RuleFailed,
                        $"Rule '{r.Id}' ran longer than {regex.MatchTimeout.TotalSeconds:0.###} s on this file ({text.Length:N0} characters){(retried ? " on a second try" : string.Empty)} and was stopped; matches it found before are recorded. "
                        + (dropped
                            ? $"It has now run out of time on {RuleStatistics.TimeoutsBeforeDropped} files, so this run applies it to no more files: the files it would have read keep their findings of it, and the next scan reads them again. "
                            : string.Empty)
                        + "On a very busy machine, scan it again when it is quieter. "
                        + (r.IsBuiltin
                            ? "It is a built-in rule: otherwise the file may be made to slow it down, so look at it yourself."
                            : "Otherwise simplify the rule's Pattern or give it Keywords.")));
                    break;
                }
            }
        }
        // Every excerpt hides every secret found in the file, by any rule: a URL's user name can be a token another rule
        // found (https://ghp_...:x-oauth-basic@github.com), which url-password's excerpt would otherwise show whole.
        string[] hide = _hidden.OrderByDescending(h => h.Length).ToArray();
        foreach (var f in _found)
        {
            (matches ??= new List<RuleMatch>()).Add(new RuleMatch(f.Rule.Id, f.Rule.Severity, f.Line, f.Column, Excerpt(f.Matched, hide), f.Fingerprint));
        }
        _found.Clear();
        _hidden.Clear();
        if (skippedBinary || skippedOversized)
        {
            ContentSkipped = true;
        }
        if (skippedBinary && !counted)
        {
            _stats.AddBinary();
        }
        else if (skippedOversized && !counted)
        {
            _stats.AddOversized();
        }
    }

    private bool Seen(string text, string keyword)
    {
        if (!_keywordSeen.TryGetValue(keyword, out bool seen))
        {
            _keywordSeen[keyword] = seen = text.Contains(keyword, StringComparison.OrdinalIgnoreCase);
        }
        return seen;
    }

    private static string Decode(ReadOnlySpan<byte> content, bool utf16)
    {
        if (utf16)
        {
            Encoding e = content[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode;
            return e.GetString(content[2..(2 + ((content.Length - 2) & ~1))]);
        }
        if (content.Length >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF)
        {
            content = content[3..];
        }
        return Encoding.UTF8.GetString(content); // invalid bytes become U+FFFD: Latin-1 text still matches its ASCII parts
    }

    /// <summary>1-based line and column (UTF-16 code units) of <paramref name="index"/>.</summary>
    private (int Line, int Column) Place(string text, int index)
    {
        if (_lineStarts is null)
        {
            _lineStarts = new List<int> { 0 };
            for (int i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1))
            {
                _lineStarts.Add(i + 1);
            }
        }
        int n = _lineStarts.BinarySearch(index);
        int line = n >= 0 ? n : ~n - 1;
        return (line + 1, index - _lineStarts[line] + 1);
    }

    /// <summary>
    /// What a report may show of a secret: at most 4 leading characters, and no more than a quarter of it,
    /// then an ellipsis ("AKIA…" of a 20-character key id, "hu…" of "hunter22").
    /// </summary>
    internal static string Redact(string secret) => WholeCharacters(secret, Math.Min(4, secret.Length / 4)) + "…";

    /// <summary>The first <paramref name="length"/> UTF-16 units of <paramref name="s"/>, one fewer if that would split a surrogate pair (an emoji showed as "a�").</summary>
    private static string WholeCharacters(string s, int length) =>
        length > 0 && length < s.Length && char.IsHighSurrogate(s[length - 1]) && char.IsLowSurrogate(s[length]) ? s[..(length - 1)] : s[..length];

    /// <summary>
    /// The name of a Pattern's group whose text an excerpt hides like the secret's, without it being the secret
    /// (url-password's user name, which is often a token).
    /// </summary>
    internal const string HiddenGroup = "redact";

    /// <summary>The most texts one file's excerpts hide (its secrets and redact groups); past it, the excerpts say only where.</summary>
    private const int MaxHidden = 4_096;

    private readonly List<(ScanRule Rule, int Line, int Column, string Matched, string Fingerprint)> _found = new();
    private readonly HashSet<string> _hidden = new(StringComparer.Ordinal);

    private readonly HashSet<string> _timeoutsFinal = new(StringComparer.Ordinal);

    /// <summary>Test seam: this many of the next rule runs end at once with a time-out, as on a host too busy to run them.</summary>
    internal int InjectedTimeouts { get; set; }

    /// <summary>One rule's matches in one file's text, into the file's findings; a time-out ends it with RegexMatchTimeoutException.</summary>
    private void MatchRule(ScanRule r, Regex regex, string text, string fullPath, List<ScanError> problems)
    {
        int found = 0, tried = 0;
        _secretsOfRule.Clear();
        if (InjectedTimeouts > 0)
        {
            InjectedTimeouts--;
            throw new RegexMatchTimeoutException(text, regex.ToString(), regex.MatchTimeout);
        }
        for (Match m = regex.Match(text); m.Success; m = m.NextMatch())
        {
            if (++tried > MaxMatchesTried)
            {
                problems.Add(new ScanError(fullPath, ScanErrorKind.RuleFailed,
                    $"Rule '{r.Id}' matched more than {MaxMatchesTried:N0} times in this file; the rest of the file was not checked by it. What it found before is recorded."));
                return;
            }
            string secret = r.SecretOf(m);
            if (secret.Length == 0 || (r.MinimumEntropy is double min && Entropy(secret) < min))
            {
                continue;
            }
            // Only new secrets count: the same one repeated 1,000 times (15 KB of 'pwd=fake;') filled the cap and
            // hid a real one after it. Repeats are one finding anyway (one fingerprint).
            string fingerprint = Fingerprint(r.Id, fullPath, secret);
            if (!_secretsOfRule.Add(fingerprint))
            {
                continue;
            }
            if (++found > MaxMatchesPerRule)
            {
                problems.Add(new ScanError(fullPath, ScanErrorKind.RuleFailed,
                    $"Rule '{r.Id}' found more than {MaxMatchesPerRule:N0} different secrets in this file; the first {MaxMatchesPerRule:N0} are recorded, and the rest of the file was not checked by it."));
                return;
            }
            (int line, int column) = Place(text, ScanRule.PlaceOf(text, m));
            _found.Add((r, line, column, ScanRule.TextOf(text, m), fingerprint));
            AddHidden(secret);
            if (regex.GroupNumberFromName(HiddenGroup) is int hidden and >= 0 && m.Groups[hidden] is { Success: true, Length: > 0 } g)
            {
                AddHidden(g.Value);
            }
        }
    }

    private void AddHidden(string text)
    {
        if (_hidden.Count < MaxHidden)
        {
            _hidden.Add(text);
        }
        else if (!_hidden.Contains(text))
        {
            _hidden.Add(string.Empty); // the marker: too many to hide one by one
        }
    }

    /// <summary>The matched text with the secret redacted, on one line, at most 120 characters.</summary>
    internal static string Excerpt(string matched, string secret) => Excerpt(matched, new[] { secret });

    /// <summary>
    /// The matched text with every occurrence of each of <paramref name="hide"/> redacted (longest first), on one line, at
    /// most 120 characters. An empty text in <paramref name="hide"/> means more were found than can be checked one by one:
    /// the excerpt is then only an ellipsis.
    /// </summary>
    internal static string Excerpt(string matched, IReadOnlyList<string> hide)
    {
        string redacted = matched;
        foreach (string h in hide)
        {
            if (h.Length == 0)
            {
                return "…";
            }
            if (redacted.Contains(h, StringComparison.Ordinal))
            {
                redacted = redacted.Replace(h, Redact(h), StringComparison.Ordinal);
            }
        }
        var sb = new StringBuilder(Math.Min(redacted.Length, 121));
        bool space = false;
        foreach (char c in redacted)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                if (!space && sb.Length > 0)
                {
                    sb.Append(' ');
                }
                space = true;
                continue;
            }
            space = false;
            sb.Append(c);
            if (sb.Length >= 120)
            {
                sb.Length = char.IsHighSurrogate(sb[118]) ? 118 : 119; // never half of a surrogate pair
                sb.Append('…');
                break;
            }
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>Shannon entropy in bits per character.</summary>
    internal static double Entropy(string s)
    {
        if (s.Length == 0)
        {
            return 0;
        }
        var counts = new Dictionary<char, int>();
        foreach (char c in s)
        {
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }
        double h = 0;
        foreach (int n in counts.Values)
        {
            double p = (double)n / s.Length;
            h -= p * Math.Log2(p);
        }
        return h;
    }

    /// <summary>32 hex digits: SHA-256 over rule id, full path and secret (each length-prefixed), first 128 bits.</summary>
    internal static string Fingerprint(string ruleId, string fullPath, string secret)
    {
        var sb = new StringBuilder(ruleId.Length + fullPath.Length + secret.Length + 24);
        foreach (string part in new[] { ruleId.ToLowerInvariant(), fullPath, secret })
        {
            sb.Append(part.Length).Append(':').Append(part).Append('\n');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        return Convert.ToHexString(SHA256.HashData(bytes), 0, 16).ToLowerInvariant();
    }

    /// <summary>What a property rule saw, as a finding's Excerpt: the value of its most telling condition.</summary>
    private static string Describe(ScanRule r, string name, in EntryStat stat) =>
        r.Mode != RuleMode.None ? $"mode {FileModeText.Format(stat.UnixMode)}"
        : r.MinimumSize is not null || r.MaximumSize is not null ? $"{stat.Length:N0} bytes"
        : r.OlderThanDays is not null ? $"last written {new DateTime(stat.LastWriteTicksUtc, DateTimeKind.Utc):yyyy-MM-dd}"
        : r.OwnerId.Count > 0 ? $"owner {stat.UserId}"
        : r.Name.Count > 0 ? $"name {name}" // a rule of names only said "path"
        : "path matches the rule's Path";
}
