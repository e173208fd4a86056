using System.Diagnostics;

namespace ScanTools.Platform;

/// <summary>Tells whether the process that started something is still running.</summary>
internal static class ProcessLiveness
{
    /// <summary>
    /// True when a process with <paramref name="pid"/> exists and started before <paramref name="notAfterUtc"/>
    /// (a later start means the id was reused by another process). When the start time cannot be read
    /// (another user's process), it is assumed alive: wrongly failing a live run is worse.
    /// </summary>
    public static bool IsAlive(int pid, DateTime notAfterUtc)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }
        try
        {
            using Process p = Process.GetProcessById(pid);
            if (p.HasExited)
            {
                return false;
            }
            try
            {
                return p.StartTime.ToUniversalTime() <= notAfterUtc.AddSeconds(2);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or NotSupportedException)
            {
                return true;
            }
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
