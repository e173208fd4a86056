using System.Diagnostics;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Bench;

/// <summary>
/// A metadata-only scan of a generated tree, against the pipeline a user would write instead:
/// <c>find -printf</c> piped into <c>sqlite3 .import</c>. Warm cache: one untimed run first, then the median of 3.
/// </summary>
public static class ScanBenchmarks
{
    /// <summary>
    /// Creates (or reuses) a tree of <paramref name="files"/> files spread over <paramref name="folders"/> folders. Its
    /// folders hold the same names (file0000.txt ...) unless <paramref name="distinctNames"/>: then every name is unique.
    /// </summary>
    public static string EnsureTree(string parent, int files, int folders, bool distinctNames = false)
    {
        string suffix = distinctNames ? "-distinct" : string.Empty;
        string root = Path.Combine(parent, $"tree-{files}-{folders}{suffix}");
        string marker = Path.Combine(parent, $"tree-{files}-{folders}{suffix}.complete");
        if (File.Exists(marker))
        {
            return root;
        }
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        int perFolder = files / folders;
        var content = new byte[256];
        Parallel.For(0, folders, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, f =>
        {
            // Two levels, like real trees: 50 top folders, the rest below them.
            string dir = Path.Combine(root, $"top{f % 50:D2}", $"folder{f:D5}");
            Directory.CreateDirectory(dir);
            for (int i = 0; i < perFolder; i++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"{(distinctNames ? $"f{f:D5}-" : "file")}{i:D4}.{(i % 4) switch { 0 => "txt", 1 => "log", 2 => "bin", _ => "dat" }}"), content.AsSpan(0, (i * 37) % content.Length).ToArray());
            }
        });
        File.WriteAllText(marker, DateTime.UtcNow.ToString("o"));
        return root;
    }

    public static double EngineScanSeconds(string db, string root, bool fresh, WriterSessionOptions? options = null)
    {
        if (fresh)
        {
            foreach (string f in new[] { db, db + "-wal", db + "-shm" })
            {
                File.Delete(f);
            }
        }
        var sw = Stopwatch.StartNew();
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = new WriterSessionRegistry(), SessionOptions = options });
        sw.Stop();
        if (run.Status != ScanRunStatus.Completed || run.Errors != 0)
        {
            throw new InvalidOperationException($"The benchmark scan did not complete cleanly: {run.Status}, {run.Errors} errors.");
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The physical limit of a metadata scan here: the engine's own walker (parallel listing and stat, records built)
    /// with a sink that drops every record, nothing written. Seconds and the files seen.
    /// </summary>
    public static (double Seconds, long Files) WalkOnlySeconds(string root, IReadOnlyList<string>? ignoreFiles = null)
    {
        var sink = new DroppingSink();
        var sw = Stopwatch.StartNew();
        new FileWalker(new ScanOptions { Roots = new[] { root }, IgnoreFile = ignoreFiles ?? Array.Empty<string>() }, Guid.NewGuid()).Walk(sink);
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, Interlocked.Read(ref sink.Files));
    }

    /// <summary>
    /// A .gitignore of 300 rules in the shapes of the widely used templates (extensions, bracketed folder names,
    /// prefixes, "**/" folders, negations, anchored paths), none of which matches a file of the bench's tree,
    /// so a walk with them sees every file and pays only for trying the rules.
    /// </summary>
    public static string WriteTemplateLikeIgnoreFile(string work)
    {
        var rules = new List<string>();
        string[] words = { "cache", "debug", "release", "build", "publish", "artifacts", "coverage", "packages", "vendor", "dist" };
        for (int i = 0; i < 180; i++)
        {
            rules.Add($"*.{(char)('a' + i % 26)}{(char)('a' + i / 26 % 26)}x{i}");
        }
        for (int i = 0; i < 50; i++)
        {
            string w = words[i % words.Length];
            rules.Add($"[{char.ToUpperInvariant(w[0])}{w[0]}]{w[1..]}{i}/");
        }
        for (int i = 0; i < 30; i++)
        {
            rules.Add($"{words[i % words.Length]}-tmp{i}*");
        }
        for (int i = 0; i < 20; i++)
        {
            rules.Add($"**/{words[i % words.Length]}{i}/*");
        }
        for (int i = 0; i < 10; i++)
        {
            rules.Add($"!keep{i}.ax{i}");
            rules.Add($"tools/{words[i % words.Length]}/");
        }
        string path = Path.Combine(work, "template-like.gitignore");
        File.WriteAllLines(path, rules);
        return path;
    }

    /// <summary>The listings of one walk of <paramref name="root"/>, kept in memory (for <see cref="WriterOnlySeconds"/>).</summary>
    public static List<ScanTools.Storage.Writes.DirectoryListing> CollectListings(string root)
    {
        var sink = new CollectingSink();
        new FileWalker(new ScanOptions { Roots = new[] { root } }, Guid.NewGuid()).Walk(sink);
        return sink.Listings;
    }

    /// <summary>
    /// The other half of a scan: the writer alone applying a walk's listings (collected beforehand) to a fresh catalog,
    /// run start to run end and session closed, with no walk beside it. On 2 cores a scan can be no faster than the walk
    /// plus this work spread over both cores, so 1 + this / (cores x walk_only_s) bounds scan_vs_walk_limit from below.
    /// </summary>
    public static double WriterOnlySeconds(string db, string root, List<ScanTools.Storage.Writes.DirectoryListing> listings)
    {
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        var run = Guid.NewGuid();
        var sw = Stopwatch.StartNew();
        using (WriterSessionLease lease = new WriterSessionRegistry().Acquire(db))
        {
            lease.Write(new ScanTools.Storage.Writes.ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow, Roots = new[] { root } });
            foreach (ScanTools.Storage.Writes.DirectoryListing l in listings)
            {
                lease.Write(new ScanTools.Storage.Writes.DirectoryListing
                {
                    RunKey = run, DirectoryPath = l.DirectoryPath, Files = l.Files, Mode = l.Mode, IsComplete = l.IsComplete,
                    SubdirectoryNames = l.SubdirectoryNames, UnrecordedNames = l.UnrecordedNames,
                });
            }
            lease.Write(new ScanTools.Storage.Writes.ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            lease.Flush();
        }
        sw.Stop();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// SQLite's own work for the files rows a writer-only run left in <paramref name="catalog"/>: the same rows, into the
    /// same table (its DDL and indexes copied from the catalog), in WAL with synchronous=NORMAL, by one
    /// <c>INSERT ... SELECT</c> in one transaction, less one pass of a cursor over the copy (<c>count(*)</c> with the
    /// same <c>WHERE</c>). Nothing is bound and no managed code runs per row, so a writer that keeps one row a file can
    /// do no less; the columns' decoding from the copy is still in it, so it is if anything above the true floor. The
    /// <c>WHERE</c> keeps SQLite from copying records whole (its transfer optimization), which no writer of fresh rows
    /// could do. Returns seconds: the insert with its read, and the cursor pass alone.
    /// </summary>
    public static (double InsertSelect, double CursorPass) InsertSelectFloorSeconds(string catalog, string work)
    {
        string db = Path.Combine(work, "floor.db");
        foreach (string f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using Microsoft.Data.Sqlite.SqliteCommand c = connection.CreateCommand();
        c.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";
        c.ExecuteNonQuery();
        c.CommandText = "ATTACH DATABASE $source AS source;";
        c.Parameters.AddWithValue("$source", catalog);
        c.ExecuteNonQuery();
        c.Parameters.Clear();
        c.CommandText = "SELECT sql FROM source.sqlite_schema WHERE tbl_name = 'files' AND sql IS NOT NULL ORDER BY type = 'index';";
        var ddl = new List<string>();
        using (Microsoft.Data.Sqlite.SqliteDataReader reader = c.ExecuteReader())
        {
            while (reader.Read())
            {
                ddl.Add(reader.GetString(0));
            }
        }
        c.CommandText = string.Join(";\n", ddl) + ";";
        c.ExecuteNonQuery();
        c.CommandText = "SELECT count(*) FROM source.files WHERE dir_id >= 0;";
        c.ExecuteScalar(); // its pages into SQLite's cache, as the insert below finds them
        var pass = Stopwatch.StartNew();
        c.ExecuteScalar();
        pass.Stop();
        var sw = Stopwatch.StartNew();
        c.CommandText = "BEGIN; INSERT INTO main.files SELECT * FROM source.files WHERE dir_id >= 0; COMMIT;";
        c.ExecuteNonQuery();
        sw.Stop();
        c.CommandText = "SELECT (SELECT count(*) FROM main.files) = (SELECT count(*) FROM source.files);";
        if (Convert.ToInt64(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 1)
        {
            throw new InvalidOperationException("The floor's copy of the files table does not hold every row.");
        }
        return (sw.Elapsed.TotalSeconds, pass.Elapsed.TotalSeconds);
    }

    private sealed class CollectingSink : IWalkSink
    {
        public List<ScanTools.Storage.Writes.DirectoryListing> Listings { get; } = new();

        public void OnListing(ScanTools.Storage.Writes.DirectoryListing listing)
        {
            lock (Listings)
            {
                Listings.Add(listing);
            }
        }

        public void OnError(ScanError error)
        {
        }
    }

    private sealed class DroppingSink : IWalkSink
    {
        public long Files;

        public void OnListing(ScanTools.Storage.Writes.DirectoryListing listing) => Interlocked.Add(ref Files, listing.Files.Count);

        public void OnError(ScanError error)
        {
        }
    }

    public static bool PipelineAvailable => ToolExists("find") && ToolExists("sqlite3") && ToolExists("sh");

    /// <summary>
    /// The shell pipeline, into a table with the engine's columns (path split into folder and name as well):
    /// the same facts ScanTools stores per file, change time, device, inode, link count and owner included.
    /// </summary>
    public static double FindSqliteSeconds(string db, string root)
    {
        foreach (string f in new[] { db, db + "-journal", db + "-wal" })
        {
            File.Delete(f);
        }
        const string create = "CREATE TABLE files (path TEXT, directory TEXT, name TEXT, size INTEGER, mtime REAL, btime REAL, mode TEXT, type TEXT, link_target TEXT, " +
            "ctime REAL, device INTEGER, inode INTEGER, links INTEGER, uid INTEGER, gid INTEGER);";
        RunShell($"sqlite3 '{db}' '{create}'");
        var sw = Stopwatch.StartNew();
        RunShell($"find '{root}' -type f -printf '%p\\t%h\\t%f\\t%s\\t%T@\\t%B@\\t%m\\t%y\\t%l\\t%C@\\t%D\\t%i\\t%n\\t%U\\t%G\\n' | sqlite3 '{db}' '.mode tabs' '.import /dev/stdin files'");
        sw.Stop();
        return sw.Elapsed.TotalSeconds;
    }

    public static long CountRows(string db, string table) =>
        long.Parse(RunShell($"sqlite3 '{db}' 'SELECT count(*) FROM {table};'").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    internal static string RunShell(string command)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed ({p.ExitCode}): {error}");
        }
        return output;
    }

    internal static bool ToolExists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
