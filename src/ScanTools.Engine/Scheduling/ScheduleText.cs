using System.Globalization;
using System.Security;
using System.Text;

namespace ScanTools.Scheduling;

/// <summary>
/// What a schedule writes, as text: the PowerShell script the scheduler runs, and the scheduler's own
/// entry (a crontab line, systemd service and timer units, a launchd property list, or the program and
/// arguments of a Windows task). Every path is quoted for the format it goes into.
/// </summary>
public static class ScheduleText
{
    /// <summary>The marker that ends a schedule's crontab line, so it can be found and removed again.</summary>
    public static string CronMarker(string name) => "# ScanTools schedule " + name;

    /// <summary>The systemd unit name (without .service or .timer).</summary>
    public static string UnitName(string name) => "scantools-" + name;

    /// <summary>The launchd label.</summary>
    public static string LaunchdLabel(string name) => "org.scantools.schedule." + name;

    /// <summary>
    /// The script: imports the module, runs the scan with the schedule's options, appends one line per run
    /// (and the first entry errors) to the log, and exits with the run's exit code; an error that stops it
    /// exits with that error's code (see <see cref="Hosting.ScanExitCode"/>).
    /// </summary>
    public static string Script(ScanSchedule s)
    {
        var scan = new List<string>
        {
            "    LiteralPath = @(" + string.Join(", ", s.Roots.Select(PowerShellQuote)) + ")", // brackets in a name are not wildcards
            "    Database = " + PowerShellQuote(s.Database),
            "    ErrorAction = 'SilentlyContinue'",
            "    ErrorVariable = 'entryErrors'",
        };
        if (s.Hash)
        {
            scan.Add("    Hash = $true");
        }
        if (s.Exclude.Count > 0)
        {
            scan.Add("    Exclude = @(" + string.Join(", ", s.Exclude.Select(PowerShellQuote)) + ")");
        }
        if (s.MaxDepth is int depth)
        {
            scan.Add("    MaxDepth = " + depth.ToString(CultureInfo.InvariantCulture));
        }
        if (s.FollowSymlink)
        {
            scan.Add("    FollowSymlink = $true");
        }
        if (s.ThrottleLimit is int throttle)
        {
            scan.Add("    ThrottleLimit = " + throttle.ToString(CultureInfo.InvariantCulture));
        }
        if (s.Rehash)
        {
            scan.Add("    Rehash = $true");
        }
        if (s.OneFileSystem)
        {
            scan.Add("    OneFileSystem = $true");
        }
        void List(string parameter, IReadOnlyList<string> values)
        {
            if (values.Count > 0)
            {
                scan.Add($"    {parameter} = @(" + string.Join(", ", values.Select(PowerShellQuote)) + ")");
            }
        }
        List("IgnoreFile", s.IgnoreFile);
        List("IgnoreFileName", s.IgnoreFileName);
        List("Rule", s.Rule);
        List("RulePath", s.RulePath);
        List("ExcludeRule", s.ExcludeRule);
        if (s.ContentSizeLimit is long limit)
        {
            scan.Add("    ContentSizeLimit = " + limit.ToString(CultureInfo.InvariantCulture));
        }
        string name = PowerShellQuote(s.Name);
        return $$"""
            # ScanTools scheduled scan {{s.Name}}, written by Register-ScanSchedule ({{s.RegisteredUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}).
            # {{s.Scheduler}} runs it {{s.When}}: {{string.Join(' ', s.Command)}}
            # Exit codes: 0 Completed, 3 CompletedWithErrors, 4 Cancelled, 5 Failed, 6 CatalogUnusable,
            # 2 BadArguments (Get-Help about_ScanTools, EXIT CODES). Each run appends a line to the log.
            # Change the schedule with Register-ScanSchedule -Force rather than by editing this file.
            $ErrorActionPreference = 'Continue'
            $ProgressPreference = 'SilentlyContinue'
            $log = {{PowerShellQuote(s.LogPath)}}
            $env:SCANTOOLS_SCHEDULE = {{name}} # a stop by SIGTERM writes its line with the time and this name, as the lines below
            function Write-ScheduleLog([string] $Text) {
                Add-Content -LiteralPath $log -Value ('{0:yyyy-MM-ddTHH:mm:sszzz} {1}: {2}' -f [datetime]::Now, {{name}}, $Text)
            }
            function Write-EntryErrors {
                # ErrorVariable also holds the exception of an error that stopped the command: the trap logs that one.
                foreach ($e in @($entryErrors | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Select-Object -First 20)) {
                    Write-ScheduleLog ('{0}: {1}' -f $e.FullyQualifiedErrorId.Split(',')[0], $e.TargetObject)
                }
            }
            trap {
                Write-EntryErrors # what led to it (a folder not found before NoFolderToScan)
                $code = if ($_.Exception.PSObject.Properties['ExitCode']) { [int]$_.Exception.ExitCode }
                        elseif ($_.Exception -is [System.Management.Automation.ParameterBindingException]) { 2 }
                        else { 5 }
                Write-ScheduleLog ('{0}: {1} (exit {2})' -f $_.FullyQualifiedErrorId.Split(',')[0], $_.Exception.Message, $code)
                exit $code
            }
            Import-Module -Name {{PowerShellQuote(s.ModuleManifest)}} -ErrorAction Stop
            $scan = @{
            {{string.Join("\n", scan)}}
            }
            $run = Start-Scan @scan
            Write-EntryErrors
            # A run sent to a remote catalog has no id here (its consumer gives it one): its key names it.
            $which = if ($run.Id -gt 0) { $run.Id } else { "$($run.RunKey) (sent to $($run.Database))" }
            Write-ScheduleLog ('run {0} {1}: {2:N0} files, {3:N0} errors, exit {4}' -f $which, $run.Status, $run.Files, $run.Errors, [int]$run.ExitCode)
            exit ([int]$run.ExitCode)

            """;
    }

    /// <summary>
    /// The crontab line: minute, hour, day-of-week, the command (each word single-quoted for sh, with
    /// cron's % escaped), its output appended to the log, and the marker comment.
    /// </summary>
    public static string CronLine(ScanSchedule s)
    {
        string days = s.DaysOfWeek.Count is 0 or 7 ? "*" : string.Join(',', s.DaysOfWeek.Distinct().Order().Select(d => ((int)d).ToString(CultureInfo.InvariantCulture)));
        string command = string.Join(' ', s.Command.Select(ShellQuote)) + " >> " + ShellQuote(s.LogPath) + " 2>&1";
        return string.Create(CultureInfo.InvariantCulture, $"{s.At.Minute} {s.At.Hour} * * {days} ") + command.Replace("%", "\\%", StringComparison.Ordinal) + " " + CronMarker(s.Name);
    }

    /// <summary>The systemd service (a oneshot that runs the script) and its timer (OnCalendar, Persistent).</summary>
    /// <param name="s">The schedule.</param>
    /// <param name="home">HOME for the service (a system service has none by default).</param>
    public static (string Service, string Timer) SystemdUnits(ScanSchedule s, string home)
    {
        string days = s.DaysOfWeek.Count is 0 or 7
            ? string.Empty
            : string.Join(',', s.DaysOfWeek.Distinct().Order().Select(d => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d))) + " ";
        string service = $"""
            # ScanTools scheduled scan {s.Name} (Register-ScanSchedule). Exit 3 (completed with errors) and
            # 4 (cancelled) are outcomes, not failures of the unit.
            [Unit]
            Description=ScanTools scan {s.Name}: {SystemdEscape(string.Join(", ", s.Roots))}

            [Service]
            Type=oneshot
            Environment={SystemdQuote("HOME=" + home)}
            ExecStart={string.Join(' ', s.Command.Select(SystemdQuote))}
            StandardOutput=append:{SystemdEscape(s.LogPath)}
            StandardError=append:{SystemdEscape(s.LogPath)}
            SuccessExitStatus=3 4 143
            TimeoutStopSec=60

            """;
        string timer = $"""
            # ScanTools scheduled scan {s.Name} (Register-ScanSchedule): {s.When}.
            [Unit]
            Description=ScanTools scan {s.Name}, {s.When}

            [Timer]
            OnCalendar={days}*-*-* {s.At.ToString("HH:mm", CultureInfo.InvariantCulture)}:00
            Persistent=true
            Unit={UnitName(s.Name)}.service

            [Install]
            WantedBy=timers.target

            """;
        return (service, timer);
    }

    /// <summary>The launchd agent: the command, a calendar interval per day, and the log for both outputs.</summary>
    public static string LaunchdPlist(ScanSchedule s)
    {
        var sb = new StringBuilder();
        sb.Append("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
            <plist version="1.0">
            <dict>

            """);
        sb.Append("  <key>Label</key><string>").Append(Xml(LaunchdLabel(s.Name))).Append("</string>\n");
        sb.Append("  <key>ProgramArguments</key>\n  <array>\n");
        foreach (string word in s.Command)
        {
            sb.Append("    <string>").Append(Xml(word)).Append("</string>\n");
        }
        sb.Append("  </array>\n  <key>StartCalendarInterval</key>\n  <array>\n");
        IEnumerable<DayOfWeek?> days = s.DaysOfWeek.Count is 0 or 7 ? new DayOfWeek?[] { null } : s.DaysOfWeek.Distinct().Order().Select(d => (DayOfWeek?)d);
        foreach (DayOfWeek? day in days)
        {
            sb.Append("    <dict>");
            if (day is DayOfWeek d)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<key>Weekday</key><integer>{(int)d}</integer>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<key>Hour</key><integer>{s.At.Hour}</integer><key>Minute</key><integer>{s.At.Minute}</integer></dict>\n");
        }
        sb.Append("  </array>\n");
        sb.Append("  <key>StandardOutPath</key><string>").Append(Xml(s.LogPath)).Append("</string>\n");
        sb.Append("  <key>StandardErrorPath</key><string>").Append(Xml(s.LogPath)).Append("</string>\n");
        sb.Append("</dict>\n</plist>\n");
        return sb.ToString();
    }

    /// <summary>The program and argument string of a Windows scheduled task's action.</summary>
    public static (string Execute, string Argument) WindowsAction(ScanSchedule s) =>
        (s.Command[0], string.Join(' ', s.Command.Skip(1).Select(WindowsQuote)));

    /// <summary>A PowerShell single-quoted string literal.</summary>
    public static string PowerShellQuote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal)
        .Replace("\u2018", "\u2018\u2018", StringComparison.Ordinal).Replace("\u2019", "\u2019\u2019", StringComparison.Ordinal) + "'";

    /// <summary>A word for sh: single-quoted, a single quote written as '\''.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A word of a systemd command line: double-quoted, with \, ", $ and % escaped as systemd wants.</summary>
    public static string SystemdQuote(string value) => "\"" + SystemdEscape(value).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>A value for systemd: % (specifiers) and $ (variables) doubled.</summary>
    public static string SystemdEscape(string value) => value.Replace("%", "%%", StringComparison.Ordinal).Replace("$", "$$", StringComparison.Ordinal);

    /// <summary>A word of a Windows command line (CommandLineToArgvW rules).</summary>
    public static string WindowsQuote(string value)
    {
        if (value.Length > 0 && value.IndexOfAny(new[] { ' ', '\t', '"' }) < 0)
        {
            return value;
        }
        var sb = new StringBuilder("\"");
        int backslashes = 0;
        foreach (char c in value)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }
            sb.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes);
            backslashes = 0;
            sb.Append(c);
        }
        sb.Append('\\', backslashes * 2).Append('"');
        return sb.ToString();
    }

    private static string Xml(string value) => SecurityElement.Escape(value) ?? string.Empty;
}
