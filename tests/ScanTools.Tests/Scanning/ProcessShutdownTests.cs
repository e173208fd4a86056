using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Scanning;

/// <summary>Tests that act on every run of the process (a shutdown signal stops them all): never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "ProcessWide";
}

/// <summary>A shutdown signal (SIGTERM, SIGHUP) ends every run of the process with its true counts.</summary>
[Collection(ProcessWideCollection.Name)]
public sealed class ProcessShutdownTests : CatalogTest
{
    /// <summary>A catalog and a scan of a tree of <paramref name="folders"/> one-file folders, one walker, held by <paramref name="pause"/>.</summary>
    private (string Db, ScanJob Job) StartPausedScan(int folders, WalkPause pause)
    {
        for (int d = 0; d < folders; d++)
        {
            T.File($"tree/d{d:D3}/f.txt");
        }
        string db = T.Db();
        return (db, ScanJob.Start(db, new ScanOptions { Roots = new[] { T.Combine("tree") }, ThrottleLimit = 1 }, pause.Settings(Registry)));
    }

    [LinuxFact]
    public void AShutdownSignal_StopsEveryScanAndRecording_EachEndsCancelledWithItsTrueCounts_BeforeItReturns()
    {
        // The walk stops at its 20th folder until the test has asked for the shutdown: the scan is mid-way.
        using var pause = new WalkPause(at: 20);
        (string db, ScanJob started) = StartPausedScan(100, pause);
        using ScanJob job = started;
        using FileRecorder recorder = FileRecorder.Start(db, registry: Registry);
        recorder.Add(recorder.Capture(T.File("single.txt")));
        pause.WaitReached();

        // The walk goes on only once the shutdown has asked the scan to stop: the scan is mid-way when it does.
        using CancellationTokenRegistration release = job.StopRequested.Register(pause.Release);
        var report = new StringWriter();
        Task<bool> stopping;
        try
        {
            stopping = Task.Run(() => ProcessShutdown.Shutdown("Stopped by a test signal", TimeSpan.FromSeconds(60), report));
            Assert.True(stopping.Result, "the runs did not end within the grace period");
        }
        finally
        {
            ProcessShutdown.ForgetSignal();
        }
        ScanRun scan = job.Completion.Result;
        // One line a run on the process's error stream, as Ctrl+C's: under cron it is all the signal leaves in the log.
        string[] lines = report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith($"Scan {scan.Id} stopped after ", StringComparison.Ordinal)
            && l.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"kept {scan.Files:N0} files"), StringComparison.Ordinal) && l.Contains("Stopped by a test signal", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"Recording (Records) into '{db}' stopped: kept 1 file (", StringComparison.Ordinal));
        Assert.Equal(ScanRunStatus.Cancelled, scan.Status);
        Assert.StartsWith("Stopped by a test signal", scan.Message);
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun records = reader.GetScanRuns().Single(r => r.Kind == "Records");
        Assert.Equal(ScanRunStatus.Cancelled, records.Status);
        Assert.Equal(1, records.Files);
        Assert.Equal(scan.Files + records.Files, Sql.Files(db)); // the counts are what was committed
    }

    [LinuxFact]
    public void A_second_signal_waits_for_the_first_shutdown_and_reports_nothing_again()
    {
        // timeout(1) sends SIGTERM to its child and again to its process group: the second handler returned at once (the
        // process ended before the run was on record, once) or stopped the runs again (the stopped line twice, 2 in 12).
        using var pause = new WalkPause(at: 20);
        (string db, ScanJob started) = StartPausedScan(60, pause);
        using ScanJob job = started;
        pause.WaitReached();
        var report = new StringWriter();
        Task<bool> first, second;
        Task<bool> runEndedWhenSecondReturned;
        try
        {
            first = Task.Run(() => ProcessShutdown.Shutdown("Stopped by a test signal", TimeSpan.FromSeconds(60), report));
            Assert.True(SpinWait.SpinUntil(() => ProcessShutdown.StopReason is not null, TimeSpan.FromSeconds(60)));
            second = Task.Run(() => ProcessShutdown.Shutdown("Stopped by a test signal", TimeSpan.FromSeconds(60), report));
            runEndedWhenSecondReturned = second.ContinueWith(_ => job.Completion.IsCompleted, TaskScheduler.Default);
            // The stop reason is set before the run is asked to stop: released in between, the walk finished the tree and the
            // run Completed (1 fresh-clone CI run).
            Assert.True(SpinWait.SpinUntil(() => job.StopRequested.IsCancellationRequested, TimeSpan.FromSeconds(60)));
            pause.Release(); // the walk goes on, sees the stop, and the run ends
            Assert.True(first.Result);
            Assert.True(second.Result);
        }
        finally
        {
            ProcessShutdown.ForgetSignal();
        }
        Assert.True(runEndedWhenSecondReturned.Result, "the second signal returned before the run had ended");
        Assert.Equal(ScanRunStatus.Cancelled, job.Completion.Result.Status);
        Assert.Single(report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [LinuxFact]
    public void ARunThatCompletedJustBeforeTheSignal_IsNotReportedAsStopped()
    {
        // SIGTERM between two Write-Finding commands printed "Recording (Records) ... stopped: ... -Status Cancelled lists
        // the run" for a run the catalog holds as Completed (1 try in 6).
        T.File("tree/a.txt");
        string db = T.Db();
        using FileRecorder recorder = FileRecorder.Start(db, registry: Registry);
        recorder.Add(recorder.Capture(T.File("single.txt")));
        Assert.Equal(ScanRunStatus.Completed, recorder.Complete().Status);
        using ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { T.Combine("tree") } }, new ScanJobSettings { Registry = Registry, ReportErrors = false });
        Assert.Equal(ScanRunStatus.Completed, job.Completion.Result.Status);

        Assert.Null(((ProcessShutdown.IStoppableRun)recorder).StoppedText);
        Assert.Null(((ProcessShutdown.IStoppableRun)job).StoppedText);
    }

    [LinuxFact]
    public void AShutdownSignalWhileARunOpensItsCatalog_WaitsForItToStart_AndEndsItCancelledOnRecord()
    {
        // A SIGTERM 40-200 ms into Start-Scan, while the catalog was created and its writer elected, ended the
        // process with no run recorded (8 of 20 tries). Now the signal waits for starting runs, then stops them.
        for (int d = 0; d < 50; d++)
        {
            T.File($"tree/d{d:D3}/f.txt");
        }
        string db = T.Db();
        ProcessShutdown.BeginStart(); // a run opening its catalog: the signal must wait for it
        Task<bool> stopping;
        try
        {
            stopping = Task.Run(() => ProcessShutdown.Shutdown("Stopped by a test signal", TimeSpan.FromSeconds(60)));
            Assert.True(SpinWait.SpinUntil(() => ProcessShutdown.StopReason is not null, TimeSpan.FromSeconds(60)));
            Assert.False(stopping.IsCompleted, "the signal did not wait for the run that was starting");

            using ScanJob job = ScanJob.Start(db, new ScanOptions { Roots = new[] { T.Combine("tree") } }, new ScanJobSettings { Registry = Registry, ReportErrors = false });
            ScanRun run = job.Completion.Result;
            Assert.Equal(ScanRunStatus.Cancelled, run.Status);
            Assert.StartsWith("Stopped by a test signal", run.Message);
        }
        finally
        {
            ProcessShutdown.EndStart(null);
        }
        try
        {
            Assert.True(stopping.Result);
        }
        finally
        {
            ProcessShutdown.ForgetSignal();
        }
        using CatalogReader reader = CatalogReader.Open(db);
        Assert.Equal(ScanRunStatus.Cancelled, Assert.Single(reader.GetScanRuns()).Status);
    }
}
