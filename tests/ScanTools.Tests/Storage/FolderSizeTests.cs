using System.Diagnostics;
using ScanTools.Reports;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// Measure-ScanFolder and Measure-ScanFile (issue 15) against du on generated trees with hard links and symbolic links,
/// as of past runs, and the HTML report's handling of hostile names.
/// </summary>
public sealed class FolderSizeTests : CatalogTest
{
    private ScanRun Scan(string db, string root) => ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry });

    /// <summary>
    /// A random tree: nested folders, files of random sizes, hard links (in the same folder only, or anywhere when
    /// <paramref name="crossLinks"/>), and symbolic links.
    /// </summary>
    private string RandomTree(string name, int seed, bool crossLinks)
    {
        var random = new Random(seed);
        string root = T.Dir(name);
        var folders = new List<string> { root };
        for (int i = 0; i < 12; i++)
        {
            string parent = folders[random.Next(folders.Count)];
            folders.Add(Directory.CreateDirectory(Path.Combine(parent, $"d{i}")).FullName);
        }
        var files = new List<string>();
        for (int i = 0; i < 80; i++)
        {
            string folder = folders[random.Next(folders.Count)];
            string file = Path.Combine(folder, $"f{i}.{(i % 3 == 0 ? "txt" : i % 3 == 1 ? "LOG" : "bin")}");
            File.WriteAllBytes(file, new byte[random.Next(0, 5000)]);
            files.Add(file);
        }
        for (int i = 0; i < 25; i++)
        {
            string target = files[random.Next(files.Count)];
            string folder = crossLinks ? folders[random.Next(folders.Count)] : Path.GetDirectoryName(target)!;
            string link = Path.Combine(folder, $"hard{i}");
            if (!File.Exists(link))
            {
                Link(target, link);
            }
        }
        for (int i = 0; i < 5; i++)
        {
            File.CreateSymbolicLink(Path.Combine(folders[random.Next(folders.Count)], $"sym{i}"), files[random.Next(files.Count)]);
        }
        return root;
    }

    private static void Link(string target, string link)
    {
        using Process p = Process.Start(new ProcessStartInfo("ln", new[] { target, link }) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>du -sb --apparent-size of <paramref name="folder"/>, less its folders' own sizes (the catalog counts files).</summary>
    private static long Du(string folder)
    {
        long total = long.Parse(Run("du", "-sb", "--apparent-size", folder).Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        long folders = Run("find", folder, "-type", "d", "-printf", "%s\\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Sum(l => long.Parse(l, System.Globalization.CultureInfo.InvariantCulture));
        return total - folders;
    }

    private static string Run(string file, params string[] args)
    {
        using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output;
    }

    private static IReadOnlyList<FolderSize> Measure(string db, FolderSizeQuery query)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.MeasureFolders(query);
    }

    [UnixTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_folder_matches_du_when_hard_links_stay_in_their_folder(int seed)
    {
        string root = RandomTree("tree", seed, crossLinks: false);
        string db = T.Db();
        Scan(db, root);

        IReadOnlyList<FolderSize> sizes = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 100 });

        Assert.Equal(Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Length + 1, sizes.Count);
        foreach (FolderSize f in sizes)
        {
            Assert.True(Du(f.FullName) == f.Bytes, $"{f.FullName}: catalog {f.Bytes}, du {Du(f.FullName)}");
        }
        Assert.Equal(100, sizes[0].PercentOfParent);
        Assert.Equal(Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Length, sizes[0].Folders);
    }

    [UnixTheory]
    [InlineData(4)]
    [InlineData(5)]
    public void The_whole_tree_matches_du_with_hard_links_across_folders_and_subfolders_split_it_exactly(int seed)
    {
        string root = RandomTree("tree", seed, crossLinks: true);
        string db = T.Db();
        Scan(db, root);

        IReadOnlyList<FolderSize> sizes = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 100 });

        FolderSize top = sizes[0];
        Assert.Equal(Du(root), top.Bytes);
        // A hard-linked file is counted once, in one folder: no folder holds less than its subfolders together.
        foreach (FolderSize f in sizes)
        {
            var children = sizes.Where(c => Path.GetDirectoryName(c.FullName) == f.FullName).ToList();
            Assert.True(f.Bytes >= children.Sum(c => c.Bytes) && f.Files >= children.Sum(c => c.Files), f.FullName);
            Assert.Equal(children.Select(c => c.Bytes).OrderByDescending(b => b), children.Select(c => c.Bytes)); // largest first
        }
        long files = Run("find", root, "-type", "f", "-o", "-type", "l").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => Run("stat", "-c", "%d:%i", f).Trim()).Distinct().Count();
        Assert.Equal(files, top.Files);
        Assert.True(Run("find", root, "-type", "f", "-links", "+1").Length > 0); // the tree has hard links
    }

    private static int Nlink(string path) => int.Parse(Run("stat", "-c", "%h", path).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [UnixFact]
    public void Sizes_as_of_a_past_run_and_growth_since_it()
    {
        string root = T.Dir("tree");
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b"));
        File.WriteAllBytes(Path.Combine(root, "a", "grows.bin"), new byte[100]);
        File.WriteAllBytes(Path.Combine(root, "a", "goes.bin"), new byte[50]);
        File.WriteAllBytes(Path.Combine(root, "b", "stays.bin"), new byte[10]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        IReadOnlyList<FolderSize> then = Measure(db, new FolderSizeQuery { Path = new[] { root } });

        File.WriteAllBytes(Path.Combine(root, "a", "grows.bin"), new byte[1000]);
        File.Delete(Path.Combine(root, "a", "goes.bin"));
        Directory.CreateDirectory(Path.Combine(root, "c"));
        File.WriteAllBytes(Path.Combine(root, "c", "new.bin"), new byte[7]);
        Scan(db, root);

        IReadOnlyList<FolderSize> asOfFirst = Measure(db, new FolderSizeQuery { Path = new[] { root }, ScanId = first.Id });
        Assert.Equal(then.Select(f => (f.FullName, f.Bytes, f.Files)), asOfFirst.Select(f => (f.FullName, f.Bytes, f.Files)));
        Assert.Equal(160, asOfFirst[0].Bytes);

        IReadOnlyList<FolderSize> now = Measure(db, new FolderSizeQuery { Path = new[] { root }, ComparedToScanId = first.Id, SortBy = FolderSort.Growth });
        Assert.Equal(1017, now[0].Bytes);
        Assert.Equal(857, now[0].GrowthBytes);
        Assert.Equal(new[] { ("a", 850L), ("c", 7L), ("b", 0L) }, now.Skip(1).Select(f => (f.Name, f.GrowthBytes!.Value)));
        Assert.Equal(new[] { "a" }, Measure(db, new FolderSizeQuery { Path = new[] { root }, Top = 1 }).Select(f => f.Name));
    }

    [UnixFact]
    public void Without_a_path_the_tops_are_the_folders_scans_started_at()
    {
        string root = T.Dir("t10");
        Directory.CreateDirectory(Path.Combine(root, "only", "deeper"));
        File.WriteAllText(Path.Combine(root, "only", "g"), "g");
        File.WriteAllText(Path.Combine(root, "only", "deeper", "f"), "f");
        string other = T.Dir("t1/a/b");
        File.WriteAllText(Path.Combine(other, "x"), "xx");
        string db = T.Db();
        ScanRun first = Scan(db, root);
        Scan(db, other);

        IReadOnlyList<FolderSize> tops = Measure(db, new FolderSizeQuery { Depth = 0 });
        Assert.Equal(new[] { other, root }.Order(StringComparer.Ordinal), tops.Select(t => t.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { root }, Measure(db, new FolderSizeQuery { Depth = 0, ScanId = first.Id }).Select(t => t.FullName));
        Directory.Delete(Path.Combine(root, "only"), recursive: true);
        Scan(db, root);
        Assert.Contains(root, Measure(db, new FolderSizeQuery { Depth = 0 }).Select(t => t.FullName)); // still the root, not what is left in it
    }

    [UnixFact]
    public void A_past_run_counts_a_hard_link_once_though_its_link_count_dropped_since()
    {
        string root = T.Dir("t8");
        Directory.CreateDirectory(Path.Combine(root, "c"));
        Directory.CreateDirectory(Path.Combine(root, "d"));
        File.WriteAllBytes(Path.Combine(root, "c", "h"), new byte[500]);
        File.WriteAllBytes(Path.Combine(root, "c", "other"), new byte[1100]);
        Link(Path.Combine(root, "c", "h"), Path.Combine(root, "d", "h"));
        string db = T.Db();
        ScanRun first = Scan(db, root);
        Assert.Equal(1600, Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0 })[0].Bytes);
        File.Delete(Path.Combine(root, "c", "h"));
        Scan(db, root);

        Assert.Equal(1600, Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = first.Id })[0].Bytes);
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(1600, reader.MeasureFiles(FileGrouping.Owner, new[] { root }, first.Id).Sum(g => g.Bytes));
    }

    [UnixFact]
    public void Every_run_counts_what_its_scan_saw_through_renames_onto_known_names_and_new_files_at_vacated_ones()
    {
        // mv a b, then a new a: the newest run counted 'a' absent (1 file, where the scan saw 2), and a log rotation or a
        // mv over a file is a Removed and a Renamed at one name in one run (newcomer test 84). Each run against du then.
        string root = T.Dir("t8r");
        var du = new List<(long Bytes, long Files)>();
        var runs = new List<long>();
        string db = T.Db();
        void Step(string script)
        {
            Trees.Sh("set -e; cd \"$1\"; " + script, root);
            du.Add((Du(root), Directory.GetFiles(root).Length));
            runs.Add(Scan(db, root).Id);
        }
        Step("printf 1234 > a; printf 123456789 > x; printf 12 > y; printf aaaaaaa > log; printf bb > log.1; printf c > log.2");
        Step("mv a b; printf 123456 > a; mv -f x y; mv log.1 log.2; mv log log.1; printf nnnnnnnnnnnn > log");
        Step("mv b a; printf zz > b");
        for (int i = 0; i < runs.Count; i++)
        {
            FolderSize then = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = runs[i] })[0];
            Assert.True(du[i] == (then.Bytes, then.Files), $"run {runs[i]}: du says {du[i]}, the catalog {(then.Bytes, then.Files)}");
        }
    }

    [UnixFact]
    public void A_past_run_counts_each_file_by_the_identity_it_had_then()
    {
        // q is replaced by a hard link to p: today q shares p's inode, but in the first run they were two files.
        string root = T.Dir("t8b");
        File.WriteAllBytes(Path.Combine(root, "p"), new byte[5]);
        File.WriteAllBytes(Path.Combine(root, "q"), new byte[7]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        File.Delete(Path.Combine(root, "q"));
        Link(Path.Combine(root, "p"), Path.Combine(root, "q"));
        ScanRun second = Scan(db, root);
        Assert.Equal((2L, 12L, 5L), (first.Files, first.Bytes, second.Bytes));

        FolderSize then = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = first.Id })[0];
        Assert.Equal((12L, 2L), (then.Bytes, then.Files));
        FolderSize growth = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ComparedToScanId = first.Id })[0];
        Assert.Equal((5L, 12L, -7L), (growth.Bytes, growth.PreviousBytes!.Value, growth.GrowthBytes!.Value));
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(12, reader.MeasureFiles(FileGrouping.Extension, new[] { root }, first.Id).Sum(g => g.Bytes));
        Assert.Equal(5, reader.MeasureFiles(FileGrouping.Extension, new[] { root }).Sum(g => g.Bytes));
    }

    [UnixFact]
    public void A_past_run_counts_a_copy_that_a_hard_link_to_its_twin_replaced_since()
    {
        // What a deduplicating tool does: m7 (a copy of m6, same size and time) becomes a hard link to m6. Nothing a user
        // would call a change, so Get-ScanChange lists none; the first run still held two files.
        string root = T.Dir("t8d");
        string m6 = Path.Combine(root, "m6.c"), m7 = Path.Combine(root, "m7.c");
        File.WriteAllBytes(m6, new byte[23]);
        File.WriteAllBytes(m7, new byte[23]);
        File.SetLastWriteTimeUtc(m7, File.GetLastWriteTimeUtc(m6));
        string db = T.Db();
        ScanRun first = Scan(db, root);
        Run("ln", "-f", m6, m7);
        ScanRun second = Scan(db, root);
        Assert.Equal((46L, 23L), (first.Bytes, second.Bytes));

        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Empty(reader.GetChanges(new ScanChangeQuery { ScanId = new[] { second.Id } }));
        FolderSize then = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = first.Id })[0];
        Assert.Equal((46L, 2L), (then.Bytes, then.Files));
        Assert.Equal(46, reader.MeasureFiles(FileGrouping.Extension, new[] { root }, first.Id).Sum(g => g.Bytes));
        FolderSize now = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0 })[0];
        Assert.Equal((23L, 1L), (now.Bytes, now.Files)); // one file, two names
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM file_identities;"));

        // Pruning the run that recorded an identity takes it with it.
        Scan(db, root);
        CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });
        Registry.CloseAll();
        Assert.Equal(0, Sql.Scalar(db, "SELECT count(*) FROM file_identities;"));
    }

    [UnixFact]
    public void Pruning_never_takes_a_run_after_one_it_keeps_whose_past_the_later_changes_rebuild()
    {
        // Run 1 is the newest completed scan, so it stays; runs 2 and 3 (Write-Finding) changed A and B after it.
        string root = T.Dir("t8e");
        string a = Path.Combine(root, "A"), b = Path.Combine(root, "B");
        File.WriteAllBytes(a, new byte[100]);
        File.WriteAllBytes(b, new byte[200]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        foreach ((string file, int size) in new[] { (a, 500), (b, 700) })
        {
            File.WriteAllBytes(file, new byte[size]);
            using FileRecorder recorder = FileRecorder.Start(db, registry: Registry); // what Write-Finding runs
            recorder.Add(recorder.Capture(file, out _));
            Assert.Equal(ScanRunStatus.Completed, recorder.Complete().Status);
        }
        Registry.CloseAll();
        Assert.Equal(300, Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = first.Id })[0].Bytes);

        CatalogPruneResult pruned = CatalogMaintenance.Prune(db, new CatalogPruneOptions { KeepRuns = 1, Registry = Registry });
        Registry.CloseAll();

        Assert.Empty(pruned.RunIds); // run 2 lies after the kept run 1: taking it would lose A's size then
        Assert.Equal(300, Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = first.Id })[0].Bytes);
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(2, reader.GetChanges(new ScanChangeQuery { ReferenceRun = first.Id, DifferenceRun = first.Id + 2 }).Count());
    }

    /// <summary>The bytes and files of <paramref name="root"/> (its whole tree) as of <paramref name="run"/>.</summary>
    private (long Bytes, long Files) BytesAndFilesAt(string db, string root, ScanRun run)
    {
        FolderSize f = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = run.Id })[0];
        return (f.Bytes, f.Files);
    }

    [UnixFact]
    public void A_file_found_gone_and_back_since_is_absent_from_the_runs_between_and_its_old_size_in_the_runs_before()
    {
        string root = T.Dir("t8f");
        File.WriteAllBytes(Path.Combine(root, "x.txt"), new byte[5]);
        string g = Path.Combine(root, "g.txt");
        File.WriteAllBytes(g, new byte[24]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        File.Delete(g);
        ScanRun second = Scan(db, root);
        ScanRun third = Scan(db, root);
        File.WriteAllBytes(g, new byte[4]); // back, another size
        ScanRun fourth = Scan(db, root);

        (long, long) Then(ScanRun run) => BytesAndFilesAt(db, root, run);
        Assert.Equal((29L, 2L), Then(first));
        Assert.Equal((5L, 1L), Then(second));
        Assert.Equal((5L, 1L), Then(third));
        Assert.Equal((9L, 2L), Then(fourth));
        FolderSize growth = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ComparedToScanId = second.Id })[0];
        Assert.Equal((9L, 5L, 4L), (growth.Bytes, growth.PreviousBytes!.Value, growth.GrowthBytes!.Value));
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(29, reader.MeasureFiles(FileGrouping.Extension, new[] { root }, first.Id).Sum(x => x.Bytes));
    }

    [UnixFact]
    public void A_path_a_file_was_renamed_away_from_and_a_new_file_took_later_counts_as_it_was_at_each_run()
    {
        // Newcomer test 71: run 1 had a (10 B) and keep (50 B); run 2 found a renamed to b; run 3 a new a (100 B). Runs 1 and
        // 2 measured 150 B and 160 B (3 files): the path a counted as present at run 2, and with the new file's size at run 1.
        string root = T.Dir("renamedaway");
        string a = Path.Combine(root, "a");
        File.WriteAllBytes(a, new byte[10]);
        File.WriteAllBytes(Path.Combine(root, "keep"), new byte[50]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        File.Move(a, Path.Combine(root, "b"));
        ScanRun second = Scan(db, root);
        File.WriteAllBytes(a, new byte[100]);
        ScanRun third = Scan(db, root);

        (long, long) Then(ScanRun run) => BytesAndFilesAt(db, root, run);
        Assert.Equal((60L, 2L), Then(first));
        Assert.Equal((60L, 2L), Then(second));
        Assert.Equal((160L, 3L), Then(third));
        FolderSize growth = Measure(db, new FolderSizeQuery { Path = new[] { root }, Depth = 0, ScanId = second.Id, ComparedToScanId = first.Id })[0];
        Assert.Equal(0L, growth.GrowthBytes!.Value);
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(60, reader.MeasureFiles(FileGrouping.Extension, new[] { root }, second.Id).Sum(x => x.Bytes));
        Assert.Equal(2, reader.MeasureFiles(FileGrouping.Extension, new[] { root }, second.Id).Sum(x => x.Files));
    }

    [RootFact]
    public void A_past_run_groups_files_by_the_owner_they_had_then()
    {
        string root = T.Dir("t8c");
        string file = Path.Combine(root, "e.txt");
        File.WriteAllBytes(file, new byte[10]);
        string db = T.Db();
        ScanRun first = Scan(db, root);
        Run("chown", "12345", file);
        File.AppendAllText(file, "x"); // a change the history records, with the owner before it
        Scan(db, root);

        using CatalogReader reader = CatalogReader.Open(db);
        FileGroupSize then = Assert.Single(reader.MeasureFiles(FileGrouping.Owner, new[] { root }, first.Id));
        Assert.Equal(("root", 10L), (then.Key, then.Bytes));
        FileGroupSize now = Assert.Single(reader.MeasureFiles(FileGrouping.Owner, new[] { root }));
        Assert.Equal(11, now.Bytes);
        Assert.NotEqual("root", now.Key);
    }

    [UnixFact]
    public void Growth_lists_folders_that_are_gone_and_each_path_is_measured_on_its_own()
    {
        string root = T.Dir("t9");
        Directory.CreateDirectory(Path.Combine(root, "x"));
        Directory.CreateDirectory(Path.Combine(root, "y"));
        File.WriteAllBytes(Path.Combine(root, "x", "big"), new byte[1000]);
        File.WriteAllBytes(Path.Combine(root, "y", "small"), new byte[10]);
        Link(Path.Combine(root, "x", "big"), Path.Combine(root, "y", "big-link"));
        string db = T.Db();
        ScanRun first = Scan(db, root);
        // Side by side, each as du would measure it alone: the hard link counts in both.
        IReadOnlyList<FolderSize> both = Measure(db, new FolderSizeQuery { Path = new[] { Path.Combine(root, "y"), Path.Combine(root, "x") }, Depth = 0 });
        Assert.Equal(new[] { 1000L, 1010L }, both.Select(f => f.Bytes).Order());
        Directory.Delete(Path.Combine(root, "x"), recursive: true);
        Scan(db, root);

        // The bytes stayed (y holds the other link), but they moved: x lost them all, y gained them.
        IReadOnlyList<FolderSize> growth = Measure(db, new FolderSizeQuery { Path = new[] { root }, ComparedToScanId = first.Id, SortBy = FolderSort.Growth });
        Assert.Equal(0, growth[0].GrowthBytes);
        FolderSize x = Assert.Single(growth, f => f.Name == "x");
        Assert.Equal((0L, 1000L, -1000L), (x.Bytes, x.PreviousBytes!.Value, x.GrowthBytes!.Value));
        Assert.Equal(growth[0].GrowthBytes, growth.Skip(1).Sum(f => f.GrowthBytes));
        Assert.Equal(new[] { "y", "x" }, growth.Skip(1).Select(f => f.Name)); // most growth first, the gone folder last
        Assert.Equal("y", Measure(db, new FolderSizeQuery { Path = new[] { root }, ComparedToScanId = first.Id, SortBy = FolderSort.Growth, Top = 1 }).Single().Name);

        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Contains("found gone by run", reader.FolderProblem(Path.Combine(root, "x")));
        Assert.Null(reader.FolderProblem(Path.Combine(root, "x"), first.Id));
        Assert.Contains("is a file", reader.FolderProblem(Path.Combine(root, "y", "small")));
        Assert.Contains("holds no folder", reader.FolderProblem(Path.Combine(root, "nowhere")));
        string link = T.Combine("link-to-y");
        Directory.CreateSymbolicLink(link, Path.Combine(root, "y"));
        Assert.Contains($"it holds '{Path.Combine(root, "y")}', where that path leads", reader.FolderProblem(link));
        Assert.Throws<ArgumentException>(() => reader.MeasureFolders(new FolderSizeQuery { Path = new[] { Path.Combine(root, "x") } }));
        // Gone since the run compared to: measured as empty, with its loss.
        FolderSize gone = Assert.Single(reader.MeasureFolders(new FolderSizeQuery { Path = new[] { Path.Combine(root, "x") }, ComparedToScanId = first.Id }));
        Assert.Equal((0L, 1000L, -1000L), (gone.Bytes, gone.PreviousBytes!.Value, gone.GrowthBytes!.Value));
    }

    [UnixFact]
    public void Groups_by_extension_owner_and_year_add_up_to_the_whole()
    {
        string root = RandomTree("tree", 7, crossLinks: true);
        string db = T.Db();
        Scan(db, root);
        using CatalogReader reader = CatalogReader.Open(db);
        long total = reader.MeasureFolders(new FolderSizeQuery { Path = new[] { root }, Depth = 0 })[0].Bytes;

        foreach (FileGrouping by in Enum.GetValues<FileGrouping>())
        {
            IReadOnlyList<FileGroupSize> groups = reader.MeasureFiles(by, new[] { root });
            Assert.Equal(total, groups.Sum(g => g.Bytes));
            Assert.Equal(groups.Select(g => g.Bytes).OrderByDescending(b => b), groups.Select(g => g.Bytes));
        }
        IReadOnlyList<FileGroupSize> byExtension = reader.MeasureFiles(FileGrouping.Extension, new[] { root });
        Assert.Contains(byExtension, g => g.Key == ".log"); // .LOG and .log are one group
        Assert.Equal(Environment.UserName, Assert.Single(reader.MeasureFiles(FileGrouping.Owner, new[] { root })).Key);
        Assert.Equal(DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(reader.MeasureFiles(FileGrouping.Year, new[] { root })).Key);
        Assert.Throws<ArgumentException>(() => reader.MeasureFolders(new FolderSizeQuery { Path = new[] { root + "/no-such-folder" } }));
        Assert.Throws<ArgumentException>(() => reader.MeasureFolders(new FolderSizeQuery { SortBy = FolderSort.Growth }));
    }

    [UnixFact]
    public void The_report_carries_hostile_names_as_data_never_as_markup()
    {
        string root = T.Dir("tree");
        // A folder "<" holding "script><img ...>": the path reads "</script><img ...>".
        string hostile = Directory.CreateDirectory(Path.Combine(root, "<", "script><img src=x onerror=alert(1)>")).FullName;
        File.WriteAllText(Path.Combine(hostile, "<b>\"quoted\" & 'apos'<b>.txt"), "x");
        File.WriteAllText(Path.Combine(root, "\u2028line\u2029sep.txt"), "y");
        string db = T.Db();
        Scan(db, root);
        string html = T.Combine("report.html");
        using (CatalogReader reader = CatalogReader.Open(db))
        {
            ScanReport.WriteFile(reader, html, new ScanReportOptions(), force: false);
            Assert.Throws<ArgumentException>(() => ScanReport.WriteFile(reader, html, new ScanReportOptions(), force: false)); // exists
            Assert.Throws<ArgumentException>(() => ScanReport.WriteFile(reader, db + "-wal", new ScanReportOptions(), force: true)); // the catalog's own
        }
        string text = File.ReadAllText(html);
        Assert.DoesNotContain("<img", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", text, StringComparison.Ordinal);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(text, "</script>").Count); // the page's own three
        Assert.DoesNotContain("\u2028", text, StringComparison.Ordinal);
        Assert.Contains("d3-hierarchy 3.1.3", text, StringComparison.Ordinal);
        Assert.Contains("Copyright 2010-2026 Mike Bostock", text, StringComparison.Ordinal); // the licence travels with the code
        Assert.DoesNotContain("http://", text.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal); // nothing fetched
        Assert.Empty(Directory.GetFiles(T.Combine("."), ".report.html.*")); // no draft left
    }
}
