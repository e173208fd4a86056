using System.Text;
using Microsoft.Data.Sqlite;
using ScanTools.Matching;
using ScanTools.Rules;

namespace ScanTools.Storage;

public sealed partial class CatalogReader
{
    /// <summary>
    /// Stored findings matching <paramref name="query"/>, worst first, then by path and line, streamed.
    /// Baselined findings are left out unless the query includes them.
    /// </summary>
    /// <exception cref="ArgumentException">A filter cannot work (an empty path).</exception>
    public IEnumerable<FindingMatch> FindMatches(FindingMatchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        (string sql, List<KeyValuePair<string, object>> parameters, FindingSql paths) = BuildMatchSql(query, fileCondition: null);
        return StreamMatches(sql, parameters, paths, query, cancellationToken);
    }

    /// <summary>The open findings of one file that satisfy the rule filters of <paramref name="query"/> (baseline applied).</summary>
    internal List<FindingMatch> MatchesOf(string directory, string name, FindingMatchQuery query)
    {
        (string sql, List<KeyValuePair<string, object>> parameters, FindingSql paths) = BuildMatchSql(query with { Path = Array.Empty<string>(), First = null },
            fileCondition: "d.path = $file_dir AND f.name = $file_name");
        parameters.Add(new("$file_dir", directory));
        parameters.Add(new("$file_name", name));
        return StreamMatches(sql, parameters, paths, query, CancellationToken.None).ToList();
    }

    /// <summary>
    /// The condition "the file (f) has an open finding that passes the rule filters", for Get-Finding -Rule,
    /// -Severity and -MinimumSeverity; values are bound through <paramref name="bind"/>.
    /// </summary>
    internal string HasMatchCondition(FindingMatchQuery query, Func<object, string> bind)
    {
        var where = new StringBuilder("m.dir_id = f.dir_id AND m.name = f.name AND m.resolved_scan_id IS NULL");
        AppendRuleFilters(query, where, bind);
        return $"EXISTS (SELECT 1 FROM findings m WHERE {where})";
    }

    /// <exception cref="ArgumentException">-Severity and -MinimumSeverity exclude each other: no finding could match (said, as other impossible filters are, rather than an empty answer).</exception>
    private void AppendRuleFilters(FindingMatchQuery query, StringBuilder where, Func<object, string> bind)
    {
        if (query.Severity.Count > 0 && query.MinimumSeverity is RuleSeverity floor && query.Severity.All(s => s < floor))
        {
            throw new ArgumentException($"-Severity {string.Join(", ", query.Severity.Distinct())} is below -MinimumSeverity {floor}: no finding can match. Give one of them, or a -Severity of {floor} or worse.");
        }
        if (query.Rule.Count > 0)
        {
            var patterns = query.Rule.Select(p => new WildcardPattern(p, ignoreCase: true)).ToList();
            List<string> ids = RuleIdsInCatalog().Where(id => patterns.Any(p => p.IsMatch(id))).ToList();
            where.Append(ids.Count == 0 ? " AND 0" : $" AND m.rule_id IN ({string.Join(", ", ids.Select(id => bind(id)))})");
        }
        if (query.Severity.Count > 0)
        {
            where.Append($" AND m.severity IN ({string.Join(", ", query.Severity.Distinct().Select(s => ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture)))})");
        }
        if (query.MinimumSeverity is RuleSeverity min)
        {
            where.Append($" AND m.severity >= {(int)min}");
        }
    }

    /// <summary>The rule ids that have findings in the catalog.</summary>
    public IReadOnlyList<string> RuleIdsInCatalog()
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "SELECT DISTINCT rule_id FROM findings ORDER BY rule_id;";
        using SqliteDataReader r = Execute(c);
        var list = new List<string>();
        while (Read(r))
        {
            list.Add(r.GetString(0));
        }
        return list;
    }

    private (string Sql, List<KeyValuePair<string, object>> Parameters, FindingSql Paths) BuildMatchSql(FindingMatchQuery query, string? fileCondition)
    {
        FindingSql paths = FindingSql.PathFilter(query.Path, Array.Empty<string>(), IsFolder, HasFileRow);
        var parameters = new List<KeyValuePair<string, object>>(paths.Parameters);
        int next = 0;
        string Bind(object value)
        {
            string name = $"$m{next++}";
            parameters.Add(new(name, value));
            return name;
        }
        var where = new StringBuilder("1");
        if (paths.Where.Length > 0)
        {
            where.Append(" AND (").Append(paths.Where).Append(')');
        }
        if (fileCondition is not null)
        {
            where.Append(" AND ").Append(fileCondition);
        }
        var m = new StringBuilder();
        AppendRuleFilters(query, m, Bind);
        where.Append(m.Replace("m.", "f."));
        IReadOnlyList<FindingStatus> statuses = query.Status.Count > 0 ? query.Status : new[] { FindingStatus.New, FindingStatus.Open };
        var states = new List<string>();
        if (statuses.Contains(FindingStatus.New))
        {
            states.Add("(f.resolved_scan_id IS NULL AND f.first_scan_id = f.last_scan_id AND coalesce(f.kept_scan_id, 0) <= f.last_scan_id)");
        }
        if (statuses.Contains(FindingStatus.Open))
        {
            states.Add("(f.resolved_scan_id IS NULL AND (f.first_scan_id <> f.last_scan_id OR coalesce(f.kept_scan_id, 0) > f.last_scan_id))");
        }
        if (statuses.Contains(FindingStatus.Resolved))
        {
            states.Add("f.resolved_scan_id IS NOT NULL");
        }
        where.Append(" AND (").Append(string.Join(" OR ", states)).Append(')');
        if (query.ScanId is long scan)
        {
            where.Append(" AND f.first_scan_id = ").Append(Bind(scan));
        }
        string sql = $"""
            SELECT d.path, f.name, f.rule_id, f.severity, f.line, f.col, f.excerpt, f.fingerprint, f.first_scan_id, f.last_scan_id, f.resolved_scan_id, f.kept_scan_id
            FROM findings f JOIN directories d ON d.id = f.dir_id
            WHERE {where}
            ORDER BY f.severity DESC, d.path, f.name, f.line, f.col;
            """;
        return (sql, parameters, paths);
    }

    private IEnumerable<FindingMatch> StreamMatches(string sql, List<KeyValuePair<string, object>> parameters, FindingSql paths, FindingMatchQuery query, CancellationToken ct)
    {
        RegisterMatchers(paths);
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.AddWithValue(p.Key, p.Value);
        }
        using SqliteDataReader r = Execute(command);
        int returned = 0;
        while (Read(r))
        {
            ct.ThrowIfCancellationRequested();
            string fingerprint = r.GetString(7);
            string? reason = null;
            bool baselined = query.Baseline is not null && query.Baseline.Contains(fingerprint, out reason);
            if (baselined && !query.IncludeBaselined)
            {
                continue;
            }
            string dir = r.GetString(0);
            string name = r.GetString(1);
            long first = r.GetInt64(8), last = r.GetInt64(9);
            long? resolved = r.IsDBNull(10) ? null : r.GetInt64(10);
            // Kept by a later run that could not look (the file unreadable, too large, binary): still there as far as is
            // known, and no longer new.
            bool keptSince = !r.IsDBNull(11) && r.GetInt64(11) > last;
            yield return new FindingMatch
            {
                Directory = dir,
                Name = name,
                FullName = Path.Join(dir, name),
                RuleId = r.GetString(2),
                Severity = (RuleSeverity)Math.Clamp(r.GetInt32(3), 0, 4),
                Line = r.IsDBNull(4) ? null : r.GetInt32(4),
                Column = r.IsDBNull(5) ? null : r.GetInt32(5),
                Excerpt = r.IsDBNull(6) ? null : r.GetString(6),
                Fingerprint = fingerprint,
                FirstScanId = first,
                LastScanId = last,
                ResolvedScanId = resolved,
                Status = resolved is not null ? FindingStatus.Resolved : first == last && !keptSince ? FindingStatus.New : FindingStatus.Open,
                Baselined = baselined,
                BaselineReason = reason,
                Database = DatabasePath,
            };
            if (query.First is int max && ++returned >= max)
            {
                yield break;
            }
        }
    }
}
