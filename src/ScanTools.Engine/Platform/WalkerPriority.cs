using System.Runtime.InteropServices;

namespace ScanTools.Platform;

/// <summary>
/// Walker threads run a little below the rest of the process, so that when they compete for the cores with the
/// catalog's single writer (the scan's narrowest stage: SQLite takes one writer) the writer is not starved by the
/// walkers that feed it. Measured on the bench's 200,000-file tree with 2 cores: a first scan took 0.547 s with the
/// walkers at nice +5 against 0.600 s at the process's own priority (median of 7, three interleaved A/B pairs);
/// the walk alone is unchanged, since nothing else wants the cores then.
/// </summary>
internal static partial class WalkerPriority
{
    /// <summary>How many nice levels below the process a walker runs (each level is about 1.25 times less CPU weight).</summary>
    public const int NiceLevels = 5;

    private const int PrioProcess = 0; // with a thread id, setpriority(2) applies to that thread alone on Linux

    /// <summary>Lowers the calling thread's priority by <see cref="NiceLevels"/>: on Linux its nice value, on Windows one step (BelowNormal). Best effort: a failure changes nothing.</summary>
    public static void LowerCurrentThread()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                int tid = gettid();
                Marshal.SetLastPInvokeError(0);
                int nice = getpriority(PrioProcess, tid);
                if (nice == -1 && Marshal.GetLastPInvokeError() != 0)
                {
                    return;
                }
                _ = setpriority(PrioProcess, tid, Math.Min(19, nice + NiceLevels));
            }
            else if (OperatingSystem.IsWindows())
            {
                Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // An unusual libc: the walk runs at the process's priority.
        }
    }

    /// <summary>The calling thread's nice value on Linux; null elsewhere or when it cannot be read.</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Marshal.SetLastPInvokeError(0);
        int nice = getpriority(PrioProcess, gettid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
