using System.Diagnostics;
using System.Text;

namespace ScanTools.Scheduling;

/// <summary>A scheduler could not be used (not installed, not running) or refused the change. The message says what to do.</summary>
public sealed class SchedulerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchedulerException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Registers schedules with cron, systemd or launchd (the Windows Task Scheduler is driven by the cmdlet,
/// through PowerShell's ScheduledTasks module). Every change is also described in words first, for -WhatIf.
/// </summary>
public sealed class ScheduleInstaller
{
    /// <summary>The scheduler to use on this computer when none is asked for: Task Scheduler on Windows,
    /// launchd on macOS, systemd where it runs, else cron.</summary>
    public static SchedulerKind DefaultKind() =>
        OperatingSystem.IsWindows() ? SchedulerKind.TaskScheduler
        : OperatingSystem.IsMacOS() ? SchedulerKind.Launchd
        : SystemdRunning && OnPath("systemctl") ? SchedulerKind.Systemd
        : SchedulerKind.Cron;

    private static bool SystemdRunning => Directory.Exists("/run/systemd/system");

    private static bool IsRoot => !OperatingSystem.IsWindows() && Sessions.Ipc.UnixUser.EffectiveUserId == 0;

    /// <summary>The folder systemd units go to: system units for root, the user's units otherwise.</summary>
    public static string SystemdFolder =>
        IsRoot ? "/etc/systemd/system"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } config ? config : Path.Combine(Home, ".config"), "systemd", "user");

    private static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string LaunchdPath(string name) => Path.Combine(Home, "Library", "LaunchAgents", ScheduleText.LaunchdLabel(name) + ".plist");

    /// <summary>What registering would do, step by step, with the exact text of every entry and file.</summary>
    public static string Describe(ScanSchedule s)
    {
        var sb = new StringBuilder();
        sb.Append("Write the script ").Append(s.ScriptPath).Append(":\n").Append(ScheduleText.Script(s)).Append('\n');
        switch (s.Scheduler)
        {
            case SchedulerKind.Cron:
                sb.Append("Add to the crontab of ").Append(Environment.UserName).Append(" (replacing a line of the same schedule):\n")
                  .Append(ScheduleText.CronLine(s)).Append('\n');
                break;
            case SchedulerKind.Systemd:
                (string service, string timer) = ScheduleText.SystemdUnits(s, Home);
                string unit = ScheduleText.UnitName(s.Name);
                sb.Append("Write ").Append(Path.Combine(SystemdFolder, unit + ".service")).Append(":\n").Append(service).Append('\n')
                  .Append("Write ").Append(Path.Combine(SystemdFolder, unit + ".timer")).Append(":\n").Append(timer).Append('\n')
                  .Append("Run: systemctl ").Append(IsRoot ? string.Empty : "--user ").Append("daemon-reload; systemctl ")
                  .Append(IsRoot ? string.Empty : "--user ").Append("enable --now ").Append(unit).Append(".timer\n");
                break;
            case SchedulerKind.Launchd:
                sb.Append("Write ").Append(LaunchdPath(s.Name)).Append(":\n").Append(ScheduleText.LaunchdPlist(s)).Append('\n')
                  .Append("Run: launchctl load -w ").Append(LaunchdPath(s.Name)).Append('\n');
                break;
            case SchedulerKind.TaskScheduler:
                (string execute, string argument) = ScheduleText.WindowsAction(s);
                sb.Append("Register the task \\ScanTools\\").Append(s.Name).Append(", ").Append(s.When).Append(", running:\n")
                  .Append(execute).Append(' ').Append(argument).Append('\n');
                break;
        }
        return sb.ToString();
    }

    /// <summary>Adds (or replaces) the schedule's entry in a Unix scheduler.</summary>
    /// <exception cref="SchedulerException">The scheduler is missing or not running, or refused the entry.</exception>
    public void Register(ScanSchedule s)
    {
        switch (s.Scheduler)
        {
            case SchedulerKind.Cron:
                using (CrontabLock())
                {
                    WriteCrontab(ReadCrontab().Where(l => !IsEntryOf(l, s.Name, s.ScriptPath)).Append(ScheduleText.CronLine(s)));
                }
                break;
            case SchedulerKind.Systemd:
                RequireSystemd();
                (string service, string timer) = ScheduleText.SystemdUnits(s, Home);
                string unit = ScheduleText.UnitName(s.Name);
                Directory.CreateDirectory(SystemdFolder);
                File.WriteAllText(Path.Combine(SystemdFolder, unit + ".service"), service);
                File.WriteAllText(Path.Combine(SystemdFolder, unit + ".timer"), timer);
                Systemctl("daemon-reload");
                Systemctl("enable", "--now", unit + ".timer");
                break;
            case SchedulerKind.Launchd:
                if (!OperatingSystem.IsMacOS())
                {
                    throw new SchedulerException("launchd schedules work only on macOS. On Linux use -Scheduler Cron or Systemd.");
                }
                string plist = LaunchdPath(s.Name);
                Directory.CreateDirectory(Path.GetDirectoryName(plist)!);
                if (File.Exists(plist))
                {
                    Run("launchctl", new[] { "unload", plist }, null, mustSucceed: false);
                }
                File.WriteAllText(plist, ScheduleText.LaunchdPlist(s));
                Run("launchctl", new[] { "load", "-w", plist }, null);
                break;
            default:
                throw new SchedulerException("The Windows Task Scheduler is registered by the cmdlet through the ScheduledTasks module.");
        }
    }

    /// <summary>Removes the schedule's entry from a Unix scheduler; an entry already gone is no error.</summary>
    public void Unregister(ScanSchedule s) => Unregister(s.Name, s.Scheduler, s.ScriptPath);

    /// <summary>
    /// Removes the entry of the schedule of this name from a Unix scheduler; an entry already gone is no error. A crontab
    /// line of this name that runs another schedules folder's script (another XDG_DATA_HOME of the same account), which
    /// exists, is not this schedule's and stays.
    /// </summary>
    public void Unregister(string name, SchedulerKind kind, string script)
    {
        switch (kind)
        {
            case SchedulerKind.Cron:
                using (CrontabLock())
                {
                    List<string> lines = ReadCrontab();
                    if (lines.Any(l => IsEntryOf(l, name, script)))
                    {
                        WriteCrontab(lines.Where(l => !IsEntryOf(l, name, script)));
                    }
                }
                break;
            case SchedulerKind.Systemd:
                string unit = ScheduleText.UnitName(name);
                if (SystemdRunning)
                {
                    Systemctl(mustSucceed: false, "disable", "--now", unit + ".timer");
                }
                File.Delete(Path.Combine(SystemdFolder, unit + ".service"));
                File.Delete(Path.Combine(SystemdFolder, unit + ".timer"));
                if (SystemdRunning)
                {
                    Systemctl(mustSucceed: false, "daemon-reload");
                }
                break;
            case SchedulerKind.Launchd:
                string plist = LaunchdPath(name);
                if (File.Exists(plist))
                {
                    Run("launchctl", new[] { "unload", "-w", plist }, null, mustSucceed: false);
                    File.Delete(plist);
                }
                break;
            default:
                throw new SchedulerException("The Windows Task Scheduler is unregistered by the cmdlet through the ScheduledTasks module.");
        }
    }

    /// <summary>
    /// Removes every entry of the schedule of this name that cron, systemd or launchd holds (the ones this
    /// computer has), for a schedule whose description is damaged, so its kind is unknown.
    /// </summary>
    /// <exception cref="SchedulerException">A scheduler refused the change.</exception>
    /// <returns>Whether any scheduler held an entry of that name.</returns>
    public bool UnregisterAnyNamed(string name, string script)
    {
        bool any = false;
        foreach (SchedulerKind kind in UnixKinds)
        {
            if (IsRegistered(name, kind, script))
            {
                Unregister(name, kind, script);
                any = true;
            }
        }
        return any;
    }

    private static readonly SchedulerKind[] UnixKinds = { SchedulerKind.Cron, SchedulerKind.Systemd, SchedulerKind.Launchd };

    /// <summary>
    /// The schedules' lines of the user's crontab (by their marker): each one's name and the script it runs (null when the
    /// line names none); none where cron is missing.
    /// </summary>
    public static IReadOnlyList<(string Name, string? Script)> CronEntries()
    {
        if (OperatingSystem.IsWindows() || !OnPath("crontab"))
        {
            return Array.Empty<(string, string?)>();
        }
        string marker = ScheduleText.CronMarker(string.Empty);
        try
        {
            return ReadCrontab().Select(l => l.Trim()).Where(l => !l.StartsWith('#'))
                .Select(l => (Line: l, At: l.LastIndexOf(" " + marker, StringComparison.Ordinal)))
                .Where(x => x.At >= 0)
                .Select(x => (Name: x.Line[(x.At + 1 + marker.Length)..], Script: CronScriptOf(x.Line)))
                .Where(x => ScanSchedule.IsValidName(x.Name)).ToList();
        }
        catch (SchedulerException)
        {
            return Array.Empty<(string, string?)>();
        }
    }

    /// <summary>
    /// The script a crontab line of Register-ScanSchedule runs: the shell word after <c>-File</c>, unquoted (ShellQuote's
    /// <c>'\''</c>) and with cron's <c>\%</c> undone; null when the line has none (written by hand, or damaged).
    /// </summary>
    internal static string? CronScriptOf(string line)
    {
        const string flag = " '-File' '"; // every word of the command is quoted (ScheduleText.CronLine)
        int at = line.IndexOf(flag, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var word = new System.Text.StringBuilder();
        for (int i = at + flag.Length; i < line.Length; i++)
        {
            if (line[i] != '\'')
            {
                word.Append(line[i]);
            }
            else if (line.AsSpan(i).StartsWith("'\\''"))
            {
                word.Append('\'');
                i += 3;
            }
            else
            {
                return word.ToString().Replace("\\%", "%", StringComparison.Ordinal);
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a crontab line is this schedules folder's, given the script this folder's schedule of its name would have:
    /// it runs that script, or names none, or names one that is gone (an orphan anyone may remove). A line that runs an
    /// existing script of another folder (the same account under another XDG_DATA_HOME) belongs to that folder.
    /// </summary>
    internal static bool Owns(string line, string script) => OwnsScript(CronScriptOf(line), script);

    private static bool OwnsScript(string? lineScript, string script) =>
        lineScript is null || string.Equals(lineScript, script, StringComparison.Ordinal) || !File.Exists(lineScript);

    /// <summary>
    /// The names of the schedules whose lines the user's crontab holds (by their marker) and that are <paramref name="store"/>'s
    /// (<see cref="Owns"/>), each once; none where cron is missing. Get-ScanSchedule warns of those without a description:
    /// their files were deleted by hand, and cron runs a missing script every night.
    /// </summary>
    public static IReadOnlyList<string> OwnCronScheduleNames(ScheduleStore store) =>
        CronEntries().Where(e => OwnsScript(e.Script, store.ScriptPath(e.Name))).Select(e => e.Name).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Whether cron, systemd or launchd holds an entry of the schedule of this name (false where none can be asked).</summary>
    public bool IsRegisteredAnywhere(string name, string script)
    {
        try
        {
            return UnixKinds.Any(k => IsRegistered(name, k, script));
        }
        catch (SchedulerException)
        {
            return false;
        }
    }

    /// <summary>Whether the scheduler holds the schedule's entry now (cron: its line; systemd, launchd: its files).</summary>
    public bool IsRegistered(ScanSchedule s) => IsRegistered(s.Name, s.Scheduler, s.ScriptPath);

    /// <summary>Whether the scheduler holds the entry of the schedule of this name, whose script would be <paramref name="script"/>, now.</summary>
    public bool IsRegistered(string name, SchedulerKind kind, string script) => kind switch
    {
        SchedulerKind.Cron => OnPath("crontab") && ReadCrontab().Any(l => IsEntryOf(l, name, script)),
        SchedulerKind.Systemd => File.Exists(Path.Combine(SystemdFolder, ScheduleText.UnitName(name) + ".timer")),
        SchedulerKind.Launchd => File.Exists(LaunchdPath(name)),
        _ => false,
    };

    /// <summary>
    /// True for the crontab line Register-ScanSchedule wrote for <paramref name="name"/>: a job (not a comment) that ends
    /// with its marker. A comment of the user's own that happens to end with the marker is left alone.
    /// </summary>
    internal static bool IsEntryOf(string line, string name)
    {
        string trimmed = line.Trim();
        return !trimmed.StartsWith('#') && trimmed.EndsWith(" " + ScheduleText.CronMarker(name), StringComparison.Ordinal);
    }

    /// <summary>As <see cref="IsEntryOf(string, string)"/>, and the line is this schedules folder's (<see cref="Owns"/>).</summary>
    internal static bool IsEntryOf(string line, string name, string script) => IsEntryOf(line, name) && Owns(line.Trim(), script);

    /// <summary>The lines of the user's crontab; none when the user has no crontab yet.</summary>
    internal static List<string> ReadCrontab()
    {
        RequireTool("crontab", "install cron (Debian, Ubuntu: apt-get install cron), or use -Scheduler Systemd");
        (int exit, string output, string error) = Run("crontab", new[] { "-l" }, null, mustSucceed: false);
        if (exit != 0)
        {
            if (error.Contains("no crontab", StringComparison.OrdinalIgnoreCase))
            {
                return new List<string>();
            }
            throw new SchedulerException($"crontab -l failed ({exit}): {error.Trim()}");
        }
        return output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
    }

    /// <summary>
    /// Serialises ScanTools' edits of the user's crontab (read, change, write back): six Register-ScanSchedule
    /// at once kept four lines, and parallel unregistering left a line whose script was gone. The lock file is
    /// crontab.lock in the user's private folder (/tmp/scantools-UID), which every process of the user finds.
    /// crontab -e by hand at the same moment is not covered.
    /// </summary>
    /// <summary>
    /// Serialises whole schedule changes of the user (the check for an existing name, the files, the scheduler's
    /// entry): two Register-ScanSchedule of one name without -Force both succeeded, and a -Force registering racing an
    /// unregistering left a crontab line without its script. The lock file is schedules.lock in the user's private
    /// folder (/tmp/scantools-UID); on Windows, in the schedules folder.
    /// </summary>
    public static IDisposable ScheduleLock(ScheduleStore store)
    {
        string folder = OperatingSystem.IsWindows() ? store.SchedulesFolder : Sessions.Ipc.EndpointAddress.PrivateFolder();
        Directory.CreateDirectory(folder);
        return Platform.FileGate.Acquire(Path.Combine(folder, "schedules.lock"), TimeSpan.FromSeconds(60), "the scheduled scans of " + Environment.UserName);
    }

    private static IDisposable CrontabLock() => OperatingSystem.IsWindows()
        ? throw new SchedulerException("cron schedules work only on Unix. On Windows use -Scheduler TaskScheduler.")
        : Platform.FileGate.Acquire(Path.Combine(Sessions.Ipc.EndpointAddress.PrivateFolder(), "crontab.lock"), TimeSpan.FromSeconds(60), "the crontab of " + Environment.UserName);

    private static void WriteCrontab(IEnumerable<string> lines) =>
        Run("crontab", new[] { "-" }, string.Join('\n', lines) + "\n");

    private static void RequireSystemd()
    {
        if (!SystemdRunning || !OnPath("systemctl"))
        {
            throw new SchedulerException("systemd is not running on this computer (no /run/systemd/system), so a timer would never fire. Use -Scheduler Cron.");
        }
    }

    private static void Systemctl(params string[] args) => Systemctl(mustSucceed: true, args);

    private static void Systemctl(bool mustSucceed, params string[] args) =>
        Run("systemctl", (IsRoot ? args : args.Prepend("--user")).ToArray(), null, mustSucceed);

    private static void RequireTool(string tool, string advice)
    {
        if (!OnPath(tool))
        {
            throw new SchedulerException($"{tool} is not installed on this computer: {advice}.");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static (int Exit, string Output, string Error) Run(string tool, string[] args, string? input, bool mustSucceed = true)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new SchedulerException($"{tool} could not be started.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new SchedulerException($"{tool} could not be started: {ex.Message}", ex);
        }
        using (process)
        {
            if (input is not null)
            {
                process.StandardInput.Write(input);
                process.StandardInput.Close();
            }
            Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (mustSucceed && process.ExitCode != 0)
            {
                throw new SchedulerException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result.Trim()}");
            }
            return (process.ExitCode, output, error.Result);
        }
    }
}
