using FsCheck;
using FsCheck.Fluent;
using ScanTools.Matching;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// The name index (issue 14): -Name queries answered through the names table, its trigram index and ix_files_name
/// return exactly what reading every row returns, stay current as scans add and prune files, and reach old catalogs.
/// </summary>
public sealed class NameIndexTests : CatalogTest
{
    /// <summary>Names that trip LIKE and trigram matching: case, LIKE's own wildcards, non-ASCII letters, short names.</summary>
    private static readonly string[] Names =
    {
        "Report2024.XLSX", "report_final.docx", "REPORT-final.DOCX", "ab", "x%y_z.txt", "x_y%z.txt", "Ünïcode.TXT", "ünïcode.txt",
        "straße.md", "STRASSE.md", "Kelvin-\u212A.txt", "data[1].csv", "data1.csv", "e0012e0012.bin", "file0001.log", "file0012.log",
        "a b c.txt", "naïve résumé.pdf", "日本語のファイル.txt", ".hidden", "noext", "a\U0001F600.txt", "\U00020000\U00020001.doc", "emoji\U0001F600\U0001F525.txt",
    };

    private ScanRun Scan(string db, string root) => ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry });

    private string Tree(string name, int folders)
    {
        string root = T.Dir(name);
        for (int d = 0; d < folders; d++)
        {
            string dir = Directory.CreateDirectory(Path.Combine(root, $"folder{d}")).FullName;
            foreach (string n in Names.Where((_, i) => (i + d) % 3 != 0))
            {
                File.WriteAllText(Path.Combine(dir, n), n);
            }
        }
        return root;
    }

    private static List<string> Found(string db, params string[] names)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindFiles(new FindingQuery { Name = names }).Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>What reading every present row and matching it in memory finds.</summary>
    private static List<string> Model(string db, params string[] names)
    {
        var patterns = names.Select(n => new WildcardPattern(n, ignoreCase: true)).ToList();
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindFiles(new FindingQuery()).Where(f => patterns.Any(p => p.IsMatch(f.Name)))
            .Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
    }

    [LinuxFact]
    public void A_name_pattern_matches_names_in_either_Unicode_normal_form()
    {
        // Linux names are bytes: a name from macOS is decomposed (e + U+0301), and a typed pattern is composed (U+00E9).
        string root = T.Dir("forms");
        string decomposed = Path.Combine(root, "cafe\u0301 menu.txt");
        string composed = Path.Combine(root, "caf\u00e9 prices.txt");
        File.WriteAllText(decomposed, "d");
        File.WriteAllText(composed, "c");
        File.WriteAllText(Path.Combine(root, "cafe menu.txt"), "plain");
        string db = T.Db();
        Scan(db, root);

        var both = new[] { composed, decomposed }.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(both, Found(db, "caf\u00e9*"));
        Assert.Equal(both, Found(db, "cafe\u0301*"));
        Assert.Equal(new[] { decomposed }, Found(db, "*\u00c9 MENU.txt"));
        Assert.Equal(new[] { composed }, Found(db, "caf\u00e9 p*"));
    }

    [UnixFact]
    public void A_scan_fills_the_index_and_name_queries_use_it()
    {
        string db = T.Db();
        Scan(db, Tree("tree", 4));

        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(Names.Length, Sql.Scalar(db, "SELECT count(*) FROM names;"));
        Assert.Equal(4, Sql.Scalar(db, "SELECT count(*) FROM folder_names;"));
        IReadOnlyList<string> plan = reader.ExplainFindFiles(new FindingQuery { Name = new[] { "*port*" } });
        Assert.Contains(plan, step => step.Contains("json_each", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN f", StringComparison.Ordinal));
        // Too few plain characters for a trigram: every row is read, as before.
        Assert.Contains(reader.ExplainFindFiles(new FindingQuery { Name = new[] { "*.md" } }), step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [UnixFact]
    public void Name_queries_through_the_index_find_exactly_what_reading_every_row_finds()
    {
        string db = T.Db();
        Scan(db, Tree("tree", 3));
        string[] fixedPatterns =
        {
            "*port*", "REPORT*", "*final.doc?", "x%y*", "x_y*", "*ünï*", "ÜNÏCODE.TXT", "*straße*", "*STRASSE*", "*kelvin*", "data`[1`].csv",
            "data[0-9].csv", "*0012*", "*e0012e0*", "file00?1.log", "a b c.txt", "*résumé*", "*日本語*", ".hid*", "noext", "nothing-like-this*", "*.txt",
            "a\U0001F600.txt", "*a\U0001F600.txt", "*\uD83D*", "a\uD83D*", "\U00020000\U00020001.doc", "emoji????.txt", "emoji??.txt", "*\U0001F600*", "a?.txt", "a??.txt",
        };
        foreach (string p in fixedPatterns)
        {
            Assert.True(Model(db, p).SequenceEqual(Found(db, p)), p);
        }

        // With other filters, sorted and cut: the same rows as the model, in the asked order.
        using (CatalogReader reader = CatalogReader.Open(db))
        {
            var q = new FindingQuery { Name = new[] { "*port*", "*.csv" }, Path = new[] { Path.Combine(Path.GetDirectoryName(db)!, "tree", "folder1") }, Extension = new[] { "docx", "csv" } };
            List<string> both = reader.FindFiles(q).Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
            Assert.NotEmpty(both);
            Assert.Equal(Model(db, "*port*", "*.csv").Where(f => f.Contains("/folder1/", StringComparison.Ordinal) && (f.EndsWith(".docx", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".csv", StringComparison.Ordinal)))
                .Select(Path.GetFileName).Order(StringComparer.Ordinal), both);
            var bySize = new FindingQuery { Name = new[] { "*port*", "*0012*" }, SortBy = FindingSort.Size, Descending = true, First = 3 };
            Assert.Equal(3, reader.FindFiles(bySize).Count());
            Assert.Contains(reader.ExplainFindFiles(new FindingQuery { Name = new[] { "*port*", "*0012*" } }), step => step.Contains("json_each", StringComparison.Ordinal));
        }

        // Random pieces of the names with wildcards around and inside them.
        Gen<string> patterns =
            from name in Gen.Elements(Names)
            from start in Gen.Choose(0, Math.Max(0, name.Length - 1))
            from length in Gen.Choose(1, Math.Max(1, name.Length - start))
            from lead in Gen.Elements("", "*", "?")
            from trail in Gen.Elements("", "*", "?*")
            from upper in Gen.Elements(false, true)
            let piece = WildcardPattern.Escape(name.Substring(start, Math.Min(length, name.Length - start)))
            select lead + (upper ? piece.ToUpperInvariant() : piece) + trail;
        Prop.ForAll(Arb.From(patterns), p => Model(db, p).SequenceEqual(Found(db, p)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [UnixFact]
    public void Files_added_by_a_later_scan_are_found_at_once_and_pruned_names_leave_the_index()
    {
        string db = T.Db();
        string root = Tree("tree", 2);
        Scan(db, root);
        File.WriteAllText(Path.Combine(root, "folder0", "brand-new-name.txt"), "x");
        string newFolder = Directory.CreateDirectory(Path.Combine(root, "newfolder")).FullName;
        File.WriteAllText(Path.Combine(newFolder, "another-new-one.log"), "x");
        Scan(db, root);

        Assert.Equal(new[] { Path.Combine(root, "folder0", "brand-new-name.txt") }, Found(db, "*new-name*"));
        Assert.Equal(new[] { Path.Combine(newFolder, "another-new-one.log") }, Found(db, "*other-new*"));

        File.Delete(Path.Combine(root, "folder0", "brand-new-name.txt"));
        Scan(db, root);
        Scan(db, root); // pruning keeps the newest run, and with it what it found gone: one more
        Assert.Empty(Found(db, "*new-name*"));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM names WHERE name = 'brand-new-name.txt';")); // removed files keep their rows, and their names

        CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });
        Registry.CloseAll();
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM names WHERE name = 'brand-new-name.txt';"));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM names_fts WHERE name LIKE '%new-name%';"));
        Assert.Equal(new[] { Path.Combine(newFolder, "another-new-one.log") }, Found(db, "*other-new*"));
        Assert.Equal(Model(db, "*port*"), Found(db, "*port*"));
    }

    [UnixFact]
    public void Files_of_a_run_that_has_not_ended_are_found_before_the_index_takes_them_in()
    {
        string db = T.Db();
        Scan(db, Tree("tree", 2));
        var run = Guid.NewGuid();
        using (ScanTools.Sessions.WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(run));
            lease.Write(Writes.Listing(run, "/elsewhere/few", 5, prefix: "inline-"));
            lease.Write(Writes.Listing(run, "/elsewhere/many", CatalogWriter.InlineNamesPerTransaction + 50, prefix: "pending-"));
        }
        Registry.CloseAll();

        // The few names were written with their files, past the trigram index; the many left their folder noted.
        Assert.True(Sql.Scalar(db, "SELECT trigrams_through FROM name_index_state;") < Sql.Scalar(db, "SELECT max(id) FROM names;"));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM name_index_pending;"));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"/elsewhere/few/inline-{i:D6}.dat"), Found(db, "*line-*"));
        Assert.Equal(CatalogWriter.InlineNamesPerTransaction + 50, Found(db, "*ending-*").Count);
        Assert.Equal(Model(db, "*port*"), Found(db, "*port*"));
        Assert.NotEmpty(Found(db, "*port*"));

        Scan(db, Tree("tree2", 1)); // the next run's end takes the noted folder in
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM name_index_pending;"));
        Assert.Equal(Sql.Scalar(db, "SELECT max(id) FROM names;"), Sql.Scalar(db, "SELECT trigrams_through FROM name_index_state;"));
        Assert.Equal(CatalogWriter.InlineNamesPerTransaction + 50, Found(db, "*ending-*").Count);
        Assert.Equal(5, Found(db, "*line-*").Count);
    }

    [UnixFact]
    public void A_version_4_catalog_gets_its_names_when_it_is_next_written()
    {
        string db = CatalogAtVersion(4, """
            INSERT INTO directories (id, path, first_scan_id, last_scan_id) VALUES (1, '/old', 1, 1);
            INSERT INTO files (dir_id, name, extension, size, mtime, attributes, kind, is_link, first_scan_id, last_scan_id)
                VALUES (1, 'legacy-report.txt', '.txt', 1, 1, 128, 0, 0, 1, 1);
            """);

        Scan(db, Tree("tree", 1));

        Assert.Equal(CatalogSchema.CurrentVersion, Sql.Scalar(db, "PRAGMA user_version;"));
        Assert.Equal(new[] { "/old/legacy-report.txt" }, Found(db, "*legacy-rep*"));
        Assert.Equal(Model(db, "*port*"), Found(db, "*port*"));
    }

    /// <summary>
    /// A catalog as ScanTools of schema <paramref name="version"/> left it: the migrations up to that version, one completed
    /// run (id 1), and <paramref name="rows"/> (SQL).
    /// </summary>
    private string CatalogAtVersion(int version, string rows)
    {
        string db = T.Db();
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = string.Join("\n", CatalogSchema.Migrations.Take(version)) + "\n" + $$"""
                PRAGMA application_id = {{CatalogSchema.ApplicationId}}; PRAGMA user_version = {{version}}; PRAGMA journal_mode = WAL;
                INSERT INTO scan_runs (id, run_key, kind, status, started_utc, ended_utc, host, user_name, process_id, roots, options)
                    VALUES (1, '{{Guid.NewGuid()}}', 'Scan', 'Completed', 1, 2, 'h', 'u', 1, '[]', '{}');
                """ + rows;
            cmd.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return db;
    }

    /// <summary>A version-5 catalog: the trigram index with its sizes, one name past it, one folder noted, a run of three files.</summary>
    private string Version5Catalog() => CatalogAtVersion(5, """
        INSERT INTO directories (id, path, first_scan_id, last_scan_id) VALUES (1, '/old', 1, 1), (2, '/noted', 1, 1);
        INSERT INTO files (dir_id, name, extension, size, mtime, attributes, kind, is_link, first_scan_id, last_scan_id)
            VALUES (1, 'indexed-report.txt', '.txt', 1, 1, 128, 0, 0, 1, 1), (1, 'later-report.txt', '.txt', 1, 1, 128, 0, 0, 1, 1),
                   (2, 'noted-report.txt', '.txt', 1, 1, 128, 0, 0, 1, 1);
        INSERT INTO names (id, name) VALUES (1, 'indexed-report.txt'), (2, 'later-report.txt');
        INSERT INTO names_fts (rowid, name) VALUES (1, 'indexed-report.txt');
        UPDATE name_index_state SET trigrams_through = 1;
        INSERT INTO folder_names (dir_id, name_ids) VALUES (1, X'0102');
        INSERT INTO name_index_pending (dir_id) VALUES (2);
        """);

    [UnixFact]
    public void A_version_5_catalog_keeps_its_name_index_when_its_trigrams_are_built_again()
    {
        string db = Version5Catalog();

        // The next write migrates: the trigram index is built again without sizes, from what it held.
        using (ScanTools.Sessions.WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Flush();
        }
        Registry.CloseAll();
        Assert.Equal(CatalogSchema.CurrentVersion, Sql.Scalar(db, "PRAGMA user_version;"));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM names_fts WHERE name LIKE '%indexed%';"));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM names_fts WHERE name LIKE '%later%';")); // past the index still, matched by the query itself
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'names_fts_docsize';"));
        Assert.Equal(new[] { "/noted/noted-report.txt", "/old/indexed-report.txt", "/old/later-report.txt" }, Found(db, "*-rep*"));

        Scan(db, Tree("tree", 1)); // a run's end takes the rest in
        Assert.Equal(Sql.Scalar(db, "SELECT max(id) FROM names;"), Sql.Scalar(db, "SELECT trigrams_through FROM name_index_state;"));
        Assert.Equal(Model(db, "*port*"), Found(db, "*port*"));
        Assert.Contains("/old/later-report.txt", Found(db, "*port*"));
    }

    [UnixFact]
    public void A_version_5_catalog_is_read_as_it_is_without_being_upgraded()
    {
        // What a catalog on read-only media needs after the module is updated: readers take it as it is.
        string db = Version5Catalog();
        Assert.Equal(new[] { "/noted/noted-report.txt", "/old/indexed-report.txt", "/old/later-report.txt" }, Found(db, "*-rep*"));
        using (CatalogReader reader = CatalogReader.Open(db))
        {
            Assert.Equal(3, reader.MeasureFolders(new FolderSizeQuery { Depth = 0 }).Sum(f => f.Files));
            Assert.Equal(3, reader.MeasureFolders(new FolderSizeQuery { Depth = 0, ScanId = 1 }).Sum(f => f.Files)); // no identities in its history: today's stand in
            Assert.Equal(3, reader.MeasureFiles(FileGrouping.Owner, Array.Empty<string>(), 1).Sum(g => g.Files));
        }
        Assert.Equal(5, Sql.Scalar(db, "PRAGMA user_version;"));
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM pragma_table_info('file_changes') WHERE name = 'old_inode';"));

        // Older than that: the error says how to upgrade it, also where it cannot be written.
        Sql.Execute(db, "PRAGMA user_version = 4;");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        CatalogException e = Assert.Throws<CatalogException>(() => CatalogReader.Open(db));
        Assert.Contains("copy it to writable storage", e.Message);
    }
}
