namespace ScanTools.Scheduling;

/// <summary>The operating system's scheduler a scan schedule is registered with.</summary>
public enum SchedulerKind
{
    /// <summary>A line in the user's crontab (Linux, macOS, any Unix with cron).</summary>
    Cron = 1,

    /// <summary>A systemd service and timer (Linux with systemd running): system units for root, user units otherwise.</summary>
    Systemd = 2,

    /// <summary>A launchd agent (macOS).</summary>
    Launchd = 3,

    /// <summary>A task of the Windows Task Scheduler, registered through the ScheduledTasks module.</summary>
    TaskScheduler = 4,
}
