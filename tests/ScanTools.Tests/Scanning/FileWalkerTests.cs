using System.Security.Cryptography;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

public sealed class FileWalkerTests : IDisposable
{
    private readonly TempDirectory _t = new();

    public void Dispose() => _t.Dispose();

    private static RecordingSink Walk(ScanOptions options, bool useStatx = true, Action<string>? entryListed = null)
    {
        var sink = new RecordingSink();
        var walker = new FileWalker(options, Guid.NewGuid(), useStatx) { EntryListed = entryListed };
        walker.Walk(sink);
        return sink;
    }

    private ScanOptions Options(string root, Func<ScanOptions, ScanOptions>? change = null)
    {
        var o = new ScanOptions { Roots = new[] { _t.Combine(root) } };
        return change is null ? o : change(o);
    }

    public static TheoryData<bool> StatPaths => new() { true, false };

    [UnixTheory]
    [MemberData(nameof(StatPaths))]
    public void Walk_RecordsEveryNonDirectoryEntry_ExactlyAsFindListsThem(bool useStatx)
    {
        Trees.BuildMixed(_t);

        RecordingSink sink = Walk(Options("tree"), useStatx);

        ISet<string> expected = Find.NonDirectories(_t.Combine("tree"));
        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal), sink.Paths.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(expected.Count, sink.Records.Count); // nothing recorded twice
        Assert.Empty(sink.Errors);
    }

    [LinuxTheory]
    [InlineData(false)] // the folder itself becomes a link
    [InlineData(true)]  // a folder above it becomes a link after it was listed
    public void AFolderSwappedForALinkAfterItWasListed_IsNotFollowed_ItIsReportedAsVanished_AndNothingOutsideTheTreeIsRead(bool parentSwapped)
    {
        _t.File("tree/a/b/f1.txt", "1");
        _t.File("tree/keep.txt", "k");
        string outside = _t.Dir("outside");
        _t.File("outside/b/SECRET.txt", "secret");
        _t.File("outside/SECRET.txt", "secret");
        string a = _t.Combine("tree", "a");
        string b = _t.Combine("tree", "a", "b");
        string trigger = parentSwapped ? b : a; // listed, not yet opened
        int swaps = 0;
        RecordingSink sink = Walk(Options("tree"), entryListed: path =>
        {
            if (path == trigger && Interlocked.Increment(ref swaps) == 1)
            {
                Directory.Move(a, a + ".moved");
                File.CreateSymbolicLink(a, outside);
            }
        });

        Assert.Equal(1, swaps);
        AssertSwapRefused(sink, parentSwapped ? b : a);
    }

    [LinuxFact]
    public void OnAKernelWithoutOpenat2_AFolderSwappedForALink_IsStillNotFollowed()
    {
        _t.File("tree/a/f1.txt", "1");
        _t.File("tree/keep.txt", "k");
        string outside = _t.Dir("outside");
        _t.File("outside/SECRET.txt", "secret");
        string a = _t.Combine("tree", "a");
        LinuxDirectoryReader.Openat2Allowed = false;
        try
        {
            RecordingSink sink = Walk(Options("tree"), entryListed: path =>
            {
                if (path == a && !File.Exists(a + ".moved/f1.txt"))
                {
                    Directory.Move(a, a + ".moved");
                    File.CreateSymbolicLink(a, outside);
                }
            });
            AssertSwapRefused(sink, a);
        }
        finally
        {
            LinuxDirectoryReader.Openat2Allowed = true;
        }
    }

    private void AssertSwapRefused(RecordingSink sink, string swapped)
    {
        Assert.DoesNotContain(sink.Paths, p => p.Contains("SECRET", StringComparison.Ordinal));
        Assert.Contains(_t.Combine("tree", "keep.txt"), sink.Paths);
        ScanError vanished = Assert.Single(sink.Errors);
        Assert.Equal(swapped, vanished.FullName);
        Assert.Equal(ScanErrorKind.DirectoryVanished, vanished.Kind);
        Assert.Contains("replaced by a symbolic link", vanished.Message);
    }

    [LinuxFact]
    public void AFileReplacedByAFifoBetweenItsStatAndItsRead_IsReportedAndSkipped_AndTheWalkGoesOn()
    {
        // A FIFO without a writer makes open(2) wait forever: anyone who can write a scanned folder could stall a scan.
        string swapped = _t.File("tree/swapped.txt", "x\n");
        _t.File("tree/other.txt", "y\n");
        var options = Options("tree", o => o with { Hash = true, Rules = ScanTools.Rules.RuleSet.Builtin });
        var sink = new RecordingSink();
        var walker = new FileWalker(options, Guid.NewGuid()) { ContentOpening = path =>
        {
            if (path == swapped)
            {
                File.Delete(path);
                Trees.MkFifo(path);
            }
        } };
        Task walk = Task.Run(() => walker.Walk(sink));
        Assert.True(walk.Wait(TimeSpan.FromSeconds(60)), "The walk hangs on the FIFO put where a file was.");

        FileRecord other = Assert.Single(sink.Records);
        Assert.Equal("other.txt", other.Name);
        Assert.Equal(Convert.ToHexString(SHA256.HashData("y\n"u8)), Convert.ToHexString(other.Sha256Bytes!));
        ScanError error = Assert.Single(sink.Errors);
        Assert.Equal(ScanErrorKind.FileVanished, error.Kind);
        Assert.Equal(swapped, error.FullName);
        Assert.Contains("not a regular file", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void AFileReplacedByALinkBetweenItsStatAndItsRead_IsNotReadThroughTheLink()
    {
        // Between the stat and the read a link to a file the scan should not read (/etc/shadow when root scans) takes the file's
        // place: its content must not be hashed or matched under the file's name.
        string swapped = _t.File("tree/swapped.txt", "x\n");
        string secret = _t.File("elsewhere/secret.txt", "password = Tr0ub4dor&3xyz\n");
        var options = Options("tree", o => o with { Hash = true });
        var sink = new RecordingSink();
        var walker = new FileWalker(options, Guid.NewGuid()) { ContentOpening = path =>
        {
            if (path == swapped)
            {
                File.Delete(path);
                File.CreateSymbolicLink(path, secret);
            }
        } };
        walker.Walk(sink);

        Assert.Empty(sink.Records);
        ScanError error = Assert.Single(sink.Errors);
        Assert.Equal(ScanErrorKind.FileVanished, error.Kind);
    }

    [LinuxFact]
    public void WithFollowSymlink_AFollowedLinkToAFileIsStillReadThroughTheLink()
    {
        _t.File("target/real.txt", "z\n");
        Directory.CreateDirectory(_t.Combine("tree"));
        File.CreateSymbolicLink(_t.Combine("tree", "link.txt"), _t.Combine("target", "real.txt"));

        RecordingSink sink = Walk(Options("tree", o => o with { Hash = true, FollowSymlinks = true }));

        FileRecord link = Assert.Single(sink.Records);
        Assert.Equal(Convert.ToHexString(SHA256.HashData("z\n"u8)), Convert.ToHexString(link.Sha256Bytes!));
        Assert.Empty(sink.Errors);
    }

    [LinuxFact]
    public void WalkerThreadsRunFiveNiceLevelsBelowTheProcess_SoTheWriterTheyFeedGoesFirst()
    {
        _t.File("tree/a.txt", "a");
        int before = WalkerPriority.CurrentNice()!.Value;
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();

        Walk(Options("tree"), entryListed: _ => seen.Add(WalkerPriority.CurrentNice()!.Value));

        Assert.NotEmpty(seen);
        Assert.All(seen, nice => Assert.Equal(Math.Min(19, before + WalkerPriority.NiceLevels), nice));
        Assert.Equal(before, WalkerPriority.CurrentNice()); // the caller's thread (a writer's, a pipeline's) keeps its own
    }

    [Fact]
    public void Walk_IncludesHiddenFilesAndDotFolders()
    {
        _t.File("tree/.hidden");
        _t.File("tree/.dot-folder/inside.txt");

        RecordingSink sink = Walk(Options("tree"));

        Assert.Contains(_t.Combine("tree", ".hidden"), sink.Paths);
        Assert.Contains(_t.Combine("tree", ".dot-folder", "inside.txt"), sink.Paths);
        FileRecord hidden = sink.Records.Single(r => r.Name == ".hidden");
        Assert.True(hidden.Attributes.HasFlag(FileAttributes.Hidden));
    }

    [Fact]
    public void Walk_RecordsMetadataAsTheFileSystemReportsIt()
    {
        string path = _t.File("tree/data.csv", "12345");
        var mtime = new DateTime(2020, 5, 17, 10, 30, 15, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, mtime);

        FileRecord r = Walk(Options("tree")).Records.Single();

        Assert.Equal(5, r.Length);
        Assert.Equal(mtime, r.LastWriteTimeUtc);
        Assert.Equal(".csv", r.Extension);
        Assert.Equal(_t.Combine("tree"), r.DirectoryName);
        Assert.False(r.IsLink);
        Assert.Equal(EntryKind.File, r.Kind);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal((int)File.GetUnixFileMode(path), r.UnixStatMode!.Value & 0xFFF);
            Assert.Equal(0x8000, r.UnixStatMode!.Value & 0xF000);
        }
    }

    [UnixFact]
    public void Walk_DoesNotEnterDirectoryLinks_UnlessAsked_AndRecordsTheLinkItself()
    {
        _t.File("target/inside.txt");
        _t.Dir("tree");
        Directory.CreateSymbolicLink(_t.Combine("tree", "link"), _t.Combine("target"));

        RecordingSink sink = Walk(Options("tree"));

        FileRecord link = Assert.Single(sink.Records);
        Assert.Equal("link", link.Name);
        Assert.True(link.IsLink);
        Assert.Equal(_t.Combine("target"), link.LinkTarget);
        Assert.Equal(EntryKind.Symlink, link.Kind);
    }

    [UnixFact]
    public void Walk_FollowingLinks_EntersLinkedFolders_ReportsLoops_AndMatchesFindL()
    {
        _t.File("tree/a/file1.txt");
        _t.File("other/file2.txt");
        Directory.CreateSymbolicLink(_t.Combine("tree", "a", "to-other"), _t.Combine("other"));
        Directory.CreateSymbolicLink(_t.Combine("tree", "a", "loop-to-tree"), _t.Combine("tree"));
        Directory.CreateSymbolicLink(_t.Combine("other", "back-to-a"), _t.Combine("tree", "a"));
        File.CreateSymbolicLink(_t.Combine("tree", "file-link"), _t.Combine("other", "file2.txt"));

        RecordingSink sink = Walk(Options("tree", o => o with { FollowSymlinks = true }));

        ISet<string> expected = Find.NonDirectories(_t.Combine("tree"), followLinks: true); // find -L refuses loops the same way
        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal), sink.Paths.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Contains(_t.Combine("tree", "a", "to-other", "file2.txt"), sink.Paths);
        Assert.Contains(sink.Errors, e => e.Kind == ScanErrorKind.SymlinkLoop && e.FullName == _t.Combine("tree", "a", "loop-to-tree"));
        FileRecord fileLink = sink.Records.Single(r => r.Name == "file-link");
        Assert.True(fileLink.IsLink);
        Assert.Equal(EntryKind.File, fileLink.Kind);
        Assert.Equal(new FileInfo(_t.Combine("other", "file2.txt")).Length, fileLink.Length);
    }

    [UnixFact]
    public void Walk_UnreadableFolder_BecomesAnErrorItem_AndEverythingElseIsWalked()
    {
        _t.File("tree/ok/readable.txt");
        _t.File("tree/locked/secret.txt");
        _t.File("tree/z.txt");
        Trees.Chmod(_t.Combine("tree", "locked"), "000");
        string root = _t.Combine("tree");

        HashSet<string> files;
        List<(string Path, string Kind)> errors;
        if (ChildProcess.IsRoot)
        {
            // Root reads anything; walk as an unprivileged user in a real child process instead.
            var (exit, lines, stderr) = ChildProcess.Run(new[] { "walk", root }, asNobody: true);
            Assert.True(exit == 0, stderr);
            files = lines.Where(l => l.GetProperty("type").GetString() == "file").Select(l => l.GetProperty("path").GetString()!).ToHashSet();
            errors = lines.Where(l => l.GetProperty("type").GetString() == "error")
                .Select(l => (l.GetProperty("path").GetString()!, l.GetProperty("kind").GetString()!)).ToList();
        }
        else
        {
            RecordingSink sink = Walk(new ScanOptions { Roots = new[] { root } });
            files = sink.Paths.ToHashSet();
            errors = sink.Errors.Select(e => (e.FullName, e.Kind.ToString())).ToList();
        }

        Assert.Equal(new[] { (_t.Combine("tree", "locked"), nameof(ScanErrorKind.DirectoryUnreadable)) }, errors);
        Assert.Equal(new[] { _t.Combine("tree", "ok", "readable.txt"), _t.Combine("tree", "z.txt") }.ToHashSet(), files);
    }

    [LinuxFact]
    public void Walk_FileDeletedBetweenListingAndStat_IsReportedAsVanished_AndNotRecorded()
    {
        _t.File("tree/keep.txt");
        string doomed = _t.File("tree/doomed.txt");

        RecordingSink sink = Walk(Options("tree"), entryListed: p =>
        {
            if (p == doomed)
            {
                File.Delete(p);
            }
        });

        Assert.Equal(new[] { _t.Combine("tree", "keep.txt") }, sink.Paths);
        ScanError e = Assert.Single(sink.Errors);
        Assert.Equal(ScanErrorKind.FileVanished, e.Kind);
        Assert.Equal(doomed, e.FullName);
        // A vanished file must not be listed as "present but unrecorded", or a rescan would keep it alive.
        DirectoryListing final = sink.Listings.Single(l => l.IsFinalChunk);
        Assert.DoesNotContain("doomed.txt", final.UnrecordedNames);
    }

    [LinuxTheory]
    [MemberData(nameof(StatPaths))]
    public void Walk_NameThatIsNotUtf8_IsAnInvalidNameError_AndTheRestIsRecorded(bool useStatx)
    {
        _t.File("tree/fine.txt");
        Trees.CreateInvalidUtf8Name(_t.Combine("tree"));

        RecordingSink sink = Walk(Options("tree"), useStatx);

        Assert.Equal(new[] { _t.Combine("tree", "fine.txt") }, sink.Paths);
        ScanError e = Assert.Single(sink.Errors);
        Assert.Equal(ScanErrorKind.InvalidName, e.Kind);
        Assert.Contains("Rename", e.Message);
        if (useStatx)
        {
            // The native listing has the bytes: the bad one is named, not hidden behind U+FFFD.
            Assert.Equal(_t.Combine("tree", "bad\\xFFname"), e.FullName);
        }
    }

    [LinuxFact]
    public void Walk_FolderNameThatIsNotUtf8_IsOneInvalidNameError_NamingItsBytes_AndItsSiblingsAreRecorded()
    {
        _t.File("tree/ok/a.txt");
        Trees.Sh("cd \"$1\" && mkdir \"$(printf 'Caf\\351')\" \"$(printf 'Caf\\350')\" && touch \"$(printf 'Caf\\351')/deep.bin\"", _t.Combine("tree"));

        try
        {
            RecordingSink sink = Walk(Options("tree"), useStatx: true);

            Assert.Equal(new[] { _t.Combine("tree", "ok", "a.txt") }, sink.Paths);
            Assert.Equal(
                new[] { _t.Combine("tree", "Caf\\xE8"), _t.Combine("tree", "Caf\\xE9") },
                sink.Errors.Select(e => e.FullName).Order(StringComparer.Ordinal));
            Assert.All(sink.Errors, e => Assert.Equal(ScanErrorKind.InvalidName, e.Kind));
        }
        finally
        {
            Trees.RemoveTree(_t.Combine("tree")); // .NET cannot name these folders to delete them
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', 0xFF, (byte)'b' }, "a\\xFFb")]
    [InlineData(new byte[] { 0xC3, 0xA9, (byte)'\\', 0xE9 }, "\u00E9\\\\\\xE9")] // é, a backslash (doubled), a lone Latin-1 é
    [InlineData(new byte[] { 0xE2, 0x82 }, "\\xE2\\x82")] // a cut-off sequence: each byte named
    public void EscapeInvalidUtf8_DecodesWhatIsValid_AndNamesEveryOtherByte(byte[] bytes, string expected) =>
        Assert.Equal(expected, EntryNames.EscapeInvalidUtf8(bytes));

    [LinuxFact]
    public void Walk_PathLongerThanTheSystemAccepts_IsAnError_NotAnException()
    {
        _t.File("tree/short.txt");
        string top = _t.Dir("tree/long");
        try
        {
            Trees.CreateOverlongPath(top, 20); // 20 x 251 characters > 4096

            RecordingSink sink = Walk(Options("tree"));

            Assert.Contains(_t.Combine("tree", "short.txt"), sink.Paths);
            Assert.Contains(sink.Errors, e => e.Kind == ScanErrorKind.PathTooLong);
            Assert.DoesNotContain(sink.Paths, p => p.EndsWith("deepest.txt", StringComparison.Ordinal));
        }
        finally
        {
            Trees.RemoveTree(top);
        }
    }

    [Fact]
    public void Walk_DeepNesting_IsWalkedToTheBottom()
    {
        string rel = "tree";
        for (int i = 0; i < 200; i++)
        {
            rel += "/d" + i;
        }
        string bottom = _t.File(rel + "/bottom.txt");

        RecordingSink sink = Walk(Options("tree"));

        Assert.Equal(new[] { bottom }, sink.Paths);
        Assert.Equal(201, sink.Listings.Count(l => l.IsFinalChunk));
    }

    [Fact]
    public void Walk_Exclude_DropsMatchingNamesAndRelativePaths_AndDoesNotEnterExcludedFolders()
    {
        _t.File("tree/keep.txt");
        _t.File("tree/drop.tmp");
        _t.File("tree/node_modules/pkg/index.js");
        _t.File("tree/src/obj/out.dll");
        _t.File("tree/src/main.cs");
        _t.File("tree/other/obj/kept.dll");

        RecordingSink sink = Walk(Options("tree", o => o with { Exclude = new[] { "*.TMP", "node_modules", "src/obj" } }));

        Assert.Equal(
            new[] { "tree/keep.txt", "tree/other/obj/kept.dll", "tree/src/main.cs" }.Select(p => _t.Combine(p.Split('/'))).Order(StringComparer.Ordinal),
            sink.Paths.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(sink.Listings, l => l.DirectoryPath.Contains("node_modules", StringComparison.Ordinal));
        // Excluded entries still exist: the listing says so, so a rescan does not mark them removed.
        DirectoryListing top = sink.Listings.Single(l => l.DirectoryPath == _t.Combine("tree"));
        Assert.Contains("drop.tmp", top.UnrecordedNames);
        Assert.Contains("node_modules", top.SubdirectoryNames);
    }

    [Fact]
    public void Exclude_WithALeadingSeparator_IsAnchoredAtTheRoot()
    {
        _t.File("tree/build/out.o");
        _t.File("tree/src/build/keep.o");

        RecordingSink sink = Walk(Options("tree", o => o with { Exclude = new[] { "/build" } }));

        Assert.Equal(new[] { _t.Combine("tree", "src", "build", "keep.o") }, sink.Paths);
    }

    [Theory]
    [InlineData(0, new[] { "top.txt" })]
    [InlineData(1, new[] { "top.txt", "a/one.txt" })]
    [InlineData(2, new[] { "top.txt", "a/one.txt", "a/b/two.txt" })]
    public void Walk_MaxDepth_LimitsHowManyLevelsAreEntered(int depth, string[] expected)
    {
        _t.File("tree/top.txt");
        _t.File("tree/a/one.txt");
        _t.File("tree/a/b/two.txt");
        _t.File("tree/a/b/c/three.txt");

        RecordingSink sink = Walk(Options("tree", o => o with { MaxDepth = depth }));

        Assert.Equal(expected.Select(p => _t.Combine(new[] { "tree" }.Concat(p.Split('/')).ToArray())).Order(StringComparer.Ordinal),
            sink.Paths.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Walk_Hash_IsTheSha256OfTheContent_AndSpecialFilesAreNeverOpened()
    {
        string a = _t.File("tree/a.bin", new string('a', 3_000_000)); // spans several read blocks
        string empty = _t.File("tree/empty.txt", string.Empty);
        if (!OperatingSystem.IsWindows())
        {
            Trees.MkFifo(_t.Combine("tree", "fifo")); // opening it for reading would block forever
        }

        RecordingSink sink = Walk(Options("tree", o => o with { Hash = true }));

        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(a))), sink.Records.Single(r => r.Name == "a.bin").Sha256);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Array.Empty<byte>())), sink.Records.Single(r => r.Name == "empty.txt").Sha256);
        if (!OperatingSystem.IsWindows())
        {
            FileRecord fifo = sink.Records.Single(r => r.Name == "fifo");
            Assert.Null(fifo.Sha256);
            Assert.Equal(EntryKind.Special, fifo.Kind);
        }
    }

    [Fact]
    public void Walk_BigFolder_IsSplitIntoOrderedChunks_OnlyTheLastCarryingTheNames()
    {
        for (int i = 0; i < 25; i++)
        {
            _t.File($"tree/f{i:D2}.txt");
        }
        _t.Dir("tree/sub");

        RecordingSink sink = Walk(Options("tree", o => o with { ChunkSize = 10 }));

        var chunks = sink.Listings.Where(l => l.DirectoryPath == _t.Combine("tree")).OrderBy(l => l.ChunkIndex).ToList();
        Assert.Equal(new[] { 0, 1, 2 }, chunks.Select(c => c.ChunkIndex));
        Assert.Equal(new[] { 10, 10, 5 }, chunks.Select(c => c.Files.Count));
        Assert.Equal(new[] { false, false, true }, chunks.Select(c => c.IsFinalChunk));
        Assert.True(chunks[2].IsComplete);
        Assert.Equal(new[] { "sub" }, chunks[2].SubdirectoryNames);
    }

    [Fact]
    public void Walk_SeveralRoots_WalksEach_AndANestedRootOnlyOnce()
    {
        _t.File("one/a.txt");
        _t.File("one/inner/b.txt");
        _t.File("two/c.txt");

        RecordingSink sink = Walk(new ScanOptions { Roots = new[] { _t.Combine("one"), _t.Combine("two"), _t.Combine("one", "inner") } });

        Assert.Equal(3, sink.Records.Count);
        Assert.Equal(3, sink.Paths.Count);
        AssertEachFolderListedOnce(sink);
    }

    /// <summary>Every folder's listing is handed over once: one final chunk per folder.</summary>
    private static void AssertEachFolderListedOnce(RecordingSink sink)
    {
        var finals = sink.Listings.Where(l => l.IsFinalChunk).Select(l => l.DirectoryPath).ToList();
        Assert.Equal(finals.Distinct(StringComparer.Ordinal).Count(), finals.Count);
    }

    /// <summary>The files directly in <paramref name="folder"/> and up to <paramref name="depth"/> levels below, where no folder on the way is named <paramref name="leftOut"/>.</summary>
    private static IEnumerable<string> FilesBelow(string folder, int depth, string? leftOut = null) =>
        Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f =>
            {
                string[] parts = Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar);
                return parts.Length - 1 <= depth && !parts.SkipLast(1).Contains(leftOut);
            });

    [Fact]
    public void Walk_ARootInsideAnotherRoot_IsWalkedAsItsOwnRoot_WithMaxDepthCountedFromIt()
    {
        _t.File("nest/top");
        _t.File("nest/a/one");
        _t.File("nest/a/b/c/deep");
        _t.File("nest/a/b/c/d/deeper");
        _t.File("nest/a/b/c/d/e/deepest");
        string outer = _t.Combine("nest"), inner = _t.Combine("nest", "a", "b", "c");

        foreach (int depth in new[] { 0, 1 })
        {
            RecordingSink sink = Walk(new ScanOptions { Roots = new[] { outer, inner }, MaxDepth = depth });

            var expected = FilesBelow(outer, depth).Union(FilesBelow(inner, depth)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, sink.Records.Select(r => r.FullName).Order(StringComparer.Ordinal));
            AssertEachFolderListedOnce(sink);
        }
    }

    [Fact]
    public void Walk_ARootInsideAnotherRoot_IsNotLeftOutByTheOuterRootsExcludeOrIgnoreRules()
    {
        _t.File("proj/a.txt");
        _t.File("proj/node_modules/m.js");
        _t.File("proj/node_modules/dep/node_modules/n.js");
        _t.File("proj/sub/node_modules/s.js");
        File.WriteAllText(_t.Combine("proj", ".gitignore"), "/node_modules/\n");
        string outer = _t.Combine("proj"), inner = _t.Combine("proj", "node_modules");

        foreach (ScanOptions options in new[]
        {
            new ScanOptions { Roots = new[] { outer, inner }, Exclude = new[] { "node_modules" } },
            new ScanOptions { Roots = new[] { inner, outer }, Exclude = new[] { "node_modules" } },
            new ScanOptions { Roots = new[] { outer, inner }, Exclude = new[] { "node_modules" }, IgnoreFileName = new[] { ".gitignore" } },
        })
        {
            RecordingSink sink = Walk(options);

            // -Exclude applies within each root: the outer root leaves out every node_modules, the inner one those below it.
            var expected = FilesBelow(outer, int.MaxValue, "node_modules").Union(FilesBelow(inner, int.MaxValue, "node_modules")).Order(StringComparer.Ordinal);
            Assert.Equal(expected, sink.Records.Select(r => r.FullName).Order(StringComparer.Ordinal));
            Assert.Contains(_t.Combine("proj", "node_modules", "m.js"), sink.Paths);
            AssertEachFolderListedOnce(sink);
        }
    }

    [Fact]
    public void NormalizedRoots_KeepsARootInsideAnother_AndDropsOnlyRepeats()
    {
        string outer = _t.Combine("x"), inner = _t.Combine("x", "y");
        var options = new ScanOptions { Roots = new[] { inner, outer, outer + Path.DirectorySeparatorChar, inner } };

        Assert.Equal(new[] { inner, outer }.Order(StringComparer.Ordinal), options.NormalizedRoots().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Walk_MissingRoot_IsAnError_AndTheOtherRootsAreWalked()
    {
        _t.File("present/a.txt");

        RecordingSink sink = Walk(new ScanOptions { Roots = new[] { _t.Combine("absent"), _t.Combine("present") } });

        Assert.Single(sink.Records);
        ScanError e = Assert.Single(sink.Errors);
        Assert.Equal(ScanErrorKind.RootNotFound, e.Kind);
        Assert.Equal(_t.Combine("absent"), e.FullName);
    }

    [Fact]
    public void Walk_RunsUpToThrottleLimitFoldersAtOnce_AndNeverMore()
    {
        for (int i = 0; i < 12; i++)
        {
            _t.File($"tree/d{i}/f.txt");
        }
        const int limit = 3;
        int inside = 0, most = 0;
        using var allIn = new CountdownEvent(limit);
        var sink = new RecordingSink
        {
            BeforeListing = _ =>
            {
                int now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                if (!allIn.IsSet)
                {
                    allIn.Signal();
                    // Hold this worker until `limit` workers are inside at once: proves they run in parallel.
                    allIn.Wait(TimeSpan.FromSeconds(10));
                }
                Interlocked.Decrement(ref inside);
            },
        };

        new FileWalker(Options("tree", o => o with { ThrottleLimit = limit }), Guid.NewGuid()).Walk(sink);

        Assert.True(allIn.IsSet, "the walker never had 3 folders in progress at once");
        Assert.True(most <= limit, $"{most} folders were in progress at once; the limit is {limit}");
        Assert.Equal(12, sink.Records.Count);
    }

    [Fact]
    public void Walk_Cancelled_StopsAndThrows()
    {
        for (int i = 0; i < 200; i++)
        {
            _t.File($"tree/d{i}/f.txt");
        }
        using var cts = new CancellationTokenSource();
        int listings = 0, afterCancel = 0;
        bool cancelled = false;
        var sink = new RecordingSink
        {
            BeforeListing = _ =>
            {
                if (Volatile.Read(ref cancelled))
                {
                    Interlocked.Increment(ref afterCancel);
                }
                if (Interlocked.Increment(ref listings) == 5)
                {
                    cts.Cancel();
                    Volatile.Write(ref cancelled, true); // from here the walk's own token is cancelled too
                }
            },
        };

        Assert.ThrowsAny<OperationCanceledException>(() => new FileWalker(Options("tree", o => o with { ThrottleLimit = 2 }), Guid.NewGuid()).Walk(sink, cts.Token));
        // Once Cancel has returned, a worker finishes at most the folder it is in: one more listing each.
        // (Counting from the call instead is racy: a preempted Cancel lets the other worker go on meanwhile.)
        Assert.InRange(afterCancel, 0, 2);
        Assert.InRange(sink.Listings.Count, 5, 199);
    }

    [Fact]
    public void Options_Validate_RejectsWhatCannotWork_WithAMessageThatSaysWhy()
    {
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => new ScanOptions().Validate()).Message);
        Assert.Contains("full path", Assert.Throws<ArgumentException>(() => new ScanOptions { Roots = new[] { "relative/dir" } }.Validate()).Message);
        Assert.Contains("ThrottleLimit", Assert.Throws<ArgumentException>(() => Options("x", o => o with { ThrottleLimit = 0 }).Validate()).Message);
        Assert.Contains("MaxDepth", Assert.Throws<ArgumentException>(() => Options("x", o => o with { MaxDepth = -1 }).Validate()).Message);
        Assert.Contains("[", Assert.Throws<ArgumentException>(() => Options("x", o => o with { Exclude = new[] { "bad[" } }).Validate()).Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
