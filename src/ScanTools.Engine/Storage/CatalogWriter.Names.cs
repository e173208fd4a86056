namespace ScanTools.Storage;

/// <summary>
/// The writer's half of the name index (schema 5, <see cref="FolderNames"/>): each name once in the names table and its
/// trigram index, and per folder the ids of its files' names.
/// </summary>
/// <remarks>
/// Measured on the bench's 200,000-file trees (bench/README.md): kept per file, the names table and its trigram index
/// cost a first scan of 200,000 different names 9x its time (random inserts into two indexes, committed every few
/// milliseconds). So a name the writer already knows (or one of the first <see cref="InlineNamesPerTransaction"/> new
/// names of a transaction) is written with its file, and the folder's list gets its id at once; a folder with more new
/// names than that is noted in name_index_pending and taken in, sorted and in bulk, when the run ends. The trigram index
/// is fed in bulk then too (name_index_state.trigrams_through). Queries match noted folders and later names themselves,
/// so answers are exact at any time.
/// </remarks>
internal sealed partial class CatalogWriter
{
    private readonly RawStatement _nameId, _insertName, _folderNames, _setFolderNames, _notePending;

    /// <summary>Ids of names, as far as this writer knows them (a bounded cache, dropped with any rollback).</summary>
    private readonly Dictionary<string, long> _nameIds = new(StringComparer.Ordinal);

    /// <summary>Above this many the cache starts again (about 100 bytes a name: a few MB).</summary>
    private const int NameIdCacheLimit = 65_536;

    /// <summary>New names a transaction writes with their files; further ones wait for the run's end.</summary>
    internal const int InlineNamesPerTransaction = 256;

    private int _inlineNames;

    /// <summary>Ids of the names of the files the listing being applied inserts (one list, reused).</summary>
    private readonly List<long> _listingNameIds = new();

    /// <summary>Whether the listing being applied takes names into its folder's list (not when its folder is noted instead).</summary>
    private bool _listingListsNames;

    /// <summary>Folders noted in name_index_pending by this writer since the last catch-up (a rollback forgets them).</summary>
    private readonly HashSet<long> _pendingFolders = new();

    /// <summary>See <see cref="Sessions.WriterSessionOptions.MaintainNameIndex"/>.</summary>
    internal bool MaintainNameIndex { get; init; } = true;

    /// <summary>Starts a listing: no names of it yet.</summary>
    private void BeginListingNames()
    {
        _listingNameIds.Clear();
        _listingListsNames = MaintainNameIndex;
    }

    /// <summary>A file named <paramref name="name"/> is being inserted into folder <paramref name="dirId"/>.</summary>
    private void NoteNewFile(long dirId, string name)
    {
        if (!_listingListsNames)
        {
            return;
        }
        if (_pendingFolders.Contains(dirId) || NameIdOrNone(name) is not long id)
        {
            NotePending(dirId);
            _listingListsNames = false;
            return;
        }
        _listingNameIds.Add(id);
    }

    /// <summary>The id of a name known or added now; null when this transaction has added its share and the name is new.</summary>
    private long? NameIdOrNone(string name)
    {
        if (_nameIds.TryGetValue(name, out long id))
        {
            return id;
        }
        _nameId.Bind(1, name);
        if (_nameId.Step())
        {
            id = _nameId.Int64(0);
            _nameId.Reset();
        }
        else if (_inlineNames < InlineNamesPerTransaction)
        {
            _inlineNames++;
            _insertName.Bind(1, name);
            _insertName.Step();
            id = _insertName.Int64(0);
            _insertName.Reset();
        }
        else
        {
            return null;
        }
        if (_nameIds.Count >= NameIdCacheLimit)
        {
            _nameIds.Clear();
        }
        _nameIds[name] = id;
        return id;
    }

    private void NotePending(long dirId)
    {
        if (_pendingFolders.Add(dirId))
        {
            _notePending.Bind(1, dirId);
            _notePending.Execute();
        }
    }

    private List<byte> _listingBlob = new();
    private HashSet<long> _listingPresent = new();

    /// <summary>Ends a listing of folder <paramref name="dirId"/>: the ids of its new files' names join the folder's list.</summary>
    private void EndListingNames(long dirId, bool existed)
    {
        List<long> ids = _listingNameIds;
        bool lists = _listingListsNames;
        _listingListsNames = false;
        if (!lists || ids.Count == 0)
        {
            return;
        }
        // Reused from listing to listing: a new list and set for each of 2,000 folders was 4-5 KB of garbage apiece,
        // about an eighth of what a first scan allocates besides its records.
        // One that grew for a folder of many files is dropped, so that clearing it never costs every later folder.
        if (_listingPresent.Count > 8_192)
        {
            _listingPresent = new HashSet<long>();
            _listingBlob = new List<byte>();
        }
        List<byte> blob = _listingBlob;
        HashSet<long> present = _listingPresent;
        blob.Clear();
        present.Clear();
        if (existed)
        {
            _folderNames.Bind(1, dirId);
            if (_folderNames.Step())
            {
                byte[] old = _folderNames.Blob(0) ?? Array.Empty<byte>();
                _folderNames.Reset();
                blob.AddRange(old);
                present.UnionWith(FolderNames.Read(old));
            }
        }
        int before = blob.Count;
        foreach (long id in ids)
        {
            if (present.Add(id))
            {
                FolderNames.Write(blob, id);
            }
        }
        if (blob.Count > before)
        {
            _setFolderNames.Bind(1, dirId);
            _setFolderNames.Bind(2, blob.ToArray());
            _setFolderNames.Execute();
        }
    }

    /// <summary>A transaction ended: its share of new names starts again.</summary>
    private void EndTransactionNames() => _inlineNames = 0;

    /// <summary>Rows undone, or names pruned: cached ids and noted folders may be gone.</summary>
    private void ForgetNameIds()
    {
        _nameIds.Clear();
        _pendingFolders.Clear();
        _inlineNames = 0;
    }

    /// <summary>
    /// Brings the name index up to date, in the open transaction: the new names of every noted folder into the names
    /// table (sorted, so its index grows at the end), their lists written again from their files, and every name not
    /// yet in the trigram index into it (one segment). Runs at the end of each run and before pruning.
    /// </summary>
    /// <summary>
    /// The name ids of the files of the folders noted in name_index_pending, by folder. INDEXED BY: statistics ANALYZEd
    /// while the catalog was tiny (a Write-Finding of one file, then a scan of 69,000) said names had 1 row, and SQLite
    /// scanned names whole for every file, for minutes at full CPU, at the end of the scan.
    /// </summary>
    internal const string PendingFolderNamesSql = """
        SELECT p.dir_id, n.id FROM name_index_pending p JOIN files f ON f.dir_id = p.dir_id
            JOIN names n INDEXED BY sqlite_autoindex_names_1 ON n.name = f.name
        ORDER BY p.dir_id;
        """;

    internal void CatchUpNameIndex()
    {
        if (!MaintainNameIndex)
        {
            return;
        }
        using var c = _connection.CreateCommand();
        if (CatalogDatabase.Scalar<long>(_connection, "SELECT EXISTS (SELECT 1 FROM name_index_pending);") != 0)
        {
            c.CommandText = """
                INSERT OR IGNORE INTO names (name)
                    SELECT DISTINCT f.name FROM name_index_pending p JOIN files f ON f.dir_id = p.dir_id ORDER BY 1;
                """ + PendingFolderNamesSql;
            var blob = new List<byte>();
            long dir = -1;
            void Flush()
            {
                if (dir >= 0)
                {
                    _setFolderNames.Bind(1, dir);
                    _setFolderNames.Bind(2, blob.ToArray());
                    _setFolderNames.Execute();
                    blob.Clear();
                }
            }
            using (var r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    long d = r.GetInt64(0);
                    if (d != dir)
                    {
                        Flush();
                        dir = d;
                    }
                    FolderNames.Write(blob, r.GetInt64(1));
                }
            }
            Flush();
            CatalogDatabase.Execute(_connection, "DELETE FROM name_index_pending;");
            _pendingFolders.Clear();
        }
        c.CommandText = """
            INSERT INTO names_fts (rowid, name) SELECT id, name FROM names WHERE id > (SELECT trigrams_through FROM name_index_state);
            UPDATE name_index_state SET trigrams_through = (SELECT coalesce(max(id), 0) FROM names) WHERE trigrams_through < (SELECT coalesce(max(id), 0) FROM names);
            """;
        c.ExecuteNonQuery();
    }

    /// <summary>
    /// After pruning (temp.pruned_files holds the rows that went): the lists of the folders that lost files are
    /// written again from their files, lists of deleted folders go, and names no list holds leave the names table
    /// and the trigram index. Empties temp.pruned_files.
    /// </summary>
    private void PruneNames()
    {
        CatchUpNameIndex();
        using (Microsoft.Data.Sqlite.SqliteCommand c = _connection.CreateCommand())
        {
            c.CommandText = """
                DELETE FROM folder_names WHERE dir_id NOT IN (SELECT id FROM directories);
                SELECT DISTINCT p.dir_id FROM temp.pruned_files p JOIN directories d ON d.id = p.dir_id;
                """;
            var folders = new List<long>();
            using (Microsoft.Data.Sqlite.SqliteDataReader r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    folders.Add(r.GetInt64(0));
                }
            }
            c.CommandText = "SELECT n.id FROM files f JOIN names n INDEXED BY sqlite_autoindex_names_1 ON n.name = f.name WHERE f.dir_id = $dir;";
            Microsoft.Data.Sqlite.SqliteParameter dir = c.Parameters.Add("$dir", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (long d in folders)
            {
                dir.Value = d;
                var blob = new List<byte>();
                using (Microsoft.Data.Sqlite.SqliteDataReader r = c.ExecuteReader())
                {
                    while (r.Read())
                    {
                        FolderNames.Write(blob, r.GetInt64(0));
                    }
                }
                _setFolderNames.Bind(1, d);
                _setFolderNames.Bind(2, blob.ToArray());
                _setFolderNames.Execute();
            }
        }
        if (CatalogDatabase.Scalar<long>(_connection, "SELECT count(*) FROM temp.pruned_files;") == 0)
        {
            return;
        }
        var used = new HashSet<long>();
        using (Microsoft.Data.Sqlite.SqliteCommand c = _connection.CreateCommand())
        {
            c.CommandText = "SELECT name_ids FROM folder_names;";
            using Microsoft.Data.Sqlite.SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                used.UnionWith(FolderNames.Read((byte[])r.GetValue(0)));
            }
        }
        using (Microsoft.Data.Sqlite.SqliteCommand c = _connection.CreateCommand())
        {
            c.CommandText = "CREATE TEMP TABLE IF NOT EXISTS unused_names (id INTEGER PRIMARY KEY); DELETE FROM temp.unused_names;";
            c.ExecuteNonQuery();
            c.CommandText = "SELECT id FROM names;";
            var unused = new List<long>();
            using (Microsoft.Data.Sqlite.SqliteDataReader r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    if (!used.Contains(r.GetInt64(0)))
                    {
                        unused.Add(r.GetInt64(0));
                    }
                }
            }
            c.CommandText = "INSERT INTO temp.unused_names (id) VALUES ($id);";
            Microsoft.Data.Sqlite.SqliteParameter id = c.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (long u in unused)
            {
                id.Value = u;
                c.ExecuteNonQuery();
            }
            c.Parameters.Clear();
            c.CommandText = """
                INSERT INTO names_fts (names_fts, rowid, name) SELECT 'delete', n.id, n.name FROM names n WHERE n.id IN (SELECT id FROM temp.unused_names);
                DELETE FROM names WHERE id IN (SELECT id FROM temp.unused_names);
                DELETE FROM temp.unused_names;
                DELETE FROM temp.pruned_files;
                """;
            c.ExecuteNonQuery();
        }
    }
}
