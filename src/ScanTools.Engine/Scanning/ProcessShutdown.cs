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

        /// <summary>
        /// One line for the process's error stream once the run has ended after a signal: what it kept, and where
        /// to look (<see cref="Hosting.ProgressText.Stopped"/> for a scan); null when there is nothing to say.
        /// </summary>
        string? StoppedText { get; }
    }

    /// <summary>Tracks a run until it ends; installs the signal handlers on first use.</summary>
    internal static void Track(IStoppableRun run)
    {
        EnsureRegistered();
        Active[run] = 0;
    }

    /// <summary>Runs between <see cref="BeginStart"/> and <see cref="EndStart"/>: opening the catalog, electing its writer.</summary>
    private static int _starting;

    /// <summary>Why the process was asked to end; null until a signal came.</summary>
    private static volatile string? _stopReason;

    /// <summary>
    /// A run is about to open its catalog: installs the signal handlers now, so that a SIGTERM while the catalog is
    /// created or its writer elected (40-200 ms, where a newcomer's kills left no run at all 8 times in 20) waits
    /// for the run to start and then stops it, Cancelled on record, instead of ending the process at once.
    /// </summary>
    internal static void BeginStart()
    {
        EnsureRegistered();
        lock (Gate)
        {
            _starting++;
        }
    }

    /// <summary>
    /// The run started (<paramref name="run"/> tracked) or failed to (null). A run that starts after a signal came
    /// is stopped at once.
    /// </summary>
    internal static void EndStart(IStoppableRun? run)
    {
        lock (Gate)
        {
            if (run is not null)
            {
                Active[run] = 0;
            }
            _starting--;
            Monitor.PulseAll(Gate);
        }
        if (run is not null && _stopReason is string reason)
        {
            run.Stop(reason);
        }
    }

    /// <summary>
    /// What a signal does: remembers why, waits (at most half of <paramref name="grace"/>) for runs that are opening
    /// their catalog, then stops every run (<see cref="StopAll"/>). Tests call it directly.
    /// </summary>
    /// <param name="reason">Why: the run's message starts with it.</param>
    /// <param name="grace">How long the runs have to end before they are ended on record (<see cref="StopAll"/>).</param>
    /// <param name="report">
    /// Where to write one line for each run stopped, what it kept (the process's error stream for a signal): under cron
    /// or a service manager it is the only trace a signal leaves besides the catalog, as Ctrl+C's line is at a console.
    /// </param>
    internal static bool Shutdown(string reason, TimeSpan grace, TextWriter? report = null)
    {
        // One shutdown a process. A second signal (timeout(1) sends SIGTERM to the child and again to its process group)
        // waits for the first to finish, then lets the process end: returning at once ended the process before the runs
        // had ended on record, and stopping them again wrote their line twice (newcomer test 68).
        TaskCompletionSource<bool>? first;
        var mine = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            first = _shutdown;
            _shutdown ??= mine;
        }
        if (first is not null)
        {
            return first.Task.Wait(grace + grace) && first.Task.Result;
        }
        bool result = false;
        try
        {
            result = ShutdownOnce(reason, grace, report);
        }
        finally
        {
            mine.TrySetResult(result);
        }
        return result;
    }

    /// <summary>
    /// In a scheduled run (its script sets SCANTOOLS_SCHEDULE to the schedule's name), the start of every line of its log:
    /// the local time and the name, as the script's own lines have them. The stopped line alone had neither (newcomer test 75).
    /// Empty elsewhere.
    /// </summary>
    internal static string ScheduleLogPrefix() =>
        Environment.GetEnvironmentVariable("SCANTOOLS_SCHEDULE") is { Length: > 0 } name
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{DateTimeOffset.Now:yyyy-MM-ddTHH:mm:sszzz} {Hosting.DisplayText.Escape(name)}: ")
            : string.Empty;

    /// <summary>The first signal's shutdown, which later ones wait for; null until a signal came (tests reset it).</summary>
    private static TaskCompletionSource<bool>? _shutdown;

    private static bool ShutdownOnce(string reason, TimeSpan grace, TextWriter? report)
    {
        _stopReason = reason;
        WaitForStarts(TimeSpan.FromTicks(grace.Ticks / 2));
        List<IStoppableRun> runs = Active.Keys.ToList();
        bool ended = StopAll(reason, grace);
        foreach (IStoppableRun run in runs)
        {
            try
            {
                if (report is not null && run.StoppedText is string line)
                {
                    report.WriteLine(ScheduleLogPrefix() + line);
                }
            }
            catch (IOException)
            {
                // The error stream is closed (the terminal went away on SIGHUP): the catalog has the record.
            }
        }
        return ended;
    }

    /// <summary>For tests: why the process was asked to end, or null.</summary>
    internal static string? StopReason => _stopReason;

    /// <summary>
    /// True once the process was asked to end (SIGTERM, SIGHUP): the signal's handler writes each stopped run's line to the
    /// error stream, so a command need not say it again (a warning would repeat it on standard output, in a cron log).
    /// </summary>
    public static bool Signalled => _stopReason is not null;

    /// <summary>
    /// Once a signal came: waits (at most twice the grace period) until its shutdown has ended the runs and written their
    /// lines, so that the process ends as the signal asks (143 for SIGTERM). A command whose run the signal stopped returned
    /// before that, and PowerShell, ending the script, ended the process first with exit code 0: a remote scan stopped
    /// while it waited for a consumer did so in a loaded test run. Returns at once when no signal came.
    /// </summary>
    public static void WaitForShutdown()
    {
        TaskCompletionSource<bool>? shutdown;
        lock (Gate)
        {
            shutdown = _stopReason is null ? null : _shutdown;
        }
        shutdown?.Task.Wait(GracePeriod + GracePeriod);
    }

    /// <summary>For tests: forgets a signal, so that the next runs of the test process are not stopped at once.</summary>
    internal static void ForgetSignal()
    {
        lock (Gate)
        {
            _stopReason = null;
            _shutdown = null;
        }
    }

    /// <summary>Waits, at most <paramref name="wait"/>, for the runs that are starting to be tracked or to fail.</summary>
    private static void WaitForStarts(TimeSpan wait)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        lock (Gate)
        {
            while (_starting > 0 && Environment.TickCount64 < deadline)
            {
                Monitor.Wait(Gate, (int)Math.Max(1, deadline - Environment.TickCount64));
            }
        }
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
        Shutdown("Stopped by " + what, GracePeriod, Console.Error);
        // context.Cancel stays false: the process ends as asked, once the runs have ended.
    }
}
