using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Storage;

public sealed class CatalogIdentityTests : CatalogTest
{

    private void Open(string db)
    {
        using WriterSessionLease lease = Registry.Acquire(db);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MissingOrEmptyFile_BecomesACatalog_AtTheCurrentSchemaVersion(bool emptyFileFirst)
    {
        string db = T.Db();
        if (emptyFileFirst)
        {
            File.WriteAllBytes(db, Array.Empty<byte>());
        }

        Open(db);

        Assert.Equal(CatalogSchema.ApplicationId, Sql.Scalar(db, "PRAGMA application_id;"));
        Assert.Equal(CatalogSchema.CurrentVersion, Sql.Scalar(db, "PRAGMA user_version;"));
        Assert.Equal(1, Sql.Scalar(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'files';"));
        Assert.Equal("wal", Sql.Scalar(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal';") == 1 ? "wal" : "other");
    }

    [Fact]
    public void OpeningAgain_KeepsTheData_AndDoesNotMigrateTwice()
    {
        string db = T.Db();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            var run = Guid.NewGuid();
            lease.Write(Writes.Start(run));
            lease.Write(Writes.Listing(run, "/d", 5));
        }

        Open(db);

        Assert.Equal(5, Sql.Files(db));
        Assert.Equal(CatalogSchema.CurrentVersion, Sql.Scalar(db, "PRAGMA user_version;"));
    }

    [Fact]
    public void ForeignSqliteDatabase_IsRefused_AndLeftByteForByteUntouched()
    {
        string db = T.Db("other-app.db");
        Sql.Execute(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('x');");
        byte[] before = File.ReadAllBytes(db);

        var ex = Assert.Throws<CatalogException>(() => Open(db));

        Assert.Equal(CatalogErrorCode.NotACatalog, ex.Code);
        Assert.Contains("another application", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(db));
        Assert.False(File.Exists(db + "-wal"));
        Assert.False(File.Exists(db + "-scantools.lock")); // nothing is left next to someone else's file
        Assert.Throws<CatalogException>(() => CatalogReader.Open(db).Dispose());
    }

    [Fact]
    public void FileThatIsNotSqlite_IsRefused_ForWritingAndReading()
    {
        string db = T.File("notes.db", "these are my notes, not a database, and they are long enough");

        Assert.Equal(CatalogErrorCode.NotACatalog, Assert.Throws<CatalogException>(() => Open(db)).Code);
        Assert.Equal(CatalogErrorCode.NotACatalog, Assert.Throws<CatalogException>(() => CatalogReader.Open(db)).Code);
        Assert.Equal("these are my notes, not a database, and they are long enough", File.ReadAllText(db));
    }

    [Fact]
    public void CatalogFromANewerScanTools_IsRefused_WithAdviceToUpdate()
    {
        string db = T.Db();
        Open(db);
        Sql.Execute(db, $"PRAGMA user_version = {CatalogSchema.CurrentVersion + 1};");

        var write = Assert.Throws<CatalogException>(() => Open(db));
        var read = Assert.Throws<CatalogException>(() => CatalogReader.Open(db));

        Assert.Equal(CatalogErrorCode.NewerSchema, write.Code);
        Assert.Equal(CatalogErrorCode.NewerSchema, read.Code);
        Assert.Contains("Update the ScanTools module", write.Message);
    }

    [Fact]
    public void Reading_ACatalogThatDoesNotExist_FailsWithoutCreatingIt()
    {
        string db = T.Db("absent.db");

        var ex = Assert.Throws<CatalogException>(() => CatalogReader.Open(db));

        Assert.Equal(CatalogErrorCode.NotFound, ex.Code);
        Assert.Contains("Start-Scan", ex.Message);
        Assert.False(File.Exists(db));
    }

    /// <summary>A catalog with a run left Running by a process that has ended, and one of this process.</summary>
    private (string Db, int DeadPid, Guid Dead, Guid Alive) RunsOfADeadAndALiveProcess()
    {
        string db = T.Db();
        int deadPid;
        using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
        {
            p.WaitForExit();
            deadPid = p.Id;
        }
        var dead = Guid.NewGuid();
        var alive = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanTools.Storage.Writes.ScanRunStart { RunKey = dead, StartedUtc = DateTime.UtcNow, ProcessId = deadPid });
            lease.Write(Writes.Start(alive));
        }
        return (db, deadPid, dead, alive);
    }

    [Fact]
    public void RunsLeftRunningByADeadProcess_AreMarkedFailed_ByTheNextWriter()
    {
        (string db, int deadPid, Guid dead, Guid alive) = RunsOfADeadAndALiveProcess();

        Open(db);

        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun deadRun = reader.GetScanRun(dead)!;
        Assert.Equal(ScanRunStatus.Failed, deadRun.Status);
        Assert.Contains(deadPid.ToString(System.Globalization.CultureInfo.InvariantCulture), deadRun.Message);
        Assert.Equal(ScanRunStatus.Running, reader.GetScanRun(alive)!.Status); // this process is alive
    }

    [Fact]
    public void ARunLeftRunningByADeadProcess_ReadsAsFailed_BeforeAnyWriterHasRecordedIt()
    {
        // Get-ScanRun showed a scan killed with SIGKILL as Running until some command wrote to the catalog again.
        (string db, int deadPid, Guid dead, Guid alive) = RunsOfADeadAndALiveProcess();

        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun deadRun = reader.GetScanRun(dead)!;
        Assert.Equal(ScanRunStatus.Failed, deadRun.Status);
        Assert.Contains($"(PID {deadPid}) ended before the run finished", deadRun.Message);
        Assert.Contains("still says Running", deadRun.Message);
        Assert.Equal(ScanRunStatus.Running, reader.GetScanRun(alive)!.Status);
        Assert.Equal("Running", Sql.Text(db, "SELECT status FROM scan_runs WHERE run_key = $k;", ("$k", dead.ToString("D")))); // read only: nothing was written

        // -Status selects by what the run reads as: Failed finds it, Running does not; -Last counts after that.
        Assert.Equal(new[] { dead }, reader.GetScanRuns(new ScanRunQuery { Status = new[] { ScanRunStatus.Failed } }).Select(r => r.RunKey));
        Assert.Equal(new[] { alive }, reader.GetScanRuns(new ScanRunQuery { Status = new[] { ScanRunStatus.Running } }).Select(r => r.RunKey));
        Assert.Equal(new[] { alive }, reader.GetScanRuns(new ScanRunQuery { Status = new[] { ScanRunStatus.Running, ScanRunStatus.Completed }, Last = 1 }).Select(r => r.RunKey));
        Assert.Equal(new[] { dead }, reader.GetScanRuns(new ScanRunQuery { Status = new[] { ScanRunStatus.Failed }, Last = 1 }).Select(r => r.RunKey));
    }
    [Fact]
    public void ARunOfADeadProcess_EndsAtItsLastProgress_NotWhenTheNextWriterRecordsIt()
    {
        // A scan killed a second after it started read 23.7 s long when the next scan recorded it; a nightly one killed at
        // 02:01 would read about 24 hours (newcomer test 73).
        string db = T.Db();
        int deadPid;
        using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
        {
            p.WaitForExit();
            deadPid = p.Id;
        }
        DateTime started = DateTime.UtcNow.AddHours(-10);
        Guid reported = Guid.NewGuid(), silent = Guid.NewGuid();
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(new ScanTools.Storage.Writes.ScanRunStart { RunKey = reported, StartedUtc = started, ProcessId = deadPid });
            lease.Write(new ScanTools.Storage.Writes.ScanRunProgress { RunKey = reported, Files = 7 });
            lease.Write(new ScanTools.Storage.Writes.ScanRunStart { RunKey = silent, StartedUtc = started, ProcessId = deadPid });
        }
        Assert.True(Sql.Scalar(db, "SELECT progress_utc FROM scan_runs WHERE run_key = $k;", ("$k", reported.ToString("D"))) > started.Ticks);
        // As if its last progress came an hour in, 9 hours before the next writer.
        long progress = started.AddHours(1).Ticks;
        Sql.Execute(db, $"UPDATE scan_runs SET progress_utc = {progress} WHERE run_key = '{reported:D}';");

        using (CatalogReader before = CatalogReader.Open(db))
        {
            Assert.Equal(new DateTime(progress, DateTimeKind.Utc), before.GetScanRun(reported)!.EndedUtc); // read as Failed, not yet recorded
            Assert.Equal(started, before.GetScanRun(silent)!.EndedUtc);
        }
        Open(db); // the next writer records both Failed

        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = reader.GetScanRun(reported)!;
        Assert.Equal(ScanRunStatus.Failed, run.Status);
        Assert.Equal(new DateTime(progress, DateTimeKind.Utc), run.EndedUtc);
        Assert.Equal(TimeSpan.FromHours(1), run.Duration);
        Assert.Contains("last time it stored its progress", run.Message);
        ScanRun none = reader.GetScanRun(silent)!;
        Assert.Equal(ScanRunStatus.Failed, none.Status);
        Assert.Equal(TimeSpan.Zero, none.Duration); // no progress stored: it ends at its start, not 10 hours later
    }
}
