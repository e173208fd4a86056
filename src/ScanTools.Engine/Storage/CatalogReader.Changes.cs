using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>Reading the change history (see CatalogWriter.Changes for how it is written).</summary>
public sealed partial class CatalogReader
{
    /// <summary>Change code of the old path of a rename, used only while folding a comparison.</summary>
    private const int RenamedAway = 5;

    /// <summary>
    /// The changes <paramref name="query"/> selects, streamed in path order (and run order for one path).
    /// A comparison (<see cref="ScanChangeQuery.ReferenceRun"/>, <see cref="ScanChangeQuery.DifferenceRun"/>)
    /// folds the runs in between into one net change per file.
    /// </summary>
    /// <exception cref="ArgumentException">The selection cannot work, or names a run the catalog does not hold.</exception>
    public IEnumerable<ScanChange> GetChanges(ScanChangeQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        IReadOnlyList<long> runs = SelectRuns(query);
        FindingSql filter = FindingSql.PathFilter(query.Path, query.Name, IsFolder);
        if (runs.Count == 0)
        {
            return Array.Empty<ScanChange>();
        }
        IEnumerable<ScanChange> changes = query.IsComparison
            ? Fold(Rows(runs, filter, query, comparison: true, cancellationToken), query, Renames(runs))
            : Rows(runs, filter, query, comparison: false, cancellationToken).Select(ToChange);
        return query.First is int first ? changes.Take(first) : changes;
    }

    /// <summary>Counts per change type and property of what <paramref name="query"/> selects (its First is ignored).</summary>
    public ScanChangeSummary SummarizeChanges(ScanChangeQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ScanChangeQuery all = query with { First = null };
        all.Validate();
        IReadOnlyList<long> runs = SelectRuns(all);
        long added = 0, removed = 0, modified = 0, renamed = 0;
        var byProperty = new long[7];
        foreach (ScanChange c in GetChanges(all, cancellationToken))
        {
            switch (c.ChangeType)
            {
                case ScanChangeType.Added: added++; break;
                case ScanChangeType.Removed: removed++; break;
                case ScanChangeType.Renamed: renamed++; break;
                default:
                    modified++;
                    for (int bit = 0; bit < byProperty.Length; bit++)
                    {
                        if (((int)c.Properties & (1 << bit)) != 0)
                        {
                            byProperty[bit]++;
                        }
                    }
                    break;
            }
        }
        long entries = 0;
        if (runs.Count > 0)
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = "SELECT files FROM scan_runs WHERE id = $id;";
            command.Parameters.AddWithValue("$id", runs[^1]);
            entries = ExecuteScalar(command) is long n ? n : 0;
        }
        return new ScanChangeSummary
        {
            ScanId = runs,
            Entries = entries,
            Added = added,
            Removed = removed,
            Modified = modified,
            Renamed = renamed,
            LengthChanged = byProperty[0],
            LastWriteTimeChanged = byProperty[1],
            HashChanged = byProperty[2],
            ModeChanged = byProperty[3],
            OwnerChanged = byProperty[4],
            LinkTargetChanged = byProperty[5],
            KindChanged = byProperty[6],
            Database = DatabasePath,
        };
    }

    /// <summary>The ids of the runs a query covers, oldest first.</summary>
    private List<long> SelectRuns(ScanChangeQuery query)
    {
        using SqliteCommand command = _connection.CreateCommand();
        if (query.ScanId.Count > 0)
        {
            var wanted = query.ScanId.Distinct().OrderBy(x => x).ToList();
            command.CommandText = "SELECT id FROM scan_runs WHERE id IN (SELECT value FROM json_each($ids)) ORDER BY id;";
            command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(wanted));
            List<long> found = Ids(command);
            var missing = wanted.Except(found).ToList();
            if (missing.Count > 0)
            {
                throw new ArgumentException($"The catalog holds no run {string.Join(", ", missing)}. Get-ScanRun lists the runs.");
            }
            return found;
        }
        if (query.IsComparison)
        {
            long difference = query.DifferenceRun ?? NewestRun() ?? 0;
            if (query.DifferenceRun is long d && !RunExists(d))
            {
                throw new ArgumentException($"The catalog holds no run {d}. Get-ScanRun lists the runs.");
            }
            long reference;
            if (query.ReferenceRun is long r)
            {
                if (!RunExists(r))
                {
                    throw new ArgumentException($"The catalog holds no run {r}. Get-ScanRun lists the runs.");
                }
                reference = r;
            }
            else
            {
                reference = RunBefore(difference) ?? 0; // the run before: the state it compares with
            }
            if (reference >= difference)
            {
                throw new ArgumentException($"ReferenceRun ({reference}) must be an earlier run than DifferenceRun ({difference}).");
            }
            command.CommandText = "SELECT id FROM scan_runs WHERE id > $r AND id <= $d ORDER BY id;";
            command.Parameters.AddWithValue("$r", reference);
            command.Parameters.AddWithValue("$d", difference);
            return Ids(command);
        }
        if (query.After is not null || query.Before is not null)
        {
            command.CommandText = "SELECT id FROM scan_runs WHERE started_utc >= $a AND started_utc < $b ORDER BY id;";
            command.Parameters.AddWithValue("$a", query.After is DateTime a ? a.ToUniversalTime().Ticks : 0L);
            command.Parameters.AddWithValue("$b", query.Before is DateTime b ? b.ToUniversalTime().Ticks : long.MaxValue);
            return Ids(command);
        }
        // The newest scan: what changed last time.
        command.CommandText = "SELECT id FROM scan_runs WHERE kind = 'Scan' ORDER BY id DESC LIMIT 1;";
        return Ids(command);
    }

    private List<long> Ids(SqliteCommand command)
    {
        var ids = new List<long>();
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            ids.Add(r.GetInt64(0));
        }
        return ids;
    }

    private long? NewestRun()
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "SELECT max(id) FROM scan_runs;";
        return ExecuteScalar(c) is long id ? id : null;
    }

    private long? RunBefore(long id)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "SELECT max(id) FROM scan_runs WHERE id < $id;";
        c.Parameters.AddWithValue("$id", id);
        return ExecuteScalar(c) is long before ? before : null;
    }

    private bool RunExists(long id)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "SELECT 1 FROM scan_runs WHERE id = $id;";
        c.Parameters.AddWithValue("$id", id);
        return ExecuteScalar(c) is not null;
    }

    /// <summary>One stored change, with its paths.</summary>
    private readonly record struct ChangeRow(long ScanId, int Change, int Fields, string Directory, string Name,
        long? OldSize, long? NewSize, long? OldMtime, long? NewMtime, string? FromDirectory, string? FromName, byte[]? OldSha, byte[]? NewSha);

    /// <summary>
    /// The stored changes of <paramref name="runs"/>: per-file rows, and the files of whole-folder rows
    /// (Added: the folder's files first recorded by the run; Removed: those the run found gone).
    /// </summary>
    private IEnumerable<ChangeRow> Rows(IReadOnlyList<long> runs, FindingSql filter, ScanChangeQuery query, bool comparison, CancellationToken cancellationToken)
    {
        if (filter.Matchers.Count > 0)
        {
            List<Matching.WildcardPattern> matchers = filter.Matchers;
            _connection.CreateFunction(FindingSql.MatchFunction, (long index, string text) => matchers[(int)index].IsMatch(text), isDeterministic: true);
        }
        var where = new List<string>();
        if (filter.Where.Length > 0)
        {
            where.Add(filter.Where);
        }
        if (!comparison)
        {
            if (query.ChangeType.Count > 0)
            {
                where.Add($"f.change IN ({string.Join(", ", query.ChangeType.Select(t => ((int)t).ToString(System.Globalization.CultureInfo.InvariantCulture)))})");
            }
            if (query.Property != ChangedProperties.None)
            {
                where.Add($"(f.change = 3 AND (f.fields & {(int)query.Property}) != 0)");
            }
        }
        string renamedAway = comparison
            ? """
              UNION ALL
              SELECT c.scan_id, 5, 0, c.from_dir_id, c.from_name, c.old_size, NULL, c.old_mtime, NULL, c.dir_id, c.name, c.old_sha256, NULL
              FROM file_changes c WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.change = 4
              """
            : string.Empty;
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = $"""
            WITH f (scan_id, change, fields, dir_id, name, old_size, new_size, old_mtime, new_mtime, from_dir_id, from_name, old_sha, new_sha) AS (
                SELECT c.scan_id, c.change, c.fields, c.dir_id, c.name, c.old_size, c.new_size, c.old_mtime, c.new_mtime, c.from_dir_id, c.from_name, c.old_sha256, c.new_sha256
                FROM file_changes c WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NOT NULL
                UNION ALL
                SELECT c.scan_id, 1, 0, x.dir_id, x.name, NULL, x.size, NULL, x.mtime, NULL, NULL, NULL, x.sha256
                FROM file_changes c JOIN files x ON x.dir_id = c.dir_id AND x.first_scan_id = c.scan_id
                WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NULL AND c.change = 1
                  AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.dir_id = x.dir_id AND o.name = x.name)
                UNION ALL
                SELECT c.scan_id, 2, 0, x.dir_id, x.name, x.size, NULL, x.mtime, NULL, NULL, NULL, x.sha256, NULL
                FROM file_changes c JOIN files x ON x.dir_id = c.dir_id AND x.removed_scan_id = c.scan_id
                WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NULL AND c.change = 2
                  AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.change = 4 AND o.from_dir_id = x.dir_id AND o.from_name = x.name)
                  AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.dir_id = x.dir_id AND o.name = x.name AND o.change = 2)
                {renamedAway}
            )
            SELECT f.scan_id, f.change, f.fields, d.path, f.name, f.old_size, f.new_size, f.old_mtime, f.new_mtime, fd.path, f.from_name, f.old_sha, f.new_sha
            FROM f JOIN directories d ON d.id = f.dir_id LEFT JOIN directories fd ON fd.id = f.from_dir_id
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : string.Empty)}
            ORDER BY d.path, f.name, f.scan_id;
            """;
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        foreach (var p in filter.Parameters)
        {
            command.Parameters.AddWithValue(p.Key, p.Value);
        }
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChangeRow(r.GetInt64(0), r.GetInt32(1), r.GetInt32(2), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
                r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.IsDBNull(11) ? null : (byte[])r.GetValue(11), r.IsDBNull(12) ? null : (byte[])r.GetValue(12));
        }
    }

    private ScanChange ToChange(ChangeRow row) => new()
    {
        ScanId = row.ScanId,
        ChangeType = (ScanChangeType)row.Change,
        Properties = (ChangedProperties)row.Fields,
        FullName = Path.Join(row.Directory, row.Name),
        OldFullName = row.FromDirectory is string fd && row.FromName is string fn ? Path.Join(fd, fn) : null,
        OldLength = row.OldSize,
        Length = row.NewSize,
        OldLastWriteTimeUtc = row.OldMtime is long om ? new DateTime(om, DateTimeKind.Utc) : null,
        LastWriteTimeUtc = row.NewMtime is long nm ? new DateTime(nm, DateTimeKind.Utc) : null,
        Database = DatabasePath,
    };

    /// <summary>
    /// Folds the changes of several runs into each file's net change: present before and after (Modified,
    /// with every property any run changed, and size or time if they differ end to end), only after
    /// (Added, or Renamed when it arrived by a rename), only before (Removed; the old path of a rename is
    /// covered by its Renamed change), neither (nothing).
    /// </summary>
    private IEnumerable<ScanChange> Fold(IEnumerable<ChangeRow> rows, ScanChangeQuery query, Dictionary<string, (string From, long ScanId)> renames)
    {
        var group = new List<ChangeRow>();
        foreach (ChangeRow row in rows)
        {
            if (group.Count > 0 && (group[0].Directory != row.Directory || group[0].Name != row.Name))
            {
                if (Net(group, query, renames) is ScanChange c)
                {
                    yield return c;
                }
                group.Clear();
            }
            group.Add(row);
        }
        if (group.Count > 0 && Net(group, query, renames) is ScanChange last)
        {
            yield return last;
        }
    }

    /// <summary>The renames of the runs, new full path to old full path: a file renamed twice is followed back to where it started.</summary>
    private Dictionary<string, (string From, long ScanId)> Renames(IReadOnlyList<long> runs)
    {
        var renames = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = """
            SELECT d.path, c.name, fd.path, c.from_name, c.scan_id
            FROM file_changes c JOIN directories d ON d.id = c.dir_id JOIN directories fd ON fd.id = c.from_dir_id
            WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.change = 4;
            """;
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            renames[Path.Join(r.GetString(0), r.GetString(1))] = (Path.Join(r.GetString(2), r.GetString(3)), r.GetInt64(4));
        }
        return renames;
    }

    private static string Origin(string from, long scanId, Dictionary<string, (string From, long ScanId)> renames)
    {
        for (int hops = 0; hops < renames.Count && renames.TryGetValue(from, out var earlier) && earlier.ScanId < scanId; hops++)
        {
            (from, scanId) = earlier;
        }
        return from;
    }

    private ScanChange? Net(List<ChangeRow> events, ScanChangeQuery query, Dictionary<string, (string From, long ScanId)> renames)
    {
        ChangeRow first = events[0];
        ChangeRow final = events[^1];
        bool before = first.Change is 2 or 3 or RenamedAway;
        bool after = final.Change is 1 or 3 or 4;
        ScanChangeType type;
        var fields = ChangedProperties.None;
        if (before && after)
        {
            foreach (ChangeRow e in events)
            {
                fields |= (ChangedProperties)e.Fields;
            }
            long? oldSize = first.OldSize, newSize = final.NewSize, oldTime = first.OldMtime, newTime = final.NewMtime;
            if (oldSize is long os && newSize is long ns && os != ns)
            {
                fields |= ChangedProperties.Length;
            }
            if (oldTime is long ot && newTime is long nt && ot != nt)
            {
                fields |= ChangedProperties.LastWriteTime;
            }
            if (first.OldSha is byte[] oh && final.NewSha is byte[] nh && !oh.AsSpan().SequenceEqual(nh))
            {
                fields |= ChangedProperties.Hash;
            }
            if (fields == ChangedProperties.None)
            {
                return null; // gone and back the same, as far as the catalog can tell
            }
            type = ScanChangeType.Modified;
        }
        else if (after)
        {
            type = first.Change == 4 ? ScanChangeType.Renamed : ScanChangeType.Added;
        }
        else if (before)
        {
            if (final.Change == RenamedAway)
            {
                return null; // reported as the Renamed change of its new path
            }
            type = ScanChangeType.Removed;
        }
        else
        {
            return null;
        }
        if (query.ChangeType.Count > 0 && !query.ChangeType.Contains(type))
        {
            return null;
        }
        if (query.Property != ChangedProperties.None && (type != ScanChangeType.Modified || (fields & query.Property) == 0))
        {
            return null;
        }
        return new ScanChange
        {
            ScanId = final.ScanId,
            ChangeType = type,
            Properties = fields,
            FullName = Path.Join(first.Directory, first.Name),
            OldFullName = type == ScanChangeType.Renamed && first.FromDirectory is string fd && first.FromName is string fn
                ? Origin(Path.Join(fd, fn), first.ScanId, renames)
                : null,
            OldLength = before ? first.OldSize : null,
            Length = after ? final.NewSize : null,
            OldLastWriteTimeUtc = before && first.OldMtime is long om ? new DateTime(om, DateTimeKind.Utc) : null,
            LastWriteTimeUtc = after && final.NewMtime is long nm ? new DateTime(nm, DateTimeKind.Utc) : null,
            Database = DatabasePath,
        };
    }
}
