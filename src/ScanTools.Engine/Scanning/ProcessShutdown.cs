using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ScanTools.Scanning;

/// <summary>
/// Stops every scan and recording of this process, like Ctrl+C does, when the process is asked to end:
/// SIGTERM (what systemd, cron wrappers and <c>kill</c> send) and SIGHUP (the terminal closed, the user
/// logged off) on Linux and macOS; on Windows the same registrations stand for closing the console window,
/// logging off and shutting down. Each run then commits what it accepted and ends Cancelled with its true
/// counts; after that the process ends as the signal asks (exit code 143 for SIGTERM), and the writer
/// sessions commit and close on the way out.
/// </summary>
public static class ProcessShutdown
{
    /// <summary>The longest the process waits for its runs to end before it lets the signal end it anyway.</summary>
    public static TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    private static readonly ConcurrentDictionary<IStoppableRun, byte> Active = new();
    private static readonly object Gate = new();
    private static readonly List<PosixSignalRegistration> Registrations = new();

    /// <summary>A run that can be stopped from another thread, and says when it has ended.</summary>
    internal interface IStoppableRun
    {
        /// <summary>Asks the run to stop, saying why in its message; must not block.</summary>
        void Stop(string reason);

        /// <summary>Completes when the run's end is committed (or failed).</summary>
        Task Ended { get; }

        /// <summary>
        /// The run did not end within the grace period (a read that never returned): write its end now,
        /// Cancelled, with the counts the catalog holds. Bounded by <paramref name="wait"/>.
        /// </summary>
        void Abandon(string reason, TimeSpan wait);
    }

    /// <summary>Tracks a run until it ends; installs the signal handlers on first use.</summary>
    internal static void Track(IStoppableRun run)
    {
        EnsureRegistered();
        Active[run] = 0;
    }

    internal static void Untrack(IStoppableRun run) => Active.TryRemove(run, out _);

    /// <summary>What the signal handler does; tests call it directly.</summary>
    /// <returns>True when every run ended within <paramref name="grace"/>.</returns>
    internal static bool StopAll(string reason, TimeSpan grace)
    {
        List<IStoppableRun> runs = Active.Keys.ToList();
        foreach (IStoppableRun run in runs)
        {
            run.Stop(reason);
        }
        Task all = Task.WhenAll(runs.Select(r => r.Ended));
        try
        {
            if (all.Wait(grace))
            {
                return true;
            }
        }
        catch (AggregateException)
        {
            return true; // ended, some with a failure of their own (already recorded or reported)
        }
        // A run that did not stop in time still ends on record, not Running forever.
        foreach (IStoppableRun run in runs.Where(r => !r.Ended.IsCompleted))
        {
            run.Abandon(reason, TimeSpan.FromSeconds(5));
        }
        return false;
    }

    private static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (Registrations.Count > 0)
            {
                return;
            }
            foreach (PosixSignal signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            {
                try
                {
                    Registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
                }
                catch (Exception ex) when (ex is PlatformNotSupportedException or IOException)
                {
                    // A platform without this signal: nothing to stop on it.
                }
            }
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        string what = context.Signal switch
        {
            PosixSignal.SIGTERM => OperatingSystem.IsWindows() ? "Windows shutting down" : "SIGTERM (the system or a scheduler asked the process to end)",
            PosixSignal.SIGHUP => OperatingSystem.IsWindows() ? "the console window closing" : "SIGHUP (the terminal closed or the user logged off)",
            _ => context.Signal.ToString(),
        };
        StopAll("Stopped by " + what, GracePeriod);
        // context.Cancel stays false: the process ends as asked, once the runs have ended.
    }
}
