using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Scheduling;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Hosting;

/// <summary>What a schedule writes for each scheduler, quoting included, and the exit codes it ends with.</summary>
public sealed class ScheduleTests : IDisposable
{
    private readonly TempDirectory _t = new();

    public void Dispose() => _t.Dispose();

    private static ScanSchedule Schedule(SchedulerKind kind = SchedulerKind.Cron, params DayOfWeek[] days) => new()
    {
        Name = "srv-nightly",
        Roots = new[] { "/srv/it's here", "/data/100%" },
        Database = "/var/lib/scantools/$srv.db",
        At = new TimeOnly(2, 5),
        DaysOfWeek = days,
        Scheduler = kind,
        Hash = true,
        Exclude = new[] { "*.tmp" },
        MaxDepth = 4,
        ModuleManifest = "/opt/ScanTools/ScanTools.psd1",
        PowerShell = new[] { "/usr/share/dotnet/dotnet", "/home/a b/.dotnet/tools/pwsh.dll" },
        ScriptPath = "/home/a b/.local/share/ScanTools/schedules/srv-nightly.ps1",
        LogPath = "/var/log/scan %Y.log",
    };

    [Fact]
    public void CronLine_HasTheTime_SingleQuotedWords_EscapedPercent_TheLog_AndTheMarker()
    {
        Assert.Equal(
            "5 2 * * * '/usr/share/dotnet/dotnet' '/home/a b/.dotnet/tools/pwsh.dll' '-NoProfile' '-NonInteractive' '-File' " +
            "'/home/a b/.local/share/ScanTools/schedules/srv-nightly.ps1' >> '/var/log/scan \\%Y.log' 2>&1 # ScanTools schedule srv-nightly",
            ScheduleText.CronLine(Schedule()));
        Assert.StartsWith("5 2 * * 1,5 ", ScheduleText.CronLine(Schedule(SchedulerKind.Cron, DayOfWeek.Friday, DayOfWeek.Monday)), StringComparison.Ordinal);
    }

    [Fact]
    public void OnlyTheJobLineOfASchedule_IsTakenForIt_NotAUsersCommentEndingLikeIt_NorAnotherSchedulesLine()
    {
        string job = ScheduleText.CronLine(Schedule());
        Assert.True(ScheduleInstaller.IsEntryOf(job, "srv-nightly"));
        Assert.True(ScheduleInstaller.IsEntryOf("  " + job + "  ", "srv-nightly"));
        Assert.False(ScheduleInstaller.IsEntryOf("# my own comment line # ScanTools schedule srv-nightly", "srv-nightly"));
        Assert.False(ScheduleInstaller.IsEntryOf("# " + job, "srv-nightly")); // commented out by its user: theirs now
        Assert.False(ScheduleInstaller.IsEntryOf(job, "nightly")); // "...schedule srv-nightly" is not the schedule "nightly"
        Assert.False(ScheduleInstaller.IsEntryOf(job.Replace("srv-nightly", "x-srv-nightly", StringComparison.Ordinal), "srv-nightly"));
    }

    [Theory]
    [InlineData("/home/a b/.local/share/ScanTools/schedules/srv-nightly.ps1")]
    [InlineData("/home/o'brien/100%/schedules/srv-nightly.ps1")]
    [InlineData("/data/'quoted' $HOME `x`/schedules/srv-nightly.ps1")]
    public void The_script_a_cron_line_runs_is_read_back_as_written(string script)
    {
        // A line of another data folder (XDG_DATA_HOME) that runs an existing script is that folder's, not this one's.
        string line = ScheduleText.CronLine(Schedule() with { ScriptPath = script });
        Assert.Equal(script, ScheduleInstaller.CronScriptOf(line));
        Assert.True(ScheduleInstaller.IsEntryOf(line, "srv-nightly", script));
        Assert.Null(ScheduleInstaller.CronScriptOf("5 2 * * * /usr/bin/true # ScanTools schedule srv-nightly"));
        Assert.True(ScheduleInstaller.IsEntryOf("5 2 * * * /usr/bin/true # ScanTools schedule srv-nightly", "srv-nightly", script)); // names no script: anyone's
    }

    [Fact]
    public void A_cron_line_of_the_same_name_that_runs_another_folders_existing_script_is_not_this_folders()
    {
        using var t = new Support.TempDirectory();
        string other = Path.Combine(t.Path, "other", "srv-nightly.ps1");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        File.WriteAllText(other, "# its script");
        string line = ScheduleText.CronLine(Schedule() with { ScriptPath = other });
        string mine = Path.Combine(t.Path, "mine", "srv-nightly.ps1");
        Assert.False(ScheduleInstaller.IsEntryOf(line, "srv-nightly", mine));
        File.Delete(other);
        Assert.True(ScheduleInstaller.IsEntryOf(line, "srv-nightly", mine)); // its script is gone: an orphan anyone may remove
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\\''s'")]
    public void ShellQuote_SurvivesSh(string value, string quoted) => Assert.Equal(quoted, ScheduleText.ShellQuote(value));

    [Fact]
    public void SystemdUnits_QuoteTheCommand_EscapeSpecifiers_AndCountExit3And4AsSuccess()
    {
        (string service, string timer) = ScheduleText.SystemdUnits(Schedule(SchedulerKind.Systemd, DayOfWeek.Sunday), "/root");

        Assert.Contains("ExecStart=\"/usr/share/dotnet/dotnet\" \"/home/a b/.dotnet/tools/pwsh.dll\" \"-NoProfile\" \"-NonInteractive\" \"-File\" \"/home/a b/.local/share/ScanTools/schedules/srv-nightly.ps1\"\n", service);
        Assert.Contains("StandardOutput=append:/var/log/scan %%Y.log\n", service);
        Assert.Contains("SuccessExitStatus=3 4 143\n", service);
        Assert.Contains("Environment=\"HOME=/root\"\n", service);
        Assert.Contains("Description=ScanTools scan srv-nightly: /srv/it's here, /data/100%%\n", service);
        Assert.Contains("OnCalendar=Sun *-*-* 02:05:00\n", timer);
        Assert.Contains("Persistent=true\n", timer);
        Assert.Contains("Unit=scantools-srv-nightly.service\n", timer);
    }

    [Fact]
    public void LaunchdPlist_IsXmlWithOneIntervalPerDay()
    {
        string plist = ScheduleText.LaunchdPlist(Schedule(SchedulerKind.Launchd, DayOfWeek.Monday, DayOfWeek.Tuesday));

        var doc = System.Xml.Linq.XDocument.Parse(plist);
        Assert.Equal(2, doc.Descendants("dict").Skip(1).Count());
        Assert.Contains("<string>/home/a b/.local/share/ScanTools/schedules/srv-nightly.ps1</string>", plist);
        Assert.Contains("<key>Weekday</key><integer>1</integer><key>Hour</key><integer>2</integer><key>Minute</key><integer>5</integer>", plist);
    }

    [Fact]
    public void WindowsAction_QuotesArgumentsForCommandLineToArgv()
    {
        (string execute, string argument) = ScheduleText.WindowsAction(Schedule() with
        {
            PowerShell = new[] { @"C:\Program Files\PowerShell\7\pwsh.exe" },
            ScriptPath = @"C:\Users\a b\AppData\Local\ScanTools\schedules\x.ps1",
        });

        Assert.Equal(@"C:\Program Files\PowerShell\7\pwsh.exe", execute);
        Assert.Equal(@"-NoProfile -NonInteractive -File ""C:\Users\a b\AppData\Local\ScanTools\schedules\x.ps1""", argument);
        Assert.Equal(@"""a \""q\"" b\\""", ScheduleText.WindowsQuote(@"a ""q"" b\"));
    }

    [Fact]
    public void Script_QuotesEveryValueForPowerShell_AndPassesEveryOption()
    {
        string script = ScheduleText.Script(Schedule());

        Assert.Contains("LiteralPath = @('/srv/it''s here', '/data/100%')", script); // literal: brackets in a name are not wildcards
        Assert.Contains("Database = '/var/lib/scantools/$srv.db'", script);
        Assert.Contains("Hash = $true", script);
        Assert.Contains("Exclude = @('*.tmp')", script);
        Assert.Contains("MaxDepth = 4", script);
        Assert.Contains("Import-Module -Name '/opt/ScanTools/ScanTools.psd1' -ErrorAction Stop", script);
        Assert.Contains("exit ([int]$run.ExitCode)", script);
        Assert.Contains($"$env:SCANTOOLS_SCHEDULE = '{Schedule().Name}'", script); // the SIGTERM line's time and name
        Assert.DoesNotContain("FollowSymlink", script); // runs the script for real: tests/pester/ScanSchedule.Tests.ps1
    }

    [Theory]
    [InlineData("/usr/share/dotnet/dotnet", "/ps", new[] { "/usr/share/dotnet/dotnet", "/ps/pwsh.dll" })]
    [InlineData("/usr/bin/pwsh", "/opt/microsoft/powershell/7", new[] { "/usr/bin/pwsh" })]
    public void PowerShellLauncher_RunsPwshDllThroughTheHost_WhenPowerShellIsAGlobalTool(string process, string psHome, string[] expected)
    {
        string[] command = PowerShellLauncher.Command(process, psHome).ToArray();

        Assert.Equal(expected.Length, command.Length);
        Assert.Equal(expected[0], command[0]);
        if (expected.Length == 2)
        {
            Assert.Equal(Path.Combine(psHome, "pwsh.dll"), command[1]);
        }
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("../x")]
    [InlineData("-x")]
    [InlineData("")]
    public void Validate_RefusesNamesThatCannotNameFilesAndTasks(string name) =>
        Assert.Throws<ScanArgumentException>(() => (Schedule() with { Name = name }).Validate());

    [Fact]
    public void Store_RoundTripsASchedule_AndDeletesIt()
    {
        var store = new ScheduleStore(_t.Combine("ScanTools"));
        ScanSchedule s = Schedule() with { ScriptPath = store.ScriptPath("srv-nightly"), LogPath = store.DefaultLogPath("srv-nightly") };

        store.Save(s);
        ScanSchedule back = Assert.Single(store.List());

        Assert.Equal(s.Roots, back.Roots);
        Assert.Equal((s.Name, s.Database, s.At, s.Scheduler, s.MaxDepth, s.Hash), (back.Name, back.Database, back.At, back.Scheduler, back.MaxDepth, back.Hash));
        Assert.Equal(ScheduleText.Script(s), File.ReadAllText(s.ScriptPath));
        store.Delete(back);
        Assert.Empty(store.List());
    }

    [Theory]
    [InlineData(ScanRunStatus.Completed, 0, ScanExitCode.Completed)]
    [InlineData(ScanRunStatus.Completed, 1, ScanExitCode.CompletedWithErrors)]
    [InlineData(ScanRunStatus.Cancelled, 0, ScanExitCode.Cancelled)]
    [InlineData(ScanRunStatus.Failed, 3, ScanExitCode.Failed)]
    [InlineData(ScanRunStatus.Running, 0, ScanExitCode.Running)] // not Completed: a monitor took a killed scan for a success
    [InlineData(ScanRunStatus.Running, 2, ScanExitCode.Running)]
    public void ARunsExitCode_FollowsItsStatusAndErrors(ScanRunStatus status, long errors, ScanExitCode expected) =>
        Assert.Equal(expected, new ScanRun { Id = 1, RunKey = Guid.NewGuid(), Status = status, Errors = errors }.ExitCode);

    [Fact]
    public void ExceptionsCarryTheirExitCodes()
    {
        Assert.Equal(6, ScanExitCodes.ForException(new CatalogException(CatalogErrorCode.NotACatalog, "/x", "m")));
        Assert.Equal(5, ScanExitCodes.ForException(new CatalogException(CatalogErrorCode.WriteFailed, "/x", "m")));
        Assert.Equal(2, ScanExitCodes.ForException(new ScanArgumentException("m")));
        Assert.Equal(5, ScanExitCodes.ForException(new InvalidOperationException("m")));
        // An error item ends a command only under -ErrorAction Stop, which ends the command's run Cancelled.
        var item = new ScanError("/x", ScanErrorKind.DirectoryUnreadable, "m");
        Assert.Equal((int)new ScanRun { Id = 1, RunKey = Guid.NewGuid(), Status = ScanRunStatus.Cancelled }.ExitCode, ScanExitCodes.ForException(new ScanErrorException(item)));
        Assert.IsAssignableFrom<IOException>(new ScanErrorException(item));
        Assert.Equal(4, ScanExitCodes.ForException(new ScanItemException(ScanErrorKind.FileVanished, "/x", "m")));
    }
}
