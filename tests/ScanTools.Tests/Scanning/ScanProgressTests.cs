using ScanTools.Platform;
using ScanTools.Scanning;
using Xunit;

namespace ScanTools.Tests.Scanning;

/// <summary>The run's byte total counts a hard-linked file's content once, whichever walker thread meets which name.</summary>
public class ScanProgressTests
{
    private static FileRecord Name(long device, long inode, int links, long length, int n) =>
        new("/tree", $"name{n}") { Device = device, Inode = inode, HardLinks = links, Length = length };

    [Fact]
    public void EveryNameOfAHardLinkedFile_FromManyThreads_CountsItsBytesOnce()
    {
        var progress = new ScanProgress();
        const int Files = 20_000, Links = 4;
        // Each file's names, dealt out to 4 threads in an order where different threads meet the same inode at once.
        var names = Enumerable.Range(0, Files).SelectMany(i => Enumerable.Range(0, Links).Select(n => Name(device: i % 3, inode: i / 3, Links, length: i + 1, n))).ToArray();
        long total = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            long mine = 0;
            for (int k = t; k < names.Length; k += 4)
            {
                mine += progress.BytesOnce(names[k]);
            }
            Interlocked.Add(ref total, mine);
        });
        Assert.Equal(Enumerable.Range(1, Files).Sum(i => (long)i), total);
    }

    [Fact]
    public void FilesWithOneName_AndFilesWithoutAnId_CountEveryTime()
    {
        var progress = new ScanProgress();
        Assert.Equal(10, progress.BytesOnce(Name(1, 7, links: 1, length: 10, 0)));
        Assert.Equal(10, progress.BytesOnce(Name(1, 7, links: 1, length: 10, 1)));
        var noId = new FileRecord("/tree", "remote") { HardLinks = 2, Length = 3 };
        Assert.Equal(3, progress.BytesOnce(noId));
        Assert.Equal(3, progress.BytesOnce(noId));
    }

    [Fact]
    public void ASymlinkWithTwoNames_CountsItsBytesOnce_AsDuAndMeasureScanFolderDo()
    {
        // ln of a symlink (ln -P) gives the link itself a second name: du counts its bytes (the target's path) once.
        var progress = new ScanProgress();
        var first = new FileRecord("/tree", "l1") { Device = 1, Inode = 8, HardLinks = 2, Length = 21, IsLink = true, Kind = EntryKind.Symlink };
        var second = new FileRecord("/tree", "l2") { Device = 1, Inode = 8, HardLinks = 2, Length = 21, IsLink = true, Kind = EntryKind.Symlink };
        Assert.Equal(21, progress.BytesOnce(first));
        Assert.Equal(0, progress.BytesOnce(second));
    }

    [Fact]
    public void FollowingSymlinks_EveryLinkedFileIsRemembered_SoALinkToItCountsNothingWhicheverComesFirst()
    {
        // Two names of a file and a followed link to it (the link carries the file's identity and link count, 2):
        // three meetings. Forgetting after two would count the third again.
        var progress = new ScanProgress { RemembersEveryLinkedFile = true };
        Assert.Equal(100, progress.BytesOnce(Name(1, 42, links: 2, length: 100, 0)));
        Assert.Equal(0, progress.BytesOnce(Name(1, 42, links: 2, length: 100, 1)));
        Assert.Equal(0, progress.BytesOnce(Name(1, 42, links: 2, length: 100, 2)));
    }

    [Fact]
    public void AFileIsForgottenOnceAllItsNamesAreMet_SoANameAddedDuringTheWalkCountsAgain()
    {
        // Two links: the first name counts, the second does not, and then nothing of it is kept. A third name (a link
        // made while the walk ran) is met as new content: the price of not keeping every id for the whole walk.
        var progress = new ScanProgress();
        Assert.Equal(100, progress.BytesOnce(Name(1, 42, links: 2, length: 100, 0)));
        Assert.Equal(0, progress.BytesOnce(Name(1, 42, links: 2, length: 100, 1)));
        Assert.Equal(100, progress.BytesOnce(Name(1, 42, links: 3, length: 100, 2)));
        // The same inode on another device is other content.
        Assert.Equal(100, progress.BytesOnce(Name(2, 43, links: 2, length: 100, 0)));
        Assert.Equal(100, progress.BytesOnce(Name(3, 43, links: 2, length: 100, 0)));
    }
}
