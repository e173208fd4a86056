using ScanTools.Bench;
using ScanTools.Rules;

// ScanTools benchmarks. Every speed is reported next to a baseline measured in the same run, because
// absolute times on a shared machine drift. See bench/README.md for the figures and how to read them.
//
//   dotnet run -c Release --project bench/ScanTools.Bench -- [--quick] [--out FILE.json] [--work DIR]

if (args.Length >= 3 && args[0] == "--child-memory")
{
    return MemoryBenchmark.RunChild(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.Length >= 3 && args[0] == "--child-scan")
{
    return ScaleBenchmark.RunChild(args[1], args[2]);
}

bool quick = args.Contains("--quick");
string only = ValueOf("--only") ?? "all"; // all | limit (walk and first scan only, quickly) | scale (10,000,000 files; only when asked) | writes | scan | index | ignore | incremental (rehash, duplicates, changes) | query | care | rules | remote | memory | multiprocess | shortwriters | cache
string? outFile = ValueOf("--out");
string work = ValueOf("--work") ?? Path.Combine(Path.GetTempPath(), "scantools-bench");
Directory.CreateDirectory(work);
string? ValueOf(string flag) => Array.IndexOf(args, flag) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

int rows = quick ? 200_000 : 1_000_000;
int treeFiles = quick ? 20_000 : 200_000;
int memoryRecords = quick ? 1_000_000 : 5_000_000;
const int runs = 3;
var results = new Results();
Console.WriteLine($"ScanTools benchmarks ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, .NET {Environment.Version}, work folder {work}");

if (only == "cache")
{
    var l = WriteBenchmarks.MakeListings(rows, Guid.NewGuid());
    foreach (int mib in new[] { 4, 16, 64 })
    {
        double r = Results.Median(Enumerable.Range(0, runs).Select(_ => WriteBenchmarks.SessionProducers(work, l, options: new ScanTools.Sessions.WriterSessionOptions { CacheSizeMiB = mib })));
        results.Add($"session_cache_{mib}mib", r, "rows/s", "");
    }
}

// --- Writes: the same synthetic listings for every approach, medians of 3.
if (only is "all" or "writes")
{
var listings = WriteBenchmarks.MakeListings(rows, Guid.NewGuid());
WriteBenchmarks.RawBatchedInsert(work, listings.Take(20).ToList()); // JIT and file-system warm-up
var raws = new List<double>();
var multis = new List<double>();
var sessions = new List<double>();
for (int i = 0; i < runs; i++) // interleaved, so drift on a shared machine hits both alike
{
    raws.Add(WriteBenchmarks.RawBatchedInsert(work, listings));
    multis.Add(WriteBenchmarks.RawMultiRowInsert(work, listings));
    sessions.Add(WriteBenchmarks.SessionProducers(work, listings));
}
results.Add("raw_single_row_insert", Results.Median(raws), "rows/s", "one prepared single-row INSERT, reused buffers, 10k rows/transaction");
results.Add("raw_multi_row_insert", Results.Median(multis), "rows/s", "32 rows per INSERT ... VALUES statement, the same binding");
double raw = Math.Max(Results.Median(raws), Results.Median(multis)); // the limit: the faster of the two
results.Add("raw_batched_insert", raw, "rows/s", $"{rows:N0} rows, 1 connection: the faster of single-row and 32-row statements");
double session = Results.Median(sessions);
results.Add("session_8_producers", session, "rows/s", "8 producer threads -> 1 WriterSession");
results.Add("session_vs_raw", session / raw, "ratio", "target >= 0.90");
double seed = Results.Median(Enumerable.Range(0, runs).Select(_ => WriteBenchmarks.SeedAutocommit(work, listings, quick ? 5_000 : 20_000)));
results.Add("seed_autocommit", seed, "rows/s", "1 row per autocommit statement, WAL/FULL");
double naive = Results.Median(Enumerable.Range(0, runs).Select(_ => WriteBenchmarks.NaiveThreads(work, listings, quick ? 1_000 : 2_500)));
results.Add("naive_threads", naive, "rows/s", "8 threads, a connection each, autocommit");
results.Add("session_vs_seed", session / seed, "ratio", "");
results.Add("session_vs_naive", session / naive, "ratio", "");
}

// --- Only issue 14's headline figure, quickly: the bare walk and the first scan interleaved (5 each), with what .NET's
// garbage collector paused the process for during the scans. For trying a change to the writer; `--only scan` is the full set.
if (only == "limit")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string scanDb = Path.Combine(work, "scan.db");
for (int w = 0; w < 3; w++)
{
    ScanBenchmarks.EngineScanSeconds(scanDb, tree, fresh: true);
}
var walks = new List<double>();
var scans = new List<double>();
var pauses = new List<double>();
var gen2 = new List<double>();
for (int i = 0; i < 5; i++)
{
    walks.Add(ScanBenchmarks.WalkOnlySeconds(tree).Seconds);
    TimeSpan paused = GC.GetTotalPauseDuration();
    int collected = GC.CollectionCount(2);
    scans.Add(ScanBenchmarks.EngineScanSeconds(scanDb, tree, fresh: true));
    pauses.Add((GC.GetTotalPauseDuration() - paused).TotalSeconds);
    gen2.Add(GC.CollectionCount(2) - collected);
}
double walk = Results.Median(walks);
results.Add("walk_only_s", walk, "s", "the engine's walker with a sink that drops every record");
results.Add("scan_engine_s", Results.Median(scans), "s", $"{treeFiles:N0} files, first scan");
results.Add("scan_vs_walk_limit", Results.Median(scans) / walk, "ratio", "target <= 1.25 (issue 14)");
results.Add("scan_gc_pause_s", Results.Median(pauses), "s", "time .NET's collector paused the process during one scan");
results.Add("scan_gen2_collections", Results.Median(gen2), "count", "full collections during one scan");
}

// --- Scans: engine against find | sqlite3 on one generated tree, warm cache.
if (only is "all" or "scan")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string scanDb = Path.Combine(work, "scan.db");
string findDb = Path.Combine(work, "find.db");
bool pipeline = ScanBenchmarks.PipelineAvailable;
// Warm-up (cache, JIT: the writer's code reaches its final tier over a few scans), then engine and pipeline
// interleaved so drift on a shared machine hits both alike.
for (int w = 0; w < 3; w++)
{
    ScanBenchmarks.EngineScanSeconds(scanDb, tree, fresh: true);
}
var listed = ScanBenchmarks.CollectListings(tree);
ScanBenchmarks.WriterOnlySeconds(scanDb, tree, listed);
if (pipeline)
{
    ScanBenchmarks.FindSqliteSeconds(findDb, tree);
}
var scans = new List<double>();
var rescans = new List<double>();
var finds = new List<double>();
var walks = new List<double>();
var writes = new List<double>();
var floors = new List<double>();
var passes = new List<double>();
var walkCores = new List<double>();
var scanCores = new List<double>();
for (int i = 0; i < runs; i++)
{
    TimeSpan cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    (double walked, long walkedFiles) = ScanBenchmarks.WalkOnlySeconds(tree);
    walkCores.Add((System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / walked);
    if (walkedFiles != treeFiles)
    {
        throw new InvalidOperationException($"The bare walk saw {walkedFiles:N0} files, not {treeFiles:N0}.");
    }
    walks.Add(walked);
    writes.Add(ScanBenchmarks.WriterOnlySeconds(scanDb, tree, listed));
    (double insertSelect, double cursorPass) = ScanBenchmarks.InsertSelectFloorSeconds(scanDb, work);
    floors.Add(insertSelect - cursorPass);
    passes.Add(cursorPass);
    cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    double scanned = ScanBenchmarks.EngineScanSeconds(scanDb, tree, fresh: true);
    scanCores.Add((System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / scanned);
    scans.Add(scanned);
    rescans.Add(ScanBenchmarks.EngineScanSeconds(scanDb, tree, fresh: false));
    if (pipeline)
    {
        finds.Add(ScanBenchmarks.FindSqliteSeconds(findDb, tree));
    }
}
double scan = Results.Median(scans);
double rescan = Results.Median(rescans);
results.Add("scan_engine_s", scan, "s", $"{treeFiles:N0} files, 2,000 folders, metadata only");
results.Add("rescan_engine_s", rescan, "s", "same tree, unchanged");
results.Add("rescan_vs_scan", rescan / scan, "ratio", "target <= 1.2");
double walk = Results.Median(walks);
results.Add("walk_only_s", walk, "s", "the engine's walker (parallel listing and stat) with a sink that drops every record");
results.Add("scan_vs_walk_limit", scan / walk, "ratio", "target <= 1.25 (issue 14)");
results.Add("walk_only_cores", Results.Median(walkCores), "cores",
    $"the bare walk's CPU time (user and system, this process) over its wall time, of {Environment.ProcessorCount}: how much of the machine the walk alone keeps busy");
results.Add("scan_cores", Results.Median(scanCores), "cores", "the same for the first scan (walk and writer)");
double writerOnly = Results.Median(writes);
results.Add("writer_only_s", writerOnly, "s", "the writer alone applying the same walk's listings (collected first) to a fresh catalog");
// The walk alone leaves part of the machine idle (walk_only_cores < cores): a writer can run there at no cost to the walk.
// So the least wall time of walk and writer together is their CPU time spread over every core, and never below the walk's.
double walkCpu = walk * Results.Median(walkCores);
results.Add("scan_vs_walk_bound", Math.Max(1, (walkCpu + writerOnly) / (Environment.ProcessorCount * walk)), "ratio",
    $"(walk_only_cores x walk_only_s + writer_only_s) / ({Environment.ProcessorCount} cores x walk_only_s), at least 1: the least scan_vs_walk_limit with the walk and this writer sharing the cores perfectly");
double floor = Results.Median(floors);
results.Add("sqlite_insert_floor_s", floor, "s",
    $"SQLite's own work for the same files rows: INSERT ... SELECT from a copy in one transaction, nothing bound, no managed code a row, less a cursor pass over the copy ({Results.Median(passes):F3} s)");
results.Add("scan_vs_walk_floor", Math.Max(1, (walkCpu + floor) / (Environment.ProcessorCount * walk)), "ratio",
    $"(walk_only_cores x walk_only_s + sqlite_insert_floor_s) / ({Environment.ProcessorCount} cores x walk_only_s), at least 1: the least scan_vs_walk_limit of any writer keeping one SQLite row a file");
if (pipeline)
{
    double find = Results.Median(finds);
    long imported = ScanBenchmarks.CountRows(findDb, "files");
    results.Add("scan_find_sqlite3_s", find, "s", $"find -printf | sqlite3 .import ({imported:N0} rows)");
    results.Add("scan_vs_find", scan / find, "ratio", "target <= 1.0");
}
else
{
    Console.WriteLine("  scan_find_sqlite3_s skipped: find, sqlite3 or sh is not on PATH (apt-get install sqlite3)");
}
}

// --- What the name index costs a first scan (issue 14): the same scan with the writer's name index on and off,
// interleaved, on the tree whose folders share 100 names and on one whose 200,000 names are all different.
if (only is "all" or "scan" or "index")
{
foreach (bool distinct in new[] { false, true })
{
    string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000, distinct);
    string withDb = Path.Combine(work, "index-with.db");
    string withoutDb = Path.Combine(work, "index-without.db");
    var off = new ScanTools.Sessions.WriterSessionOptions { MaintainNameIndex = false };
    ScanBenchmarks.EngineScanSeconds(withDb, tree, fresh: true); // warm-up
    var with = new List<double>();
    var without = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        without.Add(ScanBenchmarks.EngineScanSeconds(withoutDb, tree, fresh: true, off));
        with.Add(ScanBenchmarks.EngineScanSeconds(withDb, tree, fresh: true));
    }
    string label = distinct ? "_distinct_names" : string.Empty;
    long names = ScanBenchmarks.CountRows(withDb, "names");
    results.Add($"scan_with_indexes_s{label}", Results.Median(with), "s", $"first scan into a fresh catalog with the name index ({names:N0} names)");
    results.Add($"scan_without_indexes_s{label}", Results.Median(without), "s", "the same scan, the writer's name index off");
    results.Add($"scan_with_indexes_vs_without{label}", Results.Median(without) / Results.Median(with), "ratio", "target >= 0.85 (issue 14)");
    long bytes = long.Parse(ScanBenchmarks.RunShell($"sqlite3 '{withDb}' 'SELECT page_count * page_size FROM pragma_page_count, pragma_page_size;'").Trim(), System.Globalization.CultureInfo.InvariantCulture);
    results.Add($"catalog_bytes_per_file{label}", bytes / (double)treeFiles, "bytes", "the catalog's pages (its log folded in) with the name index, after the first scan; target <= 120 (issue 14)");
}
}

// --- Ignore rules: the bare walk (nothing written) with a 300-rule .gitignore against the same walk without it,
// with and without the plain-text check that spares the library's regular expression; fd with the same rules
// as a reference for what a tuned walker pays for them.
if (only is "all" or "scan" or "ignore")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string rules = ScanBenchmarks.WriteTemplateLikeIgnoreFile(work);
string[] ignoreFiles = { rules };
var plain = new List<double>();
var withRules = new List<double>();
var libraryOnly = new List<double>();
ScanBenchmarks.WalkOnlySeconds(tree, ignoreFiles); // warm-up
for (int i = 0; i < runs; i++)
{
    plain.Add(ScanBenchmarks.WalkOnlySeconds(tree).Seconds);
    (double seconds, long seen) = ScanBenchmarks.WalkOnlySeconds(tree, ignoreFiles);
    if (seen != treeFiles)
    {
        throw new InvalidOperationException($"The walk with the template-like rules saw {seen:N0} files, not {treeFiles:N0}.");
    }
    withRules.Add(seconds);
    ScanTools.Matching.IgnorePattern.UseRequiredText = false;
    try
    {
        libraryOnly.Add(ScanBenchmarks.WalkOnlySeconds(tree, ignoreFiles).Seconds);
    }
    finally
    {
        ScanTools.Matching.IgnorePattern.UseRequiredText = true;
    }
}
results.Add("walk_ignore_300_rules_s", Results.Median(withRules), "s", $"the bare walk of {treeFiles:N0} files with a 300-rule template-like .gitignore (-IgnoreFile)");
results.Add("walk_ignore_vs_plain", Results.Median(withRules) / Results.Median(plain), "ratio", "what trying the 300 rules on every entry costs the walk");
results.Add("walk_ignore_library_only_vs_plain", Results.Median(libraryOnly) / Results.Median(plain), "ratio", "the same, every rule matched by MAB.DotIgnore's regular expression (no plain-text check first)");
if (ScanBenchmarks.ToolExists("fdfind"))
{
    double Fd(string extra) => Results.Median(Enumerable.Range(0, runs).Select(_ =>
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        ScanBenchmarks.RunShell($"fdfind --unrestricted --type f {extra} . '{tree}' > /dev/null");
        return sw.Elapsed.TotalSeconds;
    }));
    results.Add("fd_ignore_vs_plain", Fd($"--ignore-file '{rules}'") / Fd(string.Empty), "ratio", "fd (apt: fd-find) listing the same tree with the same rules against without them: a tuned walker's cost of them");
}
else
{
    Console.WriteLine("  fd_ignore_vs_plain skipped: fdfind is not on PATH (apt-get install fd-find)");
}
}

// --- The second scan: incremental hashing, duplicates against rmlint and jdupes, listing changes.
if (only is "all" or "incremental" or "rehash")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string hashedDb = Path.Combine(work, "hashed.db");
foreach (string f in new[] { hashedDb, hashedDb + "-wal", hashedDb + "-shm" })
{
    File.Delete(f);
}
IncrementalBenchmarks.ScanSeconds(hashedDb, tree, hash: true); // the first hashed scan reads everything
var hashedRescans = new List<double>();
var metadataRescans = new List<double>();
for (int i = 0; i < runs; i++) // interleaved
{
    hashedRescans.Add(IncrementalBenchmarks.ScanSeconds(hashedDb, tree, hash: true));
    metadataRescans.Add(IncrementalBenchmarks.ScanSeconds(hashedDb, tree, hash: false));
}
double hashedRescan = Results.Median(hashedRescans);
double metadataRescan = Results.Median(metadataRescans);
results.Add("rehash_unchanged_s", hashedRescan, "s", $"-Hash rescan of the unchanged {treeFiles:N0}-file tree");
results.Add("rescan_metadata_s", metadataRescan, "s", "metadata-only rescan of the same catalog");
results.Add("rehash_unchanged_vs_rescan", hashedRescan / metadataRescan, "ratio", "target <= 1.15");
}

if (only is "all" or "incremental" or "duplicates")
{
(string dupTree, List<List<string>> planted) = IncrementalBenchmarks.EnsureDuplicateTree(work, quick ? 5_000 : 20_000, quick ? 12 : 40);
string dupDb = Path.Combine(work, "dups.db");
string expected = IncrementalBenchmarks.Canonical(planted);
var ours = new List<double>();
var rmlints = new List<double>();
var jdupess = new List<double>();
bool rmlint = ScanBenchmarks.ToolExists("rmlint");
bool jdupes = ScanBenchmarks.ToolExists("jdupes");
const int warmups = 3; // page cache, and .NET's tiered JIT: the first calls run unoptimised code (see bench/README.md)
double? firstCall = null;
for (int i = 0; i < warmups + runs; i++)
{
    var (s, groups) = IncrementalBenchmarks.ScanAndFindDuplicates(dupDb, dupTree);
    if (IncrementalBenchmarks.Canonical(groups) != expected)
    {
        throw new InvalidOperationException("Find-DuplicateFile did not find exactly the planted groups.");
    }
    firstCall ??= s;
    if (i >= warmups) ours.Add(s);
    if (rmlint)
    {
        var (r, rg) = IncrementalBenchmarks.Rmlint(dupTree, work);
        if (IncrementalBenchmarks.Canonical(rg) != expected)
        {
            throw new InvalidOperationException("rmlint found other groups than the planted ones: the comparison would not be fair.");
        }
        if (i >= warmups) rmlints.Add(r);
    }
    if (jdupes)
    {
        var (j, jg) = IncrementalBenchmarks.Jdupes(dupTree);
        if (IncrementalBenchmarks.Canonical(jg) != expected)
        {
            throw new InvalidOperationException("jdupes found other groups than the planted ones: the comparison would not be fair.");
        }
        if (i >= warmups) jdupess.Add(j);
    }
}
double dupOurs = Results.Median(ours);
results.Add("duplicates_scan_find_s", dupOurs, "s", $"metadata scan + Find-DuplicateFile, {planted.Count} planted groups found exactly");
results.Add("duplicates_scan_find_first_s", firstCall!.Value, "s", "the same, first call in the process (JIT not warm, cache warm from the tree's creation)");
if (rmlint)
{
    double r = Results.Median(rmlints);
    results.Add("duplicates_rmlint_s", r, "s", "rmlint -T df, same groups");
    results.Add("duplicates_vs_rmlint", dupOurs / r, "ratio", "target <= 1.0");
}
else
{
    Console.WriteLine("  duplicates_vs_rmlint skipped: rmlint is not on PATH (apt-get install rmlint)");
}
if (jdupes)
{
    double j = Results.Median(jdupess);
    results.Add("duplicates_jdupes_s", j, "s", "jdupes -r, same groups");
    results.Add("duplicates_vs_jdupes", dupOurs / j, "ratio", "target <= 1.0");
}
else
{
    Console.WriteLine("  duplicates_vs_jdupes skipped: jdupes is not on PATH (apt-get install jdupes)");
}
}

if (only is "all" or "incremental" or "changes")
{
(string changesDb, long changedRun) = IncrementalBenchmarks.CatalogWithChanges(work, rows, 10_000);
IncrementalBenchmarks.ListChanges(changesDb, changedRun); // warm
var lists = Enumerable.Range(0, runs).Select(_ => IncrementalBenchmarks.ListChanges(changesDb, changedRun)).ToList();
if (lists[0].Count != Math.Min(10_000, rows))
{
    throw new InvalidOperationException($"Expected 10,000 changes, listed {lists[0].Count}.");
}
results.Add("changes_query_s", Results.Median(lists.Select(l => l.Seconds)), "s", $"list 10,000 changes of one run from a {rows:N0}-file catalog");
}

// --- Queries of a large catalog (issue 14): five hard-linked copies of the tree, against plocate.
if (only is "all" or "query")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string big = QueryBenchmarks.EnsureCopies(work, tree, 5);
long bigFiles = 5L * treeFiles;
var bigScan = System.Diagnostics.Stopwatch.StartNew();
string bigDb = QueryBenchmarks.EnsureCatalog(work, big, bigFiles);
bigScan.Stop();
results.Add("query_catalog_files", bigFiles, "files", $"five hard-linked copies of the {treeFiles:N0}-file tree ({bigScan.Elapsed.TotalSeconds:F1} s to scan, or reused)");
string copy3 = Path.Combine(big, "copy3", "top07");
var nameQuery = new ScanTools.Storage.FindingQuery { Name = new[] { "*e0001.*" } }; // file0001.* only: no folder name holds it
var pathQuery = new ScanTools.Storage.FindingQuery { Path = new[] { copy3 } };
QueryBenchmarks.Engine(bigDb, nameQuery); // warm: page cache, JIT
var names = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(bigDb, nameQuery)).ToList();
var paths = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(bigDb, pathQuery)).ToList();
results.Add("name_search_s", Results.Median(names.Select(n => n.Seconds)), "s", $"engine query (Get-Finding -Name *e0001.*), {names[0].Count:N0} files of {bigFiles:N0}");
results.Add("path_search_s", Results.Median(paths.Select(n => n.Seconds)), "s", $"engine query (Get-Finding -Path <one top folder of one copy>), {paths[0].Count:N0} files");
if (ScanBenchmarks.ToolExists("plocate") && ScanBenchmarks.ToolExists("updatedb"))
{
    string index = QueryBenchmarks.EnsureLocateIndex(work, big);
    QueryBenchmarks.Plocate(index, "-b e0001.");
    var locNames = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Plocate(index, "-b e0001.")).ToList();
    var locPaths = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Plocate(index, $"'{copy3}/'")).ToList();
    int folders = Directory.GetDirectories(copy3).Length; // plocate lists the folders too
    if (locNames[0].Count != names[0].Count || locPaths[0].Count != paths[0].Count + folders)
    {
        throw new InvalidOperationException($"plocate found other files than the engine: names {locNames[0].Count:N0} vs {names[0].Count:N0}, paths {locPaths[0].Count:N0} vs {paths[0].Count:N0}.");
    }
    results.Add("name_search_vs_plocate", Results.Median(names.Select(n => n.Seconds)) / Results.Median(locNames.Select(n => n.Seconds)), "ratio", "plocate -b on an updatedb index of the same tree; target <= 2.0 (issue 14)");
    results.Add("path_search_vs_plocate", Results.Median(paths.Select(n => n.Seconds)) / Results.Median(locPaths.Select(n => n.Seconds)), "ratio", "plocate with the folder's path; target <= 2.0 (issue 14)");
}
else
{
    Console.WriteLine("  name_search_vs_plocate skipped: plocate is not on PATH (apt-get install plocate)");
}
// Issue 15: every folder's size from the catalog against du -sb on the disk (warm cache), and the HTML report.
if (ScanBenchmarks.ToolExists("du"))
{
    var everyFolder = new ScanTools.Storage.FolderSizeQuery { Depth = 1000 };
    double Sizes()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var reader = ScanTools.Storage.CatalogReader.Open(bigDb);
        int n = reader.MeasureFolders(everyFolder).Count;
        return n > 0 ? sw.Elapsed.TotalSeconds : throw new InvalidOperationException("No folders measured.");
    }
    double Du()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        ScanBenchmarks.RunShell($"du -b '{big}' > /dev/null");
        return sw.Elapsed.TotalSeconds;
    }
    Sizes();
    Du();
    var sizes = new List<double>();
    var dus = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        sizes.Add(Sizes());
        dus.Add(Du());
    }
    results.Add("foldersize_s", Results.Median(sizes), "s", $"Measure-ScanFolder of every folder of the {bigFiles:N0}-file catalog (hard links counted once)");
    results.Add("du_s", Results.Median(dus), "s", "du -b of the same tree, every folder, warm cache");
    results.Add("foldersize_vs_du", Results.Median(sizes) / Results.Median(dus), "ratio", "target <= 0.1 (issue 15)");
    var reports = new List<double>();
    string reportFile = Path.Combine(work, "report.html");
    for (int i = 0; i < runs; i++)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using (var reader = ScanTools.Storage.CatalogReader.Open(bigDb))
        {
            ScanTools.Reports.ScanReport.WriteFile(reader, reportFile, new ScanTools.Reports.ScanReportOptions(), force: true);
        }
        reports.Add(sw.Elapsed.TotalSeconds);
    }
    results.Add("report_s", Results.Median(reports), "s", $"Export-ScanReport of the {bigFiles:N0}-file catalog ({new FileInfo(reportFile).Length / 1024:N0} KiB); target <= 5 (issue 15)");
}
var ext = new ScanTools.Storage.FindingQuery { Extension = new[] { "txt" } };
var size = new ScanTools.Storage.FindingQuery { MinSize = 100, MaxSize = 120 };
DateTime newest = File.GetLastWriteTimeUtc(Path.Combine(tree, "top00", "folder00000", "file0000.txt"));
var time = new ScanTools.Storage.FindingQuery { ModifiedAfter = newest.AddMinutes(-1), ModifiedBefore = newest.AddSeconds(1) };
foreach (var (label, q) in new[] { ("extension", ext), ("size", size), ("time", time) })
{
    QueryBenchmarks.Engine(bigDb, q, take: 1_000);
    var firsts = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(bigDb, q, take: 1_000)).ToList();
    results.Add($"filtered_query_{label}_s", Results.Median(firsts.Select(f => f.Seconds)), "s", $"first {firsts[0].Count:N0} rows of {bigFiles:N0}; target <= 0.05 (issue 14)");
}
}

// --- Scale (issue 14): 10,000,000 files, first scan, rescan and queries, peak memory of the scanning process.
// Only when asked (--only scale): building the tree takes minutes once, each scan most of a minute.
if (only == "scale")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
string five = QueryBenchmarks.EnsureCopies(work, tree, 5);
string ten = QueryBenchmarks.EnsureCopies(work, five, 10);
long expected = 50L * treeFiles;
string db = Path.Combine(work, "scale.db");
foreach (string f in new[] { db, db + "-wal", db + "-shm" })
{
    File.Delete(f);
}
(double first, double firstRss, long files) = ScaleBenchmark.ScanInChild(db, ten);
if (files != expected)
{
    throw new InvalidOperationException($"The 10M scan recorded {files:N0} files, not {expected:N0}.");
}
(double again, double againRss, _) = ScaleBenchmark.ScanInChild(db, ten);
results.Add("scan_10m_files", files, "files", "ten hard-linked copies of the five-copy query tree");
results.Add("scan_10m_s", first, "s", "first scan into a fresh catalog, in a child process (as Start-Scan), name index included");
results.Add("rescan_10m_s", again, "s", "the same tree again, unchanged");
results.Add("scan_10m_peak_rss_mb", Math.Max(firstRss, againRss), "MB", $"peak RSS of the scanning process (first {firstRss:F0}, rescan {againRss:F0}); target <= 300 (issue 14)");
long bytes = long.Parse(ScanBenchmarks.RunShell($"sqlite3 '{db}' 'SELECT page_count * page_size FROM pragma_page_count, pragma_page_size;'").Trim(), System.Globalization.CultureInfo.InvariantCulture);
results.Add("catalog_bytes_per_file_10m", bytes / (double)files, "bytes", "catalog pages with the name index; target <= 120 (issue 14)");
var nameQuery = new ScanTools.Storage.FindingQuery { Name = new[] { "*e0001.*" } };
var pathQuery = new ScanTools.Storage.FindingQuery { Path = new[] { Path.Combine(ten, "copy7", "copy3", "top07") } };
var extQuery = new ScanTools.Storage.FindingQuery { Extension = new[] { "txt" } };
QueryBenchmarks.Engine(db, nameQuery);
var name10 = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(db, nameQuery)).ToList();
var path10 = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(db, pathQuery)).ToList();
var ext10 = Enumerable.Range(0, runs).Select(_ => QueryBenchmarks.Engine(db, extQuery, take: 1_000)).ToList();
results.Add("name_search_10m_s", Results.Median(name10.Select(n => n.Seconds)), "s", $"Get-Finding -Name *e0001.*, {name10[0].Count:N0} files of {files:N0}");
results.Add("path_search_10m_s", Results.Median(path10.Select(n => n.Seconds)), "s", $"Get-Finding -Path <one top folder>, {path10[0].Count:N0} files");
results.Add("filtered_query_10m_s", Results.Median(ext10.Select(n => n.Seconds)), "s", "Get-Finding -Extension txt -First 1000");
}

// --- Catalog care: a consistent online backup while a rescan writes the catalog.
if (only is "all" or "care")
{
string tree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
var care = Enumerable.Range(0, runs).Select(_ => CareBenchmarks.BackupDuringScan(work, tree, treeFiles)).ToList();
if (care.Any(c => c.FilesInBackup != treeFiles))
{
    throw new InvalidOperationException($"A backup did not hold the {treeFiles:N0} files committed before it started: {string.Join(", ", care.Select(c => c.FilesInBackup))}.");
}
results.Add("backup_during_scan_s", Results.Median(care.Select(c => c.Backup)), "s", $"Backup-ScanCatalog of the {treeFiles:N0}-file catalog while a rescan writes it; every file committed before it is in the copy");
results.Add("rescan_with_backup_vs_alone", Results.Median(care.Select(c => c.RescanWithBackup)) / Results.Median(care.Select(c => c.RescanAlone)), "ratio", "what the backup costs the scan running meanwhile");
var prunes = Enumerable.Range(0, runs).Select(_ => CareBenchmarks.PruneRemovedHalf(work, tree)).ToList();
results.Add("prune_removed_half_s", Results.Median(prunes.Select(p => p.Prune)), "s",
    $"Optimize-ScanCatalog -KeepRuns 1 of a catalog of the tree whose second run found half of it gone ({prunes[0].Removed:N0} files pruned)");
results.Add("prune_vs_rescan", Results.Median(prunes.Select(p => p.Prune)) / Results.Median(prunes.Select(p => p.Rescan)), "ratio", "the prune against a rescan of the same catalog");
}

// --- Rules: a scan with the built-in rules against ripgrep with the same patterns, every planted secret found by both.
if (only is "all" or "rules")
{
if (!ScanBenchmarks.ToolExists("rg"))
{
    Console.WriteLine("  rules_vs_ripgrep skipped: rg is not on PATH (apt-get install ripgrep)");
}
else
{
var (rulesTree, plantedSecrets, treeBytes) = RuleBenchmarks.EnsureTree(work, quick ? 5_000 : 20_000);
string rulesDb = Path.Combine(work, "rules.db");
var oursRules = new List<double>();
var rgs = new List<double>();
for (int i = 0; i < 1 + runs; i++) // one warm-up each (page cache, JIT), then interleaved
{
    var (s, found) = RuleBenchmarks.Scan(rulesDb, rulesTree);
    var missed = plantedSecrets.Where(p => !found.Contains((p.Path, p.Line, p.RuleId))).ToList();
    if (missed.Count > 0)
    {
        throw new InvalidOperationException($"The rules scan missed {missed.Count} planted secrets, first {missed[0]}.");
    }
    var (r, rgFound) = RuleBenchmarks.Ripgrep(rulesTree, work);
    var rgMissed = plantedSecrets.Where(p => !rgFound.Contains((p.Path, p.Line))).ToList();
    if (rgMissed.Count > 0)
    {
        throw new InvalidOperationException($"ripgrep missed {rgMissed.Count} planted secrets, first {rgMissed[0]}: the comparison would not be fair.");
    }
    if (i > 0)
    {
        oursRules.Add(s);
        rgs.Add(r);
    }
}
double ruleScan = Results.Median(oursRules), rgScan = Results.Median(rgs);
results.Add("rules_scan_s", ruleScan, "s", $"scan with the {RuleSet.Builtin.Rules.Count} built-in rules, {plantedSecrets.Count} planted secrets all found, {treeBytes / 1e6:F0} MB");
results.Add("rules_rg_s", rgScan, "s", "rg -f (the content rules' patterns), same tree, every planted secret found");
results.Add("rules_vs_ripgrep", ruleScan / rgScan, "ratio", "target <= 2.0");
results.Add("rules_scan_mb_s", treeBytes / 1e6 / ruleScan, "MB/s", "content bytes of the tree / rules scan time");
results.Add("rules_rg_mb_s", treeBytes / 1e6 / rgScan, "MB/s", "content bytes of the tree / rg time");
// A rescan with the same rules of the unchanged tree (nothing needs reading) against a metadata-only rescan.
var ruleRescans = new List<double>();
var plainRescans = new List<double>();
for (int i = 0; i < runs; i++)
{
    ruleRescans.Add(RuleBenchmarks.Rescan(rulesDb, rulesTree, RuleSet.Builtin));
    plainRescans.Add(RuleBenchmarks.Rescan(rulesDb, rulesTree, null));
}
results.Add("rules_rescan_vs_rescan", Results.Median(ruleRescans) / Results.Median(plainRescans), "ratio", "rescan with the built-in rules of the unchanged tree / metadata rescan (nothing is read again)");
}
}

// --- Many machines, one catalog: 4 hosts -> Redis -> 1 consumer, against the same 4 hosts into a local catalog.
if (only is "all" or "remote")
{
if (!ScanBenchmarks.ToolExists("redis-server"))
{
    Console.WriteLine("  remote figures skipped: redis-server is not on PATH (apt-get install redis-server)");
}
else
{
string remoteTree = ScanBenchmarks.EnsureTree(work, treeFiles, 2_000);
var hosts = RemoteBenchmarks.Split(remoteTree, 4);
long expectedFiles = Directory.EnumerateFiles(remoteTree, "*", SearchOption.AllDirectories).LongCount();
string central = Path.Combine(work, "central.db");
using var broker = new ScanTools.Tests.Support.RedisServer();
var remotes = new List<double>();
var locals = new List<double>();
for (int i = 0; i < 1 + runs; i++) // one warm-up, then interleaved
{
    var (r, rf) = RemoteBenchmarks.Run(broker.Address("bench" + i), central, hosts, broker);
    var (l, lf) = RemoteBenchmarks.Run(central, central, hosts, null);
    if (rf != expectedFiles || lf != expectedFiles)
    {
        throw new InvalidOperationException($"Expected {expectedFiles:N0} files; remote {rf:N0}, local {lf:N0}.");
    }
    if (i > 0)
    {
        remotes.Add(r);
        locals.Add(l);
    }
}
double remoteS = Results.Median(remotes), localS = Results.Median(locals);
results.Add("remote_4_hosts", expectedFiles / remoteS, "rows/s", $"4 scanning processes -> redis-server -> 1 consumer, {expectedFiles:N0} files, until every host's scan is committed");
results.Add("remote_local_4_hosts", expectedFiles / localS, "rows/s", "the same 4 processes into a local catalog file (one elected writer)");
results.Add("remote_vs_local", localS / remoteS, "ratio", "target >= 0.7");
// The broker killed and started again, empty, while the hosts scan: nothing may be missing.
var (_, afterRestart) = RemoteBenchmarks.Run(broker.Address("restart"), central, hosts, broker, () =>
{
    RemoteBenchmarks.WaitForTraffic(broker, "restart"); // mid-run: the hosts are connected and batches are flowing
    broker.Kill();
    broker.Start();
});
results.Add("redis_restart_loss", expectedFiles - afterRestart, "files", "files missing after redis-server was killed and restarted without persistence mid-run; target 0");
}
}

// --- Processes: 8 writing one catalog through sessions (one elected writer) against 8 with their own connections.
if (only is "all" or "multiprocess")
{
    int perProcess = quick ? 50_000 : 250_000;
    var sessionRuns = new List<MultiProcessBenchmarks.Outcome>();
    var naiveRuns = new List<MultiProcessBenchmarks.Outcome>();
    for (int i = 0; i < runs; i++) // interleaved
    {
        sessionRuns.Add(MultiProcessBenchmarks.Run(work, 8, perProcess, naive: false));
        naiveRuns.Add(MultiProcessBenchmarks.Run(work, 8, perProcess, naive: true));
    }
    double multi = Results.Median(sessionRuns.Select(r => r.RowsPerSecond));
    double multiNaive = Results.Median(naiveRuns.Select(r => r.RowsPerSecond));
    results.Add("multiproc_8", multi, "rows/s", $"8 processes x {perProcess:N0} records through sessions (one writer elected)");
    results.Add("multiproc_naive_8", multiNaive, "rows/s", "8 processes, own connections, 1,000-row transactions, busy_timeout=5000");
    results.Add("multiproc_vs_naive", multi / multiNaive, "ratio", "target >= 1.0");
    results.Add("multiproc_8_max_wait_ms", sessionRuns.Max(r => r.MaxWaitMs), "ms", "slowest hand-over of one 1,000-record batch (Write call), any run; target <= 250");
    results.Add("multiproc_naive_8_max_wait_ms", naiveRuns.Max(r => r.MaxWaitMs), "ms", "slowest 1,000-row transaction including lock waits, any run");
    double failover = Results.Median(Enumerable.Range(0, 5).Select(_ => MultiProcessBenchmarks.Failover(work)));
    results.Add("failover_ms", failover, "ms", "SIGKILL of the writer -> first commit by its successor, median of 5; target <= 1000");
}

// --- Short commands: 4 processes each running 20 commands of 250 records (a script's Write-Finding calls), against one
// process alone. Each command takes the catalog's session and lets it go, so the writer role can change hands each time.
if (only is "all" or "multiprocess" or "shortwriters")
{
    var alone = new List<double>();
    var together = new List<double>();
    for (int i = 0; i < runs; i++) // interleaved
    {
        alone.AddRange(MultiProcessBenchmarks.ShortCommands(work, 1, 20, 250));
        together.AddRange(MultiProcessBenchmarks.ShortCommands(work, 4, 20, 250));
    }
    double aloneMs = Results.Median(alone), togetherMs = Results.Median(together);
    results.Add("short_command_alone_ms", aloneMs, "ms", "one process, 20 commands of 250 records one after another: median command");
    results.Add("short_command_4proc_ms", togetherMs, "ms", "4 processes at once, 20 such commands each: median command");
    results.Add("short_command_4proc_p95_ms", Results.Percentile(together, 0.95), "ms", "the same, 95th percentile");
    results.Add("short_commands_vs_alone", togetherMs / aloneMs, "ratio", "median command with 4 processes / alone (4 share one writer: about 1-4 is fair)");
}

// --- Memory: a child process passes millions of records through one session.
if (only is "all" or "memory")
{
results.Add("session_peak_rss_mb", MemoryBenchmark.MeasureInChild(work, memoryRecords), "MB", $"{memoryRecords:N0} records through one session; target <= 200");
}

results.PrintTable();
if (outFile is not null)
{
    results.WriteJson(outFile);
    Console.WriteLine($"wrote {outFile}");
}
return 0;
