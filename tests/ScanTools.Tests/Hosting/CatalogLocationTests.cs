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
    public void ProgressStatus_SaysFilesBytesRateAndErrors()
    {
        var p = new ScanTools.Scanning.ScanProgressSnapshot(12_345, 3 * 1024 * 1024, 10, 2, "/srv/data", TimeSpan.FromSeconds(2), 6_172.5);

        Assert.Equal("12,345 files, 3.0 MB, 6,172 files/s, 2 errors", ProgressText.Status(p));
        Assert.Equal("/srv/data", ProgressText.CurrentOperation(p));
    }

    /// <summary>The names of System.Management.Automation.ErrorCategory (the engine cannot reference PowerShell).</summary>
    private static readonly HashSet<string> ErrorCategories = new()
    {
        "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument", "InvalidData",
        "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError", "NotImplemented", "NotInstalled",
        "ObjectNotFound", "OperationStopped", "OperationTimeout", "SyntaxError", "ParserError", "PermissionDenied",
        "ResourceBusy", "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr",
        "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError", "LimitsExceeded",
        "QuotaExceeded", "NotEnabled",
    };

    [Fact]
    public void EveryErrorKindAndCode_MapsToARealErrorCategory_AndAStableId()
    {
        foreach (var kind in Enum.GetValues<ScanTools.Scanning.ScanErrorKind>())
        {
            Assert.Contains(ErrorMapping.CategoryOf(kind), ErrorCategories);
            Assert.Equal(kind.ToString(), ErrorMapping.IdOf(kind));
        }
        foreach (var code in Enum.GetValues<ScanTools.Storage.CatalogErrorCode>())
        {
            Assert.Contains(ErrorMapping.CategoryOf(code), ErrorCategories);
        }
        Assert.Equal("PermissionDenied", ErrorMapping.CategoryOf(ScanTools.Scanning.ScanErrorKind.DirectoryUnreadable));
        Assert.Equal("CatalogReadOnly", ErrorMapping.IdOf(ScanTools.Storage.CatalogErrorCode.ReadOnly));
    }
}
