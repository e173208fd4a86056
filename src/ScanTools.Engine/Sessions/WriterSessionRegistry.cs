using ScanTools.Platform;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions;

/// <summary>
/// Finds the one writer session of each catalog in this process. Every spelling of a catalog's path
/// (relative, with <c>..</c>, through a symlinked folder, in another case where the platform ignores
/// case) maps to one session, shared by every runspace and thread and reference-counted.
/// </summary>
public sealed class WriterSessionRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, WriterSession> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _closing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _opening = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ScanRunEnd>> _unwrittenEnds = new(StringComparer.Ordinal);

    /// <summary>The registry of this process; cmdlets in every runspace use it.</summary>
    public static WriterSessionRegistry Shared { get; } = CreateShared();

    private static WriterSessionRegistry CreateShared()
    {
        var registry = new WriterSessionRegistry();
        // Commit what is queued when the process ends normally (PowerShell exits, a script returns).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => registry.CloseAll();
        return registry;
    }

    /// <summary>
    /// Where writes to <paramref name="databasePath"/> go: this computer's writer session of a catalog file, or, for
    /// a redis:// or rediss:// address, this process's publisher to that broker (password: <paramref name="brokerPassword"/>,
    /// else $env:SCANTOOLS_REDIS_PASSWORD).
    /// </summary>
    /// <exception cref="CatalogException">The catalog or the broker cannot be used.</exception>
    /// <exception cref="ArgumentException">A broker address that does not parse.</exception>
    /// <param name="databasePath">A catalog file, or a broker address.</param>
    /// <param name="options">For a catalog file's session.</param>
    /// <param name="brokerPassword">For a broker: its password, never stored.</param>
    public ICatalogSink AcquireSink(string databasePath, WriterSessionOptions? options = null, string? brokerPassword = null)
    {
        if (Remote.RemoteCatalogAddress.IsRemote(databasePath))
        {
            Remote.RemoteCatalogAddress address = Remote.RemoteCatalogAddress.Parse(databasePath, out string? fromUrl);
            return AcquireRemote(address, Remote.RemotePublishers.PasswordFor(brokerPassword, fromUrl), options);
        }
        return Acquire(databasePath, options);
    }

    /// <summary>
    /// Takes a hold on this computer's session of a remote catalog: the processes of this user elect one that
    /// publishes to the broker (connecting it if this process wins), and the others forward their writes to it
    /// through the same local endpoint as a catalog file's writer, each batch kept until the consumer committed it.
    /// </summary>
    /// <exception cref="CatalogException">The broker cannot be reached or refuses the credentials (the message never holds the password).</exception>
    /// <param name="address">The remote catalog.</param>
    /// <param name="password">For the broker, if this process publishes; never stored.</param>
    /// <param name="options">The session's limits.</param>
    public WriterSessionLease AcquireRemote(Remote.RemoteCatalogAddress address, string? password, WriterSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        options ??= new WriterSessionOptions();
        return AcquireKey(WriterSession.RemoteKeyOf(address), options, () => new WriterSession(address, password, options));
    }

    /// <summary>The publishers of remote catalogs that this process publishes for its computer (Get-ScanSession).</summary>
    public IReadOnlyList<Remote.RemotePublisher> Publishers()
    {
        lock (_gate)
        {
            return _open.Values.Select(s => s.Publisher).OfType<Remote.RemotePublisher>().ToList();
        }
    }

    /// <summary>
    /// Takes a hold on the session of <paramref name="databasePath"/>, opening it if this is the first.
    /// Opening creates and migrates the catalog, so an unusable one fails here.
    /// </summary>
    /// <param name="databasePath">Any spelling of the catalog path; relative paths resolve against <paramref name="baseDirectory"/>.</param>
    /// <param name="options">Used when the session opens; later holders can only raise its durability.</param>
    /// <param name="baseDirectory">Where relative paths start; the process's working directory when null.</param>
    /// <exception cref="CatalogException">The catalog cannot be opened for writing; the message says why and what to do.</exception>
    public WriterSessionLease Acquire(string databasePath, WriterSessionOptions? options = null, string? baseDirectory = null)
    {
        options ??= new WriterSessionOptions();
        CatalogDatabase.RefuseFolderSpelling(databasePath, baseDirectory);
        string canonical = CanonicalPath.Resolve(databasePath, baseDirectory);
        CatalogDatabase.RefuseUnwritableName(canonical); // before the writer lock is made beside one of the names
        string key = CanonicalPath.KeyOf(canonical);
        return AcquireKey(key, options, () => new WriterSession(canonical, key, options));
    }

    private WriterSessionLease AcquireKey(string key, WriterSessionOptions options, Func<WriterSession> create)
    {
        while (true)
        {
            Task? wait = null;
            TaskCompletionSource? opened = null;
            lock (_gate)
            {
                if (_open.TryGetValue(key, out WriterSession? existing))
                {
                    if (!existing.IsFaulted && !existing.IsClosing)
                    {
                        existing.References++;
                        existing.RequireDurability(options.Durability);
                        return new WriterSessionLease(this, existing);
                    }
                    if (existing.References == 0 && !existing.IsClosing)
                    {
                        // Lingering with nobody holding it, and failed since: closed now (in the background), and waited for below.
                        TaskCompletionSource failed = BeginClose(existing);
                        _ = Task.Run(() => FinishClose(existing, failed));
                    }
                    else
                    {
                        // A failed session keeps its holders (they hear of the failure) but takes no new ones.
                        _open.Remove(key);
                    }
                }
                if (_closing.TryGetValue(key, out Task? closing))
                {
                    wait = closing; // the previous session is still committing its queue; a second writer must not overlap it
                }
                else if (_opening.TryGetValue(key, out Task? opening))
                {
                    wait = opening; // another thread is electing this catalog's writer: share its session, or its error
                }
                else
                {
                    opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _opening[key] = opened.Task;
                }
            }
            if (opened is not null)
            {
                return Open(key, create, opened);
            }
            wait!.GetAwaiter().GetResult(); // throws the opener's CatalogException to those who asked at the same time
        }
    }

    private WriterSessionLease Open(string key, Func<WriterSession> create, TaskCompletionSource opened)
    {
        // Opening elects the writer, which may wait up to the election timeout for another process: it
        // happens outside the registry's lock, so nothing else in this process waits on it.
        WriterSession session;
        try
        {
            session = create();
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _opening.Remove(key);
            }
            opened.SetException(ex);
            _ = opened.Task.Exception; // observed: waiters that asked at the same time rethrow it themselves
            throw;
        }
        WriterSessionLease lease;
        lock (_gate)
        {
            _opening.Remove(key);
            session.References = 1;
            _open[key] = session;
            lease = new WriterSessionLease(this, session);
            if (_unwrittenEnds.Remove(key, out List<ScanRunEnd>? ends))
            {
                WriteUnwrittenEnds(session, key, ends);
            }
        }
        opened.SetResult();
        return lease;
    }

    /// <summary>
    /// Remembers the end of a run whose catalog failed under it (a full disk): the next session of that
    /// catalog in this process writes it first, so the run ends Failed with its reason and with the counts
    /// of what the catalog holds, as soon as the catalog can be written again.
    /// </summary>
    internal void RememberUnwrittenEnd(string databasePath, ScanRunEnd end)
    {
        if (Remote.RemoteCatalogAddress.IsRemote(databasePath))
        {
            return; // the consumer's catalog marks runs whose end never arrives when their process is gone
        }
        string key = CanonicalPath.KeyOf(CanonicalPath.Resolve(databasePath));
        lock (_gate)
        {
            if (!_unwrittenEnds.TryGetValue(key, out List<ScanRunEnd>? ends))
            {
                _unwrittenEnds[key] = ends = new List<ScanRunEnd>();
            }
            ends.Add(end);
        }
    }

    /// <summary>Queues remembered ends first in a new session; if it fails too, they are remembered again.</summary>
    private void WriteUnwrittenEnds(WriterSession session, string key, List<ScanRunEnd> ends)
    {
        try
        {
            foreach (ScanRunEnd end in ends)
            {
                if (end.Start is ScanRunStart start)
                {
                    session.Enqueue(start, CancellationToken.None); // nothing for a run on record; its start where that failed too
                }
                session.Enqueue(end, CancellationToken.None);
            }
            session.FlushAsync(CancellationToken.None).ContinueWith(t =>
            {
                if (!t.IsCompletedSuccessfully)
                {
                    lock (_gate)
                    {
                        foreach (ScanRunEnd end in ends)
                        {
                            RememberAgain(key, end);
                        }
                    }
                }
            }, TaskScheduler.Default);
        }
        catch (CatalogException)
        {
            foreach (ScanRunEnd end in ends)
            {
                RememberAgain(key, end);
            }
        }
    }

    private void RememberAgain(string key, ScanRunEnd end)
    {
        if (!_unwrittenEnds.TryGetValue(key, out List<ScanRunEnd>? ends))
        {
            _unwrittenEnds[key] = ends = new List<ScanRunEnd>();
        }
        ends.Add(end);
    }

    /// <summary>Statistics of every session open in this process.</summary>
    public IReadOnlyList<SessionStatistics> Sessions()
    {
        lock (_gate)
        {
            return _open.Values.Select(s => s.Statistics()).ToList();
        }
    }

    /// <summary>Drains, commits and closes every session (module unload, process exit). Holders' later writes fail.</summary>
    public void CloseAll()
    {
        List<WriterSession> sessions;
        lock (_gate)
        {
            sessions = _open.Values.ToList();
            _open.Clear();
        }
        foreach (WriterSession s in sessions)
        {
            s.Close();
        }
    }

    internal void Release(WriterSession session)
    {
        TaskCompletionSource closed;
        lock (_gate)
        {
            if (--session.References > 0 || Lingers(session))
            {
                return;
            }
            closed = BeginClose(session);
        }
        FinishClose(session, closed);
    }

    /// <summary>
    /// Keeps a writer that other processes use open after its last holder here let go (see
    /// <see cref="WriterSessionOptions.IdleLinger"/>), and asks again when its time is up. Under the gate.
    /// </summary>
    private bool Lingers(WriterSession session)
    {
        if (!_open.TryGetValue(session.Key, out WriterSession? current) || !ReferenceEquals(current, session))
        {
            return false; // failed, or closed by CloseAll: close it, as before
        }
        TimeSpan left = session.LingerLeft();
        if (left <= TimeSpan.Zero)
        {
            return false;
        }
        session.LingerTimer ??= new Timer(static state =>
        {
            var (registry, lingering) = ((WriterSessionRegistry, WriterSession))state!;
            registry.LingerEnded(lingering);
        }, (this, session), Timeout.Infinite, Timeout.Infinite);
        session.LingerTimer.Change(left + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        return true;
    }

    /// <summary>A lingering session's time is up: it closes unless it was taken again or is still used by other processes.</summary>
    private void LingerEnded(WriterSession session)
    {
        TaskCompletionSource closed;
        lock (_gate)
        {
            if (session.References > 0 || !_open.TryGetValue(session.Key, out WriterSession? current) || !ReferenceEquals(current, session))
            {
                return; // held again (its next release decides), or closed by someone else (CloseAll, an Acquire after it failed)
            }
            if (Lingers(session))
            {
                return;
            }
            closed = BeginClose(session);
        }
        FinishClose(session, closed);
    }

    /// <summary>Takes a session that nobody holds out of the registry and marks its key closing. Under the gate.</summary>
    private TaskCompletionSource BeginClose(WriterSession session)
    {
        if (_open.TryGetValue(session.Key, out WriterSession? current) && ReferenceEquals(current, session))
        {
            _open.Remove(session.Key);
        }
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _closing[session.Key] = closed.Task;
        return closed;
    }

    /// <summary>Commits and closes the session (outside the gate), then lets those waiting for its key go on.</summary>
    private void FinishClose(WriterSession session, TaskCompletionSource closed)
    {
        try
        {
            session.Close();
        }
        finally
        {
            lock (_gate)
            {
                _closing.Remove(session.Key);
            }
            closed.SetResult();
        }
    }
}
