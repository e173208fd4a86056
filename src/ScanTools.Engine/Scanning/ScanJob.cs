using System.Threading.Channels;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Scanning;

/// <summary>
/// One scan into one catalog: opens a run, walks on background threads, hands every listing and error
/// to the catalog's shared writer session, and closes the run as Completed, Cancelled or Failed.
/// What the caller must see (records with PassThru, errors, progress) arrives through
/// <see cref="Pump"/>, on the caller's own thread, which is where PowerShell requires output.
/// </summary>
public sealed class ScanJob : IDisposable, ProcessShutdown.IStoppableRun
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly Channel<ScanEvent> _events;
    private readonly ICatalogSink _lease;

    /// <summary>The run's start as sent, written again with a late end (<see cref="ScanRunEnd.Start"/>).</summary>
    private ScanRunStart? _start;
    private readonly DateTime _startedUtc = DateTime.UtcNow;
    private readonly FileWalker _walker;
    private readonly ScanOptions _options;
    private readonly bool _passThru;
    private readonly bool _reportErrors;
    private readonly Thread _thread;
    private readonly TaskCompletionSource<ScanRun> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly WriterSessionRegistry _registry;
    private readonly FolderSnapshots _snapshots;

    private ScanJob(ICatalogSink lease, ScanOptions options, ScanJobSettings settings, FileWalker walker)
    {
        _lease = lease;
        _registry = settings.Registry ?? WriterSessionRegistry.Shared;
        _options = options;
        _passThru = settings.PassThru;
        _reportErrors = settings.ReportErrors;
        RunKey = walker.RunKey;
        _walker = walker;
        // The walker threads read what the catalog holds per folder: the writer then needs not, and an
        // incremental -Hash keeps the hashes of unchanged files without reading them.
        _snapshots = new FolderSnapshots(lease is WriterSessionLease { IsRemote: false } ? lease.DatabasePath : null); // a remote catalog has no local rows to read
        _walker.Snapshots = _snapshots;
        _walker.OwnCatalog = lease is WriterSessionLease { IsRemote: false } ? OwnCatalogFiles.For(lease.DatabasePath) : null;
        _events = Channel.CreateBounded<ScanEvent>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "ScanTools scan" };
    }

    /// <summary>The run's key; its id is known once the run is committed.</summary>
    public Guid RunKey { get; }

    /// <summary>Live counters.</summary>
    public ScanProgress Progress => _walker.Progress;

    /// <summary>Completes with the run as recorded, or faults when the catalog could not be written.</summary>
    public Task<ScanRun> Completion => _completion.Task;

    /// <summary>
    /// Validates the options, opens (or joins) the catalog's writer session and starts the scan.
    /// Errors that make the whole scan impossible are thrown here.
    /// </summary>
    /// <param name="databasePath">The catalog; any spelling, relative to the process's working directory.</param>
    /// <param name="options">What to scan.</param>
    /// <param name="settings">Delivery and session settings; see <see cref="ScanJobSettings"/>.</param>
    /// <exception cref="ArgumentException">The options cannot work.</exception>
    /// <exception cref="CatalogException">The catalog cannot be written.</exception>
    public static ScanJob Start(string databasePath, ScanOptions options, ScanJobSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        settings ??= new ScanJobSettings();
        options.Validate();
        // Before the catalog is opened: an -IgnoreFile the walker refuses must not leave a new, empty catalog behind.
        var walker = new FileWalker(options, Guid.NewGuid()) { EntryListed = settings.EntryListed, ContentOpening = settings.ContentOpening };
        ProcessShutdown.BeginStart();
        ScanJob? started = null;
        try
        {
            ICatalogSink lease = (settings.Registry ?? WriterSessionRegistry.Shared).AcquireSink(databasePath, settings.SessionOptions, settings.BrokerPassword);
            try
            {
                var job = new ScanJob(lease, options, settings, walker);
                job._start = new ScanRunStart
                {
                    RunKey = job.RunKey,
                    StartedUtc = DateTime.UtcNow,
                    Roots = options.NormalizedRoots(),
                    OptionsJson = options.ToJson(),
                };
                lease.Write(job._start);
                job._thread.Start();
                started = job;
                return job;
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
        finally
        {
            ProcessShutdown.EndStart(started); // tracked from here; stopped at once if a signal came meanwhile
        }
    }

    /// <summary>Runs a whole scan on the calling thread's behalf and returns the run (errors are only stored).</summary>
    public static ScanRun Run(string databasePath, ScanOptions options, ScanJobSettings? settings = null,
        CancellationToken cancellationToken = default)
    {
        settings = (settings ?? new ScanJobSettings()) with { PassThru = false, ReportErrors = false };
        using ScanJob job = Start(databasePath, options, settings);
        return job.Pump(new ScanObserver(), cancellationToken);
    }

    /// <summary>For tests: cancelled once the scan has been asked to stop.</summary>
    internal CancellationToken StopRequested => _cancel.Token;

    /// <summary>Asks the scan to stop; it commits what was accepted and ends the run Cancelled.</summary>
    public void Cancel() => Cancel(null);

    void ProcessShutdown.IStoppableRun.Stop(string reason)
    {
        _endingProcess = true;
        Cancel(reason);
    }

    /// <summary>Stopped because the process is ending (SIGTERM, SIGHUP): nothing will send what is left after the run.</summary>
    private volatile bool _endingProcess;

    Task ProcessShutdown.IStoppableRun.Ended => _completion.Task;

    string? ProcessShutdown.IStoppableRun.StoppedText =>
        _completion.Task.IsCompletedSuccessfully && _completion.Task.Result.Status == ScanRunStatus.Cancelled ? Hosting.ProgressText.Stopped(_completion.Task.Result)
        : _completion.Task.IsCompletedSuccessfully && _endingProcess && Remote.RemoteCatalogAddress.IsRemote(_lease.DatabasePath) ? UnconfirmedText(_completion.Task.Result)
        : _abandoned is string reason ? AbandonedText(reason)
        : null;

    /// <summary>
    /// The line for a remote scan that had ended and was waiting for a consumer to commit it when the process was asked to
    /// end: it said nothing, and the process ended 143 (newcomer test 83).
    /// </summary>
    private string UnconfirmedText(ScanRun run) => Hosting.DisplayText.Escape(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Scan {RunKey:D} of {string.Join(", ", _options.NormalizedRoots())} ended {run.Status} ({run.Files:N0} files sent to {_lease.DatabasePath}), and was waiting for a consumer to commit it when the process was stopped: {_cancelReason ?? "stopped"}. What reached the broker is committed when Start-ScanConsumer runs (is one running? Get-ScanSession); Get-ScanRun on the catalog then shows the run."))!;

    /// <summary>Why the run was ended on record without stopping in time (<see cref="ProcessShutdown.IStoppableRun.Abandon"/>); null until then.</summary>
    private volatile string? _abandoned;

    /// <summary>
    /// The line for a run that did not end within the grace period: a remote scan whose end no consumer committed meanwhile
    /// (none was running) wrote nothing at all, and the process ended 143 after 20-30 s without a word (newcomer test 83).
    /// </summary>
    private string AbandonedText(string reason) => Hosting.DisplayText.Escape(Remote.RemoteCatalogAddress.IsRemote(_lease.DatabasePath)
        ? $"Scan {RunKey:D} of {string.Join(", ", _options.NormalizedRoots())}: {reason.TrimEnd('.')}, and its end did not reach {_lease.DatabasePath} within {ProcessShutdown.GracePeriod.TotalSeconds:0} s (is a consumer running? Get-ScanSession). What reached the broker is committed when Start-ScanConsumer runs; the run is recorded Failed there once its process is heard no more."
        : $"Scan {RunKey:D} of {string.Join(", ", _options.NormalizedRoots())}: {reason.TrimEnd('.')}, and it did not stop within {ProcessShutdown.GracePeriod.TotalSeconds:0} s (a read that did not return): it is recorded Cancelled with the counts the catalog holds (Get-ScanRun).")!;

    void ProcessShutdown.IStoppableRun.Abandon(string reason, TimeSpan wait)
    {
        _abandoned = reason;
        try
        {
            _lease.Write(ScanRunEnd.CountedFromCatalog(RunKey, ScanRunStatus.Cancelled,
                reason.TrimEnd('.') + ". The scan did not stop in time (a read that did not return); the counts are what the catalog holds."));
            _ = Task.Run(() => _lease.Flush()).Wait(wait);
        }
        catch (Exception ex) when (ex is CatalogException or ObjectDisposedException or AggregateException or OperationCanceledException)
        {
            // The session failed or closed: the next writer marks the run Failed instead.
        }
    }

    private volatile string? _cancelReason;

    /// <summary>Stops the scan, saying why in the run's message (the first reason given wins).</summary>
    public void Cancel(string? reason)
    {
        if (reason is not null)
        {
            _cancelReason ??= reason;
        }
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Delivers records, errors and progress to <paramref name="observer"/> on the calling thread until
    /// the scan ends, and returns the run. If the observer throws, the scan is cancelled, allowed to
    /// commit, and the exception is rethrown.
    /// </summary>
    /// <exception cref="CatalogException">The catalog could not be written.</exception>
    public ScanRun Pump(ScanObserver observer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observer);
        using CancellationTokenRegistration reg = cancellationToken.Register(Cancel);
        ChannelReader<ScanEvent> reader = _events.Reader;
        DateTime nextProgress = DateTime.UtcNow;
        ScanEvent? delivering = null;
        Volatile.Write(ref _pumping, 1);
        try
        {
            while (true)
            {
                while (reader.TryRead(out ScanEvent? e))
                {
                    delivering = e;
                    if (e.Record is not null)
                    {
                        observer.OnRecord?.Invoke(e.Record);
                    }
                    else if (e.Error is not null)
                    {
                        observer.OnError?.Invoke(e.Error);
                    }
                    delivering = null;
                    if (observer.OnProgress is not null && DateTime.UtcNow >= nextProgress)
                    {
                        break; // let progress through even when events never stop
                    }
                }
                if (observer.OnProgress is not null && DateTime.UtcNow >= nextProgress)
                {
                    observer.OnProgress(Progress.Snapshot());
                    nextProgress = DateTime.UtcNow + observer.ProgressInterval;
                }
                if (reader.Completion.IsCompleted)
                {
                    break;
                }
                // Without progress there is nothing to do until an event arrives or the scan ends.
                TimeSpan wait = observer.OnProgress is null
                    ? Timeout.InfiniteTimeSpan
                    : TimeSpan.FromTicks(Math.Max(0, (nextProgress - DateTime.UtcNow).Ticks));
                reader.WaitToReadAsync().AsTask().Wait(wait);
            }
            _pumpDrained.TrySetResult();
        }
        catch (Exception ex)
        {
            // The caller stopped taking output: -ErrorAction Stop on an error item, Select-Object -First, Ctrl+C.
            Cancel(delivering?.Error is ScanError stoppedAt
                ? $"Stopped at the error item {stoppedAt.Kind} of '{Hosting.DisplayText.Escape(stoppedAt.FullName)}' (the caller stops at errors, for example with -ErrorAction Stop)"
                : delivering?.Record is not null
                    ? $"Stopped by the caller, which takes no more records ({ex.GetType().Name}: {ex.Message.TrimEnd('.')})"
                    : $"Stopped by the caller ({ex.GetType().Name}: {ex.Message.TrimEnd('.')})");
            _pumpDrained.TrySetResult();
            Completion.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
            throw;
        }
        return Completion.GetAwaiter().GetResult();
    }

    private int _pumping;
    private readonly TaskCompletionSource _pumpDrained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// After the walk: hands the pump everything still queued and waits until it has been delivered, so a
    /// caller that stops at the last error item (-ErrorAction Stop) still makes the run Cancelled. Only when
    /// someone pumps: a caller that never pumps gets nothing delivered and is not waited for.
    /// </summary>
    private void LetThePumpCatchUp()
    {
        _events.Writer.TryComplete();
        if (Volatile.Read(ref _pumping) != 0 && (_reportErrors || _passThru))
        {
            _pumpDrained.Task.Wait();
        }
    }

    /// <summary>How often a running scan stores its counts, so Get-ScanRun shows them while it runs.</summary>
    internal static readonly TimeSpan CountsInterval = TimeSpan.FromSeconds(2);

    private int _storingCounts;

    /// <summary>Timer callback: hands the run's current counts to the session (skipped while the last is still waiting).</summary>
    private void StoreCounts()
    {
        if (Interlocked.Exchange(ref _storingCounts, 1) != 0)
        {
            return;
        }
        try
        {
            ScanProgressSnapshot p = Progress.Snapshot();
            _lease.Write(new ScanRunProgress { RunKey = RunKey, Files = p.Files, Bytes = p.Bytes, Directories = p.Directories, Errors = p.Errors, Skipped = p.Skipped }, _cancel.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or CatalogException)
        {
            // Stopping, or the session failed: the run's end (or the failure) tells the rest.
        }
        finally
        {
            Volatile.Write(ref _storingCounts, 0);
        }
    }

    private void Run()
    {
        var sink = new JobSink(this);
        using var counts = new Timer(static job => ((ScanJob)job!).StoreCounts(), this, CountsInterval, CountsInterval);
        ScanRunStatus status = ScanRunStatus.Completed;
        string? message = null;
        Exception? fatal = null;
        try
        {
            try
            {
                _walker.Walk(sink, _cancel.Token);
            }
            finally
            {
                _snapshots.Dispose();
            }
            LetThePumpCatchUp();
            _cancel.Token.ThrowIfCancellationRequested(); // the caller stopped while the last events were delivered
        }
        catch (OperationCanceledException)
        {
            status = ScanRunStatus.Cancelled;
            message = (_cancelReason ?? "Stopped on request").TrimEnd('.') + ". Everything found before that is kept.";
        }
        catch (CatalogException ex)
        {
            status = ScanRunStatus.Failed;
            fatal = ex;
        }
        catch (Exception ex)
        {
            status = ScanRunStatus.Failed;
            message = ex.Message;
            fatal = ex;
        }
        using (var stopped = new ManualResetEvent(false))
        {
            if (counts.Dispose(stopped))
            {
                stopped.WaitOne(); // no counts may land after the run's end
            }
        }

        ScanRun? run = null;
        CatalogException? unseen = null;
        try
        {
            if (fatal is not CatalogException)
            {
                FlushReportingRefusals(); // the counts of the run's end must not include what the catalog refused
                ScanProgressSnapshot p = Progress.Snapshot();
                _lease.Write(new ScanRunEnd
                {
                    RunKey = RunKey,
                    Status = status,
                    EndedUtc = DateTime.UtcNow,
                    Files = p.Files,
                    Bytes = p.Bytes,
                    Directories = p.Directories,
                    Errors = p.Errors,
                    Skipped = p.Skipped,
                    Message = message,
                    Rules = _options.Rules is null ? null : new RuleCounts(_walker.RuleStatistics.Matches, _walker.RuleStatistics.ContentFiles,
                        _walker.RuleStatistics.BinarySkipped, _walker.RuleStatistics.OversizedSkipped),
                });
                FlushReportingRefusals();
                if (Remote.RemoteCatalogAddress.IsRemote(_lease.DatabasePath))
                {
                    // The catalog is on another computer: the run as sent (its id there is the consumer's to give).
                    run = ScanRun.AsSent(RunKey, "Scan", status, _startedUtc, _lease.DatabasePath, p.Files, p.Bytes, p.Errors,
                        p.Directories, p.Skipped, _options.NormalizedRoots(), _options.ToJson(), message);
                }
                else
                {
                    run = ReadBack(_lease.DatabasePath, RunKey, out unseen);
                }
            }
        }
        catch (Exception ex)
        {
            fatal ??= ex;
        }
        finally
        {
            _lease.Dispose();
            _events.Writer.TryComplete();
            ProcessShutdown.Untrack(this);
        }
        if (fatal is CatalogException failed)
        {
            // The catalog failed under the run (a full disk): its end is written, Failed with this reason and
            // the counts of what was committed, by the next session of the catalog in this process.
            _registry.RememberUnwrittenEnd(_lease.DatabasePath, ScanRunEnd.AfterCatalogFailure(RunKey, failed, _start));
        }

        if (run is not null && fatal is null or not CatalogException)
        {
            _completion.TrySetResult(run);
        }
        else
        {
            _completion.TrySetException(fatal ?? CommittedRunNotSeen(_lease.DatabasePath, unseen));
        }
    }

    /// <summary>
    /// The run <paramref name="runKey"/> as a new connection reads it after its end was committed; null, with
    /// <paramref name="unreadable"/> set when that connection cannot read the catalog (see <see cref="CommittedRunNotSeen"/>).
    /// </summary>
    internal static ScanRun? ReadBack(string databasePath, Guid runKey, out CatalogException? unreadable)
    {
        unreadable = null;
        try
        {
            using CatalogReader reader = CatalogReader.Open(databasePath);
            return reader.GetScanRun(runKey);
        }
        catch (CatalogException ex) when (ex.Code is CatalogErrorCode.OpenFailed or CatalogErrorCode.Corrupt or CatalogErrorCode.NotFound)
        {
            unreadable = ex; // not the run's failure: it is committed (SQLite's "disk I/O error" when its -wal went missing)
            return null;
        }
    }

    /// <summary>
    /// A run committed through the writer that a new connection to the catalog does not see: its -wal file was
    /// deleted or replaced while the writer held it (the writer still writes the log it opened, which a new
    /// connection cannot find). What was committed is folded into the catalog when the writer closes.
    /// </summary>
    internal static CatalogException CommittedRunNotSeen(string databasePath, CatalogException? unreadable = null) => unreadable?.Code == CatalogErrorCode.NotFound
        // The file was moved or deleted under the writer, which went on writing the file it had open: "there is no catalog,
        // run Start-Scan to create one" (what opening it said) sent a newcomer looking for a scan that had in fact completed.
        ? new(CatalogErrorCode.WriteFailed, databasePath,
            $"The run was committed, but '{databasePath}' is gone: the catalog file was moved or deleted while the command wrote it. If it was moved, the run is in the file at its new place (Get-ScanRun -Database NEWPATH); if it was deleted, what the run wrote went with it. Scan again to record the files at '{databasePath}'.", unreadable)
        : new(CatalogErrorCode.WriteFailed, databasePath,
        $"The run was committed, but a new connection to '{databasePath}' " + (unreadable is null ? "does not see it" : $"cannot read it back ({unreadable.Message})") +
        ": the catalog's -wal file was most likely deleted or replaced while it was written. Never delete a catalog's -wal or -shm file " +
        "while a command uses it. What was committed is folded into the catalog when its writer closes; check with Get-ScanRun once the " +
        "commands using the catalog have ended.", unreadable);

    /// <summary>Flushes; writes the catalog refused on their own become error items instead of failing the run.</summary>
    private void FlushReportingRefusals()
    {
        try
        {
            if (Remote.RemoteCatalogAddress.IsRemote(_lease.DatabasePath))
            {
                // The consumer may be minutes away: a stop (Ctrl+C) ends the wait. What was written stays with this
                // computer's publisher, which keeps sending it. Unless the process is ending (SIGTERM): then nothing
                // would, so the run's end is waited for, within the shutdown's grace period, to reach the consumer.
                try
                {
                    if (_endingProcess)
                    {
                        using var grace = new CancellationTokenSource(ProcessShutdown.GracePeriod - TimeSpan.FromSeconds(Math.Min(5, ProcessShutdown.GracePeriod.TotalSeconds / 4)));
                        _lease.Flush(grace.Token);
                    }
                    else
                    {
                        _lease.Flush(_cancel.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                return;
            }
            _lease.Flush();
        }
        catch (CatalogException ex) when (ex.Code == CatalogErrorCode.WriteRejected)
        {
            ReportRefusals(ex.Rejected);
            _lease.Flush(); // the error items just written (their own refusal is only reported, never retried)
        }
    }

    /// <summary>
    /// Turns writes the catalog refused into error items of the run (stored, counted, and delivered like any
    /// other), and takes their files back out of the counts. Any walker thread may call it.
    /// </summary>
    private void ReportRefusals(IReadOnlyList<RejectedWrite> refused)
    {
        foreach (RejectedWrite r in refused)
        {
            ScanError error;
            switch (r.Write)
            {
                case DirectoryListing l:
                    Progress.RemoveFiles(l.Files.Count, l.Files.Sum(f => f.Length));
                    error = new ScanError(l.DirectoryPath, ScanErrorKind.WriteRejected,
                        $"The catalog refused to store {l.Files.Count:N0} file record(s) of this folder ({r.Reason}); the rest of the scan is stored.");
                    break;
                case ScanErrorBatch b:
                    // Error items that could not be stored are still delivered; storing them again could refuse forever.
                    foreach (ScanError lost in b.Errors)
                    {
                        if (_reportErrors)
                        {
                            Publish(new ScanEvent(null, lost));
                        }
                    }
                    continue;
                default:
                    error = new ScanError(_options.NormalizedRoots().FirstOrDefault() ?? string.Empty, ScanErrorKind.WriteRejected,
                        $"The catalog refused {r.Write.Describe()} ({r.Reason}).");
                    break;
            }
            Progress.AddError();
            _lease.Write(new ScanErrorBatch { RunKey = RunKey, Errors = new[] { error } });
            if (_reportErrors)
            {
                Publish(new ScanEvent(null, error));
            }
        }
    }

    /// <summary>Ends the scan if it is still going and releases its resources.</summary>
    public void Dispose()
    {
        Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
        _cancel.Dispose();
    }

    /// <summary>
    /// Hands an event to the pump, waiting while it is behind. Once the scan is cancelled, events are
    /// dropped instead: what they describe is already accepted for the catalog and must still be counted.
    /// </summary>
    private void Publish(ScanEvent e)
    {
        try
        {
            ValueTask write = _events.Writer.WriteAsync(e, _cancel.Token);
            if (!write.IsCompletedSuccessfully)
            {
                write.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
            // After the walk (a refusal reported at the end): the item is stored with the run all the same.
        }
    }

    private sealed class JobSink : IWalkSink
    {
        private readonly ScanJob _job;

        public JobSink(ScanJob job) => _job = job;

        public void OnListing(DirectoryListing listing)
        {
            Hand(listing, _job._cancel.Token);
            if (_job._passThru)
            {
                foreach (FileRecord r in listing.Files)
                {
                    if (_job._cancel.IsCancellationRequested)
                    {
                        break;
                    }
                    _job.Publish(new ScanEvent(r, null));
                }
            }
        }

        // The run is stopping; its end is written after the walk has returned, so this still lands before it.
        public void OnStopped(DirectoryListing listing) => Hand(listing, CancellationToken.None);

        private void Hand(DirectoryListing listing, CancellationToken token)
        {
            _job._lease.Write(listing, token);
            if (_job._lease.TakeRejected() is { Count: > 0 } refused)
            {
                _job.ReportRefusals(refused); // as they happen, so progress and the caller see them
            }
        }

        public void OnError(ScanError error)
        {
            _job._lease.Write(new ScanErrorBatch { RunKey = _job.RunKey, Errors = new[] { error } }, _job._cancel.Token);
            if (_job._reportErrors)
            {
                _job.Publish(new ScanEvent(null, error));
            }
        }
    }

    private sealed record ScanEvent(FileRecord? Record, ScanError? Error);
}

/// <summary>How a <see cref="ScanJob"/> delivers what it finds and which session it writes through.</summary>
public sealed record ScanJobSettings
{
    /// <summary>Deliver every record through <see cref="ScanJob.Pump"/>.</summary>
    public bool PassThru { get; init; }

    /// <summary>
    /// Deliver error items through <see cref="ScanJob.Pump"/> (they are stored either way). When this or
    /// <see cref="PassThru"/> is set the caller must pump: the scan waits once 4,096 events are undelivered.
    /// </summary>
    public bool ReportErrors { get; init; } = true;

    /// <summary>Used if this scan opens the catalog's session.</summary>
    public WriterSessionOptions? SessionOptions { get; init; }

    /// <summary>The session registry; the process-wide one by default.</summary>
    public WriterSessionRegistry? Registry { get; init; }

    /// <summary>For a redis:// catalog: the broker's password (else $env:SCANTOOLS_REDIS_PASSWORD). Never stored.</summary>
    public string? BrokerPassword { get; init; }

    /// <summary>Test seam: passed to the walker's <see cref="FileWalker.EntryListed"/>.</summary>
    internal Action<string>? EntryListed { get; init; }

    /// <summary>Test seam: passed to the walker's <see cref="FileWalker.ContentOpening"/>.</summary>
    internal Action<string>? ContentOpening { get; init; }
}

/// <summary>What a caller of <see cref="ScanJob.Pump"/> wants to hear about. Every callback runs on the pumping thread.</summary>
public sealed class ScanObserver
{
    /// <summary>Each record (only when the job was started with passThru).</summary>
    public Action<FileRecord>? OnRecord { get; init; }

    /// <summary>Each error item.</summary>
    public Action<ScanError>? OnError { get; init; }

    /// <summary>Progress, at most once per <see cref="ProgressInterval"/>.</summary>
    public Action<ScanProgressSnapshot>? OnProgress { get; init; }

    /// <summary>The least time between two progress calls.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
