using ScanTools.Hosting;

namespace ScanTools.Tests.Hosting;

public sealed class CatalogLocationTests
{
    private static readonly string Here = OperatingSystem.IsWindows() ? @"C:\work\here" : "/work/here";

    [Fact]
    public void Parameter_WinsOverEverything_AndRelativePathsStartAtTheCallersLocation()
    {
        CatalogLocation c = CatalogLocation.Resolve(Path.Combine("..", "cat.db"), Here, environmentValue: "/elsewhere/env.db");

        Assert.Equal(CatalogSource.Parameter, c.Source);
        Assert.Equal(Path.GetFullPath(Path.Combine(Here, "..", "cat.db")), c.Path);
    }

    [Fact]
    public void EnvironmentVariable_IsUsedWhenNoParameterIsGiven()
    {
        CatalogLocation c = CatalogLocation.Resolve(null, Here, environmentValue: "env.db");

        Assert.Equal(CatalogSource.Environment, c.Source);
        Assert.Equal(Path.Combine(Here, "env.db"), c.Path);
    }

    [Fact]
    public void Default_IsAPerUserFileInLocalApplicationData()
    {
        CatalogLocation c = CatalogLocation.Resolve("  ", Here, environmentValue: "");

        Assert.Equal(CatalogSource.Default, c.Source);
        string appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        Assert.Equal(Path.Combine(appData, "ScanTools", "catalog.db"), c.Path);
        Assert.Contains("per-user default", c.ToString());
    }
}

public sealed class PresentationTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KB")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GB")]
    [InlineData(250L * 1024 * 1024, "250 MB")]
    public void ByteSize_IsHumanReadable(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));

    [Fact]
    public void ProgressStatus_SaysElapsedFilesBytesRateErrorsAndTheFolder_InTheOneLineTheMinimalViewShows()
    {
        var p = new ScanTools.Scanning.ScanProgressSnapshot(12_345, 3 * 1024 * 1024, 10, 1, "/srv/data", TimeSpan.FromSeconds(3725), 6_172.5);

        Assert.Equal("1:02:05 12,345 files, 3.0 MB, 6,172 files/s, 1 error - /srv/data", ProgressText.Status(p));
        Assert.Equal("/srv/data", ProgressText.CurrentOperation(p));
        Assert.Equal("Start-Scan /a and 2 more", ProgressText.Activity(new[] { "/a", "/b", "/c" }));
    }

    [Fact]
    public void AStoppedRun_IsSummedUpInOneLine()
    {
        var run = new ScanTools.Storage.ScanRun
        {
            Id = 7, RunKey = Guid.NewGuid(), Status = ScanTools.Storage.ScanRunStatus.Cancelled,
            StartedUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), EndedUtc = new DateTime(2026, 1, 1, 0, 0, 42, DateTimeKind.Utc),
            Files = 15_040, Bytes = 2048, Directories = 12, Errors = 0, Message = "Stopped by SIGTERM.",
        };

        string line = ProgressText.Stopped(run);

        Assert.Equal("Scan 7 stopped after 0:00:42: kept 15,040 files (2.0 KB) in 12 folders, 0 error items. Stopped by SIGTERM.", line);
        Assert.DoesNotContain('\n', line);
        // Under 10 s, tenths: a run stopped within a second read "stopped after 0:00:00".
        ScanTools.Storage.ScanRun After(int milliseconds) => new()
        {
            Id = 7, RunKey = run.RunKey, Status = run.Status, StartedUtc = run.StartedUtc, EndedUtc = run.StartedUtc.AddMilliseconds(milliseconds),
            Files = 3, Directories = 1, Message = "Stopped by SIGTERM.",
        };
        Assert.StartsWith("Scan 7 stopped after 0:00:00.8: ", ProgressText.Stopped(After(860)));
        Assert.StartsWith("Scan 7 stopped after 0:00:09.9: ", ProgressText.Stopped(After(9_990)));
    }
}
