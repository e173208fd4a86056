using System.Text;
using ScanTools.Matching;
using ScanTools.Platform;

namespace ScanTools.Storage;

/// <summary>
/// Compiles a <see cref="FindingQuery"/> to SQL. Every user value is a bound parameter. A path's
/// literal prefix becomes a range on the directories' path index; hash and removal filters use their
/// own indexes; extension, size and time filters are evaluated by SQLite over the rows (indexes on them
/// cost the writer too much, see CatalogSchema); what remains of a wildcard is matched by SQLite itself
/// (GLOB, LIKE, or a registered function when neither expresses it exactly).
/// </summary>
internal sealed class FindingSql
{
    /// <summary>The name of the function registered for wildcards LIKE and GLOB cannot express.</summary>
    public const string MatchFunction = "scantools_match";

    private static readonly char Sep = Path.DirectorySeparatorChar;

    private readonly StringBuilder _where = new();
    private int _next;

    private FindingSql()
    {
    }

    public string Text { get; private set; } = string.Empty;

    public List<KeyValuePair<string, object>> Parameters { get; } = new();

    /// <summary>Patterns the SQL calls <see cref="MatchFunction"/> with, by index.</summary>
    public List<WildcardPattern> Matchers { get; } = new();

    /// <summary>The expression for a file's full path.</summary>
    internal static string FullPathSql =>
        $"(CASE WHEN substr(d.path, -1) = '{Sep}' THEN d.path || f.name ELSE d.path || '{Sep}' || f.name END)";

    /// <param name="query">The filter.</param>
    /// <param name="isFolder">Whether the catalog knows a path as a folder; decides what a path without wildcards means.</param>
    /// <param name="ruleCondition">Builds the condition for <see cref="FindingQuery.Findings"/> (the catalog's rule ids are needed).</param>
    /// <param name="nameIndex">The files (folder id, name) whose names match the -Name patterns, from the name index; null where the index cannot answer.</param>
    /// <param name="isAlsoFile">Whether a path the catalog knows as a folder has also been a file (a folder deleted and a file made
    /// in its place, or the reverse): then it means both, the folder with everything under it and the file.</param>
    public static FindingSql Build(FindingQuery query, Func<string, bool> isFolder, Func<Rules.FindingMatchQuery, Func<object, string>, string>? ruleCondition = null,
        Func<IReadOnlyList<WildcardPattern>, NameIndexMatches?>? nameIndex = null, Func<string, bool>? isAlsoFile = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var sql = new FindingSql();
        if (query.Findings is { FiltersRules: true } rules && ruleCondition is not null)
        {
            sql.And(ruleCondition(rules, sql.Bind));
        }
        sql.AddPaths(query.Path, isFolder, isAlsoFile);
        sql.AddNames(query.Name, nameIndex);
        sql.AddExtensions(query.Extension);
        if (query.MinSize is long min)
        {
            sql.And($"f.size >= {sql.Bind(min)}");
        }
        if (query.MaxSize is long max)
        {
            sql.And($"f.size <= {sql.Bind(max)}");
        }
        if (query.ModifiedAfter is DateTime after)
        {
            sql.And($"f.mtime > {sql.Bind(ToUtc(after).Ticks)}");
        }
        if (query.ModifiedBefore is DateTime before)
        {
            sql.And($"f.mtime < {sql.Bind(ToUtc(before).Ticks)}");
        }
        if (query.Hash.Count > 0)
        {
            sql.And($"f.sha256 IN ({string.Join(", ", query.Hash.Select(h => sql.Bind(Convert.FromHexString(h))))})");
        }
        sql.AddState(query.State, query.ScanId);

        string order = query.SortBy switch
        {
            FindingSort.Name => "f.name{0}, d.path{0}",
            FindingSort.Size => "f.size{0}, d.path, f.name",
            FindingSort.Modified => "f.mtime{0}, d.path, f.name",
            _ => "d.path{0}, f.name{0}",
        };
        order = string.Format(System.Globalization.CultureInfo.InvariantCulture, order, query.Descending ? " DESC" : string.Empty);
        string limit = query.First is int first ? $" LIMIT {sql.Bind((long)first)}" : string.Empty;
        sql.Text = $"""
            SELECT d.path, f.name, f.extension, f.size, f.mtime, {OrNone("f.btime")}, f.attributes, {OrNone("f.mode")}, f.is_link,
                   f.link_target, f.sha256, f.first_scan_id,
                   CASE WHEN f.removed_scan_id IS NULL THEN max(f.last_scan_id, coalesce(d.last_scan_id, 0)) ELSE f.last_scan_id END,
                   {OrNone("f.removed_scan_id")}, f.kind, {OrNone("f.ctime")}, {OrNone("f.device")}, {OrNone("f.inode")}, {OrNone("f.links")},
                   {OrNone("f.uid")}, {OrNone("f.gid")}, f.dir_id
            FROM files f JOIN directories d ON d.id = f.dir_id
            {(sql._where.Length > 0 ? "WHERE " + sql._where : string.Empty)}
            ORDER BY {order}{limit};
            """;
        return sql;
    }

    /// <summary>
    /// Stands for NULL in the integer columns of a file row: one native call a column instead of two (type, then
    /// value) when reading (CatalogReader.Stream). No stored value is this: times are ticks, ids count from 1, and
    /// device and inode numbers would need their top bit alone set.
    /// </summary>
    internal const long NoValue = long.MinValue;

    private static string OrNone(string column) => $"coalesce({column}, {NoValue})";

    /// <summary>
    /// Only the path and name filters, as a condition on <c>d.path</c> and <c>f.name</c> (for queries of
    /// other tables that name their folder d and their file f); <see cref="Where"/> is empty without filters.
    /// </summary>
    public static FindingSql PathFilter(IReadOnlyList<string> paths, IReadOnlyList<string> names, Func<string, bool> isFolder, Func<string, bool>? isAlsoFile = null)
    {
        var sql = new FindingSql();
        sql.AddPaths(paths, isFolder, isAlsoFile);
        sql.AddNames(names);
        return sql;
    }

    /// <summary>The condition built so far, without WHERE.</summary>
    public string Where => _where.ToString();

    /// <summary>Adds a condition with a bound value; returns the parameter's name.</summary>
    public string BindValue(object value) => Bind(value);

    /// <inheritdoc cref="FindingQuery.MaxPaths"/>
    public const int MaxPaths = FindingQuery.MaxPaths;

    /// <summary>
    /// The terms joined by OR as a balanced tree: SQLite parses "a OR b OR c ..." into a chain as deep as the list, and
    /// refuses one deeper than 1,000 ("Expression tree is too large"): 1,000 piped files failed a query.
    /// </summary>
    internal static string AnyOf(IReadOnlyList<string> terms)
    {
        return terms.Count == 0 ? "0" : Half(0, terms.Count);

        string Half(int low, int high) => high - low == 1 ? terms[low] : $"({Half(low, (low + high) / 2)} OR {Half((low + high) / 2, high)})";
    }

    /// <exception cref="ArgumentException">More than <see cref="MaxPaths"/> patterns.</exception>
    private void AddPaths(IReadOnlyList<string> patterns, Func<string, bool> isFolder, Func<string, bool>? isAlsoFile = null)
    {
        if (patterns.Count == 0)
        {
            return;
        }
        if (patterns.Count > MaxPaths)
        {
            throw new ArgumentException($"{patterns.Count:N0} paths were given, and one query takes at most {MaxPaths:N0} (SQLite binds at most 32,766 values). Give their folders instead, for example -Path /srv/share.");
        }
        string collate = PathComparison.IgnoreCase ? " COLLATE NOCASE" : string.Empty;
        var alternatives = new List<string>();
        var files = new List<(string Folder, string Name)>();
        foreach (string raw in patterns)
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                throw new ArgumentException("A -Path filter is empty.");
            }
            var pattern = new WildcardPattern(raw, PathComparison.IgnoreCase);
            if (!pattern.HasWildcards)
            {
                string path = Scanning.ScanOptions.TrimSeparator(pattern.Literal!);
                if (isFolder(path))
                {
                    // The folder and everything below it: one index range, minus siblings that share the prefix ("/a" vs "/a-old").
                    (string lo, string hi) = PrefixRange(path);
                    string siblings = Path.EndsInDirectorySeparator(path) ? string.Empty
                        : $" AND (d.path = {Bind(path)}{collate} OR substr(d.path, {Bind((long)path.Length + 1)}, 1) = '{Sep}')";
                    alternatives.Add($"(d.path >= {Bind(lo)}{collate} AND d.path < {Bind(hi)}{collate}{siblings})");
                    if (isAlsoFile?.Invoke(path) == true && Path.GetFileName(path) is { Length: > 0 } asFile)
                    {
                        // The file of that path too: a folder deleted and a file made in its place (or the reverse) are both in
                        // the catalog, and the removed folder hid the present file (Get-ChildItem | Get-Finding lost it). Only
                        // then: the extra alternative keeps SQLite from using the folder range alone.
                        files.Add((Path.GetDirectoryName(path) ?? path, asFile));
                    }
                }
                else
                {
                    files.Add((Path.GetDirectoryName(path) ?? path, Path.GetFileName(path)));
                }
                continue;
            }
            string prefix = pattern.LiteralPrefix;
            int lastSep = prefix.LastIndexOf(Sep);
            string match = Match(pattern, FullPathSql);
            if (lastSep < 0)
            {
                alternatives.Add(match);
                continue;
            }
            // The file lies in or below the folder its literal prefix names: restrict to that index range
            // first (from the folder itself up to, not including, folder + the character after the separator).
            string folder = prefix[..lastSep];
            string low = folder.Length == 0 ? prefix[..1] : folder;
            string high = folder + (char)(Sep + 1);
            alternatives.Add($"(d.path >= {Bind(low)}{collate} AND d.path < {Bind(high)}{collate} AND {match})");
        }
        if (files.Count > ListedFilesFrom && !PathComparison.IgnoreCase && !files.Any(f => Scanning.EntryNames.HasLoneSurrogate(f.Folder) || Scanning.EntryNames.HasLoneSurrogate(f.Name)))
        {
            // Many files by name (piped in): one list SQLite looks each row up in, instead of one OR term per file, which
            // made 8,000 paths take 6 s on a catalog of 300 files, growing with the square of their number.
            var json = new StringBuilder("[");
            foreach ((string folder, string name) in files)
            {
                json.Append(json.Length > 1 ? ",[" : "[").Append(System.Text.Json.JsonSerializer.Serialize(folder)).Append(',').Append(System.Text.Json.JsonSerializer.Serialize(name)).Append(']');
            }
            alternatives.Add($"(d.path, f.name) IN (SELECT value ->> 0, value ->> 1 FROM json_each({Bind(json.Append(']').ToString())}))");
        }
        else
        {
            alternatives.AddRange(files.Select(f => $"(d.path = {Bind(f.Folder)}{collate} AND f.name = {Bind(f.Name)}{collate})"));
        }
        And(AnyOf(alternatives));
    }

    /// <summary>Files by name beyond this many go to SQLite as one JSON list; fewer stay terms the index serves directly.</summary>
    private const int ListedFilesFrom = 16;

    /// <summary>
    /// The index range [low, high) of paths starting with <paramref name="path"/>: for a folder without a
    /// trailing separator the folder itself, its subtree, and siblings that extend its name.
    /// </summary>
    internal static (string Low, string High) PrefixRange(string path) =>
        (path, path[..^1] + (char)(path[^1] + 1));

    private void AddNames(IReadOnlyList<string> patterns, Func<IReadOnlyList<WildcardPattern>, NameIndexMatches?>? nameIndex = null)
    {
        if (patterns.Count == 0)
        {
            return;
        }
        var parsed = patterns.SelectMany(BothNormalForms).Distinct(StringComparer.Ordinal).Select(raw => new WildcardPattern(raw, ignoreCase: true)).ToList();
        // Built only when used: it registers matchers and binds values.
        string Matching() => AnyOf(parsed.Select(p => Match(p, "f.name")).ToList());
        if (nameIndex?.Invoke(parsed) is { } index)
        {
            // The matching files, found through the name index, fetched by primary key; and the files of folders the
            // index has not taken in yet, read and matched here.
            var alternatives = new List<string>();
            if (index.Files.Count > 0)
            {
                var json = new StringBuilder("[");
                foreach ((long dir, string name) in index.Files)
                {
                    json.Append(json.Length > 1 ? ",[" : "[").Append(dir).Append(',').Append(System.Text.Json.JsonSerializer.Serialize(name)).Append(']');
                }
                alternatives.Add($"(f.dir_id, f.name) IN (SELECT value ->> 0, value ->> 1 FROM json_each({Bind(json.Append(']').ToString())}))");
            }
            if (index.PendingFolders.Count > 0)
            {
                alternatives.Add($"(f.dir_id IN (SELECT value FROM json_each({Bind(System.Text.Json.JsonSerializer.Serialize(index.PendingFolders))})) AND ({Matching()}))");
            }
            And(alternatives.Count == 0 ? "0" : string.Join(" OR ", alternatives));
            return;
        }
        And(Matching());
    }

    /// <summary>
    /// A name pattern in both Unicode normal forms, composed (NFC, what keyboards type) and decomposed (NFD, what macOS
    /// writes and what survives a copy from it onto Linux, whose names are bytes): -Name 'café*' missed a café.txt written
    /// as e and a combining accent. One form when both are the same (all of ASCII); as given when it cannot be normalized
    /// (a lone surrogate).
    /// </summary>
    internal static IEnumerable<string> BothNormalForms(string pattern)
    {
        yield return pattern;
        string composed, decomposed;
        try
        {
            composed = pattern.Normalize(NormalizationForm.FormC);
            decomposed = pattern.Normalize(NormalizationForm.FormD);
        }
        catch (ArgumentException)
        {
            yield break;
        }
        yield return composed;
        yield return decomposed;
    }

    private void AddExtensions(IReadOnlyList<string> extensions)
    {
        if (extensions.Count == 0)
        {
            return;
        }
        // The column's collation is NOCASE, so IN ignores case.
        IEnumerable<string> values = extensions.Select(FindingQuery.NormalizeExtension);
        And($"f.extension IN ({string.Join(", ", values.Select(v => Bind(v)))})");
    }

    private void AddState(FindingState state, long? scanId)
    {
        // Built only when used: every bound parameter must appear in the statement (RawStatement refuses others).
        string Present() => scanId is long s1
            ? $"(f.removed_scan_id IS NULL AND ((d.last_scan_id = {Bind(s1)} AND f.last_scan_id <= {Bind(s1)}) OR (f.last_scan_id = {Bind(s1)} AND coalesce(d.last_scan_id, 0) <= {Bind(s1)})))"
            : "f.removed_scan_id IS NULL";
        string Removed() => scanId is long s2
            ? $"f.removed_scan_id = {Bind(s2)}"
            : "f.removed_scan_id IS NOT NULL";
        switch (state)
        {
            case FindingState.Present:
                And(Present());
                break;
            case FindingState.Removed:
                And(Removed());
                break;
            default:
                if (scanId is not null)
                {
                    And($"({Present()} OR {Removed()})");
                }
                break;
        }
    }

    /// <summary>The SQL that matches <paramref name="pattern"/> against <paramref name="operand"/>.</summary>
    private string Match(WildcardPattern pattern, string operand)
    {
        if (!pattern.IgnoreCase && !pattern.HasAnyOne && !pattern.HasLoneSurrogate)
        {
            return $"{operand} GLOB {Bind(pattern.ToGlob())}";
        }
        if (pattern.IgnoreCase && pattern.TryToLike(out string like))
        {
            return $"{operand} LIKE {Bind(like)} ESCAPE '\\'";
        }
        Matchers.Add(pattern);
        return $"{MatchFunction}({Matchers.Count - 1}, {operand})";
    }

    private void And(string condition)
    {
        if (_where.Length > 0)
        {
            _where.Append(" AND ");
        }
        _where.Append('(').Append(condition).Append(')');
    }

    private string Bind(object value)
    {
        string name = "$p" + _next++.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Parameters.Add(new KeyValuePair<string, object>(name, value));
        return name;
    }

    private static DateTime ToUtc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Local => t.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(t, DateTimeKind.Local).ToUniversalTime(),
        _ => t,
    };
}

/// <summary>
/// What the name index answers for a -Name query: the matching files it holds (folder id, name), and the folders it
/// has not taken in yet, whose files the query must match itself.
/// </summary>
internal sealed record NameIndexMatches(IReadOnlyCollection<(long Dir, string Name)> Files, IReadOnlyList<long> PendingFolders);
