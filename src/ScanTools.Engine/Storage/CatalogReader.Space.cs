using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>Where the space goes (issue 15): folder sizes and file groups from the catalog alone.</summary>
public sealed partial class CatalogReader
{
    /// <summary>
    /// Sizes of <see cref="FolderSizeQuery.Path"/> (or every top folder) and their subfolders to <see cref="FolderSizeQuery.Depth"/>,
    /// in tree order with siblings in <see cref="FolderSizeQuery.SortBy"/> order (or the <see cref="FolderSizeQuery.Top"/> first of
    /// all of them). Bytes are apparent sizes, as <c>du -b</c> counts them, with a hard-linked file once, in the folder whose path
    /// sorts first; folders' own entries are not counted (du adds their sizes, 4 KiB a folder on ext4).
    /// </summary>
    /// <remarks>
    /// Each top folder is measured on its own: its folders in path order, then its files in one pass by ranges of folder
    /// ids on two threads (<see cref="Measure"/>), a file with several links counted once per (device, inode) as it streams
    /// (SQLite could only do that by sorting them all: 0.88 s against 0.28 s for the 1,000,000 links of the query bench
    /// tree), and the folders' totals added up the tree once, children before parents.
    /// </remarks>
    /// <exception cref="ArgumentException">An invalid query, or a -Path the catalog does not hold as a folder.</exception>
    public IReadOnlyList<FolderSize> MeasureFolders(FolderSizeQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var asked = query.Path.Select(p => Scanning.ScanOptions.TrimSeparator(p)).Distinct(Platform.PathComparison.Comparer).ToList();
        foreach (string root in asked)
        {
            if (MeasureProblem(root, query) is string problem)
            {
                throw new ArgumentException(problem);
            }
        }
        // Each top folder is measured on its own, so its totals do not depend on what else is asked (a file hard-linked
        // into two of them counts in both, as du run on each would count it).
        var measured = new List<(SpaceNode Top, Dictionary<string, long>? Before)>();
        IReadOnlyList<string> tops = asked.Count > 0 ? asked : ScanRoots(query.ScanId);
        if (tops.Count == 0)
        {
            // No scan roots (records only): from each topmost folder, down through folders that hold one subfolder and
            // no file of their own (the folders above them the catalog keeps only to link them).
            Dictionary<long, SpaceNode> all = Measure(Array.Empty<string>(), query.ScanId, cancellationToken);
            Dictionary<string, long>? allBefore = query.ComparedToScanId is long c ? Before(Array.Empty<string>(), c, all, cancellationToken) : null;
            foreach (SpaceNode top in all.Values.Where(n => !all.ContainsKey(n.ParentId)).ToList())
            {
                SpaceNode t = top;
                while (t.Children is [SpaceNode only] && only.Files == t.Files)
                {
                    t = only;
                }
                measured.Add((t, allBefore));
            }
        }
        foreach (string root in tops)
        {
            Dictionary<long, SpaceNode> tree = Measure(new[] { root }, query.ScanId, cancellationToken);
            if (!tree.Values.Any(n => Platform.PathComparison.Comparer.Equals(n.Path, root)))
            {
                // Gone since the run compared to (MeasureProblem let it through): an empty folder now, its loss below.
                tree[long.MinValue] = new SpaceNode(root, 0) { Id = long.MinValue, Rank = int.MaxValue };
            }
            Dictionary<string, long>? before = query.ComparedToScanId is long c ? Before(new[] { root }, c, tree, cancellationToken) : null;
            if (tree.Values.FirstOrDefault(n => Platform.PathComparison.Comparer.Equals(n.Path, root)) is SpaceNode top)
            {
                measured.Add((top, before));
            }
        }

        var result = new List<FolderSize>();
        var nodes = new Dictionary<FolderSize, SpaceNode>(ReferenceEqualityComparer.Instance);
        Comparison<SpaceNode> topOrder = Order(query.SortBy, MergedBefore(measured));
        measured.Sort((a, b) => topOrder(a.Top, b.Top));
        foreach ((SpaceNode top, Dictionary<string, long>? before) in measured)
        {
            Comparison<SpaceNode> order = Order(query.SortBy, before);
            void Emit(SpaceNode n, int depth, long parentBytes)
            {
                var size = new FolderSize
                {
                    FullName = n.Path,
                    Name = depth == 0 ? n.Path : System.IO.Path.GetFileName(n.Path),
                    Depth = depth,
                    Bytes = n.Bytes,
                    Files = n.Files,
                    Folders = n.Folders,
                    NewestWriteTimeUtc = n.HasTimes ? new DateTime(n.Newest, DateTimeKind.Utc) : null,
                    OldestWriteTimeUtc = n.HasTimes ? new DateTime(n.Oldest, DateTimeKind.Utc) : null,
                    PercentOfParent = depth == 0 ? 100 : parentBytes > 0 ? Math.Round(100.0 * n.Bytes / parentBytes, 1) : 0,
                    PreviousBytes = before is null ? null : before.TryGetValue(n.Path, out long b) ? b : 0,
                    ScanId = query.ScanId,
                    Database = DatabasePath,
                };
                result.Add(size);
                nodes[size] = n;
                if (depth < query.Depth && n.Children is { } children)
                {
                    children.Sort(order);
                    foreach (SpaceNode c in children)
                    {
                        Emit(c, depth + 1, n.Bytes);
                    }
                }
            }
            Emit(top, 0, top.Bytes);
        }
        if (query.Top is int first)
        {
            // A top list of the folders below the ones asked for (of those themselves with -Depth 0).
            Comparison<SpaceNode> order = Order(query.SortBy, MergedBefore(measured));
            List<FolderSize> ranked = result.Where(f => f.Depth > 0 || query.Depth == 0).ToList();
            ranked.Sort((a, b) => order(nodes[a], nodes[b]));
            return ranked.Take(first).ToList();
        }
        return result;
    }

    private static Dictionary<string, long>? MergedBefore(List<(SpaceNode Top, Dictionary<string, long>? Before)> measured)
    {
        if (measured.All(m => m.Before is null))
        {
            return null;
        }
        var merged = new Dictionary<string, long>(Platform.PathComparison.Comparer);
        foreach (var (_, before) in measured)
        {
            foreach (var (path, bytes) in before ?? new Dictionary<string, long>())
            {
                merged.TryAdd(path, bytes);
            }
        }
        return merged;
    }

    /// <summary>
    /// The bytes of each folder as of run <paramref name="compared"/>, by path; folders that held files then and are gone
    /// now join <paramref name="tree"/> as empty folders, so their loss shows (-ComparedTo, -SortBy Growth).
    /// </summary>
    private Dictionary<string, long> Before(IReadOnlyList<string> roots, long compared, Dictionary<long, SpaceNode> tree, CancellationToken cancellationToken)
    {
        Dictionary<long, SpaceNode> then = Measure(roots, compared, cancellationToken);
        var before = then.Values.ToDictionary(n => n.Path, n => n.Bytes, Platform.PathComparison.Comparer);
        var byPath = tree.Values.ToDictionary(n => n.Path, Platform.PathComparison.Comparer);
        long ghost = -1;
        foreach (SpaceNode old in then.Values.Where(n => !byPath.ContainsKey(n.Path)).OrderBy(n => n.Path.Length))
        {
            if (byPath.TryGetValue(System.IO.Path.GetDirectoryName(old.Path) ?? string.Empty, out SpaceNode? parent))
            {
                var gone = new SpaceNode(old.Path, parent.Id) { Id = ghost--, Rank = int.MaxValue };
                (parent.Children ??= new List<SpaceNode>()).Add(gone);
                byPath[gone.Path] = gone;
            }
        }
        return before;
    }

    /// <summary>
    /// Why <paramref name="path"/> cannot be measured by <paramref name="query"/>; null when it can: as of its run, or gone
    /// since the run it is compared to (then it shows its loss).
    /// </summary>
    public string? MeasureProblem(string path, FolderSizeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        string? problem = FolderProblem(path, query.ScanId);
        return problem is not null && query.ComparedToScanId is long compared && FolderProblem(path, compared) is null
            ? null
            : problem;
    }

    /// <summary>Why <paramref name="path"/> cannot be measured (as of <paramref name="scanId"/>); null when it can.</summary>
    /// <param name="path">The folder.</param>
    /// <param name="scanId">The run as of which, or null for now.</param>
    /// <param name="withoutPath">What leaving -Path out measures, for the message ("every top folder", "the whole catalog").</param>
    public string? FolderProblem(string path, long? scanId = null, string withoutPath = "every top folder")
    {
        path = Scanning.ScanOptions.TrimSeparator(path);
        using SqliteCommand command = Command(
            "SELECT first_scan_id, removed_scan_id FROM directories WHERE path = $path" + (Platform.PathComparison.IgnoreCase ? " COLLATE NOCASE" : string.Empty) + " LIMIT 1;");
        command.Parameters.AddWithValue("$path", path);
        using SqliteDataReader r = Execute(command);
        if (!Read(r))
        {
            bool isFile = FindFiles(new FindingQuery { Path = new[] { Matching.WildcardPattern.Escape(path) }, State = FindingState.All, First = 1 }).Any();
            return isFile
                ? $"'{path}' is a file, not a folder, and -Path takes folders here. Get-Finding -LiteralPath '{path}' shows the file."
                : RealPathOf(path) is string real && IsFolder(real)
                    ? $"The catalog holds no folder '{path}', but it holds '{real}', where that path leads (through a link). Give -Path '{real}'."
                    : $"The catalog holds no folder '{path}'. Give a folder a scan recorded (Get-ScanRun shows the roots), or leave -Path out for {withoutPath}.";
        }
        long first = r.GetInt64(0);
        long? removed = r.IsDBNull(1) ? null : r.GetInt64(1);
        if (scanId is long s)
        {
            if (first > s)
            {
                return $"The folder '{path}' was first recorded by run {first}, after run {s}: it has no size as of run {s}.";
            }
            if (removed is long gone && gone <= s)
            {
                return $"The folder '{path}' was found gone by run {gone}: it has no size as of run {s}.";
            }
            return null;
        }
        return removed is long g
            ? $"The folder '{path}' was found gone by run {g}. Measure it as of an earlier run with -ScanId (Get-ScanRun lists them)."
            : null;
    }

    /// <summary>The path with its links resolved, when it exists here and differs; else null.</summary>
    private static string? RealPathOf(string path)
    {
        try
        {
            string real = Platform.CanonicalPath.Resolve(path);
            return Directory.Exists(real) && !Platform.PathComparison.Comparer.Equals(real, path) ? real : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The scan roots (of <see cref="ScanRoots"/>) below <paramref name="path"/> when it lies above them (not in or at a
    /// scan root): a measure of it counts only what they recorded. Empty otherwise.
    /// </summary>
    public static IReadOnlyList<string> ScanRootsBelow(string path, IReadOnlyList<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        string trimmed = Scanning.ScanOptions.TrimSeparator(path);
        if (roots.Any(r => Platform.PathComparison.Comparer.Equals(r, trimmed) || IsUnder(trimmed, r)))
        {
            return Array.Empty<string>();
        }
        return roots.Where(r => IsUnder(r, trimmed)).ToList();
    }

    private static bool IsUnder(string path, string folder)
    {
        string sep = System.IO.Path.DirectorySeparatorChar.ToString();
        return path.StartsWith(folder.EndsWith(sep, StringComparison.Ordinal) ? folder : folder + sep, Platform.PathComparison.Comparison);
    }

    /// <summary>
    /// The folders scans started at that the catalog holds (as of <paramref name="scanId"/>), outermost only: the top
    /// folders of a measure without -Path. Empty when no run recorded a root the catalog holds as a folder.
    /// </summary>
    public IReadOnlyList<string> ScanRoots(long? scanId = null)
    {
        var roots = new List<string>();
        foreach (ScanRun run in GetScanRuns())
        {
            if (scanId is long s && run.Id > s)
            {
                continue;
            }
            foreach (string root in run.Roots)
            {
                string r = Scanning.ScanOptions.TrimSeparator(root);
                if (!roots.Contains(r, Platform.PathComparison.Comparer) && FolderProblem(r, scanId) is null)
                {
                    roots.Add(r);
                }
            }
        }
        return roots.Where(r => !roots.Any(o => !ReferenceEquals(o, r) && IsUnder(r, o))).Order(StringComparer.Ordinal).ToList();
    }

    private static Comparison<SpaceNode> Order(FolderSort sort, Dictionary<string, long>? before)
    {
        long Growth(SpaceNode n) => n.Bytes - (before is not null && before.TryGetValue(n.Path, out long b) ? b : 0);
        long Newest(SpaceNode n) => n.HasTimes ? n.Newest : long.MaxValue; // folders without files last
        return sort switch
        {
            FolderSort.Growth => (a, b) => Growth(b).CompareTo(Growth(a)) is int c && c != 0 ? c : string.CompareOrdinal(a.Path, b.Path),
            FolderSort.Files => (a, b) => b.Files.CompareTo(a.Files) is int c && c != 0 ? c : string.CompareOrdinal(a.Path, b.Path),
            FolderSort.Oldest => (a, b) => Newest(a).CompareTo(Newest(b)) is int c && c != 0 ? c : string.CompareOrdinal(a.Path, b.Path),
            FolderSort.Name => (a, b) => string.CompareOrdinal(a.Path, b.Path),
            _ => (a, b) => b.Bytes.CompareTo(a.Bytes) is int c && c != 0 ? c : string.CompareOrdinal(a.Path, b.Path),
        };
    }

    /// <summary>The folders of the scope as of a run (or now), each with the totals of its subtree.</summary>
    private Dictionary<long, SpaceNode> Measure(IReadOnlyList<string> roots, long? scanId, CancellationToken cancellationToken)
    {
        SpaceScope scope = Scope(roots, scanId);
        var tree = new Dictionary<long, SpaceNode>();
        // In path order (the path index gives it): a folder's rank in it decides which folder counts a hard-linked file.
        using (RawStatement dirs = Prepare($"SELECT d.id, d.path, coalesce(d.parent_id, 0) FROM directories d WHERE {scope.Folders} ORDER BY d.path;"))
        {
            scope.Bind(dirs);
            int rank = 0;
            while (Step(dirs))
            {
                tree[dirs.Int64(0)] = new SpaceNode(dirs.Text(1), dirs.Int64(2)) { Id = dirs.Int64(0), Rank = rank++ };
            }
        }
        // One pass over the files, in 32 ranges of folder ids that two threads (a connection each) take in turn, so they
        // end together: both cores of this machine. A file with one link is added to its folder; a file with several is
        // counted once, in the folder whose path sorts first (whatever order the threads read in), and its last-write
        // time counts in every folder that holds a link. Against SQLite summing the one-link files with GROUP BY and the
        // linked ones streamed beside it: 0.49 s serial, 0.31 s on two threads, 0.2x s so (bench: foldersize_vs_du).
        // The files are read by ranges of folder ids and kept only for folders of the tree; a folder that holds most of
        // the catalog's folders reads them without the join to the folders' paths (a join per range read the whole table
        // once per range: 2.3 s instead of 0.28 s for the bench's 1,000,000 files).
        long allFolders = Convert.ToInt64(ExecuteScalar(Command("SELECT count(*) FROM directories;")), System.Globalization.CultureInfo.InvariantCulture);
        SpaceScope fileScope = roots.Count > 0 && tree.Count * 2 >= allFolders ? Scope(Array.Empty<string>(), scanId) : scope;
        long[] ids = tree.Keys.Order().ToArray();
        long[] bounds = Enumerable.Range(0, 33).Select(i => i == 32 || ids.Length == 0 ? long.MaxValue : i == 0 ? long.MinValue : ids[(int)((long)ids.Length * i / 32)]).ToArray();
        int nextRange = -1;
        FileTotals ReadRanges(SqliteConnection connection)
        {
            var found = new FileTotals();
            using var files = new RawStatement(connection, $"""
                SELECT f.dir_id, {fileScope.Size}, {fileScope.Mtime}, {fileScope.InodeOfLinked}, coalesce({fileScope.Device}, 0)
                FROM files f{fileScope.Join} WHERE {fileScope.Files} AND f.dir_id >= $fromDir AND f.dir_id < $toDir{(fileScope.Join.Length > 0 ? " AND d.id >= $fromDir AND d.id < $toDir" : string.Empty)};
                """);
            fileScope.Bind(files);
            for (int r = Interlocked.Increment(ref nextRange); r < 32; r = Interlocked.Increment(ref nextRange))
            {
                if (bounds[r] < bounds[r + 1])
                {
                    files.Bind("$fromDir", bounds[r]);
                    files.Bind("$toDir", bounds[r + 1]);
                    ReadFiles(files, tree, found, cancellationToken);
                }
            }
            return found;
        }
        Task<FileTotals> other = Task.Run(() =>
        {
            using SqliteConnection second = CatalogDatabase.OpenForReading(DatabasePath);
            try
            {
                return ReadRanges(second);
            }
            catch (SqliteException ex)
            {
                throw CatalogDatabase.Translate(ex, DatabasePath, writing: false);
            }
        }, cancellationToken);
        FileTotals mine;
        try
        {
            mine = ReadRanges(_connection);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
        finally
        {
            try
            {
                other.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
                // reported below, by GetResult
            }
        }
        FileTotals theirs = other.GetAwaiter().GetResult();
        cancellationToken.ThrowIfCancellationRequested();
        mine.Linked.MergeFrom(theirs.Linked);
        foreach ((SpaceNode folder, long bytes, long count, long newest, long oldest) in mine.Folders.Concat(theirs.Folders))
        {
            folder.Add(bytes, count, newest, oldest);
        }
        foreach (LinkedFile f in mine.Linked.All)
        {
            f.Folder!.Add(f.Size, 1, long.MinValue, long.MaxValue);
        }
        // Children before parents: a longer path is never an ancestor of a shorter one.
        foreach (SpaceNode n in tree.Values.OrderByDescending(n => n.Path.Length))
        {
            if (tree.TryGetValue(n.ParentId, out SpaceNode? parent))
            {
                parent.AddSubtree(n);
                (parent.Children ??= new List<SpaceNode>()).Add(n);
            }
        }
        return tree;
    }

    /// <summary>
    /// Bytes, files and last-write range of the present files (or those of a run) under <paramref name="paths"/>, grouped by
    /// extension, owner or year; largest first. A hard-linked file counts once.
    /// </summary>
    /// <exception cref="ArgumentException">A -Path the catalog does not hold as a folder.</exception>
    public IReadOnlyList<FileGroupSize> MeasureFiles(FileGrouping groupBy, IReadOnlyList<string> paths, long? scanId = null, int? top = null, CancellationToken cancellationToken = default)
    {
        var roots = paths.Select(p => Scanning.ScanOptions.TrimSeparator(p)).Distinct(Platform.PathComparison.Comparer).ToList();
        foreach (string root in roots)
        {
            if (FolderProblem(root, scanId, "the whole catalog") is string problem)
            {
                throw new ArgumentException(problem);
            }
        }
        SpaceScope scope = Scope(roots, scanId, joinAlways: roots.Count > 0);
        string key = groupBy switch
        {
            FileGrouping.Owner => $"coalesce({scope.Uid}, -1)",
            FileGrouping.Year => $"CAST(strftime('%Y', ({scope.Mtime} - 621355968000000000) / 10000000, 'unixepoch') AS INTEGER)",
            _ => "lower(f.extension)",
        };
        var groups = new Dictionary<string, SpaceNode>(StringComparer.Ordinal);
        SpaceNode Group(string k) => groups.TryGetValue(k, out SpaceNode? g) ? g : groups[k] = new SpaceNode(k, 0);
        using (RawStatement sums = Prepare($"""
            SELECT {key}, sum({scope.Size}), count(*), max({scope.Mtime}), min({scope.Mtime})
            FROM files f{scope.Join} WHERE {scope.Files} AND {scope.Links} <= 1 GROUP BY 1;
            """))
        {
            scope.Bind(sums);
            while (Step(sums))
            {
                Group(KeyText(groupBy, sums)).Add(sums.Int64(1), sums.Int64(2), sums.Int64(3), sums.Int64(4));
            }
        }
        var seen = new HashSet<(long, long)>();
        using (RawStatement linked = Prepare($"""
            SELECT {key}, {scope.Size}, {scope.Mtime}, coalesce({scope.Device}, 0), coalesce({scope.Inode}, 0)
            FROM files f{scope.Join} WHERE {scope.Files} AND {scope.Links} > 1;
            """))
        {
            scope.Bind(linked);
            while (Step(linked))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (seen.Add((linked.Int64(3), linked.Int64(4))))
                {
                    long mtime = linked.Int64(2);
                    Group(KeyText(groupBy, linked)).Add(linked.Int64(1), 1, mtime, mtime);
                }
            }
        }
        long total = groups.Values.Sum(g => g.Bytes);
        IEnumerable<FileGroupSize> result = groups.Values
            .OrderByDescending(g => g.Bytes).ThenBy(g => g.Path, StringComparer.Ordinal)
            .Select(g => new FileGroupSize
            {
                GroupBy = groupBy,
                Key = g.Path,
                Bytes = g.Bytes,
                Files = g.Files,
                Percent = total > 0 ? Math.Round(100.0 * g.Bytes / total, 1) : 0,
                NewestWriteTimeUtc = g.Files > 0 ? new DateTime(g.Newest, DateTimeKind.Utc) : null,
                OldestWriteTimeUtc = g.Files > 0 ? new DateTime(g.Oldest, DateTimeKind.Utc) : null,
                ScanId = scanId,
                Database = DatabasePath,
            });
        return (top is int n ? result.Take(n) : result).ToList();
    }

    private static string KeyText(FileGrouping groupBy, RawStatement row) => groupBy switch
    {
        FileGrouping.Owner => row.Int64(0) is long uid && uid >= 0 ? Platform.UnixAccount.UserName((uint)uid) : "(unknown)",
        FileGrouping.Year => row.Int64(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => row.Text(0),
    };

    /// <summary>
    /// Reads the rows of <paramref name="files"/> (dir_id, size, mtime, links, device, inode; one range of folders, in
    /// folder order) into <paramref name="found"/>: per folder its one-link files' bytes and count and every file's
    /// last-write range, and the linked files aside.
    /// </summary>
    private static void ReadFiles(RawStatement files, Dictionary<long, SpaceNode> tree, FileTotals found, CancellationToken cancellationToken)
    {
        long rows = 0;
        SpaceNode? n = null;
        long dirId = long.MinValue, bytes = 0, count = 0, newest = long.MinValue, oldest = long.MaxValue;
        void Flush()
        {
            if (n is not null)
            {
                found.Folders.Add((n, bytes, count, newest, oldest));
            }
            (bytes, count, newest, oldest) = (0, 0, long.MinValue, long.MaxValue);
        }
        while (files.Step())
        {
            if ((++rows & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            long dir = files.Int64(0);
            if (dir != dirId)
            {
                Flush();
                dirId = dir;
                tree.TryGetValue(dir, out n);
            }
            if (n is null)
            {
                continue; // a file of a folder outside the scope (or gone)
            }
            long size = files.Int64(1), mtime = files.Int64(2);
            newest = Math.Max(newest, mtime);
            oldest = Math.Min(oldest, mtime);
            // One column says a file counts as it is (-1), or gives the inode of one to count once: a native call a column
            // is most of the cost of a row (5-10% less time than reading the link count and the inode apart).
            long inode = files.Int64(3);
            if (inode == -1)
            {
                bytes += size;
                count++;
            }
            else
            {
                found.Linked.Add(new LinkedFile(n, files.Int64(4), size), inode);
            }
        }
        Flush();
    }

    /// <summary>What one thread read: per folder the one-link files' bytes and count and the last-write range; the linked files.</summary>
    private sealed class FileTotals
    {
        public List<(SpaceNode Folder, long Bytes, long Files, long Newest, long Oldest)> Folders { get; } = new();
        public LinkedFiles Linked { get; } = new();
    }

    /// <summary>A file with several links: the folder it is counted in, its device and size.</summary>
    private record struct LinkedFile(SpaceNode? Folder, long Device, long Size);

    /// <summary>
    /// Files with several links by (device, inode), each in the folder whose path sorts first. Keyed by inode alone (a long
    /// hashes several times faster than a pair, and a tree is mostly on one device), with other devices' inodes aside.
    /// </summary>
    private sealed class LinkedFiles
    {
        private readonly Dictionary<long, LinkedFile> _byInode = new();
        private readonly Dictionary<(long Device, long Inode), LinkedFile> _otherDevices = new();

        public IEnumerable<LinkedFile> All => _byInode.Values.Concat(_otherDevices.Values);


        public void Add(LinkedFile file, long inode)
        {
            ref LinkedFile first = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byInode, inode, out bool exists);
            if (exists && first.Device != file.Device)
            {
                first = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_otherDevices, (file.Device, inode), out exists);
            }
            if (!exists || file.Folder!.Rank < first.Folder!.Rank)
            {
                first = file;
            }
        }

        public void MergeFrom(LinkedFiles other)
        {
            foreach ((long inode, LinkedFile f) in other._byInode)
            {
                Add(f, inode);
            }
            foreach (((long _, long inode), LinkedFile f) in other._otherDevices)
            {
                Add(f, inode);
            }
        }
    }

    /// <summary>A folder (or group) and the totals of what lies in and below it.</summary>
    private sealed class SpaceNode(string path, long parentId)
    {
        public long Id { get; init; }

        /// <summary>The folder's place in path order (ordinal, as the catalog's path index sorts).</summary>
        public int Rank { get; init; }
        public string Path { get; } = path;
        public long ParentId { get; } = parentId;
        public long Bytes { get; private set; }
        public long Files { get; private set; }
        public long Folders { get; private set; }
        public long Newest { get; private set; } = long.MinValue;
        public long Oldest { get; private set; } = long.MaxValue;
        public List<SpaceNode>? Children { get; set; }

        public void Add(long bytes, long files, long newest, long oldest)
        {
            Bytes += bytes;
            Files += files;
            Newest = Math.Max(Newest, newest);
            Oldest = Math.Min(Oldest, oldest);
        }

        /// <summary>Whether a file's last-write time reached this node (a folder holding only hard links has times, and no files of its own).</summary>
        public bool HasTimes => Newest != long.MinValue;

        public void AddSubtree(SpaceNode child)
        {
            Add(child.Bytes, child.Files, child.Newest, child.Oldest);
            Folders += 1 + child.Folders;
        }
    }

    /// <summary>The files and folders under <paramref name="roots"/>, now or as of a run, as this catalog's schema can tell them.</summary>
    private SpaceScope Scope(IReadOnlyList<string> roots, long? scanId, bool joinAlways = false) =>
        new(roots, scanId, CatalogSchema.HasIdentityHistory(SchemaVersion), joinAlways);

    /// <summary>The SQL of "the folders and files under these roots, now or as of a run".</summary>
    private sealed class SpaceScope
    {
        private readonly List<(string Name, object Value)> _values = new();

        public SpaceScope(IReadOnlyList<string> roots, long? scanId, bool identityHistory, bool joinAlways = false)
        {
            string collate = Platform.PathComparison.IgnoreCase ? " COLLATE NOCASE" : string.Empty;
            string sep = System.IO.Path.DirectorySeparatorChar.ToString();
            var under = new List<string>();
            for (int i = 0; i < roots.Count; i++)
            {
                string root = roots[i];
                string prefix = root.EndsWith(sep, StringComparison.Ordinal) ? root : root + sep;
                (string lo, string hi) = FindingSql.PrefixRange(prefix);
                under.Add($"(d.path = $root{i}{collate} OR (d.path >= $lo{i}{collate} AND d.path < $hi{i}{collate}))");
                _values.Add(($"$root{i}", root));
                _values.Add(($"$lo{i}", lo));
                _values.Add(($"$hi{i}", hi));
            }
            string inScope = under.Count > 0 ? FindingSql.AnyOf(under) : "1";
            if (scanId is long s)
            {
                _values.Add(("$scan", s));
                Folders = $"d.first_scan_id <= $scan AND (d.removed_scan_id IS NULL OR d.removed_scan_id > $scan) AND {inScope}";
                // A file found gone and back since keeps its row (removed_scan_id cleared, first_scan_id kept): its own Added
                // and Removed changes say whether it was there at the run.
                // A file renamed away from a path is gone from it as removed is (newcomer test 71: a path vacated by a rename
                // and taken by a new file later counted as present, with the new file's size, at the runs before).
                // A file renamed to a path is there as an added one is; within one run a file leaves a path before another
                // arrives (mv a b, then a new a: 'a' counted as absent at that run, and Measure-ScanFolder -ScanId of the
                // newest run disagreed with Measure-ScanFolder, newcomer test 84).
                Files = """
                    f.first_scan_id <= $scan AND (f.removed_scan_id IS NULL OR f.removed_scan_id > $scan)
                    AND coalesce((SELECT change FROM (
                                      SELECT c.scan_id AS s, CASE c.change WHEN 4 THEN 1 ELSE c.change END AS change FROM file_changes c
                                      WHERE c.dir_id = f.dir_id AND c.name = f.name AND c.scan_id <= $scan AND c.change IN (1, 2, 4)
                                      UNION ALL
                                      SELECT c.scan_id, 2 FROM file_changes c WHERE c.from_dir_id = f.dir_id AND c.from_name = f.name AND c.scan_id <= $scan AND c.change = 4)
                                  ORDER BY s DESC, change ASC LIMIT 1), 1) = 1
                    """;
                // What the run saw: the change history's "before" of the first change after it that recorded one (a
                // modification, or the removal of a file that came back since), else the row's:
                // size, time, identity (schema 7: a file replaced since may have today's inode from another of that run's
                // files) and owner (the third field of old_meta). Every file with an identity is counted once by it.
                // A rename away from the path carries the state of the file that left it, as a removal does.
                static string Before(string column, string current) => $"""
                    coalesce((SELECT v FROM (
                        SELECT c.scan_id AS s, c.{column} AS v FROM file_changes c
                        WHERE c.dir_id = f.dir_id AND c.name = f.name AND c.scan_id > $scan AND c.change IN (2, 3) AND c.{column} IS NOT NULL
                        UNION ALL
                        SELECT c.scan_id, c.{column} FROM file_changes c
                        WHERE c.from_dir_id = f.dir_id AND c.from_name = f.name AND c.scan_id > $scan AND c.change = 4 AND c.{column} IS NOT NULL)
                      ORDER BY s LIMIT 1), {current})
                    """;
                Size = Before("old_size", "f.size");
                Mtime = Before("old_mtime", "f.mtime");
                // The identity before the first change after the run, reported or of identity alone (schema 8); a catalog
                // before schema 8 is read with today's.
                static string IdentityBefore(string column, string current) => $"""
                    coalesce((SELECT v FROM (
                        SELECT c.scan_id AS s, c.{column} AS v FROM file_changes c
                        WHERE c.dir_id = f.dir_id AND c.name = f.name AND c.scan_id > $scan AND c.change IN (2, 3) AND c.old_inode IS NOT NULL
                        UNION ALL
                        SELECT c.scan_id, c.{column} FROM file_changes c
                        WHERE c.from_dir_id = f.dir_id AND c.from_name = f.name AND c.scan_id > $scan AND c.change = 4 AND c.old_inode IS NOT NULL
                        UNION ALL
                        SELECT i.scan_id, i.{column} FROM file_identities i WHERE i.dir_id = f.dir_id AND i.name = f.name AND i.scan_id > $scan)
                      ORDER BY s LIMIT 1), {current})
                    """;
                Inode = identityHistory ? IdentityBefore("old_inode", "f.inode") : "f.inode";
                Device = identityHistory ? IdentityBefore("old_device", "f.device") : "f.device";
                Links = $"CASE WHEN {Inode} IS NULL THEN 1 ELSE 2 END";
                InodeOfLinked = $"coalesce({Inode}, -1)"; // the same as below, with the history read once a row
                Uid = """
                    coalesce((SELECT CAST(nullif(substr(r2, 1, instr(r2, '|') - 1), '') AS INTEGER)
                              FROM (SELECT substr(r1, instr(r1, '|') + 1) AS r2
                                    FROM (SELECT substr(m, instr(m, '|') + 1) AS r1 FROM (
                                              SELECT c.scan_id AS s, c.old_meta AS m FROM file_changes c
                                              WHERE c.dir_id = f.dir_id AND c.name = f.name AND c.scan_id > $scan AND c.change IN (2, 3) AND c.old_meta IS NOT NULL
                                              UNION ALL
                                              SELECT c.scan_id, c.old_meta FROM file_changes c
                                              WHERE c.from_dir_id = f.dir_id AND c.from_name = f.name AND c.scan_id > $scan AND c.change = 4 AND c.old_meta IS NOT NULL)
                                          ORDER BY s LIMIT 1))), f.uid)
                    """;
            }
            else
            {
                Folders = $"d.removed_scan_id IS NULL AND {inScope}";
                Files = "f.removed_scan_id IS NULL";
                Links = "coalesce(f.links, 1)";
                Size = "f.size";
                Mtime = "f.mtime";
                Inode = "f.inode";
                Device = "f.device";
                Uid = "f.uid";
                InodeOfLinked = $"CASE WHEN {Links} <= 1 OR {Inode} IS NULL THEN -1 ELSE {Inode} END";
            }
            if (under.Count > 0 || joinAlways)
            {
                Join = " JOIN directories d ON d.id = f.dir_id";
                Files += " AND " + inScope;
            }
            else
            {
                Join = string.Empty;
            }
        }

        public string Folders { get; }
        public string Files { get; }
        public string Size { get; }
        public string Mtime { get; }
        public string Links { get; }

        /// <summary>The file's inode, device and owner's user id (then, for a past run).</summary>
        public string Inode { get; }
        public string Device { get; }
        public string Uid { get; }

        /// <summary>-1 for a file counted as it is; its inode for one counted once by (device, inode).</summary>
        public string InodeOfLinked { get; }
        public string Join { get; }

        public void Bind(RawStatement statement)
        {
            foreach ((string name, object value) in _values)
            {
                statement.BindIfUsed(name, value);
            }
        }
    }
}
