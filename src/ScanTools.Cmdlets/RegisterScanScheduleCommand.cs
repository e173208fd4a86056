using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Scheduling;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Schedules a scan with the computer's scheduler: cron, a systemd timer, launchd or the Windows Task Scheduler.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "ScanSchedule", SupportsShouldProcess = true)]
[OutputType(typeof(ScanSchedule))]
public sealed class RegisterScanScheduleCommand : CatalogWriteCommand
{
    /// <summary>A scheduled scan may send to a catalog on another computer (redis://); its password is never stored.</summary>
    protected override bool AcceptsRemoteCatalog => true;

    /// <summary>The schedule's name: letters, digits, '.', '-' and '_'.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The folders to scan (PowerShell paths, stored as full paths).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The time of day to run (local time); the date part is ignored. Default: 02:00.</summary>
    [Parameter]
    [TimeOfDayTransformation]
    public DateTime At { get; set; } = DateTime.Today.AddHours(2);

    /// <summary>The days to run; every day when omitted.</summary>
    [Parameter]
    public DayOfWeek[] DaysOfWeek { get; set; } = Array.Empty<DayOfWeek>();

    /// <summary>The scheduler; by default the computer's own (Task Scheduler, launchd, systemd where it runs, else cron).</summary>
    [Parameter]
    public SchedulerKind Scheduler { get => (SchedulerKind)_scheduler; set => _scheduler = (int)value; }

    private int _scheduler; // An int, not the enum: PowerShell loads this class before the engine can be resolved (ModuleLifecycle).

    /// <summary>Start-Scan -Hash.</summary>
    [Parameter]
    public SwitchParameter Hash { get; set; }

    /// <summary>Start-Scan -Exclude.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] Exclude { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -MaxDepth.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDepth { get; set; }

    /// <summary>Start-Scan -FollowSymlink.</summary>
    [Parameter]
    public SwitchParameter FollowSymlink { get; set; }

    /// <summary>Start-Scan -ThrottleLimit.</summary>
    [Parameter]
    [ValidateRange(1, ScanOptions.MaxThrottleLimit)]
    public int ThrottleLimit { get; set; }

    /// <summary>Start-Scan -Rehash.</summary>
    [Parameter]
    public SwitchParameter Rehash { get; set; }

    /// <summary>Start-Scan -OneFileSystem.</summary>
    [Parameter]
    public SwitchParameter OneFileSystem { get; set; }

    /// <summary>Start-Scan -IgnoreFile: resolved to full paths now; each must exist.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] IgnoreFile { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -IgnoreFileName.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] IgnoreFileName { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -Rule.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] Rule { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -RulePath: resolved to full paths now; the files are checked now and read at each run.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RulePath { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -ExcludeRule.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] ExcludeRule { get; set; } = Array.Empty<string>();

    /// <summary>Start-Scan -ContentSizeLimit.</summary>
    [Parameter]
    [ValidateRange(1L, 1L << 30)]
    public long ContentSizeLimit { get; set; }

    /// <summary>The log every run appends a line to. Default: ScanTools/logs/NAME.log beside the per-user catalog.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    /// <summary>Replace a schedule of the same name.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var bound = MyInvocation.BoundParameters;
        ScheduleStore store = ScheduleSupport.Store(this);
        var roots = new List<string>();
        foreach (string p in Path)
        {
            roots.Add(ScheduleSupport.FullPath(this, p, "Path"));
        }
        var missing = roots.Where(r => !Directory.Exists(r)).ToList();
        foreach (string full in missing)
        {
            // What the scheduled run does then: with another folder to scan, it scans that and records this one (exit 3).
            // A wildcard is taken literally here (the schedule keeps fixed folders), which Start-Scan's -Path would expand.
            string literally = WildcardPattern.ContainsWildcardCharacters(full)
                ? $" -Path is stored as written, wildcards included; to schedule the folders it matches now, give them: -Path (Resolve-Path '{full.Replace("'", "''", StringComparison.Ordinal)}').Path."
                : string.Empty;
            WriteWarning((missing.Count == roots.Count
                ? $"'{full}' is not a folder now; the scheduled scan fails with NoFolderToScan (exit code 2) unless it exists when the scan runs."
                : $"'{full}' is not a folder now; unless it exists when the scan runs, the scheduled scan scans the other folders and records this one as a RootNotFound error item (exit code 3).") + literally);
        }
        if (At.Second != 0 || At.Millisecond != 0)
        {
            // Schedulers start at whole minutes: '2:30:45' ran at 02:30 without a word (newcomer test 82).
            WriteWarning($"Schedulers start tasks at whole minutes: -At {At:HH:mm:ss} is registered as {At:HH:mm}.");
        }
        var schedule = new ScanSchedule
        {
            Name = Name,
            Roots = roots,
            Database = ResolveCatalog().Path,
            At = TimeOnly.FromDateTime(At),
            DaysOfWeek = DaysOfWeek,
            Scheduler = bound.ContainsKey(nameof(Scheduler)) ? Scheduler : ScheduleInstaller.DefaultKind(),
            Hash = Hash,
            Exclude = Exclude,
            MaxDepth = bound.ContainsKey(nameof(MaxDepth)) ? MaxDepth : null,
            FollowSymlink = FollowSymlink,
            ThrottleLimit = bound.ContainsKey(nameof(ThrottleLimit)) ? ThrottleLimit : null,
            Rehash = Rehash,
            OneFileSystem = OneFileSystem,
            IgnoreFile = IgnoreFile.Select(f => ScheduleSupport.FullPath(this, f, "IgnoreFile")).ToList(),
            IgnoreFileName = IgnoreFileName,
            Rule = Rule,
            RulePath = RulePath.Select(f => ScheduleSupport.FullPath(this, f, "RulePath")).ToList(),
            ExcludeRule = ExcludeRule,
            ContentSizeLimit = bound.ContainsKey(nameof(ContentSizeLimit)) ? ContentSizeLimit : null,
            ModuleManifest = System.IO.Path.Combine(MyInvocation.MyCommand.Module?.ModuleBase ?? ScheduleSupport.ThisModuleFolder, "ScanTools.psd1"),
            PowerShell = PowerShellLauncher.Command(Environment.ProcessPath ?? "pwsh", (string)SessionState.PSVariable.GetValue("PSHOME")),
            ScriptPath = store.ScriptPath(Name),
            LogPath = LogPath is null ? store.DefaultLogPath(Name) : ScheduleSupport.FullPath(this, LogPath, "LogPath"),
        };
        if (Directory.Exists(schedule.LogPath))
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(
                $"-LogPath '{schedule.LogPath}' is a folder; give the path of a log file, for example '{System.IO.Path.Join(schedule.LogPath, Name + ".log")}'."),
                "InvalidSchedule", ErrorCategory.InvalidArgument, LogPath));
        }
        bool remote = ScanTools.Remote.RemoteCatalogAddress.IsRemote(schedule.Database);
        if (LogPath is not null && store.LogPathProblem(schedule) is string logProblem)
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(logProblem), "InvalidSchedule", ErrorCategory.InvalidArgument, LogPath));
        }
        if (remote && BrokerPassword is not null)
        {
            WriteWarning($"The schedule does not store the broker's password: the scheduled scan reads it from $env:{ScanTools.Remote.RemoteCatalogAddress.PasswordVariable} where it runs (set it in the scheduler's environment for that account), or connects without one.");
        }
        string? catalogFolder = remote ? null : System.IO.Path.GetDirectoryName(schedule.Database);
        // The per-user catalog's folder is the data folder this command writes the schedule's files to: it exists by the run.
        if (!string.IsNullOrEmpty(catalogFolder) && !Directory.Exists(catalogFolder)
            && !string.Equals(System.IO.Path.TrimEndingDirectorySeparator(catalogFolder), System.IO.Path.TrimEndingDirectorySeparator(store.Root), StringComparison.Ordinal))
        {
            WriteWarning($"The catalog's folder '{catalogFolder}' does not exist now; the scheduled scan fails with CatalogFolderNotFound (exit code 6) unless it exists when the scan runs.");
        }
        try
        {
            schedule.Validate();
            foreach (string f in schedule.IgnoreFile.Where(f => !File.Exists(f)))
            {
                throw new ScanArgumentException($"The ignore file '{f}' does not exist. Give the path of a file of .gitignore-syntax rules.");
            }
            new ScanOptions
            {
                Roots = roots, Exclude = Exclude, ThrottleLimit = schedule.ThrottleLimit ?? 1, MaxDepth = schedule.MaxDepth,
                OneFileSystem = OneFileSystem, IgnoreFile = schedule.IgnoreFile, IgnoreFileName = IgnoreFileName,
                ContentSizeLimit = schedule.ContentSizeLimit ?? ScanTools.Rules.RuleSet.DefaultContentSizeLimit,
            }.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex is ScanArgumentException ? ex : new ScanArgumentException(ex.Message, ex), "InvalidSchedule", ErrorCategory.InvalidArgument, Name));
        }
        _ = RuleSupport.Load(this, Rule, RulePath, ExcludeRule); // a rules mistake is found now (InvalidRules), not at 2 am
        if (!remote && Directory.Exists(schedule.Database))
        {
            // As a file that is not a catalog: every night's run would fail the same way, and nobody would read why.
            WriteWarning($"'{schedule.Database}' is a folder, not a catalog file; the scheduled scan fails with CatalogNotACatalog (exit code 6). Give the path of a catalog file, for example '{System.IO.Path.Combine(schedule.Database, "catalog.db")}'.");
        }
        else if (!remote && File.Exists(schedule.Database) && new FileInfo(schedule.Database).Length > 0 && !ScanTools.Storage.CatalogFileGuard.IsCatalogFile(schedule.Database))
        {
            WriteWarning($"'{schedule.Database}' is not a ScanTools catalog now; the scheduled scan fails with CatalogNotACatalog (exit code 6) unless it is one when the scan runs. Give the path of a catalog, or of a file that does not exist yet.");
        }
        using IDisposable changing = ScheduleSupport.Lock(this, store, Name);
        ScanSchedule? existing = ScheduleSupport.Get(this, store, Name);
        if (existing is null && store.List((_, _) => { }).FirstOrDefault(o => string.Equals(o.Name, Name, StringComparison.OrdinalIgnoreCase)) is ScanSchedule twin)
        {
            // 't1' and 'T1' were two schedules, which Get-ScanSchedule -Name t1 lists together (newcomer test 68) and Windows
            // cannot tell apart.
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(
                $"A schedule named '{twin.Name}' exists ({twin.Scheduler}, {twin.When}); names that differ only in case are one schedule. Give -Name {twin.Name} with -Force to replace it, or choose another name."),
                "ScheduleExists", ErrorCategory.ResourceExists, Name));
        }
        if (existing is not null && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(
                $"A schedule named '{Name}' exists ({existing.Scheduler}, {existing.When}). Add -Force to replace it, or choose another name."),
                "ScheduleExists", ErrorCategory.ResourceExists, Name));
        }
        string plan = ScheduleInstaller.Describe(schedule);
        if (!ShouldProcess(plan, $"Register the scheduled scan '{Name}' ({schedule.Scheduler}, {schedule.When})?", "Register-ScanSchedule"))
        {
            return;
        }
        if (ScheduleStore.LogWriteProblem(schedule.LogPath) is string logWrite)
        {
            // Before anything changes: -LogPath /proc/1/foo.log was registered, and cron's shell never started a run.
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(logWrite), "InvalidSchedule", ErrorCategory.InvalidArgument, LogPath ?? schedule.LogPath));
        }
        try
        {
            if (existing is not null && existing.Scheduler != schedule.Scheduler)
            {
                ScheduleSupport.Unregister(this, existing);
            }
            store.Save(schedule); // the script first: the scheduler may start it at once
            ScheduleSupport.Register(this, schedule);
        }
        catch (Exception ex) when (ex is SchedulerException or IOException or UnauthorizedAccessException)
        {
            if (existing is null)
            {
                TryDelete(store, schedule); // nothing half-registered is left behind
            }
            ThrowTerminatingError(new ErrorRecord(ex, "SchedulerFailed", ErrorCategory.InvalidOperation, Name));
        }
        WriteObject(schedule);
    }

    private static void TryDelete(ScheduleStore store, ScanSchedule schedule)
    {
        try
        {
            store.Delete(schedule);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for Unregister-ScanSchedule.
        }
    }
}

/// <summary>
/// -At as a time of day: a string that is not one ('25:99', a cron line '0 2 * * *') is refused with a message that
/// says what -At takes. PowerShell's own conversion said only that the text is "not supported in calendar
/// 'System.Globalization.GregorianCalendar'" or "not recognized as a valid DateTime" (newcomer test 80).
/// </summary>
internal sealed class TimeOfDayTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case DateTime:
                return value;
            case TimeSpan span when span >= TimeSpan.Zero && span < TimeSpan.FromDays(1):
                return DateTime.Today.Add(span);
            case TimeOnly time:
                return DateTime.Today.Add(time.ToTimeSpan());
            case string text when DateTime.TryParse(text, System.Globalization.CultureInfo.CurrentCulture, System.Globalization.DateTimeStyles.AllowWhiteSpaces | System.Globalization.DateTimeStyles.NoCurrentDateDefault, out DateTime parsed)
                || DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AllowWhiteSpaces | System.Globalization.DateTimeStyles.NoCurrentDateDefault, out parsed):
                return parsed;
        }
        string shown = ScanTools.Hosting.DisplayText.Escape(value?.ToString() ?? string.Empty) ?? string.Empty;
        throw new ArgumentTransformationMetadataException(
            $"-At takes a time of day, such as 02:00, 21:30 or 9:30PM (a [datetime] works too; its date is ignored), and '{shown}' is not one. Give the days with -DaysOfWeek; a cron expression is not taken (Register-ScanSchedule writes the schedule's cron line itself).");
    }
}
