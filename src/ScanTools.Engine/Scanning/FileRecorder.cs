using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Scanning;

/// <summary>
/// Records individual files (what Write-Finding receives) through the catalog's shared writer session,
/// as one run of kind <c>Records</c>. Records are grouped by folder and handed over in batches, so a
/// pipeline of single files still reaches the writer as large transactions. Nothing is inferred about
/// files that were not handed in: unlike a scan, recording never marks anything removed.
/// </summary>
public sealed class FileRecorder : IDisposable, ProcessShutdown.IStoppableRun
{
    private const int BatchRows = 1_000;

    private readonly ICatalogSink _lease;

    /// <summary>The run's start as sent, written again with a late end (<see cref="ScanRunEnd.Start"/>).</summary>
    private ScanRunStart? _start;
    private readonly Dictionary<string, Dictionary<string, FileRecord>> _pending = new(PathComparison.Comparer);
    private readonly FileHasher? _hasher;
    private int _pendingCount;
    private readonly HashSet<(long Device, long Inode)> _linkedContent = new();
    private readonly HashSet<FileRecord> _counted = new(ReferenceEqualityComparer.Instance);
    private readonly System.Diagnostics.Stopwatch _sinceCounts = System.Diagnostics.Stopwatch.StartNew();
    private long _files, _bytes, _errors;
    private bool _ended;

    // The caller's thread records; a shutdown signal may end the run from another thread meanwhile.
    private readonly object _gate = new();
    private readonly TaskCompletionSource _endedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WriterSessionRegistry _registry = WriterSessionRegistry.Shared;

    private string _kind = "Records";
    private readonly DateTime _startedUtc = DateTime.UtcNow;

    private FileRecorder(ICatalogSink lease, bool hash)
    {
        _lease = lease;
        _hasher = hash ? new FileHasher() : null;
    }

    /// <summary>The run the records belong to.</summary>
    public Guid RunKey { get; } = Guid.NewGuid();

    /// <summary>Files recorded so far.</summary>
    public long Files => _files;

    /// <summary>Opens (or joins) the catalog's session and starts a Records run.</summary>
    /// <param name="databasePath">The catalog.</param>
    /// <param name="hash">Compute SHA-256 of files captured from disk.</param>
    /// <param name="sessionOptions">Used if this opens the session.</param>
    /// <param name="registry">The session registry; the process-wide one by default.</param>
    /// <param name="kind">The run's kind: Records (Write-Finding), or Duplicates (hashes Find-DuplicateFile computed).</param>
    /// <exception cref="CatalogException">The catalog cannot be written.</exception>
    /// <param name="brokerPassword">For a redis:// catalog: the broker's password (else $env:SCANTOOLS_REDIS_PASSWORD).</param>
    public static FileRecorder Start(string databasePath, bool hash = false, WriterSessionOptions? sessionOptions = null, WriterSessionRegistry? registry = null, string kind = "Records", string? brokerPassword = null)
    {
        ICatalogSink lease = (registry ?? WriterSessionRegistry.Shared).AcquireSink(databasePath, sessionOptions, brokerPassword);
        var recorder = new FileRecorder(lease, hash) { _registry = registry ?? WriterSessionRegistry.Shared, _kind = kind };
        try
        {
            recorder._start = new ScanRunStart { RunKey = recorder.RunKey, StartedUtc = DateTime.UtcNow, Kind = kind };
            lease.Write(recorder._start);
            ProcessShutdown.Track(recorder);
            return recorder;
        }
        catch
        {
            recorder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a file's metadata from disk now (and its hash when the recorder hashes) into a record.
    /// A symbolic link is recorded as the link, as a scan without -FollowSymlink would. The record is
    /// good to store; <paramref name="problems"/> lists what went wrong with it all the same: a value the
    /// file system reported that had to be clamped (<see cref="ScanErrorKind.ValueOutOfRange"/>), or content
    /// that could not be hashed (the record then has no hash). Empty when there were none.
    /// </summary>
    /// <exception cref="ScanItemException">
    /// The path cannot be recorded: <see cref="ScanErrorKind.FileVanished"/> (nothing there),
    /// <see cref="ScanErrorKind.AccessDenied"/> (metadata unreadable), <see cref="ScanErrorKind.NotAFile"/>
    /// (a folder), <see cref="ScanErrorKind.InvalidName"/> (not a valid path), or <see cref="ScanErrorKind.IoError"/>.
    /// </exception>
    public FileRecord Capture(string fullPath, out IReadOnlyList<ScanError> problems)
    {
        var found = new List<ScanError>(0);
        problems = found;
        string path;
        try
        {
            path = ScanOptions.TrimSeparator(Path.GetFullPath(fullPath));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ScanItemException(ScanErrorKind.InvalidName, fullPath, $"'{fullPath}' is not a valid file path: {ex.Message}", ex);
        }
        StatFailure failure = FileStat.TryStat(path, follow: false, out EntryStat stat);
        switch (failure)
        {
            case StatFailure.None:
                break;
            case StatFailure.NotFound:
                throw new ScanItemException(ScanErrorKind.FileVanished, path, $"There is no file at '{path}'.");
            case StatFailure.AccessDenied:
                throw new ScanItemException(ScanErrorKind.AccessDenied, path, $"Permission denied while reading '{path}'.");
            default:
                throw new ScanItemException(ScanErrorKind.IoError, path, $"The metadata of '{path}' could not be read ({failure}).");
        }
        if (stat.Kind == EntryKind.Directory)
        {
            throw new ScanItemException(ScanErrorKind.NotAFile, path, $"'{path}' is a folder. Write-Finding records files; use Start-Scan for folders.");
        }
        string? target = stat.Kind == EntryKind.Symlink ? new FileInfo(path).LinkTarget : null;
        byte[]? digest = null;
        if (stat.Clamped is string clamped)
        {
            found.Add(new ScanError(path, ScanErrorKind.ValueOutOfRange,
                $"The file system reports a {clamped} that .NET cannot represent; the file is recorded with the nearest value it can."));
        }
        if (_hasher is not null && stat.Kind == EntryKind.File)
        {
            try
            {
                HashOutcome hashed = _hasher.Hash(path, stat, CancellationToken.None);
                digest = hashed.Digest;
                if (hashed.Problem is string problem)
                {
                    found.Add(new ScanError(path, hashed.ProblemKind, problem));
                }
                else if (hashed.Length != stat.Length)
                {
                    stat = stat with { Length = hashed.Length }; // a pseudo-file: its size is what was read
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                found.Add(new ScanError(path, ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : ScanErrorKind.HashFailed,
                    $"The content could not be read, so the file is recorded without a hash: {ex.Message}"));
            }
        }
        return FileRecord.FromStat(Path.GetDirectoryName(path) ?? path, Path.GetFileName(path), stat, stat.Kind == EntryKind.Symlink, target, digest);
    }

    /// <summary>
    /// Reads a file's metadata (and hash) into a record, storing its problems as error items of the run;
    /// see <see cref="Capture(string, out IReadOnlyList{ScanError})"/>.
    /// </summary>
    public FileRecord Capture(string fullPath)
    {
        FileRecord record = Capture(fullPath, out IReadOnlyList<ScanError> problems);
        foreach (ScanError problem in problems)
        {
            AddError(problem);
        }
        return record;
    }

    /// <summary>
    /// Queues a record; a full batch goes to the session (waiting if its queue is full). The same file
    /// given again before its batch went out replaces the earlier record: a file is recorded once.
    /// </summary>
    public void Add(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            AddLocked(record);
        }
    }

    private void AddLocked(FileRecord record)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        if (!_pending.TryGetValue(record.DirectoryName, out Dictionary<string, FileRecord>? folder))
        {
            _pending[record.DirectoryName] = folder = new Dictionary<string, FileRecord>(PathComparison.Comparer);
        }
        if (folder.Remove(record.Name, out FileRecord? earlier))
        {
            _files--;
            _pendingCount--;
            if (_counted.Remove(earlier))
            {
                _bytes -= earlier.Length;
                if (earlier.Inode is long ino)
                {
                    _linkedContent.Remove((earlier.Device ?? 0, ino));
                }
            }
        }
        folder.Add(record.Name, record);
        _files++;
        // A file's bytes once per run: another name (hard link) of content already counted adds nothing.
        bool linked = record.HardLinks is > 1 && record.Inode is long inode; // a symlink with several names too, as du counts
        if (!linked || _linkedContent.Add((record.Device ?? 0, record.Inode!.Value)))
        {
            _bytes += record.Length;
            _counted.Add(record);
        }
        if (++_pendingCount >= BatchRows)
        {
            Hand();
        }
    }

    /// <summary>
    /// Error items for records the catalog refused to store since the last call (already stored with the
    /// run and counted); the caller reports them. Refusals surface after a batch is handed over.
    /// </summary>
    public IReadOnlyList<ScanError> TakeRefusals()
    {
        lock (_gate)
        {
            if (_refusals.Count == 0)
            {
                return Array.Empty<ScanError>();
            }
            var taken = _refusals.ToList();
            _refusals.Clear();
            return taken;
        }
    }

    private readonly List<ScanError> _refusals = new();

    /// <summary>Refused writes become error items of the run, and their files leave the counts.</summary>
    private void Refused(IReadOnlyList<RejectedWrite> refused)
    {
        foreach (RejectedWrite r in refused)
        {
            if (r.Write is DirectoryListing l)
            {
                _files -= l.Files.Count;
                _bytes -= l.Files.Sum(f => f.Length);
                foreach (FileRecord f in l.Files)
                {
                    ScanError error = new(f.FullName, ScanErrorKind.WriteRejected, $"The catalog refused to store this file's record ({r.Reason}).");
                    _refusals.Add(error);
                    _errors++;
                    _lease.Write(new ScanErrorBatch { RunKey = RunKey, Errors = new[] { error } });
                }
            }
            else if (r.Write is ScanErrorBatch b)
            {
                _refusals.AddRange(b.Errors); // cannot be stored; still reported, never retried
            }
            else
            {
                _refusals.Add(new ScanError(_lease.DatabasePath, ScanErrorKind.WriteRejected, $"The catalog refused {r.Write.Describe()} ({r.Reason})."));
            }
        }
    }

    private void FlushReportingRefusals()
    {
        try
        {
            _lease.Flush();
        }
        catch (CatalogException ex) when (ex.Code == CatalogErrorCode.WriteRejected)
        {
            Refused(ex.Rejected);
            try
            {
                _lease.Flush();
            }
            catch (CatalogException again) when (again.Code == CatalogErrorCode.WriteRejected)
            {
                Refused(again.Rejected);
            }
        }
    }

    /// <summary>Stores an error item with the run (an input that could not be recorded, a file that could not be hashed).</summary>
    public void AddError(ScanError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_ended, this);
            _errors++;
            _lease.Write(new ScanErrorBatch { RunKey = RunKey, Errors = new[] { error } });
        }
    }

    /// <summary>Ends the run Completed and waits for its commit, without reading it back (a caller that does not need it).</summary>
    /// <exception cref="CatalogException">The catalog could not be written.</exception>
    internal void Finish()
    {
        lock (_gate)
        {
            End(ScanRunStatus.Completed, null);
        }
    }

    /// <summary>Hands over what is queued, ends the run as Completed and waits until all of it is committed.</summary>
    /// <returns>The run as recorded.</returns>
    /// <exception cref="CatalogException">The catalog could not be written.</exception>
    public ScanRun Complete()
    {
        lock (_gate)
        {
            End(ScanRunStatus.Completed, null);
        }
        if (Remote.RemoteCatalogAddress.IsRemote(_lease.DatabasePath))
        {
            // The catalog is on another computer: the run as sent (its id there is the consumer's to give; 0 here).
            return ScanRun.AsSent(RunKey, _kind, ScanRunStatus.Completed, _startedUtc, _lease.DatabasePath, _files, _bytes, _errors);
        }
        return ScanJob.ReadBack(_lease.DatabasePath, RunKey, out CatalogException? unreadable)
            ?? throw ScanJob.CommittedRunNotSeen(_lease.DatabasePath, unreadable);
    }

    /// <summary>Ends the run as Cancelled if it was not completed (what was handed over stays), and releases the session.</summary>
    public void Dispose()
    {
        try
        {
            lock (_gate)
            {
                End(ScanRunStatus.Cancelled, _kind == "Records"
                    ? "Stopped before the input ended; what was recorded is kept."
                    : "Stopped before it ended; what was recorded is kept."); // a Duplicates run takes no input
            }
        }
        catch (CatalogException)
        {
            // The session failed; its producers were already told, and End remembered the run's end.
        }
        finally
        {
            ProcessShutdown.Untrack(this);
            _hasher?.Dispose();
            _lease.Dispose();
        }
    }

    private void End(ScanRunStatus status, string? message)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        _endStatus = (int)status;
        try
        {
            Hand();
            FlushReportingRefusals(); // the run's counts must not include what the catalog refused
            _lease.Write(new ScanRunEnd
            {
                RunKey = RunKey,
                Status = status,
                EndedUtc = DateTime.UtcNow,
                Files = _files,
                Bytes = _bytes,
                Directories = 0,
                Errors = _errors,
                Message = message,
            });
            FlushReportingRefusals();
        }
        catch (CatalogException failed) when (failed.Code != CatalogErrorCode.WriteRejected)
        {
            // The catalog failed under the run: the next session of the catalog in this process ends it,
            // Failed with this reason and the counts of what was committed.
            _registry.RememberUnwrittenEnd(_lease.DatabasePath, ScanRunEnd.AfterCatalogFailure(RunKey, failed, _start));
            throw;
        }
        finally
        {
            _endedTask.TrySetResult();
        }
    }

    void ProcessShutdown.IStoppableRun.Stop(string reason)
    {
        // On the signal's thread: waits for the caller's current record, then ends the run.
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            (FileRecorder recorder, string why) = state;
            try
            {
                lock (recorder._gate)
                {
                    recorder.End(ScanRunStatus.Cancelled, why + "; what was recorded is kept.");
                }
            }
            catch (CatalogException)
            {
                // The session failed; its producers were already told.
            }
        }, (this, reason), preferLocal: false);
    }

    Task ProcessShutdown.IStoppableRun.Ended => _endedTask.Task;

    /// <summary>How the run ended (set once by <see cref="End"/>): a run that completed just before the signal is not "stopped".</summary>
    private volatile int _endStatus = -1;

    string? ProcessShutdown.IStoppableRun.StoppedText => _endedTask.Task.IsCompleted && _endStatus == (int)ScanRunStatus.Cancelled
        ? string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "Recording ({0}) into '{1}' stopped: kept {2:N0} file{3} ({4}). Get-ScanRun -Database '{1}' -Status Cancelled lists the run.",
            _kind, _lease.DatabasePath, _files, _files == 1 ? string.Empty : "s", Hosting.ByteSize.Format(_bytes))
        : null;

    /// <summary>A recording ends as soon as it is stopped; there is nothing it can be stuck in.</summary>
    void ProcessShutdown.IStoppableRun.Abandon(string reason, TimeSpan wait)
    {
    }

    private void Hand()
    {
        foreach ((string dir, Dictionary<string, FileRecord> files) in _pending)
        {
            _lease.Write(new DirectoryListing { RunKey = RunKey, DirectoryPath = dir, Files = files.Values.ToList(), Mode = ListingMode.Records });
        }
        _pending.Clear();
        _pendingCount = 0;
        _counted.Clear(); // what went out stays counted
        if (_lease.TakeRejected() is { Count: > 0 } refused)
        {
            Refused(refused);
        }
        if (!_ended && _sinceCounts.Elapsed >= ScanJob.CountsInterval)
        {
            // A long pipeline: keep the run's counts current for Get-ScanRun.
            _lease.Write(new ScanRunProgress { RunKey = RunKey, Files = _files, Bytes = _bytes, Errors = _errors });
            _sinceCounts.Restart();
        }
    }
}
