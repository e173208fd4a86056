using Microsoft.Data.Sqlite;
using ScanTools.Scanning;

namespace ScanTools.Storage;

/// <summary>
/// Change history: as each listing is applied, every file is compared with the row the catalog held, and
/// what differs is recorded in <c>file_changes</c>. A folder new to the catalog, and a folder found gone,
/// get one row for all their files (the files themselves say which: first_scan_id, removed_scan_id), so a
/// first scan writes a row per folder, not per file. At a run's end, a file found gone and a file added
/// that are the same file become one Renamed change.
/// </summary>
internal sealed partial class CatalogWriter
{
    /// <summary>A folder being listed: its rows, and the names present before that the listing has not met yet.</summary>
    private sealed class FolderState
    {
        public FolderState()
            : this(new Dictionary<string, StoredRow>(StringComparer.Ordinal))
        {
        }

        private FolderState(Dictionary<string, StoredRow> rows) => Rows = rows;

        public Dictionary<string, StoredRow> Rows { get; }

        public HashSet<string> Unseen { get; } = new(StringComparer.Ordinal);

        /// <summary>The state of a folder from a snapshot a walker read (the rows are shared, not copied).</summary>
        public static FolderState From(FolderSnapshot snapshot)
        {
            var state = new FolderState(snapshot.Rows);
            foreach ((string name, StoredRow row) in snapshot.Rows)
            {
                if (row.RemovedScanId is null)
                {
                    state.Unseen.Add(name);
                }
            }
            return state;
        }

        /// <summary>The stored row of a listed name (null when new); the name is seen.</summary>
        public StoredRow? Take(string name)
        {
            Unseen.Remove(name);
            return Rows.TryGetValue(name, out StoredRow row) ? row : null;
        }
    }

    /// <summary>Every row of a folder the catalog knows, removed ones included (a file may come back).</summary>
    private FolderState LoadFolder(long dirId)
    {
        var state = new FolderState();
        _folderRows.Bind(1, dirId);
        while (_folderRows.Step())
        {
            string name = _folderRows.Text(0);
            StoredRow row = StoredRows.Read(_folderRows);
            state.Rows[name] = row;
            if (row.RemovedScanId is null)
            {
                state.Unseen.Add(name);
            }
        }
        return state;
    }

    /// <summary>One file's stored row (records, and chunks whose folder state is not tracked here).</summary>
    private StoredRow? LookupRow(long dirId, string name)
    {
        _oneRow.Bind(1, dirId);
        _oneRow.Bind(2, name);
        if (!_oneRow.Step())
        {
            return null;
        }
        StoredRow row = StoredRows.Read(_oneRow);
        _oneRow.Reset();
        return row;
    }

    /// <summary>
    /// Writes a file of a folder the catalog knew, recording what changed. An unchanged file costs no write
    /// in a walk (the folder's completed listing counts as its sighting); <paramref name="force"/> writes it
    /// anyway (records, which carry their own sighting). Returns whether it wrote.
    /// </summary>
    private bool WriteKnown(FileRecord f, StoredRow? old, long dirId, long run, bool force)
    {
        if (old is not StoredRow o)
        {
            NoteNewFile(dirId, f.Name);
            RecordFileChange(run, dirId, f.Name, ScanChangeType.Added, ChangedProperties.None, null, f);
        }
        else if (o.RemovedScanId is long goneIn)
        {
            // Back after it was found gone. When a whole-folder row recorded that removal, the file's own
            // row keeps it in the history: its removed_scan_id, which that row relies on, is cleared now.
            _folderRemovedIn.Bind(1, goneIn);
            _folderRemovedIn.Bind(2, dirId);
            bool byFolder = _folderRemovedIn.Step();
            if (byFolder)
            {
                _folderRemovedIn.Reset();
                RecordFileChange(goneIn, dirId, f.Name, ScanChangeType.Removed, ChangedProperties.None, o, null);
            }
            RecordFileChange(run, dirId, f.Name, ScanChangeType.Added, ChangedProperties.None, null, f);
        }
        else
        {
            (ChangedProperties changed, bool differs) = Compare(o, f);
            if (changed != ChangedProperties.None)
            {
                RecordFileChange(run, dirId, f.Name, ScanChangeType.Modified, changed, o, f);
            }
            else if (differs)
            {
                // Nothing to report, but another file under the same name and stamps (a copy replaced by a hard link to
                // its twin), or a stored hash that goes (the change time moved and this run does not hash) or comes:
                // kept aside, for a past run's sizes and for comparisons of runs.
                byte[]? sha = StoredHash(o, f);
                bool hashMoved = o.Sha256 is null ? sha is not null : sha is null || !o.Sha256.AsSpan().SequenceEqual(sha);
                if (hashMoved || o.Inode != f.Inode || o.Device != f.Device)
                {
                    _insertIdentity.Bind(1, dirId);
                    _insertIdentity.Bind(2, f.Name);
                    _insertIdentity.Bind(3, run);
                    _insertIdentity.Bind(4, o.Device);
                    _insertIdentity.Bind(5, o.Inode);
                    _insertIdentity.Bind(6, o.Links);
                    _insertIdentity.Bind(7, o.Sha256);
                    _insertIdentity.Bind(8, sha);
                    _insertIdentity.Execute();
                }
            }
            if (!differs && !force)
            {
                return false;
            }
        }
        BindFile(_upsertFile, f, dirId, run);
        _upsertFile.Bind(14, force ? 1L : 0L);
        _upsertFile.Execute();
        return true;
    }

    /// <summary>
    /// The hash the files row holds after <paramref name="f"/> is written over <paramref name="o"/>: the new one if read,
    /// else the old one while the file is the same file with the same content stamps (the upsert's rule), else none.
    /// </summary>
    private static byte[]? StoredHash(in StoredRow o, FileRecord f) =>
        f.Sha256Bytes ?? (o.Size == f.Length && o.Mtime == f.LastWriteTimeUtc.Ticks && o.Ctime == f.ChangeTimeUtc?.Ticks && o.Inode == f.Inode ? o.Sha256 : null);

    /// <summary>
    /// What a user would call a change (size, time, content, mode, owner, link target, kind), and whether
    /// the row differs at all (a first hash, a new change time or file id are stored without being changes).
    /// </summary>
    internal static (ChangedProperties Changed, bool Differs) Compare(in StoredRow o, FileRecord f)
    {
        ChangedProperties c = ChangedProperties.None;
        if (o.Size != f.Length)
        {
            c |= ChangedProperties.Length;
        }
        if (o.Mtime != f.LastWriteTimeUtc.Ticks)
        {
            c |= ChangedProperties.LastWriteTime;
        }
        byte[]? sha = f.Sha256Bytes;
        if (o.Sha256 is not null && sha is not null && !o.Sha256.AsSpan().SequenceEqual(sha))
        {
            c |= ChangedProperties.Hash;
        }
        if (o.Mode != f.UnixStatMode || o.Attributes != (long)f.Attributes)
        {
            c |= ChangedProperties.Mode;
        }
        if (o.Uid != f.UserId || o.Gid != f.GroupId)
        {
            c |= ChangedProperties.Owner;
        }
        if (!string.Equals(o.LinkTarget, f.LinkTarget, StringComparison.Ordinal))
        {
            c |= ChangedProperties.LinkTarget;
        }
        if (o.Kind != (long)f.Kind || o.IsLink != f.IsLink)
        {
            c |= ChangedProperties.Kind;
        }
        bool differs = c != ChangedProperties.None
            || o.Btime != f.CreationTimeUtc?.Ticks
            || o.Ctime != f.ChangeTimeUtc?.Ticks
            || o.Device != f.Device || o.Inode != f.Inode || o.Links != f.HardLinks
            || (sha is not null && o.Sha256 is null)
            || (f.RulesKey is long key && o.RulesKey != key);
        return (c, differs);
    }

    private void RecordFileChange(long run, long dirId, string name, ScanChangeType type, ChangedProperties fields, StoredRow? old, FileRecord? now)
    {
        _insertChange.Bind(1, run);
        _insertChange.Bind(2, dirId);
        _insertChange.Bind(3, name);
        _insertChange.Bind(4, (long)type);
        _insertChange.Bind(5, (long)fields);
        _insertChange.Bind(6, old?.Size);
        _insertChange.Bind(7, now?.Length);
        _insertChange.Bind(8, old?.Mtime);
        _insertChange.Bind(9, now?.LastWriteTimeUtc.Ticks);
        _insertChange.Bind(10, old?.Sha256);
        _insertChange.Bind(11, now?.Sha256Bytes);
        _insertChange.Bind(12, old is StoredRow o ? ChangeMeta.Of(o) : null);
        _insertChange.Bind(13, now is null ? null : ChangeMeta.Of(now));
        _insertChange.Bind(14, old?.Device); // the identity before: a past run's sizes count hard links by it
        _insertChange.Bind(15, old?.Inode);
        _insertChange.Bind(16, old?.Links);
        _insertChange.Execute();
    }

    /// <summary>One row for every file of a folder: Added (its files with first_scan_id = run) or Removed (removed_scan_id = run).</summary>
    private void RecordFolderChange(long run, long dirId, ScanChangeType type)
    {
        _insertFolderChange.Bind(1, run);
        _insertFolderChange.Bind(2, dirId);
        _insertFolderChange.Bind(3, (long)type);
        _insertFolderChange.Execute();
    }

    /// <summary>
    /// Pairs the files a run found gone with the files it added that are the same file: the same device, file
    /// id and birth time (a rename or a move within one file system, edited or not; see <see cref="Identity"/>),
    /// or else the same size, last-write time and SHA-256 (a move across file systems, when both were hashed: mv, rsync -a
    /// and robocopy keep the time). The time keeps an unrelated new copy of a deleted file from hiding both changes (every
    /// empty file has one hash); an empty file is never paired by content. Each pair becomes one Renamed change, with
    /// whatever else changed in its properties.
    /// Applied again, it finds nothing more to pair.
    /// </summary>
    private void PairRenames(long run)
    {
        using SqliteCommand any = _connection.CreateCommand();
        any.CommandText = "SELECT EXISTS (SELECT 1 FROM file_changes WHERE scan_id = $run AND change = 2) AND EXISTS (SELECT 1 FROM file_changes WHERE scan_id = $run AND change = 1);";
        any.Parameters.AddWithValue("$run", run);
        if (Convert.ToInt64(any.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return;
        }
        List<Candidate> gone = Candidates(run, ScanChangeType.Removed);
        if (gone.Count == 0)
        {
            return;
        }
        var byId = new Dictionary<(long, long, long, long), Queue<Candidate>>();
        var byHash = new Dictionary<(long, long, string), Queue<Candidate>>();
        foreach (Candidate g in gone)
        {
            if (Identity(g) is { } id)
            {
                Enqueue(byId, id, g);
            }
            if (g.Sha256 is byte[] sha && g.Size > 0)
            {
                Enqueue(byHash, (g.Size, g.Mtime, Convert.ToHexString(sha)), g);
            }
        }
        var used = new HashSet<(long, string)>();
        var pairs = new List<(Candidate From, Candidate To)>();
        foreach (Candidate a in Candidates(run, ScanChangeType.Added))
        {
            Candidate? match = null;
            if (Identity(a) is { } id)
            {
                match = TakeUnused(byId, id, used);
            }
            if (match is null && a.Sha256 is byte[] sha && a.Size > 0)
            {
                match = TakeUnused(byHash, (a.Size, a.Mtime, Convert.ToHexString(sha)), used);
            }
            if (match is Candidate m)
            {
                used.Add((m.DirId, m.Name));
                pairs.Add((m, a));
            }
        }
        foreach ((Candidate from, Candidate to) in pairs)
        {
            using SqliteCommand c = _connection.CreateCommand();
            c.CommandText = """
                DELETE FROM file_changes WHERE scan_id = $run AND ((dir_id = $fd AND name = $fn AND change = 2) OR (dir_id = $td AND name = $tn AND change = 1));
                INSERT INTO file_changes (scan_id, dir_id, name, change, fields, old_size, new_size, old_mtime, new_mtime, old_sha256, new_sha256, old_meta, new_meta, from_dir_id, from_name, old_device, old_inode)
                VALUES ($run, $td, $tn, 4, $fields, $fs, $ts, $fm, $tm, $fh, $th, $fmeta, $tmeta, $fd, $fn, $fdev, $fino);
                """;
            c.Parameters.AddWithValue("$run", run);
            // The identity the file had at its old path: a past run's sizes count the file at that path by it. Without it
            // they took the path's file of today, whose inode may be another file's of that run (inodes are reused).
            c.Parameters.AddWithValue("$fdev", (object?)from.Device ?? DBNull.Value);
            c.Parameters.AddWithValue("$fino", (object?)from.Inode ?? DBNull.Value);
            c.Parameters.AddWithValue("$fd", from.DirId);
            c.Parameters.AddWithValue("$fn", from.Name);
            c.Parameters.AddWithValue("$td", to.DirId);
            c.Parameters.AddWithValue("$tn", to.Name);
            c.Parameters.AddWithValue("$fs", from.Size);
            c.Parameters.AddWithValue("$ts", to.Size);
            c.Parameters.AddWithValue("$fm", from.Mtime);
            c.Parameters.AddWithValue("$tm", to.Mtime);
            c.Parameters.AddWithValue("$fields", (long)RenameFields(from, to));
            c.Parameters.AddWithValue("$fmeta", Meta(from));
            c.Parameters.AddWithValue("$tmeta", Meta(to));
            c.Parameters.AddWithValue("$fh", (object?)from.Sha256 ?? DBNull.Value);
            c.Parameters.AddWithValue("$th", (object?)to.Sha256 ?? DBNull.Value);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Renames onto names the catalog knew, which <see cref="PairRenames"/> cannot see because a name that stays taken is
    /// not Added or Removed: mv a b, then a new a (a's change is Modified, and its file id is another); mv x y over an
    /// existing y (x Removed, y Modified); log rotation (app.log -> app.log.1 -> app.log.2, and a new app.log: every name
    /// Modified); names swapped. A file that left a name (a Removed row, or a Modified row whose file id changed: its id
    /// before) and a file that arrived at another (an Added row, or such a Modified row: its id now) are one file when the
    /// device, file id, size and last-write time are all the same. Each pair becomes one Renamed change from the old
    /// name; a name whose file left and another came is Added when nothing else left it (the file there is new), and a
    /// name whose file was replaced by one that came from another name and did not itself go anywhere gets a Removed
    /// change with that file's last state (mv over a file destroys it). Before, rotation read "app.log Modified, Length
    /// 12 B -> 4 B; app.log.1 Added" and comparisons compared unrelated files (newcomer tests 79 and 84). Only exact
    /// matches pair, so a file an editor saved through a new file (a new id at the same name) stays Modified. Runs after
    /// <see cref="PairRenames"/>, whose pairs come first; applied again, it finds nothing more to pair.
    /// </summary>
    private void PairReplacedNames(long run)
    {
        // Rows whose file left its name: per-file Removed rows, and Modified rows whose file id changed.
        var left = new List<NameChange>();
        using (SqliteCommand q = _connection.CreateCommand())
        {
            q.CommandText = """
                SELECT ch.rowid, ch.change, ch.dir_id, ch.name, ch.old_device, ch.old_inode, ch.old_size, ch.old_mtime, ch.old_meta, ch.old_sha256, ch.old_links,
                       f.device, f.inode, ch.new_size, ch.new_mtime, ch.new_meta, ch.new_sha256
                FROM file_changes ch JOIN files f ON f.dir_id = ch.dir_id AND f.name = ch.name
                WHERE ch.scan_id = $run AND ch.name IS NOT NULL
                  AND ch.old_device IS NOT NULL AND ch.old_inode IS NOT NULL AND ch.old_size IS NOT NULL AND ch.old_mtime IS NOT NULL
                  AND (ch.change = 2 OR (ch.change = 3 AND (f.device IS NOT ch.old_device OR f.inode IS NOT ch.old_inode)));
                """;
            q.Parameters.AddWithValue("$run", run);
            using SqliteDataReader r = q.ExecuteReader();
            while (r.Read())
            {
                left.Add(new NameChange(r.GetInt64(0), r.GetInt64(1) == 2, r.GetInt64(2), r.GetString(3),
                    (r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7)), r.IsDBNull(8) ? null : r.GetString(8),
                    r.IsDBNull(9) ? null : (byte[])r.GetValue(9), r.IsDBNull(10) ? null : r.GetInt64(10),
                    r.IsDBNull(11) || r.IsDBNull(12) || r.IsDBNull(13) || r.IsDBNull(14) ? null : (r.GetInt64(11), r.GetInt64(12), r.GetInt64(13), r.GetInt64(14)),
                    r.IsDBNull(13) ? null : r.GetInt64(13), r.IsDBNull(14) ? null : r.GetInt64(14),
                    r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : (byte[])r.GetValue(16)));
            }
        }
        if (left.Count == 0)
        {
            return;
        }
        var byOld = new Dictionary<(long, long, long, long), Queue<NameChange>>();
        foreach (NameChange l in left)
        {
            if (!byOld.TryGetValue(l.Old, out Queue<NameChange>? q))
            {
                byOld[l.Old] = q = new Queue<NameChange>();
            }
            q.Enqueue(l);
        }
        // Arrivals: Added rows, and the Modified rows above (by their file id now).
        var arrivals = new List<(Candidate? Added, NameChange? Modified, (long, long, long, long) Key, long DirId, string Name)>();
        foreach (Candidate a in Candidates(run, ScanChangeType.Added))
        {
            if (a.Device is long dev && a.Inode is long ino)
            {
                arrivals.Add((a, null, (dev, ino, a.Size, a.Mtime), a.DirId, a.Name));
            }
        }
        foreach (NameChange m in left)
        {
            if (!m.Removed && m.Now is { } now)
            {
                arrivals.Add((null, m, now, m.DirId, m.Name));
            }
        }
        var pairs = new List<(NameChange From, Candidate? Added, NameChange? Modified, long DirId, string Name)>();
        var sources = new HashSet<long>(); // rowids of rows whose file went to another name
        foreach (var arrival in arrivals)
        {
            if (!byOld.TryGetValue(arrival.Key, out Queue<NameChange>? from))
            {
                continue;
            }
            // Never a name to itself (its id did not change, or it is not in the list), never a row twice.
            NameChange? source = null;
            foreach (NameChange candidate in from)
            {
                if (!sources.Contains(candidate.RowId) && !(candidate.DirId == arrival.DirId && candidate.Name == arrival.Name))
                {
                    source = candidate;
                    break;
                }
            }
            if (source is NameChange s)
            {
                sources.Add(s.RowId);
                pairs.Add((s, arrival.Added, arrival.Modified, arrival.DirId, arrival.Name));
            }
        }
        if (pairs.Count == 0)
        {
            return;
        }
        var arrivedAt = new HashSet<long>(pairs.Where(p => p.Modified is not null).Select(p => p.Modified!.RowId));
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = """
            INSERT INTO file_changes (scan_id, dir_id, name, change, fields, old_size, new_size, old_mtime, new_mtime, old_sha256, new_sha256, old_meta, new_meta, from_dir_id, from_name, old_device, old_inode, old_links)
            VALUES ($run, $td, $tn, 4, $fields, $fs, $ts, $fm, $tm, $fh, $th, $fmeta, $tmeta, $fd, $fn, $fdev, $fino, $flinks);
            """;
        SqliteParameter P(string name)
        {
            var p = new SqliteParameter { ParameterName = name }; // bound as each value's own type
            c.Parameters.Add(p);
            return p;
        }
        c.Parameters.AddWithValue("$run", run);
        SqliteParameter td = P("$td"), tn = P("$tn"), fields = P("$fields"), fs = P("$fs"), ts = P("$ts"), fm = P("$fm"), tm = P("$tm"),
            fh = P("$fh"), th = P("$th"), fmeta = P("$fmeta"), tmeta = P("$tmeta"), fd = P("$fd"), fn = P("$fn"),
            fdev = P("$fdev"), fino = P("$fino"), flinks = P("$flinks");
        static object Db(object? v) => v ?? DBNull.Value;
        foreach ((NameChange from, Candidate? added, NameChange? modified, long dirId, string name) in pairs)
        {
            long? toSize = added?.Size ?? modified!.NewSize, toMtime = added?.Mtime ?? modified!.NewMtime;
            byte[]? toSha = added is not null ? added.Sha256 : modified!.NewSha256;
            string? toMeta = added is not null ? Meta(added) : modified!.NewMeta;
            // What else changed on the way (a chmod): compared as PairRenames does; size and time are the same by the match.
            ChangedProperties f = from.OldMeta is null || toMeta is null ? ChangedProperties.None : ChangeMeta.Compare(from.OldMeta, toMeta);
            if (from.OldSha256 is not null && toSha is not null && !from.OldSha256.AsSpan().SequenceEqual(toSha))
            {
                f |= ChangedProperties.Hash;
            }
            td.Value = dirId;
            tn.Value = name;
            fields.Value = (long)f;
            fs.Value = from.Old.Size;
            ts.Value = Db(toSize);
            fm.Value = from.Old.Mtime;
            tm.Value = Db(toMtime);
            fh.Value = Db(from.OldSha256);
            th.Value = Db(toSha);
            fmeta.Value = Db(from.OldMeta);
            tmeta.Value = Db(toMeta);
            fd.Value = from.DirId;
            fn.Value = from.Name;
            fdev.Value = from.Old.Device; // the identity it had at its old path, for a past run's sizes
            fino.Value = from.Old.Inode;
            flinks.Value = Db(from.OldLinks);
            c.ExecuteNonQuery();
        }
        using SqliteCommand u = _connection.CreateCommand();
        u.Parameters.AddWithValue("$run", run);
        SqliteParameter rowId = u.Parameters.Add("$rowid", SqliteType.Integer), dir = u.Parameters.Add("$dir", SqliteType.Integer), nm = u.Parameters.Add("$name", SqliteType.Text);
        void Execute(string sql)
        {
            u.CommandText = sql;
            u.ExecuteNonQuery();
        }
        foreach ((NameChange from, Candidate? added, NameChange? modified, long dirId, string name) in pairs)
        {
            if (added is not null)
            {
                dir.Value = dirId;
                nm.Value = name;
                Execute("DELETE FROM file_changes WHERE scan_id = $run AND dir_id = $dir AND name = $name AND change = 1;");
            }
            else if (!sources.Contains(modified!.RowId))
            {
                // The file that was here went nowhere: the one that came destroyed it (mv over a file).
                rowId.Value = modified.RowId;
                Execute("""
                    UPDATE file_changes SET change = 2, fields = 0, new_size = NULL, new_mtime = NULL, new_sha256 = NULL, new_meta = NULL
                    WHERE rowid = $rowid;
                    """);
            }
            else
            {
                rowId.Value = modified.RowId;
                Execute("DELETE FROM file_changes WHERE rowid = $rowid;"); // its file left too: that is its own pair's Renamed
            }
        }
        foreach ((NameChange from, _, _, _, _) in pairs)
        {
            rowId.Value = from.RowId;
            if (from.Removed)
            {
                Execute("DELETE FROM file_changes WHERE rowid = $rowid;"); // not gone: renamed
            }
            else if (!arrivedAt.Contains(from.RowId))
            {
                // Its file left and another, new, is here now.
                Execute("""
                    UPDATE file_changes SET change = 1, fields = 0, old_size = NULL, old_mtime = NULL, old_sha256 = NULL, old_meta = NULL,
                           old_device = NULL, old_inode = NULL, old_links = NULL
                    WHERE rowid = $rowid;
                    """);
            }
        }
    }

    /// <summary>A per-file change of a run whose file left its name (see <see cref="PairReplacedNames"/>).</summary>
    private sealed record NameChange(long RowId, bool Removed, long DirId, string Name, (long Device, long Inode, long Size, long Mtime) Old,
        string? OldMeta, byte[]? OldSha256, long? OldLinks, (long, long, long, long)? Now, long? NewSize, long? NewMtime, string? NewMeta, byte[]? NewSha256);

    private static void Enqueue<TKey>(Dictionary<TKey, Queue<Candidate>> map, TKey key, Candidate c)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out Queue<Candidate>? q))
        {
            map[key] = q = new Queue<Candidate>();
        }
        q.Enqueue(c);
    }

    private static Candidate? TakeUnused<TKey>(Dictionary<TKey, Queue<Candidate>> map, TKey key, HashSet<(long, string)> used)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out Queue<Candidate>? q))
        {
            return null;
        }
        while (q.Count > 0)
        {
            Candidate c = q.Dequeue();
            if (!used.Contains((c.DirId, c.Name)))
            {
                return c;
            }
        }
        return null;
    }

    private sealed record Candidate(long DirId, string Name, long Size, long Mtime, byte[]? Sha256, long? Device, long? Inode,
        long? Mode, long Attributes, long? Uid, long? Gid, string? LinkTarget, long Kind, bool IsLink, long? Btime);

    /// <summary>
    /// A file's identity across a rename: its device, inode and birth time (a reused inode has another birth
    /// time), so a file renamed and edited in one run is still one file; without a birth time, the size and
    /// last-write time stand in for it. Null when the file id is unknown.
    /// </summary>
    private static (long, long, long, long)? Identity(Candidate c) =>
        c.Device is long dev && c.Inode is long ino
            ? c.Btime is long birth ? (dev, ino, birth, long.MinValue) : (dev, ino, c.Size, c.Mtime)
            : null;

    /// <summary>A candidate's mode, attributes, owner, kind and link target, as stored with its change.</summary>
    private static string Meta(Candidate c) => ChangeMeta.Of(c.Mode, c.Attributes, c.Uid, c.Gid, c.Kind, c.IsLink, c.LinkTarget);

    /// <summary>What else changed in a rename (a move and a chmod in one run): compared like a modification.</summary>
    private static ChangedProperties RenameFields(Candidate from, Candidate to)
    {
        ChangedProperties c = ChangeMeta.Compare(Meta(from), Meta(to));
        if (from.Size != to.Size)
        {
            c |= ChangedProperties.Length;
        }
        if (from.Mtime != to.Mtime)
        {
            c |= ChangedProperties.LastWriteTime;
        }
        if (from.Sha256 is not null && to.Sha256 is not null && !from.Sha256.AsSpan().SequenceEqual(to.Sha256))
        {
            c |= ChangedProperties.Hash;
        }
        return c;
    }

    /// <summary>The run's added (present) or removed files not yet paired, from its per-file rows and its whole-folder rows.</summary>
    private List<Candidate> Candidates(long run, ScanChangeType type)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = type == ScanChangeType.Added
            ? """
              SELECT f.dir_id, f.name, f.size, f.mtime, f.sha256, f.device, f.inode, f.mode, f.attributes, f.uid, f.gid, f.link_target, f.kind, f.is_link, f.btime
              FROM file_changes ch JOIN files f ON f.dir_id = ch.dir_id AND f.name = ch.name
              WHERE ch.scan_id = $run AND ch.change = 1 AND ch.name IS NOT NULL AND f.removed_scan_id IS NULL
              UNION ALL
              SELECT f.dir_id, f.name, f.size, f.mtime, f.sha256, f.device, f.inode, f.mode, f.attributes, f.uid, f.gid, f.link_target, f.kind, f.is_link, f.btime
              FROM file_changes ch JOIN files f ON f.dir_id = ch.dir_id AND f.first_scan_id = $run
              WHERE ch.scan_id = $run AND ch.change = 1 AND ch.name IS NULL AND f.removed_scan_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM file_changes x WHERE x.scan_id = $run AND x.dir_id = f.dir_id AND x.name = f.name);
              """
            : """
              SELECT f.dir_id, f.name, f.size, f.mtime, f.sha256, f.device, f.inode, f.mode, f.attributes, f.uid, f.gid, f.link_target, f.kind, f.is_link, f.btime
              FROM file_changes ch JOIN files f ON f.dir_id = ch.dir_id AND f.name = ch.name
              WHERE ch.scan_id = $run AND ch.change = 2 AND ch.name IS NOT NULL
              UNION ALL
              SELECT f.dir_id, f.name, f.size, f.mtime, f.sha256, f.device, f.inode, f.mode, f.attributes, f.uid, f.gid, f.link_target, f.kind, f.is_link, f.btime
              FROM file_changes ch JOIN files f ON f.dir_id = ch.dir_id AND f.removed_scan_id = $run
              WHERE ch.scan_id = $run AND ch.change = 2 AND ch.name IS NULL
                AND NOT EXISTS (SELECT 1 FROM file_changes x WHERE x.scan_id = $run AND x.change = 4 AND x.from_dir_id = f.dir_id AND x.from_name = f.name);
              """;
        c.Parameters.AddWithValue("$run", run);
        var list = new List<Candidate>();
        using SqliteDataReader r = c.ExecuteReader();
        while (r.Read())
        {
            list.Add(new Candidate(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                r.IsDBNull(4) ? null : (byte[])r.GetValue(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.GetInt64(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetInt64(10),
                r.IsDBNull(11) ? null : r.GetString(11), r.GetInt64(12), r.GetInt64(13) != 0, r.IsDBNull(14) ? null : r.GetInt64(14)));
        }
        return list;
    }
}

/// <summary>
/// A file's mode, attributes, owner, kind and link target as one comparable text, stored with per-file
/// changes so that a comparison of runs can tell a property changed and changed back from one that differs.
/// The SQL in CatalogReader.Changes builds the same text from a files row.
/// </summary>
internal static class ChangeMeta
{
    public static string Of(long? mode, long attributes, long? uid, long? gid, long kind, bool isLink, string? target) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{mode}|{attributes}|{uid}|{gid}|{kind}|{(isLink ? 1 : 0)}|{target}");

    public static string Of(StoredRow r) => Of(r.Mode, r.Attributes, r.Uid, r.Gid, r.Kind, r.IsLink, r.LinkTarget);

    public static string Of(FileRecord f) => Of(f.UnixStatMode, (long)f.Attributes, f.UserId, f.GroupId, (long)f.Kind, f.IsLink, f.LinkTarget);

    /// <summary>The mode, owner, link target and kind properties that differ between two meta texts.</summary>
    public static ChangedProperties Compare(string before, string after)
    {
        string[] a = before.Split('|', 7), b = after.Split('|', 7);
        var c = ChangedProperties.None;
        if (a.Length < 7 || b.Length < 7)
        {
            return c;
        }
        if (a[0] != b[0] || a[1] != b[1])
        {
            c |= ChangedProperties.Mode;
        }
        if (a[2] != b[2] || a[3] != b[3])
        {
            c |= ChangedProperties.Owner;
        }
        if (a[4] != b[4] || a[5] != b[5])
        {
            c |= ChangedProperties.Kind;
        }
        if (a[6] != b[6])
        {
            c |= ChangedProperties.LinkTarget;
        }
        return c;
    }
}
