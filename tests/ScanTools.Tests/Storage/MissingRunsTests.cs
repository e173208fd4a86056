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
}
