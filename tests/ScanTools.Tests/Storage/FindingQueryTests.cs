using FsCheck;
using FsCheck.Fluent;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>
/// A catalog with known content, queried through CatalogReader and checked against a model that
/// filters the same records in memory.
/// </summary>
public sealed class FindingQueryTests : IClassFixture<FindingQueryTests.KnownCatalog>
{
    private readonly KnownCatalog _catalog;

    public FindingQueryTests(KnownCatalog catalog) => _catalog = catalog;

    private List<string> Query(FindingQuery q)
    {
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);
        return reader.FindFiles(q).Select(f => f.FullName).ToList();
    }

    private List<string> Model(Func<KnownCatalog.Row, bool> keep, FindingState state = FindingState.Present) =>
        _catalog.Rows.Where(r => state switch
            {
                FindingState.Present => !r.Removed,
                FindingState.Removed => r.Removed,
                _ => true,
            })
            .Where(keep).Select(r => r.FullName).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void NoFilter_ReturnsEveryPresentFile_InPathOrder()
    {
        List<string> result = Query(new FindingQuery());
        Assert.Equal(Model(_ => true), result.Order(StringComparer.Ordinal));
        // Path order: by folder path, then name.
        Assert.Equal(_catalog.Rows.Where(r => !r.Removed).OrderBy(r => r.Dir, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal).Select(r => r.FullName), result);
    }

    [Fact]
    public void EachFilter_AgreesWithTheModel()
    {
        Assert.Equal(Model(r => r.Ext.Equals(".log", StringComparison.OrdinalIgnoreCase)), Sorted(new FindingQuery { Extension = new[] { "LOG" } }));
        Assert.Equal(Model(r => r.Ext.ToLowerInvariant() is ".log" or ".txt"), Sorted(new FindingQuery { Extension = new[] { ".log", "txt" } }));
        Assert.Equal(Model(r => r.Ext.Length == 0), Sorted(new FindingQuery { Extension = new[] { "" } }));
        Assert.Equal(Model(r => r.Size >= 500 && r.Size <= 700), Sorted(new FindingQuery { MinSize = 500, MaxSize = 700 }));
        Assert.Equal(Model(r => r.Mtime > KnownCatalog.Epoch.AddDays(10) && r.Mtime < KnownCatalog.Epoch.AddDays(20)),
            Sorted(new FindingQuery { ModifiedAfter = KnownCatalog.Epoch.AddDays(10), ModifiedBefore = KnownCatalog.Epoch.AddDays(20) }));
        Assert.Equal(Model(r => r.Name.StartsWith("report", StringComparison.OrdinalIgnoreCase)), Sorted(new FindingQuery { Name = new[] { "REPORT*" } }));
        Assert.Equal(Model(r => r.Name.EndsWith(".log", StringComparison.OrdinalIgnoreCase) && r.Name.Contains('1', StringComparison.Ordinal)), Sorted(new FindingQuery { Name = new[] { "*1*.log" } }));
        Assert.Equal(Model(r => r.Dir.StartsWith(_catalog.Root + "/alpha", StringComparison.Ordinal) && (r.Dir.Length == (_catalog.Root + "/alpha").Length || r.Dir[(_catalog.Root + "/alpha").Length] == '/')),
            Sorted(new FindingQuery { Path = new[] { _catalog.Root + "/alpha" } }));
        Assert.Equal(Model(r => r.FullName.StartsWith(_catalog.Root + "/beta/", StringComparison.Ordinal) && r.Name.EndsWith(".txt", StringComparison.Ordinal)),
            Sorted(new FindingQuery { Path = new[] { _catalog.Root + "/beta/*.txt" } }));
        string one = _catalog.Rows.First(r => !r.Removed).FullName;
        Assert.Equal(new[] { one }, Sorted(new FindingQuery { Path = new[] { one } }));
        Assert.Equal(Model(r => r.Hash == _catalog.SharedHash), Sorted(new FindingQuery { Hash = new[] { _catalog.SharedHash.ToLowerInvariant() } }));
        Assert.Equal(Model(_ => true, FindingState.Removed), Sorted(new FindingQuery { State = FindingState.Removed }));
        Assert.Equal(Model(_ => true, FindingState.All), Sorted(new FindingQuery { State = FindingState.All }));
    }

    [Fact]
    public void RandomCombinationsOfFilters_AgreeWithTheModel()
    {
        Gen<FindingQuery> queries =
            from ext in Gen.Elements(Array.Empty<string>(), new[] { ".log" }, new[] { "TXT", "bin" })
            from min in Gen.Elements<long?>(null, 100, 600)
            from max in Gen.Elements<long?>(null, 650, 900)
            from days in Gen.Elements<int?>(null, 5, 25)
            from name in Gen.Elements(Array.Empty<string>(), new[] { "r*" }, new[] { "*_?.log", "data*" }, new[] { "[a-d]*" })
            from path in Gen.Elements(Array.Empty<string>(), new[] { "/alpha" }, new[] { "/beta/*" }, new[] { "/alpha/deep", "/gamma" })
            from state in Gen.Elements(FindingState.Present, FindingState.Removed, FindingState.All)
            select new FindingQuery
            {
                Extension = ext,
                MinSize = min,
                MaxSize = max,
                ModifiedAfter = days is int d ? KnownCatalog.Epoch.AddDays(d) : null,
                Name = name,
                Path = path.Select(p => _catalog.Root + p).ToArray(),
                State = state,
            };

        Prop.ForAll(Arb.From(queries), q =>
        {
            var names = q.Name.Select(n => new ScanTools.Matching.WildcardPattern(n, true)).ToList();
            var paths = q.Path.Select(p => new ScanTools.Matching.WildcardPattern(p, PathComparison.IgnoreCase)).ToList();
            List<string> expected = Model(r =>
                (q.Extension.Count == 0 || q.Extension.Any(e => ("." + e.TrimStart('.')).Equals(r.Ext, StringComparison.OrdinalIgnoreCase)))
                && (q.MinSize is not long mn || r.Size >= mn)
                && (q.MaxSize is not long mx || r.Size <= mx)
                && (q.ModifiedAfter is not DateTime after || r.Mtime > after)
                && (names.Count == 0 || names.Any(n => n.IsMatch(r.Name)))
                && (paths.Count == 0 || paths.Any(p => p.HasWildcards ? p.IsMatch(r.FullName) : r.FullName == p.Literal || r.FullName.StartsWith(p.Literal + "/", StringComparison.Ordinal))),
                q.State);
            return expected.SequenceEqual(Sorted(q));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void First_LimitsTheResults_AndSortOrdersThem()
    {
        List<string> bySizeDesc = Query(new FindingQuery { SortBy = FindingSort.Size, Descending = true, First = 5 });
        Assert.Equal(_catalog.Rows.Where(r => !r.Removed).OrderByDescending(r => r.Size).ThenBy(r => r.Dir, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
            .Take(5).Select(r => r.FullName), bySizeDesc);
        Assert.Empty(Query(new FindingQuery { First = 0 }));
    }

    [Fact]
    public void Findings_CarryEveryRecordedProperty()
    {
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);
        KnownCatalog.Row row = _catalog.Rows.First(r => r.Hash is not null && !r.Removed);
        Finding f = reader.FindFiles(new FindingQuery { Path = new[] { row.FullName } }).Single();

        Assert.Equal(row.Name, f.Name);
        Assert.Equal(row.Dir, f.Directory);
        Assert.Equal(row.Ext, f.Extension);
        Assert.Equal(row.Size, f.Length);
        Assert.Equal(row.Mtime, f.LastWriteTimeUtc);
        Assert.Equal(DateTimeKind.Utc, f.LastWriteTimeUtc.Kind);
        Assert.Equal(row.Hash, f.Sha256);
        Assert.Equal(_catalog.FirstRun, f.FirstScanId);
        Assert.False(f.Removed);
    }

    [Theory]
    [InlineData("hash", "ix_files_sha256")]
    [InlineData("removed", "ix_files_removed")]
    [InlineData("path", "SEARCH d USING INDEX")]
    [InlineData("pathwild", "SEARCH d USING INDEX")]
    public void Filters_UseTheirIndex_InsteadOfScanningEveryFile(string filter, string expectedInPlan)
    {
        FindingQuery q = filter switch
        {
            "hash" => new FindingQuery { Hash = new[] { _catalog.SharedHash } },
            "removed" => new FindingQuery { State = FindingState.Removed },
            "path" => new FindingQuery { Path = new[] { _catalog.Root + "/alpha" } },
            _ => new FindingQuery { Path = new[] { _catalog.Root + "/beta/*.txt" } },
        };
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);

        IReadOnlyList<string> plan = reader.ExplainFindFiles(q);

        Assert.Contains(plan, step => step.Contains(expectedInPlan, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN f", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultOrder_Streams_WithoutSortingEveryRowFirst()
    {
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);
        IReadOnlyList<string> plan = reader.ExplainFindFiles(new FindingQuery { First = 10 });
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public void BadFilters_AreRejected_BeforeAnyQueryRuns()
    {
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);
        Assert.Contains("64 hexadecimal", Assert.Throws<ArgumentException>(() => reader.FindFiles(new FindingQuery { Hash = new[] { "abc" } })).Message);
        Assert.Contains("MinSize", Assert.Throws<ArgumentException>(() => reader.FindFiles(new FindingQuery { MinSize = 10, MaxSize = 1 })).Message);
        Assert.Throws<ArgumentException>(() => reader.FindFiles(new FindingQuery { Name = new[] { "[unclosed" } }));
    }

    /// <summary>
    /// Many files by path (more than 16: piped in) go to SQLite as one list, not one OR term each (8,000 took 6 s);
    /// the answer is the same, with a folder among them, files the catalog lacks, and a name no JSON can carry.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Many_file_paths_select_exactly_those_files(bool withUnpairedSurrogate)
    {
        var files = _catalog.Rows.Where((_, k) => k % 3 == 0).Select(r => r.FullName).ToList();
        var asked = files.Concat(new[] { _catalog.Root + "/beta/x", _catalog.Root + "/alpha/none.txt", _catalog.Root + "/nowhere/report.log" })
            .Concat(withUnpairedSurrogate ? new[] { _catalog.Root + "/beta/bad\uD800.txt" } : Array.Empty<string>()).ToList();
        Assert.True(files.Count > 16);

        List<string> result = Query(new FindingQuery { Path = asked.Select(ScanTools.Matching.WildcardPattern.Escape).ToArray() });

        Assert.Equal(Model(r => files.Contains(r.FullName) || r.Dir == _catalog.Root + "/beta/x"), result.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void UserInput_IsBoundNotSpliced()
    {
        using CatalogReader reader = CatalogReader.Open(_catalog.Db);
        Assert.Empty(reader.FindFiles(new FindingQuery { Name = new[] { "x' OR 1=1 --" }, Extension = new[] { "') OR 1=1 --" } }));
        Assert.NotEmpty(reader.FindFiles(new FindingQuery()).Take(1)); // and the catalog is intact
    }

    /// <summary>Writes a known set of records once for the whole class.</summary>
    public sealed class KnownCatalog : IDisposable
    {
        public static readonly DateTime Epoch = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        private readonly TempDirectory _t = new();

        public KnownCatalog()
        {
            Db = _t.Db();
            Root = "/data";
            string[] dirs = { "/alpha", "/alpha/deep", "/alpha/deep/er", "/beta", "/beta/x", "/gamma" };
            string[] names = { "report", "Report_final", "data", "data_1", "notes", "archive", "cache", "README", "b_2" };
            string[] exts = { ".log", ".txt", ".TXT", ".bin", "" };
            SharedHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("shared"u8));
            var rows = new List<Row>();
            int i = 0;
            foreach (string d in dirs)
            {
                foreach (string n in names)
                {
                    foreach (string e in exts)
                    {
                        i++;
                        string? hash = i % 7 == 0 ? SharedHash : i % 5 == 0 ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))) : null;
                        rows.Add(new Row(Root + d, n + e, e, i * 37 % 1000, Epoch.AddHours(i * 3), hash, Removed: false));
                    }
                }
            }
            var registry = new WriterSessionRegistry();
            var first = Guid.NewGuid();
            var second = Guid.NewGuid();
            using (WriterSessionLease lease = registry.Acquire(Db))
            {
                lease.Write(Writes.Start(first));
                foreach (var group in rows.GroupBy(r => r.Dir))
                {
                    lease.Write(Listing(first, group.Key, group, ListingMode.Walk));
                }
                // A second complete listing of /gamma without every third file: those become removed.
                lease.Write(Writes.Start(second));
                var gamma = rows.Where(r => r.Dir == Root + "/gamma").ToList();
                lease.Write(Listing(second, Root + "/gamma", gamma.Where((_, k) => k % 3 != 0), ListingMode.Walk));
                for (int k = 0; k < gamma.Count; k += 3)
                {
                    rows[rows.IndexOf(gamma[k])] = gamma[k] with { Removed = true };
                }
            }
            registry.CloseAll();
            Rows = rows;
            using CatalogReader reader = CatalogReader.Open(Db);
            FirstRun = reader.GetScanRun(first)!.Id;
        }

        public string Db { get; }

        public string Root { get; }

        public string SharedHash { get; }

        public long FirstRun { get; }

        public IReadOnlyList<Row> Rows { get; }

        private static DirectoryListing Listing(Guid run, string dir, IEnumerable<Row> rows, ListingMode mode) => new()
        {
            RunKey = run,
            DirectoryPath = dir,
            Mode = mode,
            IsComplete = true,
            Files = rows.Select(r => new FileRecord(dir, r.Name)
            {
                Length = r.Size,
                LastWriteTimeUtc = r.Mtime,
                Attributes = FileAttributes.Normal,
                Sha256Bytes = r.Hash is null ? null : Convert.FromHexString(r.Hash),
            }).ToList(),
        };

        public void Dispose() => _t.Dispose();

        public sealed record Row(string Dir, string Name, string Ext, long Size, DateTime Mtime, string? Hash, bool Removed)
        {
            public string FullName => Dir + "/" + Name;
        }
    }

    private List<string> Sorted(FindingQuery q) => Query(q).Order(StringComparer.Ordinal).ToList();
}
