namespace ScanTools.Platform;

/// <summary>
/// An exclusive lock between processes and threads, held through a lock file opened with FileShare.None
/// (flock(LOCK_EX) in .NET on Unix, a sharing violation on Windows) for a read-modify-write of something
/// several ScanTools commands may change at once: a baseline, the user's crontab. The lock file is kept
/// afterwards, as the catalog's lock file is: deleting a lock file another caller is about to lock lets two
/// callers hold it.
/// </summary>
public static class FileGate
{
    /// <summary>Takes the lock of <paramref name="lockPath"/>, waiting up to <paramref name="timeout"/> for another holder.</summary>
    /// <param name="lockPath">The lock file; created when missing (its folder must exist).</param>
    /// <param name="timeout">How long to wait for another holder.</param>
    /// <param name="what">What the lock guards, for the message: "the baseline '/srv/accepted.json'".</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="IOException">Another caller held the lock for the whole <paramref name="timeout"/>, or the lock file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The account may not create or open the lock file.</exception>
    public static IDisposable Acquire(string lockPath, TimeSpan timeout, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        int pause = 5;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(lockPath))
            {
                // Held by another caller: .NET has no blocking open, so wait a little, longer each time (at most 0.1 s).
                if (waited.Elapsed >= timeout)
                {
                    throw new IOException($"Another command has been changing {what} for {timeout.TotalSeconds:N0} s (it holds '{lockPath}'). Try again when it has finished.", ex);
                }
                Thread.Sleep(pause);
                pause = Math.Min(pause * 2, 100);
            }
        }
    }
}
