using ScanTools.Scanning;
using ScanTools.Sessions;

namespace ScanTools.Tests.Support;

/// <summary>
/// Holds a scan's walk mid-way: the walk stops when it lists its <c>at</c>-th file named <c>f.txt</c>, until
/// <see cref="Release"/> (at most 60 s). For tests that must act on a scan that is surely running.
/// </summary>
public sealed class WalkPause : IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly int _at;
    private int _listed;

    public WalkPause(int at) => _at = at;

    /// <summary>Scan settings with the pause, on <paramref name="registry"/>, errors not reported.</summary>
    public ScanJobSettings Settings(WriterSessionRegistry registry) => new()
    {
        Registry = registry,
        ReportErrors = false,
        EntryListed = path =>
        {
            if (Path.GetFileName(path) == "f.txt" && Interlocked.Increment(ref _listed) == _at)
            {
                _release.Wait(TimeSpan.FromSeconds(60));
            }
        },
    };

    /// <summary>Waits (at most 60 s) until the walk has reached the pause.</summary>
    public void WaitReached() => SpinWait.SpinUntil(() => Volatile.Read(ref _listed) >= _at, TimeSpan.FromSeconds(60));

    /// <summary>Lets the walk go on.</summary>
    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
    }
}
