namespace ScanTools.Storage;

/// <summary>
/// The catalog's tables and their history. <c>PRAGMA application_id</c> marks a file as a ScanTools
/// catalog; <c>PRAGMA user_version</c> holds the schema version, moved forward one migration at a time.
/// </summary>
/// <remarks>
/// Files are keyed by (directory id, name) in a WITHOUT ROWID table: a folder's files are written
/// together and directory ids grow in walk order, so inserts land at the end of the key space
/// (a UNIQUE index on full paths, fed in walk order, measured 7x slower here once it outgrew the cache).
/// Times are .NET ticks (100 ns since 0001-01-01) in UTC; unix seconds are (ticks - 621355968000000000) / 1e7.
/// </remarks>
public static class CatalogSchema
{
    /// <summary>"SCNT": the application id stamped on every catalog.</summary>
    public const int ApplicationId = 0x53434E54;

    /// <summary>The schema version this build writes and reads.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>
    /// The oldest schema version this build reads without upgrading it first, so that a catalog kept where nothing
    /// may write it (read-only media, another account's) stays readable after the module is updated. Versions 6 to 8
    /// add nothing a query of version 5 cannot do without: 6 only rebuilt the trigram index, and without 7's and 8's
    /// file identities in the history a past run's sizes use today's (<see cref="HasIdentityHistory"/>).
    /// </summary>
    public const int OldestReadableVersion = 5;

    /// <summary>Whether the history records a file's identity before each change (schema 7) and before each change of identity alone (8).</summary>
    internal static bool HasIdentityHistory(int version) => version >= 8;

    /// <summary>Whether the history records a stored hash that changed while nothing reported did (schema 9).</summary>
    internal static bool HasSilentHashHistory(int version) => version >= 9;

    /// <summary>Whether a run records when its process last stored its progress (schema 11).</summary>
    internal static bool HasProgressTime(int version) => version >= 11;

    /// <summary>What a migration needs beyond its script, run after migration <paramref name="index"/> in the same transaction.</summary>
    internal static void AfterMigration(int index, Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        if (index == 4)
        {
            FolderNames.Build(connection);
        }
    }

    /// <summary>Migration i takes a catalog from version i to i + 1.</summary>
    internal static readonly string[] Migrations =
    {
        // v0 -> v1: the first schema.
        """
        CREATE TABLE scan_runs (
            id            INTEGER PRIMARY KEY,
            run_key       TEXT    NOT NULL UNIQUE,
            kind          TEXT    NOT NULL,
            status        TEXT    NOT NULL CHECK (status IN ('Running', 'Completed', 'Failed', 'Cancelled')),
            started_utc   INTEGER NOT NULL,
            ended_utc     INTEGER,
            host          TEXT    NOT NULL,
            user_name     TEXT    NOT NULL,
            process_id    INTEGER NOT NULL,
            roots         TEXT    NOT NULL,
            options       TEXT    NOT NULL,
            files         INTEGER NOT NULL DEFAULT 0,
            bytes         INTEGER NOT NULL DEFAULT 0,
            directories   INTEGER NOT NULL DEFAULT 0,
            errors        INTEGER NOT NULL DEFAULT 0,
            removed       INTEGER NOT NULL DEFAULT 0,
            message       TEXT
        );
        CREATE INDEX ix_scan_runs_status ON scan_runs (status);

        CREATE TABLE directories (
            id              INTEGER PRIMARY KEY,
            path            TEXT    NOT NULL UNIQUE,
            parent_id       INTEGER,
            first_scan_id   INTEGER NOT NULL,
            last_scan_id    INTEGER,            -- last run that listed it completely
            prev_scan_id    INTEGER,            -- the run before that
            removed_scan_id INTEGER             -- run that found it gone
        );
        CREATE INDEX ix_directories_parent ON directories (parent_id);
        CREATE INDEX ix_directories_last_scan ON directories (last_scan_id);
        CREATE INDEX ix_directories_path_nocase ON directories (path COLLATE NOCASE);

        CREATE TABLE files (
            dir_id          INTEGER NOT NULL,
            name            TEXT    NOT NULL,
            extension       TEXT    NOT NULL COLLATE NOCASE,
            size            INTEGER NOT NULL,
            mtime           INTEGER NOT NULL,
            btime           INTEGER,
            attributes      INTEGER NOT NULL,
            mode            INTEGER,
            kind            INTEGER NOT NULL,
            is_link         INTEGER NOT NULL,
            link_target     TEXT,
            sha256          BLOB,
            first_scan_id   INTEGER NOT NULL,
            last_scan_id    INTEGER NOT NULL,   -- last run that wrote the row; a complete listing of its folder also counts as seeing it
            removed_scan_id INTEGER,
            PRIMARY KEY (dir_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX ix_files_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
        CREATE INDEX ix_files_removed ON files (removed_scan_id) WHERE removed_scan_id IS NOT NULL;
        -- No index on extension, size or mtime: each secondary index on this table carries the text key
        -- and cut the insert rate by 25-50% here (bench/README.md). Those filters run inside SQLite over
        -- the rows; path, hash and removal filters use the indexes above.

        CREATE TABLE scan_errors (
            id            INTEGER PRIMARY KEY,
            scan_id       INTEGER NOT NULL,
            path          TEXT    NOT NULL,
            kind          TEXT    NOT NULL,
            message       TEXT    NOT NULL,
            occurred_utc  INTEGER NOT NULL
        );
        CREATE INDEX ix_scan_errors_scan ON scan_errors (scan_id);

        -- Batches forwarded by other processes: the highest sequence applied per client, so a batch
        -- resent after a writer failover is recognised and skipped.
        CREATE TABLE client_batches (
            client_id     TEXT    PRIMARY KEY,
            last_seq      INTEGER NOT NULL,
            updated_utc   INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,

        // v1 -> v2: each file's identity (device, inode), its hard-link count, change time and owner. They
        // tell hard links from copies, count a file's bytes once, and let a rescan trust a stored hash.
        """
        ALTER TABLE files ADD COLUMN ctime INTEGER;
        ALTER TABLE files ADD COLUMN device INTEGER;
        ALTER TABLE files ADD COLUMN inode INTEGER;
        ALTER TABLE files ADD COLUMN links INTEGER;
        ALTER TABLE files ADD COLUMN uid INTEGER;
        ALTER TABLE files ADD COLUMN gid INTEGER;
        """,

        // v2 -> v3: what each run found different (Get-ScanChange), and what it left out.
        """
        CREATE TABLE file_changes (
            scan_id     INTEGER NOT NULL,
            dir_id      INTEGER NOT NULL,
            name        TEXT,              -- NULL: every file of the folder (Added: first_scan_id = scan_id; Removed: removed_scan_id = scan_id)
            change      INTEGER NOT NULL,  -- 1 Added, 2 Removed, 3 Modified, 4 Renamed
            fields      INTEGER NOT NULL DEFAULT 0, -- Modified: 1 size, 2 mtime, 4 hash, 8 mode, 16 owner, 32 link target, 64 kind
            old_size    INTEGER,
            new_size    INTEGER,
            old_mtime   INTEGER,
            new_mtime   INTEGER,
            old_sha256  BLOB,              -- per-file rows: the hash before and after, where known
            new_sha256  BLOB,
            old_meta    TEXT,              -- per-file rows: mode|attributes|uid|gid|kind|is_link|link_target before and after
            new_meta    TEXT,
            from_dir_id INTEGER,           -- Renamed: where the file was
            from_name   TEXT
        );
        CREATE INDEX ix_file_changes_scan ON file_changes (scan_id, dir_id, name);
        CREATE INDEX ix_file_changes_from ON file_changes (scan_id, from_dir_id, from_name) WHERE from_dir_id IS NOT NULL;
        CREATE INDEX ix_file_changes_file ON file_changes (dir_id, name, scan_id) WHERE name IS NOT NULL;
        ALTER TABLE scan_runs ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE directories ADD COLUMN version INTEGER NOT NULL DEFAULT 0; -- bumped whenever the folder's file rows change
        """,

        // v3 -> v4: what content and property rules found (Get-FindingMatch), one row per fingerprint, and
        // what each run's rules did. The secret itself is never stored: a redacted excerpt and a fingerprint.
        """
        CREATE TABLE findings (
            id               INTEGER PRIMARY KEY,
            fingerprint      TEXT    NOT NULL UNIQUE,  -- 32 hex digits: SHA-256 of rule id, full path and secret, first 128 bits
            dir_id           INTEGER NOT NULL,
            name             TEXT    NOT NULL,
            rule_id          TEXT    NOT NULL,
            severity         INTEGER NOT NULL,         -- 0 Info, 1 Low, 2 Medium, 3 High, 4 Critical
            line             INTEGER,                  -- 1-based; NULL for a property rule
            col              INTEGER,
            excerpt          TEXT,
            first_scan_id    INTEGER NOT NULL,         -- the run that found it (again, after it was resolved)
            last_scan_id     INTEGER NOT NULL,         -- the last run that saw it
            resolved_scan_id INTEGER,                  -- the completed run of its rule that no longer saw it
            kept_scan_id     INTEGER                   -- the last run that could not look (file too large, binary, left out): not resolved by it
        );
        CREATE INDEX ix_findings_file ON findings (dir_id, name);
        CREATE INDEX ix_findings_open ON findings (severity, rule_id) WHERE resolved_scan_id IS NULL;
        ALTER TABLE files ADD COLUMN rules_key INTEGER;              -- the content rules (RuleSet.ContentKey) that last read the whole file; NULL: none did
        ALTER TABLE scan_runs ADD COLUMN matches INTEGER;            -- NULL: the run applied no rules
        ALTER TABLE scan_runs ADD COLUMN content_files INTEGER;
        ALTER TABLE scan_runs ADD COLUMN binary_skipped INTEGER;
        ALTER TABLE scan_runs ADD COLUMN oversized_skipped INTEGER;
        """,

        // v4 -> v5: a name index (issue 14). Every distinct file name once, under a trigram index, and per folder the
        // ids of its files' names (FolderNames): a -Name substring or wildcard finds the names, then their folders, then
        // the files by primary key. The writer adds known names with their files, notes a folder with many new names
        // (name_index_pending) and takes it in, in bulk, when a run ends (CatalogWriter.Names); a query reads the files
        // of noted folders, and names past the trigram index, itself, so answers are exact at any time. Measured on 1,000,000 names: LIKE '%0012%' over a narrow table
        // 0.067-0.074 s, through the trigram index 0.002-0.007 s; detail=none keeps only the trigrams LIKE needs.
        // folder_names is filled from the files after this script (CatalogSchema.AfterMigration).
        """
        CREATE TABLE names (
            id    INTEGER PRIMARY KEY,
            name  TEXT    NOT NULL UNIQUE
        );
        CREATE VIRTUAL TABLE names_fts USING fts5(name, content = 'names', content_rowid = 'id', tokenize = 'trigram', detail = none);
        CREATE TABLE folder_names (
            dir_id    INTEGER PRIMARY KEY,
            name_ids  BLOB    NOT NULL       -- unsigned LEB128 varints: ids of names the folder's files have had
        );
        -- Folders that got files since the index was last brought up to date (at the end of each run, in bulk): a
        -- -Name query reads their files itself.
        CREATE TABLE name_index_pending (
            dir_id    INTEGER PRIMARY KEY
        );
        -- The names up to this id are in the trigram index; a query matches the later ones itself.
        CREATE TABLE name_index_state (
            id                INTEGER PRIMARY KEY CHECK (id = 1),
            trigrams_through  INTEGER NOT NULL
        );
        INSERT INTO names (name) SELECT DISTINCT name FROM files;
        INSERT INTO names_fts (rowid, name) SELECT id, name FROM names;
        INSERT INTO name_index_state (id, trigrams_through) SELECT 1, coalesce(max(id), 0) FROM names;
        """,

        // v5 -> v6: the trigram index keeps no size per name (columnsize=0). FTS5 stores them for ranking (bm25), which
        // -Name never asks for; without them feeding the index 200,000 new names took 0.12 s instead of 0.30 s (sqlite3
        // here, the bench's distinct-names tree) and 10 bytes a name less. The index is built again from the names it held.
        """
        DROP TABLE names_fts;
        CREATE VIRTUAL TABLE names_fts USING fts5(name, content = 'names', content_rowid = 'id', tokenize = 'trigram', detail = none, columnsize = 0);
        INSERT INTO names_fts (rowid, name) SELECT id, name FROM names WHERE id <= (SELECT trigrams_through FROM name_index_state);
        """,

        // v6 -> v7: a modified or removed file's identity before the change (device, inode, link count). A past run's
        // folder sizes count a hard-linked file once by the identity it had then: by today's, a file replaced since by a
        // new one (an editor's save, sed -i) could share an inode with another file of that run, reused, and vanish
        // from its totals. Rows recorded before this version have none: there today's identity stands in.
        """
        ALTER TABLE file_changes ADD COLUMN old_device INTEGER;
        ALTER TABLE file_changes ADD COLUMN old_inode INTEGER;
        ALTER TABLE file_changes ADD COLUMN old_links INTEGER;
        """,

        // v7 -> v8: a file whose identity changed while nothing Get-ScanChange reports did (a deduplicating tool that
        // replaces a copy by a hard link with the same size and time), its identity before, for a past run's sizes.
        // Not a change: Get-ScanChange never reads it. Keyed for the as-of-run lookup (folder, name, run).
        """
        CREATE TABLE file_identities (
            dir_id      INTEGER NOT NULL,
            name        TEXT    NOT NULL,
            scan_id     INTEGER NOT NULL,   -- the run that found the new identity
            old_device  INTEGER,
            old_inode   INTEGER,
            old_links   INTEGER,
            PRIMARY KEY (dir_id, name, scan_id)
        ) WITHOUT ROWID;
        """,

        // v8 -> v9: the same rows for a stored SHA-256 that changed while nothing reported did (dropped because the file's
        // change time or id moved, in a run without -Hash, or first read). A comparison of runs takes a file's hash at
        // either end from them too: the old hash of a later reported change is the hash just before it, not
        // necessarily at the run compared.
        """
        ALTER TABLE file_identities ADD COLUMN old_sha256 BLOB;
        ALTER TABLE file_identities ADD COLUMN new_sha256 BLOB;
        """,

        // v9 -> v10: renames by the path they left. A past run's sizes (Measure-ScanFolder -ScanId) take a file renamed away
        // from a path as gone from it, with the state it had there; ix_file_changes_from leads with the run, so each file's
        // lookup walked every rename after it. Renames are few rows: the index costs the scans nothing measurable.
        """
        CREATE INDEX ix_file_changes_renamed_from ON file_changes (from_dir_id, from_name, scan_id) WHERE change = 4;
        """,

        // v10 -> v11: when a run's process last stored its progress (ticks, UTC; every 2 seconds while it runs). A run whose
        // process died ends then: it ended at the moment the next writer noticed, so a run killed after a second read as
        // 24 hours long when the next night's scan recorded it (newcomer test 73).
        """
        ALTER TABLE scan_runs ADD COLUMN progress_utc INTEGER;
        """,
    };
}
