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
        FindingSql filter = FindingSql.PathFilter(query.Path, query.Name, IsFolder, HasFileRow);
        if (runs.Count == 0)
        {
            return Array.Empty<ScanChange>();
        }
        IEnumerable<ScanChange> changes = query.IsComparison
            ? Compare(runs, filter, query, cancellationToken)
            : Rows(runs, filter, query, comparison: false, extra: null, cancellationToken).Select(ToChange);
        return query.First is int first ? changes.Take(first) : changes;
    }

    /// <summary>
    /// The net changes of a comparison. A path filter selects among the net changes the comparison has
    /// without it: by the new path, or by the old path of a Renamed change (where the file was at the
    /// reference run), never by a path the file had only on the way.
    /// </summary>
    private IEnumerable<ScanChange> Compare(IReadOnlyList<long> runs, FindingSql filter, ScanChangeQuery query, CancellationToken cancellationToken)
    {
        Dictionary<string, List<RenameStep>> renames = Renames(runs);
        HashSet<string>? origins = null;
        List<RenameStep>? onward = null;
        if (filter.Where.Length > 0)
        {
            // The rows at the paths the filter matches are all the rows there, so the net changes there are
            // those of the whole comparison. A file renamed away from a matching path ends up where its
            // renames lead: the rows there are read too, and its net change kept if it started at such a path.
            origins = RenameOrigins(runs, filter);
            onward = RenamesOnward(origins, renames);
        }
        return Fold(Rows(runs, filter, query, comparison: true, onward, cancellationToken), query, runs, ReferenceOf(runs), renames, origins);
    }

    /// <summary>The old paths of the renames of <paramref name="runs"/> that <paramref name="filter"/> matches.</summary>
    private HashSet<string> RenameOrigins(IReadOnlyList<long> runs, FindingSql filter)
    {
        RegisterMatchers(filter);
        string old = filter.Where.Replace("d.path", "fd.path", StringComparison.Ordinal).Replace("f.name", "f.from_name", StringComparison.Ordinal);
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT DISTINCT fd.path, f.from_name
            FROM file_changes f JOIN directories fd ON fd.id = f.from_dir_id
            WHERE f.scan_id IN (SELECT value FROM json_each($runs)) AND f.change = 4 AND ({old});
            """;
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        foreach (var p in filter.Parameters)
        {
            command.Parameters.AddWithValue(p.Key, p.Value);
        }
        var origins = new HashSet<string>(StringComparer.Ordinal);
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            origins.Add(Path.Join(r.GetString(0), r.GetString(1)));
        }
        return origins;
    }

    /// <summary>The renames that lead on from <paramref name="origins"/>, directly or through other renames.</summary>
    private static List<RenameStep> RenamesOnward(HashSet<string> origins, Dictionary<string, List<RenameStep>> renames)
    {
        var byFrom = renames.Values.SelectMany(s => s).ToLookup(s => s.From, StringComparer.Ordinal);
        var seen = new HashSet<string>(origins, StringComparer.Ordinal);
        var pending = new Queue<string>(origins);
        var onward = new List<RenameStep>();
        while (pending.Count > 0)
        {
            foreach (RenameStep step in byFrom[pending.Dequeue()])
            {
                onward.Add(step);
                if (seen.Add(step.To))
                {
                    pending.Enqueue(step.To);
                }
            }
        }
        return onward;
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
                default: modified++; break;
            }
            // As -Property selects them: a file moved and changed in one run is Renamed with the properties that changed.
            for (int bit = 0; bit < byProperty.Length; bit++)
            {
                if (((int)c.Properties & (1 << bit)) != 0)
                {
                    byProperty[bit]++;
                }
            }
        }
        long entries = 0;
        if (runs.Count > 0)
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = """
                SELECT files FROM scan_runs WHERE id IN (SELECT value FROM json_each($ids))
                ORDER BY kind = 'Scan' DESC, id DESC LIMIT 1;
                """;
            command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(runs));
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

    /// <summary>The run a comparison starts after: the one before the first run it covers.</summary>
    private long ReferenceOf(IReadOnlyList<long> runs) => runs.Count == 0 ? 0 : RunBefore(runs[0]) ?? 0;

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
                throw NoRunError(missing);
            }
            return found;
        }
        if (query.IsComparison)
        {
            long difference = query.DifferenceRun ?? NewestRun() ?? 0;
            if (query.DifferenceRun is long d && !RunExists(d))
            {
                throw NoRunError(new[] { d });
            }
            long reference;
            if (query.ReferenceRun is long r)
            {
                if (!RunExists(r))
                {
                    throw NoRunError(new[] { r });
                }
                reference = r;
            }
            else
            {
                reference = RunBefore(difference) ?? 0; // the run before: the state it compares with
            }
            if (reference >= difference && query.DifferenceRun is null)
            {
                throw new ArgumentException($"ReferenceRun ({reference}) is the newest run: there is no later run to compare it with. Give an earlier -ReferenceRun.");
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
        // What changed since the scan before the newest ("since last time"): every run after that scan, each
        // change as that run found it: the newest scan, and the records and duplicate searches before and after
        // it. With fewer than two scans, every run. The scan before the newest is the newest one that completed
        // and covered the newest scan's folders: a scan stopped or failed in between saw only part of the tree,
        // and an ad-hoc scan of one subfolder between two nightly scans saw only that; the changes they saw (a new
        // file, a modified one), which the newest scan then found unchanged, were left out of "since last time".
        // Without such a scan, the newest completed scan before the newest.
        command.CommandText = "SELECT id, roots, status = 'Completed' FROM scan_runs WHERE kind = 'Scan' ORDER BY id DESC;";
        long? newest = null, fallback = null, covering = null;
        string[] newestRoots = Array.Empty<string>();
        using (SqliteDataReader r = Execute(command))
        {
            while (Read(r))
            {
                long id = r.GetInt64(0);
                string[] roots = System.Text.Json.JsonSerializer.Deserialize<string[]>(r.GetString(1)) ?? Array.Empty<string>();
                if (newest is null)
                {
                    newest = id;
                    newestRoots = roots;
                    continue;
                }
                if (r.GetInt64(2) == 0)
                {
                    continue; // stopped or failed: part of the tree
                }
                fallback ??= id;
                if (newestRoots.All(n => roots.Any(c => PathIsAtOrUnder(n, c))))
                {
                    covering = id;
                    break;
                }
            }
        }
        command.CommandText = "SELECT id FROM scan_runs WHERE id > $since ORDER BY id;";
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$since", covering ?? fallback ?? 0);
        return Ids(command);
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies under it (the platform's case rule).</summary>
    private static bool PathIsAtOrUnder(string path, string folder)
    {
        StringComparison comparison = Platform.PathComparison.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string f = Path.TrimEndingDirectorySeparator(folder);
        return path.Equals(f, comparison)
            || (path.StartsWith(f, comparison) && path.Length > f.Length && (path[f.Length] == Path.DirectorySeparatorChar || path[f.Length] == Path.AltDirectorySeparatorChar || f.EndsWith(Path.DirectorySeparatorChar)));
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

    /// <summary>
    /// "WITH f (...) AS (...)": every change the runs in $runs (a JSON array) recorded, one row a file: per-file rows,
    /// and whole-folder Added and Removed rows expanded to their files, less those the same run recorded on their own;
    /// then <paramref name="renamedAway"/> and <paramref name="silent"/> (comparisons only). Shared by the listing and
    /// by the prune's count of what it removes (<see cref="PlanPrune"/>).
    /// </summary>
    private static string ChangeRowsCte(string renamedAway, string silent) => $"""
        WITH f (scan_id, change, fields, dir_id, name, old_size, new_size, old_mtime, new_mtime, from_dir_id, from_name, old_sha, new_sha, old_meta, new_meta) AS (
            SELECT c.scan_id, c.change, c.fields, c.dir_id, c.name, c.old_size, c.new_size, c.old_mtime, c.new_mtime, c.from_dir_id, c.from_name, c.old_sha256, c.new_sha256, c.old_meta, c.new_meta
            FROM file_changes c WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NOT NULL
            UNION ALL
            -- A whole-folder Added row: each file as it was then, which the first later change row of the
            -- file recorded as its old values (one probe of ix_file_changes_file); else as it is now.
            SELECT c.scan_id, 1, 0, x.dir_id, x.name, NULL, coalesce(later.old_size, x.size), NULL, coalesce(later.old_mtime, x.mtime),
                   NULL, NULL, NULL,
                   CASE WHEN later.rowid IS NOT NULL THEN later.old_sha256 ELSE x.sha256 END,
                   NULL,
                   coalesce(later.old_meta,
                            coalesce(x.mode, '') || '|' || x.attributes || '|' || coalesce(x.uid, '') || '|' || coalesce(x.gid, '') || '|' || x.kind || '|' || x.is_link || '|' || coalesce(x.link_target, ''))
            FROM file_changes c JOIN files x ON x.dir_id = c.dir_id AND x.first_scan_id = c.scan_id
            LEFT JOIN file_changes later ON later.rowid = (
                SELECT m.rowid FROM file_changes m WHERE m.dir_id = x.dir_id AND m.name = x.name AND m.scan_id > c.scan_id ORDER BY m.scan_id LIMIT 1)
            WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NULL AND c.change = 1
              AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.dir_id = x.dir_id AND o.name = x.name)
            UNION ALL
            SELECT c.scan_id, 2, 0, x.dir_id, x.name, x.size, NULL, x.mtime, NULL, NULL, NULL, x.sha256, NULL, coalesce(x.mode, '') || '|' || x.attributes || '|' || coalesce(x.uid, '') || '|' || coalesce(x.gid, '') || '|' || x.kind || '|' || x.is_link || '|' || coalesce(x.link_target, ''), NULL
            FROM file_changes c JOIN files x ON x.dir_id = c.dir_id AND x.removed_scan_id = c.scan_id
            WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.name IS NULL AND c.change = 2
              AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.change = 4 AND o.from_dir_id = x.dir_id AND o.from_name = x.name)
              AND NOT EXISTS (SELECT 1 FROM file_changes o WHERE o.scan_id = c.scan_id AND o.dir_id = x.dir_id AND o.name = x.name AND o.change = 2)
            {renamedAway}
            {silent}
        )
        """;

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
    /// <remarks><see cref="Matched"/>: the path filter matches the row's path (always, without a filter).</remarks>
    private readonly record struct ChangeRow(long ScanId, int Change, int Fields, string Directory, string Name,
        long? OldSize, long? NewSize, long? OldMtime, long? NewMtime, string? FromDirectory, string? FromName, byte[]? OldSha, byte[]? NewSha,
        string? OldMeta, string? NewMeta, bool Matched);

    /// <summary>
    /// The stored changes of <paramref name="runs"/>: per-file rows, and the files of whole-folder rows
    /// (Added: the folder's files first recorded by the run; Removed: those the run found gone). Filtered, a
    /// list has the rows at the paths the filter matches and the Renamed rows from them; a comparison, all the
    /// rows at those paths and at the new paths of <paramref name="extra"/>.
    /// </summary>
    private IEnumerable<ChangeRow> Rows(IReadOnlyList<long> runs, FindingSql filter, ScanChangeQuery query, bool comparison,
        IReadOnlyList<RenameStep>? extra, CancellationToken cancellationToken)
    {
        RegisterMatchers(filter);
        var where = new List<string>();
        string matched = "1";
        if (filter.Where.Length > 0 && comparison)
        {
            // Every row at a path, so that the fold sees all that happened there.
            matched = $"CASE WHEN ({filter.Where}) THEN 1 ELSE 0 END";
            where.Add(extra is { Count: > 0 }
                ? $"(({filter.Where}) OR ((d.path, f.name) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($extra))))"
                : $"({filter.Where})");
        }
        else if (filter.Where.Length > 0)
        {
            // A renamed file matches by where it went or by where it was: moved out of a folder is a change there too.
            string old = filter.Where.Replace("d.path", "fd.path", StringComparison.Ordinal).Replace("f.name", "f.from_name", StringComparison.Ordinal);
            where.Add($"(({filter.Where}) OR (f.change = 4 AND fd.path IS NOT NULL AND ({old})))");
        }
        if (!comparison)
        {
            if (query.ChangeType.Count > 0)
            {
                where.Add($"f.change IN ({string.Join(", ", query.ChangeType.Select(t => ((int)t).ToString(System.Globalization.CultureInfo.InvariantCulture)))})");
            }
            if (query.Property != ChangedProperties.None)
            {
                where.Add($"(f.change IN (3, 4) AND (f.fields & {(int)query.Property}) != 0)");
            }
        }
        string renamedAway = comparison
            ? """
              UNION ALL
              SELECT c.scan_id, 5, 0, c.from_dir_id, c.from_name, c.old_size, NULL, c.old_mtime, NULL, c.dir_id, c.name, c.old_sha256, NULL, c.old_meta, NULL
              FROM file_changes c WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.change = 4
              """
            : string.Empty;
        // In a comparison, a stored hash that went or came (and a file id that changed) without a reported change is an
        // event too: Modified with no property, carrying the hashes before and after (schema 9). Only the fold reads it.
        string silent = comparison && CatalogSchema.HasSilentHashHistory(SchemaVersion)
            ? """
              UNION ALL
              SELECT i.scan_id, 3, 0, i.dir_id, i.name, NULL, NULL, NULL, NULL, NULL, NULL, i.old_sha256, i.new_sha256, NULL, NULL
              FROM file_identities i WHERE i.scan_id IN (SELECT value FROM json_each($runs))
              """
            : string.Empty;
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = $"""
            {ChangeRowsCte(renamedAway, silent)}
            SELECT f.scan_id, f.change, f.fields, d.path, f.name, f.old_size, f.new_size, f.old_mtime, f.new_mtime, fd.path, f.from_name, f.old_sha, f.new_sha, f.old_meta, f.new_meta,
                   {matched}
            FROM f JOIN directories d ON d.id = f.dir_id LEFT JOIN directories fd ON fd.id = f.from_dir_id
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : string.Empty)}
            ORDER BY d.path, f.name, f.scan_id, f.change NOT IN (5, 2);
            """;
        // Within one run a path's file leaves (RenamedAway, or Removed where a file renamed from elsewhere replaced it) before
        // another arrives there: a run that renamed a file and put a new one at its old name (mv a b; a new a) folded to
        // nothing at 'a' when the arrival came first.
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        if (extra is { Count: > 0 })
        {
            command.Parameters.AddWithValue("$extra", JsonSerializer.Serialize(extra.Select(s => new[] { s.ToDirectory, s.ToName })));
        }
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
                r.IsDBNull(11) ? null : (byte[])r.GetValue(11), r.IsDBNull(12) ? null : (byte[])r.GetValue(12),
                r.IsDBNull(13) ? null : r.GetString(13), r.IsDBNull(14) ? null : r.GetString(14), r.GetInt64(15) != 0);
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

    /// <summary>A rename in the compared runs: where the file was, and what it had been before that.</summary>
    private sealed record RenameStep(string From, long ScanId, ChangedProperties Fields, long? OldSize, long? OldMtime, byte[]? OldSha, long? FromFirstScanId, string? OldMeta,
        string ToDirectory, string ToName)
    {
        public string To => Path.Join(ToDirectory, ToName);
    }

    /// <summary>
    /// The renames of the runs by new full path, oldest first (a path can be the destination of several runs'
    /// renames: a file renamed back and forth); a file renamed twice is followed back to where it started.
    /// </summary>
    private Dictionary<string, List<RenameStep>> Renames(IReadOnlyList<long> runs)
    {
        var renames = new Dictionary<string, List<RenameStep>>(StringComparer.Ordinal);
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = """
            SELECT d.path, c.name, fd.path, c.from_name, c.scan_id, c.fields, c.old_size, c.old_mtime, c.old_sha256, x.first_scan_id, c.old_meta
            FROM file_changes c JOIN directories d ON d.id = c.dir_id JOIN directories fd ON fd.id = c.from_dir_id
            LEFT JOIN files x ON x.dir_id = c.from_dir_id AND x.name = c.from_name
            WHERE c.scan_id IN (SELECT value FROM json_each($runs)) AND c.change = 4;
            """;
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            string toDirectory = r.GetString(0), toName = r.GetString(1);
            string to = Path.Join(toDirectory, toName);
            if (!renames.TryGetValue(to, out List<RenameStep>? steps))
            {
                renames[to] = steps = new List<RenameStep>(1);
            }
            steps.Add(new RenameStep(Path.Join(r.GetString(2), r.GetString(3)), r.GetInt64(4),
                (ChangedProperties)r.GetInt32(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7),
                r.IsDBNull(8) ? null : (byte[])r.GetValue(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10),
                toDirectory, toName));
        }
        foreach (List<RenameStep> steps in renames.Values)
        {
            steps.Sort((a, b) => a.ScanId.CompareTo(b.ScanId));
        }
        return renames;
    }

    /// <summary>The latest rename to <paramref name="path"/> by run <paramref name="at"/> or earlier, if any.</summary>
    private static RenameStep? RenameTo(Dictionary<string, List<RenameStep>> renames, string path, long at)
    {
        if (!renames.TryGetValue(path, out List<RenameStep>? steps))
        {
            return null;
        }
        for (int i = steps.Count - 1; i >= 0; i--)
        {
            if (steps[i].ScanId <= at)
            {
                return steps[i];
            }
        }
        return null;
    }

    /// <summary>
    /// A file that arrived at its path by a rename, followed back to where it was when the comparison starts:
    /// that path (null when the file did not exist then: it was added within the runs; the path itself when
    /// the renames came back to where they started), its values then, and every property that changed on the
    /// way (at the earlier paths, and in the renames themselves).
    /// </summary>
    private (string? Origin, long? OldSize, long? OldMtime, byte[]? OldSha, string? OldMeta, ChangedProperties Fields) Trace(
        string path, long scanId, long reference, IReadOnlyList<long> runs, Dictionary<string, List<RenameStep>> renames)
    {
        var fields = ChangedProperties.None;
        long? oldSize = null, oldMtime = null;
        byte[]? oldSha = null;
        string? oldMeta = null;
        string current = path;
        long at = scanId;
        int hops = 0;
        int steps = renames.Values.Sum(s => s.Count);
        while (hops <= steps && RenameTo(renames, current, at) is RenameStep step)
        {
            hops++;
            fields |= step.Fields;
            (oldSize, oldMtime, oldSha, oldMeta) = (step.OldSize, step.OldMtime, step.OldSha, step.OldMeta);
            // The file was at the earlier path from when it arrived there (by an earlier rename, or since before
            // the runs) until this rename.
            RenameStep? earlier = RenameTo(renames, step.From, step.ScanId - 1);
            // Changes at the earlier path while the file was there, oldest last so its old values win.
            foreach ((ChangedProperties f, long? size, long? mtime, byte[]? sha, string? meta, bool added) in
                     Enumerable.Reverse(ChangesAt(step.From, earlier?.ScanId ?? 0, step.ScanId, runs)))
            {
                if (added)
                {
                    return (null, null, null, null, null, ChangedProperties.None); // it appeared there within the runs
                }
                fields |= f;
                // The hash before the oldest event, as Net takes it: unknown there (a run without -Hash) stays unknown.
                (oldSize, oldMtime, oldSha, oldMeta) = (size ?? oldSize, mtime ?? oldMtime, sha, meta ?? oldMeta);
            }
            if (earlier is null && step.FromFirstScanId is long first && first > reference)
            {
                return (null, null, null, null, null, ChangedProperties.None); // the origin was not in the catalog at the reference run
            }
            current = step.From;
            at = step.ScanId - 1;
        }
        return (hops == 0 ? null : current, oldSize, oldMtime, oldSha, oldMeta, fields);
    }

    /// <summary>Modified and Added changes at a path in the runs after <paramref name="afterScan"/> and before <paramref name="beforeScan"/>, oldest first.</summary>
    private List<(ChangedProperties Fields, long? OldSize, long? OldMtime, byte[]? OldSha, string? OldMeta, bool Added)> ChangesAt(string fullPath, long afterScan, long beforeScan, IReadOnlyList<long> runs)
    {
        var list = new List<(ChangedProperties, long?, long?, byte[]?, string?, bool)>();
        using SqliteCommand command = _connection.CreateCommand();
        // A stored hash that came or went without a reported change (schema 9) is an event here too, as in Rows: the hash
        // the file had at the reference run is the one before the first event, known or not.
        string silent = CatalogSchema.HasSilentHashHistory(SchemaVersion)
            ? """
              UNION ALL
              SELECT 0, NULL, NULL, i.old_sha256, 3, NULL, i.scan_id
              FROM file_identities i JOIN directories d ON d.id = i.dir_id
              WHERE d.path = $dir AND i.name = $name AND i.scan_id > $after AND i.scan_id < $before
                AND i.scan_id IN (SELECT value FROM json_each($runs))
              """
            : string.Empty;
        command.CommandText = $"""
            SELECT m.fields, m.old_size, m.old_mtime, m.old_sha256, m.change, m.old_meta, m.scan_id
            FROM file_changes m JOIN directories d ON d.id = m.dir_id
            WHERE d.path = $dir AND m.name = $name AND m.change IN (1, 3) AND m.scan_id > $after AND m.scan_id < $before
              AND m.scan_id IN (SELECT value FROM json_each($runs))
            {silent}
            ORDER BY 7;
            """;
        command.Parameters.AddWithValue("$dir", Path.GetDirectoryName(fullPath) ?? fullPath);
        command.Parameters.AddWithValue("$name", Path.GetFileName(fullPath));
        command.Parameters.AddWithValue("$after", afterScan);
        command.Parameters.AddWithValue("$before", beforeScan);
        command.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(runs));
        using SqliteDataReader r = Execute(command);
        while (Read(r))
        {
            list.Add(((ChangedProperties)r.GetInt32(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2),
                r.IsDBNull(3) ? null : (byte[])r.GetValue(3), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt32(4) == 1));
        }
        return list;
    }

    /// <summary>
    /// Folds the changes of several runs into each file's net change: present before and after (Modified,
    /// with every property any run changed, and size, time or hash if they differ end to end), only after
    /// (Added, or Renamed when it arrived by a rename from a path it had at the reference run), only before
    /// (Removed; the old path of a rename is covered by its Renamed change, and a file renamed and then removed is Removed
    /// at the path it had at the reference run), neither (nothing). A path whose
    /// file was renamed away and that another file took is Added (or Renamed) for the new file; a file whose
    /// renames bring it back to where it was is the same file there (Modified, or nothing). With a path
    /// filter, <paramref name="origins"/> holds the old paths it matches: a net change at a path it does not
    /// match is kept when it is a Renamed change from one of them.
    /// </summary>
    private IEnumerable<ScanChange> Fold(IEnumerable<ChangeRow> rows, ScanChangeQuery query, IReadOnlyList<long> runs, long reference,
        Dictionary<string, List<RenameStep>> renames, HashSet<string>? origins)
    {
        var group = new List<ChangeRow>();
        foreach (ChangeRow row in rows)
        {
            if (group.Count > 0 && (group[0].Directory != row.Directory || group[0].Name != row.Name))
            {
                if (Net(group, query, runs, reference, renames) is ScanChange c && Selected(c, group[0].Matched))
                {
                    yield return c;
                }
                group.Clear();
            }
            group.Add(row);
        }
        if (group.Count > 0 && Net(group, query, runs, reference, renames) is ScanChange last && Selected(last, group[0].Matched))
        {
            yield return last;
        }

        // A file renamed and then removed is reported at its origin, which the filter may match where its later path does not.
        bool Selected(ScanChange c, bool matched) => matched || (origins is not null
            && ((c.OldFullName is string from && origins.Contains(from)) || (c.ChangeType == ScanChangeType.Removed && origins.Contains(c.FullName))));
    }

    /// <summary>The size and last-write time a file had after <paramref name="run"/>, as a past run's folder sizes read them.</summary>
    private (long? Size, long? Mtime) SizeAfter(string directory, string name, long run)
    {
        SpaceScope scope = Scope(Array.Empty<string>(), run, joinAlways: true);
        using RawStatement row = Prepare($"SELECT {scope.Size}, {scope.Mtime} FROM files f{scope.Join} WHERE d.path = $dir AND f.name = $name;");
        scope.Bind(row);
        row.Bind("$dir", directory);
        row.Bind("$name", name);
        if (!Step(row))
        {
            return (null, null);
        }
        (long? size, long? mtime) = (row.Int64(0), row.Int64(1));
        row.Reset();
        return (size, mtime);
    }

    /// <summary>An event of Rows' <c>silent</c> part: a stored hash or file id that moved while nothing reported did.</summary>
    private static bool IsUnreportedHashMove(ChangeRow e) =>
        e.Change == 3 && e.Fields == 0 && e.OldSize is null && e.NewSize is null && e.OldMeta is null && e.NewMeta is null;

    private ScanChange? Net(List<ChangeRow> events, ScanChangeQuery query, IReadOnlyList<long> runs, long reference, Dictionary<string, List<RenameStep>> renames)
    {
        ChangeRow first = events[0];
        ChangeRow final = events[^1];
        string fullName = Path.Join(first.Directory, first.Name);
        // The file at this path at the end: the one that was here at the start, unless it was renamed away, or removed in the
        // run another file was renamed here (mv x y over an existing y; log rotation).
        int left = -1;
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i].Change == RenamedAway || (events[i].Change == 2 && i + 1 < events.Count && events[i + 1].ScanId == events[i].ScanId))
            {
                left = i;
            }
        }
        bool before = first.Change is 2 or 3 or RenamedAway;
        bool after = final.Change is 1 or 3 or 4;
        ScanChangeType type;
        var fields = ChangedProperties.None;
        // An unreported hash move (see Rows) carries hashes only: the size, time and properties at either end come from the
        // first and last events that carry them; the hash from the first and last events of all.
        int sizedAt = events.FindIndex(e => e.OldSize is not null || e.OldMeta is not null);
        ChangeRow sized = sizedAt >= 0 ? events[sizedAt] : first;
        long? oldSize = sized.OldSize, oldMtime = sized.OldMtime;
        byte[]? oldSha = first.OldSha;
        string? oldMeta = sized.OldMeta;
        int lastAt = events.FindLastIndex(e => e.NewSize is not null || e.NewMeta is not null);
        ChangeRow last = lastAt >= 0 ? events[lastAt] : final;
        if (sizedAt < 0 && lastAt < 0 && first.Change == 3)
        {
            // Only unreported hash moves: nothing a user sees changed, so the size and time are the same at both ends,
            // those the file had after the last run compared.
            (long? size, long? mtime) = SizeAfter(first.Directory, first.Name, runs.Max());
            (oldSize, oldMtime) = (size, mtime);
            last = last with { NewSize = size, NewMtime = mtime };
        }
        string? oldFullName = null;
        if (after && (left >= 0 || !before))
        {
            // Another file arrived here (after the original left, or where there was none).
            int arrival = Math.Max(left + 1, 0);
            while (arrival < events.Count && events[arrival].Change is 2 or 3)
            {
                arrival++; // the file that came and went before the one that is here now
            }
            ChangeRow came = events[Math.Min(arrival, events.Count - 1)];
            type = ScanChangeType.Added;
            oldSize = oldMtime = null;
            oldSha = null;
            oldMeta = null;
            before = false;
            bool traced = false;
            if (came.Change == 4)
            {
                (string? origin, long? os, long? om, byte[]? oh, string? ometa, ChangedProperties f) = Trace(fullName, came.ScanId, reference, runs, renames);
                if (origin is not null)
                {
                    traced = true;
                    if (string.Equals(origin, fullName, StringComparison.Ordinal))
                    {
                        type = ScanChangeType.Modified; // renamed away and back: the same file at the same path
                    }
                    else
                    {
                        type = ScanChangeType.Renamed;
                        oldFullName = origin;
                    }
                    (oldSize, oldMtime, oldSha, oldMeta) = (os, om, oh, ometa);
                    fields = f;
                    before = true;
                }
            }
            if (traced)
            {
                foreach (ChangeRow e in events.Skip(arrival + 1))
                {
                    fields |= (ChangedProperties)e.Fields;
                }
            }
        }
        else if (before && after)
        {
            foreach (ChangeRow e in events)
            {
                fields |= (ChangedProperties)e.Fields;
            }
            type = ScanChangeType.Modified;
        }
        else if (before)
        {
            if (final.Change == RenamedAway)
            {
                return null; // reported as the Renamed change of its new path
            }
            type = ScanChangeType.Removed;
        }
        else if (final.Change == 2 && events.FindLastIndex(e => e.Change == 4) is int arrived and >= 0
            && Trace(fullName, events[arrived].ScanId, reference, runs, renames) is { Origin: string origin } traced)
        {
            // A file renamed here and then removed: the file the reference run had at its origin is gone. Its origin's
            // own events end RenamedAway (reported at the new path), so without this it was reported nowhere.
            fullName = origin;
            type = ScanChangeType.Removed;
            (oldSize, oldMtime, oldSha, oldMeta) = (traced.OldSize, traced.OldMtime, traced.OldSha, traced.OldMeta);
            before = true;
        }
        else
        {
            return null;
        }
        if (before && after)
        {
            // End to end, where both ends are known: a value changed and changed back is no change.
            if (oldSize is long os2 && last.NewSize is long ns)
            {
                fields = os2 != ns ? fields | ChangedProperties.Length : fields & ~ChangedProperties.Length;
            }
            if (oldMtime is long ot && last.NewMtime is long nt)
            {
                fields = ot != nt ? fields | ChangedProperties.LastWriteTime : fields & ~ChangedProperties.LastWriteTime;
            }
            // The hash at either end: the one just before the first event and just after the last, reported or not (an
            // unreported move of the stored hash is an event, see Rows). Hash is listed only when both are known and
            // differ: a run without -Hash that left it unknown at an end lists no Hash, whatever the runs between said.
            fields = oldSha is byte[] oh2 && final.NewSha is byte[] nh && !oh2.AsSpan().SequenceEqual(nh)
                ? fields | ChangedProperties.Hash
                : fields & ~ChangedProperties.Hash;
            if (oldMeta is string om3 && last.NewMeta is string nm3)
            {
                // End to end: a mode changed and changed back is no change.
                const ChangedProperties meta = ChangedProperties.Mode | ChangedProperties.Owner | ChangedProperties.Kind | ChangedProperties.LinkTarget;
                fields = (fields & ~meta) | ChangeMeta.Compare(om3, nm3);
            }
            if (type == ScanChangeType.Modified && fields == ChangedProperties.None)
            {
                return null; // gone and back the same, as far as the catalog can tell
            }
        }
        if (query.ChangeType.Count > 0 && !query.ChangeType.Contains(type))
        {
            return null;
        }
        if (query.Property != ChangedProperties.None && (type is not (ScanChangeType.Modified or ScanChangeType.Renamed) || (fields & query.Property) == 0))
        {
            return null;
        }
        return new ScanChange
        {
            // The last run that reported a change of the file; one that only read its hash again (an unreported hash move)
            // names it only when nothing else does (newcomer test 66: a mode change of run 3 showed run 4, which hashed it).
            ScanId = events.FindLastIndex(e => !IsUnreportedHashMove(e)) is int reported and >= 0 ? events[reported].ScanId : final.ScanId,
            ChangeType = type,
            Properties = fields,
            FullName = fullName,
            OldFullName = oldFullName,
            OldLength = before ? oldSize : null,
            Length = after ? last.NewSize : null,
            OldLastWriteTimeUtc = before && oldMtime is long om2 ? new DateTime(om2, DateTimeKind.Utc) : null,
            LastWriteTimeUtc = after && last.NewMtime is long nm ? new DateTime(nm, DateTimeKind.Utc) : null,
            Database = DatabasePath,
        };
    }
}
