using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>
/// Content rules read a file whole and match it as text, 3 to 4 times its size in memory: large files take turns
/// (a newcomer's two 1 GB files on two walkers took a scan to 6.4 GB), and a walker lets go of its buffer after one.
/// </summary>
[Collection(ProcessWideCollection.Name)] // the turn is process-wide: no other test's large read beside these
public sealed class LargeContentTests
{
    [Fact]
    public void A_second_large_read_waits_for_the_first_and_gets_its_turn_when_the_first_ends()
    {
        using var first = new FileHasher();
        using var second = new FileHasher();
        LargeContent.Lease held = LargeContent.Enter(first, CancellationToken.None);
        Assert.True(held.Entered);
        Task<LargeContent.Lease> waiting = Task.Run(() => LargeContent.Enter(second, CancellationToken.None));
        try
        {
            // While the first holds the turn the second cannot have it (this can only miss a broken turn, never fail a working one).
            Assert.False(waiting.Wait(TimeSpan.FromMilliseconds(300)), "a second large read got the turn while the first held it");
        }
        finally
        {
            held.Dispose();
        }
        using LargeContent.Lease next = waiting.Result;
        Assert.True(next.Entered);
    }

    [Fact]
    public void A_read_stopped_while_waiting_for_its_turn_does_not_enter_and_takes_nothing_from_the_holder()
    {
        using var first = new FileHasher();
        using var second = new FileHasher();
        using var stop = new CancellationTokenSource();
        using (LargeContent.Lease held = LargeContent.Enter(first, CancellationToken.None))
        {
            Task<LargeContent.Lease> waiting = Task.Run(() => LargeContent.Enter(second, stop.Token));
            stop.Cancel();
            using LargeContent.Lease stopped = waiting.Result;
            Assert.False(stopped.Entered);
        }
        using LargeContent.Lease again = LargeContent.Enter(second, CancellationToken.None); // the turn was given back once
        Assert.True(again.Entered);
    }

    [LinuxFact]
    public void A_walker_lets_go_of_a_large_files_content_after_its_turn()
    {
        using var t = new TempDirectory();
        string path = Path.Combine(t.Path, "big.txt");
        File.WriteAllBytes(path, new byte[LargeContent.Threshold + 10]);
        Assert.Equal(StatFailure.None, FileStat.TryStat(path, follow: false, out EntryStat stat));
        using var hasher = new FileHasher();
        using (LargeContent.Lease lease = LargeContent.Enter(hasher, CancellationToken.None))
        {
            hasher.Hash(path, stat, CancellationToken.None, digest: false, capture: (int)LargeContent.Threshold + 10);
            Assert.Equal(LargeContent.Threshold + 10, hasher.CapturedLength);
        }
        Assert.Equal(0, hasher.CapturedLength);
        Assert.True(hasher.Captured.IsEmpty);
    }
}
