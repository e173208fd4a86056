using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

/// <summary>Which run ids a catalog does not hold: what Get-Finding and Get-ScanError report as InvalidFilter.</summary>
public sealed class MissingRunsTests : CatalogTest
{
    [Fact]
    public void TheIdsOfNoRun_AreMissing_EachOnce_InTheOrderGiven()
    {
        string root = T.Dir("tree");
        T.File("tree/a.txt", "a");
        string db = T.Db();
        var held = new List<long>();
        for (int i = 0; i < 2; i++)
        {
            held.Add(ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = Registry }).Id);
        }
        long after = held.Max() + 1;

        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(held.Order(), reader.GetScanRuns().Select(r => r.Id).Order()); // the ground truth: the runs the test made
        Assert.Equal(new[] { after, 0L }, reader.MissingRuns(new[] { after, held[0], 0L, after, held[1] }));
        Assert.Empty(reader.MissingRuns(held));
        Assert.Empty(reader.MissingRuns(Array.Empty<long>()));
        ScanArgumentException error = CatalogReader.NoRunError(new[] { after });
        Assert.Contains($"no run {after}", error.Message, StringComparison.Ordinal);
        Assert.Equal(ScanTools.Hosting.ScanExitCode.BadArguments, error.ExitCode);
    }

    [Fact]
    public void The_error_for_many_missing_runs_names_the_first_ten_and_counts_the_rest()
    {
        string message = CatalogReader.NoRunError(Enumerable.Range(1_000, 33_000).Select(i => (long)i)).Message;
        Assert.Contains("no run 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009 and 32,990 more (", message, StringComparison.Ordinal);
        Assert.DoesNotContain("1010", message, StringComparison.Ordinal);
        Assert.True(message.Length < 300, message);
    }
}
