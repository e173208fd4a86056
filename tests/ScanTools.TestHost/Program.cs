using System.Text.Json;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

// A child process for tests that need a real second process: another user, a process to kill,
// several writers at once. Each command prints JSON lines on stdout and exits 0, or prints
// {"error": ...} and exits 3.
namespace ScanTools.TestHost;

internal static class Program
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private static int Main(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "walk" => Walk(args[1..]),
                "open-writer" => OpenWriter(args[1]),
                "scan" => Scan(args[1], args[2..]),
                "scan-loop" => ScanLoop(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
                "consume" => Consume(args[1], args[2]),
                "publish-and-hold" => PublishAndHold(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
                "read" => Read(args[1]),
                "duplicates" => Duplicates(args[1]),
                "write" => Write(args[1], args[2..]),
                "connect" => Connect(args[1], args.Length > 2 ? args[2] : "x"),
                "commands" => Commands(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args.Length > 4 ? args[4] : "c"),
                "naive" => Naive(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args[3]),
                _ => Usage(),
            };
        }
        catch (CatalogException ex)
        {
            Emit(new { error = ex.Code.ToString(), message = ex.Message });
            return 3;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: walk ROOT [--follow] [--exclude P]... [--max-depth N] | open-writer DB | scan DB ROOT... | read DB | duplicates DB | write DB [--records N] [--per-listing N] [--prefix P] [--report-every N] [--hold] [--hold-open]");
        return 2;
    }

    /// <summary>Walks a tree and prints every record and error.</summary>
    private static int Walk(string[] args)
    {
        var exclude = new List<string>();
        bool follow = false;
        int? depth = null;
        string root = args[0];
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--follow": follow = true; break;
                case "--exclude": exclude.Add(args[++i]); break;
                case "--max-depth": depth = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        var walker = new FileWalker(new ScanOptions { Roots = new[] { root }, FollowSymlinks = follow, Exclude = exclude, MaxDepth = depth }, Guid.NewGuid());
        var sink = new PrintingSink();
        walker.Walk(sink);
        return 0;
    }

    /// <summary>Opens a writer session, writes one run and flushes.</summary>
    private static int OpenWriter(string db)
    {
        using WriterSessionLease lease = WriterSessionRegistry.Shared.Acquire(db);
        lease.Write(new ScanRunStart { RunKey = Guid.NewGuid(), StartedUtc = DateTime.UtcNow });
        lease.Flush();
        Emit(new { ok = true });
        return 0;
    }

    /// <summary>
    /// Writes synthetic records through the process's session, as a producer in a multi-process test.
    /// Prints {"role"} once the session is open, {"written"} every --report-every listings, and {"done"}
    /// with the session's counters. With --hold it waits for a line on stdin before ending its run, and
    /// with --hold-open it keeps the session open until stdin closes.
    /// </summary>
    private static int Write(string db, string[] args)
    {
        int records = 10_000, perListing = 1_000, reportEvery = 10, poisonEvery = 0;
        string prefix = "p" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool hold = false, holdOpen = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--records": records = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--per-listing": perListing = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--report-every": reportEvery = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--prefix": prefix = args[++i]; break;
                case "--hold": hold = true; break;
                case "--hold-open": holdOpen = true; break;
                case "--poison-every": poisonEvery = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            }
        }
        var run = Guid.NewGuid();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Several catalogs, comma-separated: one session each, every listing written to each.
        List<WriterSessionLease> leases = db.Split(',').Select(d => WriterSessionRegistry.Shared.Acquire(d)).ToList();
        using var release = new Releaser(leases);
        WriterSessionLease lease = leases[0];
        SessionStatistics opened = lease.Session.Statistics();
        Emit(new { role = opened.Role.ToString(), pid = Environment.ProcessId, writerPid = opened.WriterProcessId, endpoint = opened.Endpoint, run = run.ToString("D"), prefix });
        if (holdOpen)
        {
            Console.In.ReadToEnd();
            return 0;
        }
        foreach (WriterSessionLease l in leases)
        {
            l.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow, Kind = "Test", Roots = new[] { "/mp/" + prefix } });
        }
        double maxWriteMs = 0;
        long maxWriteEndedUtc = 0;
        int listings = (records + perListing - 1) / perListing;
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int d = 0; d < listings; d++)
        {
            string dir = $"/mp/{prefix}/d{d:D5}";
            int n = Math.Min(perListing, records - d * perListing);
            var files = new List<FileRecord>(n);
            // --poison-every N: every Nth listing names its files "poison..." (a test trigger refuses them).
            string name = poisonEvery > 0 && d % poisonEvery == 0 ? "poison" : "f";
            for (int i = 0; i < n; i++)
            {
                files.Add(new FileRecord(dir, $"{name}{i:D5}.dat") { Length = i, LastWriteTimeUtc = epoch.AddSeconds(i), Attributes = FileAttributes.Normal });
            }
            long before = clock.ElapsedTicks;
            foreach (WriterSessionLease l in leases)
            {
                l.Write(new DirectoryListing { RunKey = run, DirectoryPath = dir, Files = files, Mode = ListingMode.Records });
            }
            double writeMs = (clock.ElapsedTicks - before) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            if (writeMs > maxWriteMs)
            {
                maxWriteMs = writeMs;
                maxWriteEndedUtc = DateTime.UtcNow.Ticks;
            }
            if ((d + 1) % reportEvery == 0)
            {
                Emit(new { written = (d + 1) * perListing, role = lease.Session.Role.ToString() });
            }
        }
        if (hold)
        {
            Emit(new { holding = true });
            Console.In.ReadLine();
        }
        long flushStart = clock.ElapsedTicks;
        long rejectedRows = 0;
        foreach (WriterSessionLease l in leases)
        {
            l.Write(new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow, Files = records });
            try
            {
                l.Flush();
            }
            catch (CatalogException ex) when (ex.Code == CatalogErrorCode.WriteRejected)
            {
                rejectedRows += ex.Rejected.Sum(r => (long)r.Rows); // this producer's own refusals, and only those
            }
        }
        double flushMs = (clock.ElapsedTicks - flushStart) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        SessionStatistics s = lease.Session.Statistics();
        Emit(new
        {
            done = true,
            role = s.Role.ToString(),
            seconds = clock.Elapsed.TotalSeconds,
            maxWriteMs,
            maxWriteEndedUtc,
            flushMs,
            committed = s.CommittedRows,
            failed = s.FailedRows,
            rejectedRows,
            sessionRejected = s.RejectedRows,
            faulted = s.IsFaulted,
            forwarded = s.ForwardedBatches,
            acknowledged = s.AcknowledgedBatches,
            resent = s.ResentBatches,
            firstCommitAsWriter = lease.Session.FirstCommitAsWriterUtc?.Ticks,
            roleSince = s.RoleSinceUtc.Ticks,
        });
        return 0;
    }

    /// <summary>
    /// COUNT short commands one after another, as a script's Write-Finding calls are: each takes the catalog's session,
    /// records RECORDS files as one run, waits until they are committed and lets the session go. Prints each command's
    /// milliseconds, then {"done", "commandMs": [...]}.
    /// </summary>
    private static int Commands(string db, int count, int records, string prefix)
    {
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var times = new List<double>(count);
        for (int c = 0; c < count; c++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var run = Guid.NewGuid();
            string dir = $"/cmd/{prefix}/c{c:D4}";
            var files = new List<FileRecord>(records);
            for (int i = 0; i < records; i++)
            {
                files.Add(new FileRecord(dir, $"f{i:D5}.dat") { Length = i, LastWriteTimeUtc = epoch.AddSeconds(i), Attributes = FileAttributes.Normal });
            }
            using (WriterSessionLease lease = WriterSessionRegistry.Shared.Acquire(db))
            {
                lease.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow, Kind = "Records", Roots = new[] { dir } });
                lease.Write(new DirectoryListing { RunKey = run, DirectoryPath = dir, Files = files, Mode = ListingMode.Records });
                lease.Write(new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow, Files = records });
                lease.Flush();
            }
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        Emit(new { done = true, commandMs = times });
        return 0;
    }

    /// <summary>
    /// The alternative a user would write: this process's own connection to the catalog, 1,000-row
    /// transactions, busy_timeout=5000. Prints the slowest transaction (including its waits for the lock).
    /// </summary>
    private static int Naive(string db, int records, string prefix)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using (var p = c.CreateCommand())
        {
            p.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;";
            p.ExecuteNonQuery();
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double maxTransactionMs = 0;
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (int d = 0; d * 1000 < records; d++)
        {
            long started = clock.ElapsedTicks;
            using var tx = c.BeginTransaction();
            using var dir = c.CreateCommand();
            dir.Transaction = tx;
            dir.CommandText = "INSERT INTO directories (path, first_scan_id) VALUES ($p, 1) RETURNING id;";
            dir.Parameters.AddWithValue("$p", $"/naive/{prefix}/d{d:D5}");
            long dirId = (long)dir.ExecuteScalar()!;
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO files (dir_id, name, extension, size, mtime, btime, attributes, mode, kind, is_link, link_target, sha256, first_scan_id, last_scan_id)
                VALUES ($d, $n, '.dat', $s, $m, NULL, 128, NULL, 0, 0, NULL, NULL, 1, 1);
                """;
            var pd = insert.Parameters.Add("$d", Microsoft.Data.Sqlite.SqliteType.Integer);
            var pn = insert.Parameters.Add("$n", Microsoft.Data.Sqlite.SqliteType.Text);
            var ps = insert.Parameters.Add("$s", Microsoft.Data.Sqlite.SqliteType.Integer);
            var pm = insert.Parameters.Add("$m", Microsoft.Data.Sqlite.SqliteType.Integer);
            for (int i = 0; i < 1000 && d * 1000 + i < records; i++)
            {
                pd.Value = dirId;
                pn.Value = $"f{i:D5}.dat";
                ps.Value = (long)i;
                pm.Value = epoch.AddSeconds(i).Ticks;
                insert.ExecuteNonQuery();
            }
            tx.Commit();
            maxTransactionMs = Math.Max(maxTransactionMs, (clock.ElapsedTicks - started) * 1000.0 / System.Diagnostics.Stopwatch.Frequency);
        }
        Emit(new { done = true, seconds = clock.Elapsed.TotalSeconds, maxWriteMs = maxTransactionMs });
        return 0;
    }

    /// <summary>Connects to a writer endpoint and says Hello; prints what the writer answered.</summary>
    private static int Connect(string socketPath, string catalogKey)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            Emit(new { connected = false, error = ex.SocketErrorCode.ToString() });
            return 0;
        }
        using var stream = new System.Net.Sockets.NetworkStream(socket);
        ScanTools.Sessions.Ipc.WireProtocol.WriteHello(stream, Guid.NewGuid(), catalogKey, Durability.Normal);
        var reply = ScanTools.Sessions.Ipc.WireProtocol.Read(stream);
        string? message = reply is { Type: ScanTools.Sessions.Ipc.FrameType.Error } f ? ScanTools.Sessions.Ipc.WireProtocol.ReadError(f, socketPath).Message : null;
        Emit(new { connected = true, reply = reply?.Type.ToString(), message });
        return 0;
    }

    private sealed class Releaser : IDisposable
    {
        private readonly List<WriterSessionLease> _leases;

        public Releaser(List<WriterSessionLease> leases) => _leases = leases;

        public void Dispose() => _leases.ForEach(l => l.Dispose());
    }

    /// <summary>
    /// Runs a remote catalog's consumer until stdin closes: prints {"state"} when it changes and {"committed"}
    /// after each round that committed batches (a test kills it mid-stream).
    /// </summary>
    private static int Consume(string db, string address)
    {
        var consumer = new ScanTools.Remote.RemoteConsumer(ScanTools.Remote.RemoteCatalogAddress.Parse(address, out string? password), password, db);
        using var stop = new CancellationTokenSource();
        var run = new Thread(() => consumer.Run(stop.Token)) { IsBackground = true };
        run.Start();
        var reader = new Thread(() => { Console.In.ReadToEnd(); stop.Cancel(); }) { IsBackground = true };
        reader.Start();
        ScanTools.Remote.RemoteConsumerState last = ScanTools.Remote.RemoteConsumerState.Starting;
        long lastCommitted = -1;
        while (!run.Join(20))
        {
            ScanTools.Remote.RemoteConsumerStatus s = consumer.Status();
            if (s.State != last)
            {
                last = s.State;
                Emit(new { state = s.State.ToString() });
            }
            if (s.CommittedBatches != lastCommitted)
            {
                lastCommitted = s.CommittedBatches;
                Emit(new { committed = s.CommittedBatches, rows = s.CommittedRows, duplicates = s.DuplicateBatches });
            }
        }
        Emit(new { state = "Stopped", committed = consumer.Status().CommittedBatches });
        WriterSessionRegistry.Shared.CloseAll();
        return 0;
    }

    /// <summary>
    /// Starts a run in DB (a file or a redis:// catalog), writes RECORDS records, flushes (committed), prints
    /// {"flushed"}, then waits for a line on stdin before it ends the run: a test kills it while it waits.
    /// </summary>
    private static int PublishAndHold(string db, int records)
    {
        using ICatalogSink sink = WriterSessionRegistry.Shared.AcquireSink(db);
        var run = Guid.NewGuid();
        sink.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow });
        for (int d = 0; d * 1000 < records; d++)
        {
            var files = Enumerable.Range(0, Math.Min(1000, records - d * 1000))
                .Select(i => new FileRecord($"/held/{Environment.ProcessId}/d{d:D4}", $"f{i:D4}") { Length = i, LastWriteTimeUtc = DateTime.UtcNow }).ToList();
            sink.Write(new DirectoryListing { RunKey = run, DirectoryPath = $"/held/{Environment.ProcessId}/d{d:D4}", Files = files, Mode = ListingMode.Records });
        }
        sink.Flush();
        SessionStatistics? session = (sink as WriterSessionLease)?.Session.Statistics();
        Emit(new { flushed = records, role = session?.Role.ToString(), writer = session?.WriterProcessId ?? 0, pid = Environment.ProcessId });
        Console.In.ReadLine();
        sink.Write(new ScanRunEnd { RunKey = run, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow, Files = records });
        sink.Flush();
        ScanTools.Remote.RemoteStatistics? published = ((sink as WriterSessionLease)?.Session.Publisher)?.Statistics();
        Emit(new { ended = records, role = (sink as WriterSessionLease)?.Session.Role.ToString(), relayed = published?.RelayedBatches ?? 0 });
        return 0;
    }

    private static int Scan(string db, string[] roots)
    {
        if (Environment.GetEnvironmentVariable("SCANTOOLS_TEST_RESEND_MS") is string ms)
        {
            ScanTools.Remote.RemotePublishers.Options = new ScanTools.Remote.RemotePublisherOptions { ResendAfter = TimeSpan.FromMilliseconds(int.Parse(ms, System.Globalization.CultureInfo.InvariantCulture)) };
        }
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = roots });
        Emit(new { id = run.Id, status = run.Status.ToString(), files = run.Files, errors = run.Errors, host = Environment.MachineName });
        return 0;
    }

    /// <summary>
    /// Scans ROOT into DB N times, each a new session (as N Start-Scan commands of one pwsh do); prints each run's
    /// status and files, then {"loops"}. Two of these at once on one catalog elect and hand over the writer again and again.
    /// </summary>
    private static int ScanLoop(string db, string root, int times)
    {
        for (int i = 0; i < times; i++)
        {
            ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root } });
            Emit(new { status = run.Status.ToString(), files = run.Files });
        }
        Emit(new { loops = times });
        return 0;
    }

    /// <summary>Reads a catalog as Get-Finding would; prints {"files", "runs"}.</summary>
    private static int Read(string db)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        Emit(new { files = reader.FindFiles(new FindingQuery()).Count(), runs = reader.GetScanRuns().Count });
        return 0;
    }

    /// <summary>Finds duplicates as Find-DuplicateFile does (hashes stored); prints {"groups", "stale", "problems"}.</summary>
    private static int Duplicates(string db)
    {
        var finder = new ScanTools.Duplicates.DuplicateFinder();
        var problems = new List<ScanError>();
        int groups = 0;
        foreach (ScanTools.Duplicates.DuplicateGroup unused in finder.Find(db, new ScanTools.Duplicates.DuplicateSearchOptions()))
        {
            problems.AddRange(finder.TakeProblems());
            groups++;
        }
        problems.AddRange(finder.TakeProblems());
        Emit(new { groups, stale = finder.Statistics.Stale, problems = problems.Select(p => new { path = p.FullName, kind = p.Kind.ToString() }) });
        return 0;
    }

    private static readonly object Gate = new();

    internal static void Emit(object value)
    {
        string line = JsonSerializer.Serialize(value, Json);
        lock (Gate)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    private sealed class PrintingSink : IWalkSink
    {
        public void OnListing(DirectoryListing listing)
        {
            foreach (FileRecord r in listing.Files)
            {
                Emit(new { type = "file", path = r.FullName });
            }
        }

        public void OnError(ScanError error) => Emit(new { type = "error", path = error.FullName, kind = error.Kind.ToString() });
    }
}
