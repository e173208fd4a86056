using System.Management.Automation;
using System.Management.Automation.Runspaces;
using ScanTools.Scanning;
using ScanTools.Scheduling;

namespace ScanTools.Commands;

/// <summary>What the schedule cmdlets share: the user's schedule store, and registering with a scheduler.</summary>
internal static class ScheduleSupport
{
    /// <summary>The folder of this module (where ScanTools.psd1 is).</summary>
    public static string ThisModuleFolder => System.IO.Path.GetDirectoryName(typeof(ScheduleSupport).Assembly.Location)!;

    public static ScheduleStore Store(PSCmdlet cmdlet)
    {
        try
        {
            return ScheduleStore.ForCurrentUser();
        }
        catch (InvalidOperationException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "NoScheduleFolder", ErrorCategory.ObjectNotFound, null));
            throw; // not reached
        }
    }

    /// <summary>The user's schedule lock (<see cref="ScheduleInstaller.ScheduleLock"/>) for one change; a lock another change holds too long ends the command (SchedulerFailed).</summary>
    public static IDisposable Lock(PSCmdlet cmdlet, ScheduleStore store, string name)
    {
        try
        {
            return ScheduleInstaller.ScheduleLock(store);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "SchedulerFailed", ErrorCategory.ResourceBusy, name));
            throw; // not reached
        }
    }

    public static ScanSchedule? Get(PSCmdlet cmdlet, ScheduleStore store, string name)
    {
        try
        {
            return store.Get(name);
        }
        catch (InvalidDataException ex)
        {
            cmdlet.WriteWarning(ex.Message);
            return null;
        }
    }

    /// <summary>A PowerShell path as a full file-system path (~ and drives resolved); not required to exist.</summary>
    public static string FullPath(PSCmdlet cmdlet, string path, string parameter)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception ex) when (ex is PSArgumentException or ProviderInvocationException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ScanArgumentException($"-{parameter} '{path}' cannot be read as a path: {(ex.InnerException ?? ex).Message.TrimEnd('.')}. Give the full path.", ex),
                "InvalidPath", ErrorCategory.InvalidArgument, path));
            throw; // not reached
        }
        if (provider.Name != "FileSystem")
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ScanArgumentException($"-{parameter} '{path}' is a path of the {provider.Name} provider; a schedule needs file-system paths."),
                "InvalidPath", ErrorCategory.InvalidArgument, path));
        }
        return resolved;
    }

    /// <summary>Registers with the scheduler: the engine for cron, systemd and launchd; the ScheduledTasks module on Windows.</summary>
    public static void Register(PSCmdlet cmdlet, ScanSchedule s)
    {
        if (s.Scheduler != SchedulerKind.TaskScheduler)
        {
            new ScheduleInstaller().Register(s);
            return;
        }
        (string execute, string argument) = ScheduleText.WindowsAction(s);
        const string script = """
            param($Name, $Execute, $Argument, $At, $Days, $Description)
            $action = New-ScheduledTaskAction -Execute $Execute -Argument $Argument
            $trigger = if ($Days.Count -gt 0) { New-ScheduledTaskTrigger -Weekly -DaysOfWeek $Days -At $At } else { New-ScheduledTaskTrigger -Daily -At $At }
            $settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -MultipleInstances Parallel
            Register-ScheduledTask -TaskName $Name -TaskPath '\ScanTools\' -Action $action -Trigger $trigger -Settings $settings -Description $Description -Force -ErrorAction Stop | Out-Null
            """;
        Invoke(cmdlet, script, s.Name, execute, argument, DateTime.Today.Add(s.At.ToTimeSpan()), s.DaysOfWeek.Select(d => d.ToString()).ToArray(),
            $"ScanTools: scan {string.Join(", ", s.Roots)} into {s.Database} (Register-ScanSchedule)");
    }

    public static void Unregister(PSCmdlet cmdlet, ScanSchedule s)
    {
        if (s.Scheduler != SchedulerKind.TaskScheduler)
        {
            new ScheduleInstaller().Unregister(s);
            return;
        }
        Invoke(cmdlet, """
            param($Name)
            Get-ScheduledTask -TaskName $Name -TaskPath '\ScanTools\' -ErrorAction SilentlyContinue | Unregister-ScheduledTask -Confirm:$false -ErrorAction Stop
            """, s.Name);
    }

    public static bool IsRegistered(PSCmdlet cmdlet, ScanSchedule s)
    {
        if (s.Scheduler != SchedulerKind.TaskScheduler)
        {
            try
            {
                return new ScheduleInstaller().IsRegistered(s);
            }
            catch (SchedulerException)
            {
                return false;
            }
        }
        return Invoke(cmdlet, "param($Name) [bool](Get-ScheduledTask -TaskName $Name -TaskPath '\\ScanTools\\' -ErrorAction SilentlyContinue)", s.Name)
            .FirstOrDefault()?.BaseObject is true;
    }

    private static System.Collections.ObjectModel.Collection<PSObject> Invoke(PSCmdlet cmdlet, string script, params object[] args)
    {
        if (!OperatingSystem.IsWindows())
        {
            throw new SchedulerException(OperatingSystem.IsMacOS()
                ? "The Windows Task Scheduler exists only on Windows. Use -Scheduler Launchd or Cron."
                : "The Windows Task Scheduler exists only on Windows. Use -Scheduler Cron or Systemd.");
        }
        try
        {
            return cmdlet.InvokeCommand.InvokeScript(script, true, PipelineResultTypes.None, null, args);
        }
        catch (RuntimeException ex)
        {
            throw new SchedulerException($"The Task Scheduler refused the change: {ex.Message}", ex);
        }
    }
}
