using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Tests.Sessions;

public sealed class CatalogWriteCodecTests
{
    private static List<CatalogWrite> RoundTrip(IReadOnlyList<CatalogWrite> writes)
    {
        using var ms = new MemoryStream();
        using (BinaryWriter w = CatalogWriteCodec.Writer(ms))
        {
            CatalogWriteCodec.Write(w, writes);
        }
        ms.Position = 0;
        using BinaryReader r = CatalogWriteCodec.Reader(ms);
        List<CatalogWrite> back = CatalogWriteCodec.ReadAll(r);
        Assert.Equal(ms.Length, ms.Position); // nothing left over
        return back;
    }

    [Fact]
    public void EveryKindOfWrite_SurvivesTheWireUnchanged()
    {
        var run = Guid.NewGuid();
        var t = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        var start = new ScanRunStart { RunKey = run, StartedUtc = t, Kind = "Scan", Host = "h", User = "u", ProcessId = 42, Roots = new[] { "/a", "/b" }, OptionsJson = "{\"Hash\":true}" };
        var listing = new DirectoryListing
        {
            RunKey = run,
            DirectoryPath = "/a/dir",
            Mode = ListingMode.Walk,
            ChunkIndex = 3,
            IsFinalChunk = true,
            IsComplete = true,
            Files = new[]
            {
                new FileRecord("/a/dir", "plain.txt") { Length = 5, LastWriteTimeUtc = t, Attributes = FileAttributes.Normal, Kind = EntryKind.File },
                new FileRecord("/a/dir", "ünï ✓") { Length = 0, LastWriteTimeUtc = t, CreationTimeUtc = t.AddDays(-1), Attributes = FileAttributes.Hidden | FileAttributes.ReparsePoint, UnixStatMode = 0xA1FF, IsLink = true, LinkTarget = "../x", Kind = EntryKind.Symlink },
                new FileRecord("/a/dir", "hashed") { Length = 9, LastWriteTimeUtc = t, Attributes = FileAttributes.ReadOnly, Sha256Bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Kind = EntryKind.File },
            },
            UnrecordedNames = new[] { "excluded.tmp" },
            SubdirectoryNames = new[] { "sub1", "sub2" },
        };
        var errors = new ScanErrorBatch { RunKey = run, Errors = new[] { new ScanError("/a/locked", ScanErrorKind.DirectoryUnreadable, "denied", t) } };
        var end = new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Cancelled, EndedUtc = t, Files = 3, Bytes = 14, Directories = 1, Errors = 1, Message = "stopped" };
        var endWithoutMessage = new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = t, Files = 1 };

        List<CatalogWrite> back = RoundTrip(new CatalogWrite[] { start, listing, errors, end, endWithoutMessage });

        var s = Assert.IsType<ScanRunStart>(back[0]);
        Assert.Equal((start.RunKey, start.StartedUtc, start.Kind, start.Host, start.User, start.ProcessId, start.OptionsJson), (s.RunKey, s.StartedUtc, s.Kind, s.Host, s.User, s.ProcessId, s.OptionsJson));
        Assert.Equal(start.Roots, s.Roots);
        var l = Assert.IsType<DirectoryListing>(back[1]);
        Assert.Equal((listing.DirectoryPath, listing.Mode, listing.ChunkIndex, listing.IsFinalChunk, listing.IsComplete), (l.DirectoryPath, l.Mode, l.ChunkIndex, l.IsFinalChunk, l.IsComplete));
        Assert.Equal(listing.UnrecordedNames, l.UnrecordedNames);
        Assert.Equal(listing.SubdirectoryNames, l.SubdirectoryNames);
        for (int i = 0; i < listing.Files.Count; i++)
        {
            FileRecord a = listing.Files[i], b = l.Files[i];
            Assert.Equal((a.DirectoryName, a.Name, a.Length, a.LastWriteTimeUtc, a.CreationTimeUtc, a.Attributes, a.UnixStatMode, a.IsLink, a.LinkTarget, a.Sha256, a.Kind),
                (b.DirectoryName, b.Name, b.Length, b.LastWriteTimeUtc, b.CreationTimeUtc, b.Attributes, b.UnixStatMode, b.IsLink, b.LinkTarget, b.Sha256, b.Kind));
        }
        var e = Assert.IsType<ScanErrorBatch>(back[2]);
        Assert.Equal(("/a/locked", ScanErrorKind.DirectoryUnreadable, "denied", t), (e.Errors[0].FullName, e.Errors[0].Kind, e.Errors[0].Message, e.Errors[0].OccurredUtc));
        var en = Assert.IsType<ScanRunEnd>(back[3]);
        Assert.Equal((end.Status, end.EndedUtc, end.Files, end.Bytes, end.Directories, end.Errors, end.Message), (en.Status, en.EndedUtc, en.Files, en.Bytes, en.Directories, en.Errors, en.Message));
        Assert.Null(Assert.IsType<ScanRunEnd>(back[4]).Message);
    }

    [Fact]
    public void TruncatedOrCorruptInput_IsRejected_NeverMisread()
    {
        var run = Guid.NewGuid();
        using var ms = new MemoryStream();
        using (BinaryWriter w = CatalogWriteCodec.Writer(ms))
        {
            CatalogWriteCodec.Write(w, new CatalogWrite[] { new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow } });
        }
        byte[] good = ms.ToArray();
        var random = new Random(7);
        for (int cut = 0; cut < good.Length; cut++)
        {
            Assert.ThrowsAny<Exception>(() => CatalogWriteCodec.ReadAll(CatalogWriteCodec.Reader(new MemoryStream(good, 0, cut))));
        }
        byte[] huge = (byte[])good.Clone();
        BitConverter.TryWriteBytes(huge.AsSpan(0, 4), int.MaxValue);
        Assert.Throws<InvalidDataException>(() => CatalogWriteCodec.ReadAll(CatalogWriteCodec.Reader(new MemoryStream(huge))));
        byte[] badTag = (byte[])good.Clone();
        badTag[4] = 99;
        Assert.Throws<InvalidDataException>(() => CatalogWriteCodec.ReadAll(CatalogWriteCodec.Reader(new MemoryStream(badTag))));
    }
}
