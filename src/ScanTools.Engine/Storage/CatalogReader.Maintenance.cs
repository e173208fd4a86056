using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

public sealed partial class CatalogReader
{
    /// <summary>
    /// A run <paramref name="r"/> (an alias of scan_runs) the limits let go: never one still running, the newest completed
    /// scan or the newest run. A run that says Running but whose process on this computer has ended ($dead, a JSON array
    /// of ids) is not still running: its writer records it Failed before the prune applies (see CatalogWriter.ApplyPrune).
    /// </summary>
    private static string Prunable(string r) => $"""
        ({r}.status <> 'Running' OR {r}.id IN (SELECT value FROM json_each($dead)))
          AND ($cutoff IS NULL OR COALESCE({r}.ended_utc, {r}.started_utc) < $cutoff)
          AND ($keep IS NULL OR {r}.id NOT IN (SELECT id FROM scan_runs ORDER BY id DESC LIMIT $keep))
          AND {r}.id IS NOT (SELECT max(id) FROM scan_runs WHERE status = 'Completed' AND kind = 'Scan')
          AND {r}.id IS NOT (SELECT max(id) FROM scan_runs)
        """;

    /// <summary>
    /// The runs a prune takes; parameters $cutoff (ticks, or NULL) and $keep (a count, or NULL). Runs go from the oldest
    /// up to the first the limits keep: a kept run's past state is rebuilt from the changes of the runs after it (a
    /// file's size then is the old size of its first later change), so no run after a kept one is taken.
    /// </summary>
    private static readonly string PrunedRunsSql = $"""
        SELECT r.id FROM scan_runs r
        WHERE {Prunable("r")}
          AND r.id < coalesce((SELECT min(k.id) FROM scan_runs k WHERE NOT ({Prunable("k")})), 9223372036854775807)
        """;

    /// <summary>
    /// What pruning with these limits would remove, as of now: runs that have ended (never one still running, never
    /// the newest completed scan, and never the newest run, whose id keeps SQLite from giving a pruned id to the next
    /// run) that ended before <paramref name="endedBeforeUtc"/> and are not among the
    /// newest <paramref name="keepRuns"/> runs, each limit applying only when given, and that are older than every run
    /// kept (see <see cref="PrunedRunsSql"/>). The counts of what goes with
    /// them come from the same read.
    /// </summary>
    /// <exception cref="CatalogException">The catalog cannot be read.</exception>
    internal PrunePlan PlanPrune(DateTime? endedBeforeUtc, int? keepRuns)
    {
        try
        {
            using SqliteTransaction snapshot = _connection.BeginTransaction(deferred: true); // one read for every count
            using SqliteCommand c = _connection.CreateCommand();
            c.Transaction = snapshot;
            c.Parameters.AddWithValue("$cutoff", endedBeforeUtc is DateTime cut ? cut.Ticks : DBNull.Value);
            c.Parameters.AddWithValue("$keep", keepRuns is int k ? k : DBNull.Value);
            // Left Running by a killed process, such a run shielded every later run from the limits (runs go oldest first
            // and stop at the first kept), so the first prune after a kill took almost nothing.
            c.Parameters.AddWithValue("$dead", JsonSerializer.Serialize(DeadLocalRuns(c)));
            c.CommandText = PrunedRunsSql + " ORDER BY id;";
            var ids = new List<long>();
            using (SqliteDataReader r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    ids.Add(r.GetInt64(0));
                }
            }
            if (ids.Count == 0)
            {
                return new PrunePlan(ids, 0, 0, 0, 0);
            }
            long Count(string table, string column)
            {
                c.CommandText = $"SELECT count(*) FROM {table} WHERE {column} IN ({PrunedRunsSql});";
                return (long)c.ExecuteScalar()!;
            }
            // Changes as Get-ScanChange -ScanId lists them: a row stands for one file, or (name NULL) for every file of a
            // folder the run found new or gone.
            c.CommandText = ChangeRowsCte(renamedAway: string.Empty, silent: string.Empty) + " SELECT count(*) FROM f;";
            c.Parameters.AddWithValue("$runs", JsonSerializer.Serialize(ids));
            long changes = (long)c.ExecuteScalar()!;
            return new PrunePlan(ids, Count("files", "removed_scan_id"), Count("scan_errors", "scan_id"),
                changes, Count("findings", "resolved_scan_id"));
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>Ids of the runs that say Running whose process on this computer no longer exists (read in <paramref name="c"/>'s transaction).</summary>
    private static List<long> DeadLocalRuns(SqliteCommand c)
    {
        c.CommandText = "SELECT id, process_id, started_utc FROM scan_runs WHERE status = 'Running' AND host = $host;";
        c.Parameters.AddWithValue("$host", Environment.MachineName);
        var dead = new List<long>();
        using (SqliteDataReader r = c.ExecuteReader())
        {
            while (r.Read())
            {
                if (!Platform.ProcessLiveness.IsAlive(r.GetInt32(1), new DateTime(r.GetInt64(2), DateTimeKind.Utc)))
                {
                    dead.Add(r.GetInt64(0));
                }
            }
        }
        c.Parameters.RemoveAt("$host");
        return dead;
    }
}

/// <summary>The runs a prune removes, and what goes with them.</summary>
internal sealed record PrunePlan(IReadOnlyList<long> RunIds, long RemovedFiles, long ErrorItems, long Changes, long ResolvedFindings);

public sealed partial class CatalogReader
{
    /// <summary>Present files, runs, and the newest run id, in one read.</summary>
    /// <exception cref="CatalogException">The catalog cannot be read.</exception>
    internal (long Files, long Runs, long LastRunId) Totals()
    {
        try
        {
            using SqliteCommand c = _connection.CreateCommand();
            c.CommandText = "SELECT (SELECT count(*) FROM files WHERE removed_scan_id IS NULL), (SELECT count(*) FROM scan_runs), (SELECT COALESCE(max(id), 0) FROM scan_runs);";
            using SqliteDataReader r = c.ExecuteReader();
            r.Read();
            return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }
}
