using ScanTools.Remote;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Remote;

/// <summary>Scans into a remote catalog through a real redis-server, committed by a real consumer.</summary>
/// <remarks>
/// In the MultiProcess collection: its child processes run one class at a time with the other multi-process tests. Beside
/// FiftyProcessesAtOnce on 2 cores, a killed publisher's survivors took longer than the consumer's producer timeout (then 3 s)
/// to elect a new one, and their runs were ended as abandoned too (CI, 2026-12-02).
/// </remarks>
[Collection("MultiProcess")]
public sealed class RemoteCatalogTests : CatalogTest
{
    private static readonly RemotePublisherOptions FastResend = new() { ResendAfter = TimeSpan.FromMilliseconds(300), CommitTimeout = TimeSpan.FromSeconds(60) };

    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _consumerFailures = new();

    public RemoteCatalogTests() => RemotePublishers.Options = FastResend;

    /// <summary>
    /// A thread that runs <paramref name="consumer"/> (not started). A consumer that fails is a failed test, not a
    /// crashed test host: its error is kept and reported when the test ends.
    /// </summary>
    private Thread ConsumerThread(RemoteConsumer consumer, CancellationToken stop) => new(() =>
    {
        try
        {
            consumer.Run(stop);
        }
        catch (Exception ex)
        {
            _consumerFailures.Enqueue(ex);
        }
    }) { IsBackground = true };

    /// <summary>Fails the test when a consumer thread failed (checked when the test class is disposed, after each test).</summary>
    public override void Dispose()
    {
        base.Dispose();
        Assert.True(_consumerFailures.IsEmpty, "a consumer failed: " + string.Join("; ", _consumerFailures));
    }

    private string Tree(string name, int files)
    {
        string root = T.Dir(name);
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, "d" + (i % 7));
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"f{i:D5}.txt"), new string('x', i % 50));
        }
        return root;
    }

    private static HashSet<string> Files(string db)
    {
        using CatalogReader reader = CatalogReader.Open(db);
        return reader.FindFiles(new FindingQuery()).Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);
    }

    private (Thread Thread, CancellationTokenSource Stop, RemoteConsumer Consumer) StartConsumer(RedisServer redis, string db, string catalog)
    {
        var consumer = new RemoteConsumer(RemoteCatalogAddress.Parse(redis.Address(catalog), out _), redis.Password, db, Registry);
        var stop = new CancellationTokenSource();
        Thread t = ConsumerThread(consumer, stop.Token);
        t.Start();
        return (t, stop, consumer);
    }

    [Fact]
    public void A_scan_into_a_remote_catalog_lands_whole_and_its_run_completes()
    {
        Assert.True(RedisServer.IsAvailable, "redis-server is not installed (apt-get install redis-server)");
        using var redis = new RedisServer();
        string root = Tree("tree", 3_000);
        string db = Path.Combine(T.Path, "central.db");
        var (thread, stop, consumer) = StartConsumer(redis, db, "estate");

        ScanRun run = ScanJob.Run(redis.Address("estate"), new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = new ScanTools.Sessions.WriterSessionRegistry() });
        Assert.Equal(ScanRunStatus.Completed, run.Status);

        // The consumer commits durably: the broker lets a batch go once it is committed.
        Assert.Equal(Durability.Full, Assert.Single(Registry.Sessions()).Durability);
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();
        Assert.Equal(Find.NonDirectories(root), Files(db));
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun stored = Assert.Single(reader.GetScanRuns());
        Assert.Equal(ScanRunStatus.Completed, stored.Status);
        Assert.Equal(3_000, stored.Files);
        Assert.Equal(Environment.MachineName, stored.Host);
        Assert.Equal(0, consumer.Status().RejectedEntries);
    }

    [Fact]
    public void Several_hosts_scanning_at_once_land_exactly_once()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        var (thread, stop, consumer) = StartConsumer(redis, db, "many");
        var roots = Enumerable.Range(0, 3).Select(i => Tree("host" + i, 1_500 + i * 500)).ToList();
        var hosts = roots.Select(r => new ChildWriter(new[] { "scan", redis.Address("many"), r })).ToList();
        foreach (ChildWriter h in hosts)
        {
            JsonElementAssert(h.WaitFor(l => l.TryGetProperty("status", out _), TimeSpan.FromMinutes(3)), "Completed");
            Assert.Equal(0, h.WaitForExit());
            h.Dispose();
        }
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();
        var expected = roots.SelectMany(r => Find.NonDirectories(r)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expected, Files(db));
        using CatalogReader reader = CatalogReader.Open(db);
        List<ScanRun> runs = reader.GetScanRuns().OrderBy(r => r.Id).ToList();
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(ScanRunStatus.Completed, r.Status));
        Assert.Equal(roots.Select(r => (long)Find.NonDirectories(r).Count).OrderBy(x => x), runs.Select(r => r.Files).OrderBy(x => x));
        Assert.Equal(0, consumer.Status().RejectedEntries);
    }

    private static void JsonElementAssert(System.Text.Json.JsonElement line, string status) => Assert.Equal(status, line.GetProperty("status").GetString());

    [Fact]
    public void A_consumer_killed_mid_stream_is_replaced_and_nothing_is_lost_or_applied_twice()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        // Long enough a stream that the kill lands in its middle even on a loaded host (with 12,000 files the first consumer
        // could commit the rest between its second report and the kill, leaving the successor nothing to do).
        string root = Tree("big", 40_000);
        using var first = new ChildWriter(new[] { "consume", db, redis.Address("kill") });
        first.WaitFor(l => l.TryGetProperty("state", out var s) && s.GetString() == "Active");
        using var host = new ChildWriter(new[] { "scan", redis.Address("kill"), root });
        first.WaitFor(l => l.TryGetProperty("committed", out var c) && c.GetInt64() >= 2, TimeSpan.FromMinutes(2));
        first.Kill(); // SIGKILL mid-stream: what it read and did not acknowledge stays pending on the broker
        first.WaitForExit();

        var (thread, stop, consumer) = StartConsumer(redis, db, "kill");
        JsonElementAssert(host.WaitFor(l => l.TryGetProperty("status", out _), TimeSpan.FromMinutes(3)), "Completed");
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();

        Assert.Equal(Find.NonDirectories(root), Files(db));
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = Assert.Single(reader.GetScanRuns());
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(40_000, run.Files);
        // Every batch of the host was applied once: the successor applied only batches after those the first consumer
        // committed (what the first committed after its last report came back as duplicates, skipped), and the catalog's
        // record of the host's sequence is its last batch.
        long lastSeq = Sql.Scalar(db, "SELECT max(last_seq) FROM client_batches;");
        RemoteConsumerStatus successor = consumer.Status();
        long reported = CommittedBy(first);
        // No lower bound on what the successor saw: the first may have committed and acknowledged batches after its last
        // report, and those never come back (seen once: reported 4, successor 1, 8 batches). That every batch landed is
        // the files' equality above.
        // And no upper bound on how fast the first was: on a host busy elsewhere the kill once landed after it had reported
        // the host's last batch committed, and the successor rightly had nothing to apply (fresh-clone CI, 2026-12-02).
        Assert.InRange(successor.CommittedBatches, reported < lastSeq ? 1 : 0, lastSeq - reported);
    }

    private static long CommittedBy(ChildWriter consumer)
    {
        // The killed consumer's last report is a lower bound of what it committed; batches it committed after that
        // report and before the kill either come back to the successor as resends (counted there as duplicates, not
        // applied) or, when it acknowledged them to the broker too, never come back.
        long last = 0;
        try
        {
            while (true)
            {
                var line = consumer.WaitFor(l => l.TryGetProperty("committed", out var c) && c.GetInt64() > last, TimeSpan.FromMilliseconds(1));
                last = line.GetProperty("committed").GetInt64();
            }
        }
        catch (TimeoutException)
        {
        }
        return last;
    }

    [Fact]
    public void A_broker_restart_without_persistence_mid_run_loses_nothing()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        string root = Tree("restart", 8_000);
        var (thread, stop, consumer) = StartConsumer(redis, db, "restart");
        int listed = 0;
        var settings = new ScanJobSettings
        {
            Registry = new ScanTools.Sessions.WriterSessionRegistry(),
            EntryListed = _ =>
            {
                if (Interlocked.Increment(ref listed) == 4_000)
                {
                    redis.Kill();  // everything on the broker is gone: stream, group, committed sequences
                    redis.Start();
                }
            },
        };
        ScanRun run = ScanJob.Run(redis.Address("restart"), new ScanOptions { Roots = new[] { root }, ThrottleLimit = 1 }, settings);
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        // The consumer commits durably: the broker lets a batch go once it is committed.
        Assert.Equal(Durability.Full, Assert.Single(Registry.Sessions()).Durability);
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();
        Assert.Equal(Find.NonDirectories(root), Files(db));
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun stored = Assert.Single(reader.GetScanRuns());
        Assert.Equal(ScanRunStatus.Completed, stored.Status);
        Assert.Equal(8_000, stored.Files);
    }

    [Fact]
    public void A_batch_whose_body_changed_on_its_way_is_refused_by_its_checksum_and_one_without_a_checksum_is_read()
    {
        // Newcomer test 77: 122 of 150 real batches with 1-4 bytes changed were committed, adding files that do not exist.
        byte[] body = RemoteEntry.Body(new ScanTools.Storage.Writes.CatalogWrite[] { Writes.Start(Guid.NewGuid()) });
        string client = Guid.NewGuid().ToString("D");
        StackExchange.Redis.NameValueEntry[] fields = RemoteEntry.Encode(client, 1, "web01", body);
        Assert.Contains(fields, f => f.Name == "sum" && f.Value.ToString().Length == 16);
        Assert.Single(RemoteEntry.Decode(new StackExchange.Redis.StreamEntry("1-1", fields)).Writes);

        var random = new Random(77);
        int refused = 0;
        for (int i = 0; i < 50; i++)
        {
            byte[] damaged = (byte[])body.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)random.Next(1, 256);
            var changed = fields.Select(f => f.Name == "body" ? new StackExchange.Redis.NameValueEntry("body", damaged) : f).ToArray();
            var ex = Assert.Throws<InvalidDataException>(() => RemoteEntry.Decode(new StackExchange.Redis.StreamEntry("1-2", changed)));
            Assert.Contains("does not match its checksum", ex.Message);
            refused++;
        }
        Assert.Equal(50, refused);

        // Entries of producers before the checksum have none: read as before.
        var older = fields.Where(f => f.Name != "sum").ToArray();
        Assert.Single(RemoteEntry.Decode(new StackExchange.Redis.StreamEntry("1-3", older)).Writes);
    }

    [Fact]
    public void Hostile_stream_entries_are_refused_and_reported_and_the_consumer_goes_on()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        var rejected = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var consumer = new RemoteConsumer(RemoteCatalogAddress.Parse(redis.Address("hostile"), out _), null, db, Registry);
        consumer.EntryRejected += rejected.Enqueue;
        using var stop = new CancellationTokenSource();
        Thread thread = ConsumerThread(consumer, stop.Token);
        thread.Start();
        using (var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{redis.Port}"))
        {
            var key = RemoteCatalogAddress.Parse(redis.Address("hostile"), out _).StreamKey;
            var dbr = mux.GetDatabase();
            dbr.StreamAdd(key, "junk", "x");
            dbr.StreamAdd(key, new StackExchange.Redis.NameValueEntry[] { new("v", 1), new("client", Guid.NewGuid().ToString()), new("seq", 1), new("host", "h"), new("body", new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 }) });
            dbr.StreamAdd(key, new StackExchange.Redis.NameValueEntry[] { new("v", 99), new("client", "x"), new("seq", 1), new("host", "h"), new("body", "") });
            dbr.StreamAdd(key, new StackExchange.Redis.NameValueEntry[] { new("v", 1), new("client", Guid.NewGuid().ToString()), new("seq", -5), new("host", "h"), new("body", "") });
        }
        string root = Tree("after", 200);
        ScanRun run = ScanJob.Run(redis.Address("hostile"), new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = new ScanTools.Sessions.WriterSessionRegistry() });
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();
        Assert.Equal(4, consumer.Status().RejectedEntries);
        Assert.Equal(4, rejected.Count);
        Assert.Equal(Find.NonDirectories(root), Files(db));
    }

    [Fact]
    public void A_second_consumer_waits_as_standby_and_takes_over()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        var (t1, stop1, c1) = StartConsumer(redis, db, "standby");
        SpinWait.SpinUntil(() => c1.Status().State == RemoteConsumerState.Active, TimeSpan.FromSeconds(30));
        var (t2, stop2, c2) = StartConsumer(redis, db, "standby");
        Assert.True(SpinWait.SpinUntil(() => c2.Status().State == RemoteConsumerState.Standby, TimeSpan.FromSeconds(30)));
        stop1.Cancel();
        t1.Join();
        Assert.True(SpinWait.SpinUntil(() => c2.Status().State == RemoteConsumerState.Active, TimeSpan.FromSeconds(30)));
        string root = Tree("standby-tree", 300);
        ScanRun run = ScanJob.Run(redis.Address("standby"), new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = new ScanTools.Sessions.WriterSessionRegistry() });
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        stop2.Cancel();
        t2.Join();
        Registry.CloseAll();
        Assert.Equal(Find.NonDirectories(root), Files(db));
    }

    [Fact]
    public void A_consumer_of_another_catalog_file_waits_as_standby_so_the_stream_is_not_split_between_two_files()
    {
        // A typo in one consumer's -Database, or a second computer: both were Active, and the batches went half to each file
        // (newcomer test 77).
        using var redis = new RedisServer();
        string first = Path.Combine(T.Path, "central.db");
        string typo = Path.Combine(T.Path, "central-typo.db");
        var (t1, stop1, c1) = StartConsumer(redis, first, "split");
        Assert.True(SpinWait.SpinUntil(() => c1.Status().State == RemoteConsumerState.Active, TimeSpan.FromSeconds(30)));
        var (t2, stop2, c2) = StartConsumer(redis, typo, "split");
        Assert.True(SpinWait.SpinUntil(() => c2.Status().State == RemoteConsumerState.Standby, TimeSpan.FromSeconds(30)));
        Assert.Contains("Another consumer reads", c2.Status().LastError);

        string root = Tree("split-tree", 200);
        ScanRun run = ScanJob.Run(redis.Address("split"), new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = new ScanTools.Sessions.WriterSessionRegistry() });
        Assert.Equal(ScanRunStatus.Completed, run.Status);
        Assert.Equal(RemoteConsumerState.Standby, c2.Status().State);

        stop1.Cancel();
        t1.Join();
        Assert.True(SpinWait.SpinUntil(() => c2.Status().State == RemoteConsumerState.Active, TimeSpan.FromSeconds(30)));
        stop2.Cancel();
        t2.Join();
        Registry.CloseAll();
        Assert.Equal(Find.NonDirectories(root), Files(first));
        Assert.False(File.Exists(typo) && Files(typo).Count > 0, "the typo's catalog got files");
    }

    [Fact]
    public void A_consumer_whose_catalog_folder_is_missing_or_whose_catalog_is_not_one_is_refused_as_Start_Scan_refuses_it_and_creates_nothing()
    {
        using var redis = new RedisServer();
        var address = RemoteCatalogAddress.Parse(redis.Address("refused"), out _);
        string missing = Path.Combine(T.Path, "no-such-folder", "central.db");
        var folder = Assert.Throws<CatalogException>(() => new RemoteConsumer(address, redis.Password, missing, Registry).Run(CancellationToken.None));
        Assert.Equal(CatalogErrorCode.FolderNotFound, folder.Code);
        Assert.Contains("Create it", folder.Message);
        Assert.Equal(6, ScanTools.Hosting.ScanExitCodes.ForException(folder));
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));

        string foreign = Path.Combine(T.Path, "notes.txt");
        File.WriteAllText(foreign, "not a catalog, and long enough to have a header's worth of bytes: 0123456789 0123456789 0123456789 0123456789 0123456789");
        var notCatalog = Assert.Throws<CatalogException>(() => new RemoteConsumer(address, redis.Password, foreign, Registry).Run(CancellationToken.None));
        Assert.Equal(CatalogErrorCode.NotACatalog, notCatalog.Code);
        Assert.Equal(new[] { "notes.txt" }, Directory.GetFiles(T.Path).Select(Path.GetFileName).ToArray());
    }

    [MountFact]
    public void A_consumer_whose_catalog_is_on_a_read_only_file_system_is_refused_as_CatalogReadOnly_not_as_a_broker_failure()
    {
        // ConsumerFailed, exit 5, which a systemd unit with Restart=on-failure retried for ever (newcomer test 77).
        using var redis = new RedisServer();
        var address = RemoteCatalogAddress.Parse(redis.Address("readonly"), out _);
        string source = T.Dir("ro-source");
        string db = Path.Combine(source, "central.db");
        using (WriterSessionLease lease = Registry.Acquire(db))
        {
            lease.Write(Writes.Start(Guid.NewGuid()));
        }
        Registry.CloseAll();
        string mounted = T.Combine("ro");
        using var mounts = new Mounts();
        mounts.ReadOnlyBind(source, mounted);

        var refused = Assert.Throws<CatalogException>(() => new RemoteConsumer(address, redis.Password, Path.Combine(mounted, "central.db"), Registry).Run(CancellationToken.None));

        Assert.Equal(CatalogErrorCode.ReadOnly, refused.Code);
        Assert.Equal(6, ScanTools.Hosting.ScanExitCodes.ForException(refused));
        Assert.Contains("write access to the folder", refused.Message);
    }

    [Theory]
    [InlineData("redis://broker/estate", "broker", 6379, false, null, "estate", false)]
    [InlineData("rediss://scan@broker:6380/estate-1", "broker", 6380, true, "scan", "estate-1", false)]
    [InlineData("redis://scan:s3cret@broker:6379/x", "broker", 6379, false, "scan", "x", true)]
    [InlineData("redis://[::1]:7000/x", "::1", 7000, false, null, "x", false)]
    [InlineData("redis://u:s3cret/Cr?Et#66@127.0.0.1:30240/estate", "127.0.0.1", 30240, false, "u", "estate", true)]
    public void Broker_addresses_parse_and_never_show_a_password(string text, string host, int port, bool tls, string? user, string catalog, bool hadPassword)
    {
        RemoteCatalogAddress a = RemoteCatalogAddress.Parse(text, out string? password);
        Assert.Equal((host, port, tls, user, catalog, hadPassword), (a.Host, a.Port, a.Tls, a.User, a.Catalog, a.PasswordWasInUrl));
        Assert.Equal(hadPassword ? text[(text.IndexOf(':', 8) + 1)..text.LastIndexOf('@')] : null, password);
        Assert.DoesNotContain("s3cret", a.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", RemoteCatalogAddress.Redacted(text), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis://broker")]
    [InlineData("redis://broker/bad name")]
    [InlineData("redis://broker:99999/x")]
    [InlineData("http://broker/x")]
    [InlineData("redis:/broker/x")]
    [InlineData(" redis:broker/x")]
    public void Bad_broker_addresses_are_refused_without_showing_a_password(string text)
    {
        foreach (string password in new[] { "pw", "p/w?x#y" })
        {
            var ex = Assert.Throws<ArgumentException>(() => RemoteCatalogAddress.Parse(text.Replace("broker", $"u:{password}@broker", StringComparison.Ordinal), out _));
            Assert.DoesNotContain($":{password}@", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(password, ex.Message.Replace("broker", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain(password, RemoteCatalogAddress.Redacted(text.Replace("broker", $"u:{password}@broker", StringComparison.Ordinal)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_broker_that_wants_a_password_says_so_and_the_password_from_the_environment_works()
    {
        using var redis = new RedisServer(password: "p-" + Guid.NewGuid().ToString("N"));
        var address = RemoteCatalogAddress.Parse(redis.Address("auth"), out _);
        var ex = Assert.Throws<CatalogException>(() => new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(address, "wrong-password"));
        Assert.Contains("credentials", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", ex.Message, StringComparison.Ordinal);
        using ScanTools.Sessions.WriterSessionLease lease = new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(address, redis.Password);
        Assert.Equal(address.ToString(), lease.DatabasePath);
    }

    [Fact]
    public void A_wrong_password_of_an_ACL_user_is_refused_even_where_the_default_user_needs_none()
    {
        using var redis = new RedisServer(); // its default user needs no password, as out of the box
        using (var admin = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{redis.Port}"))
        {
            admin.GetDatabase().Execute("ACL", "SETUSER", "scanner", "on", ">right-pw", "~*", "&*", "+@all");
        }
        var address = RemoteCatalogAddress.Parse($"redis://scanner@127.0.0.1:{redis.Port}/acl", out _);

        var wrong = Assert.Throws<CatalogException>(() => new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(address, "wrong-pw"));
        Assert.Contains("refused the credentials of the user 'scanner'", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-pw", wrong.Message, StringComparison.Ordinal);
        var nobody = RemoteCatalogAddress.Parse($"redis://nosuchuser@127.0.0.1:{redis.Port}/acl", out _);
        Assert.Throws<CatalogException>(() => new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(nobody, "right-pw"));
        using ScanTools.Sessions.WriterSessionLease lease = new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(address, "right-pw");
        Assert.Equal(address.ToString(), lease.DatabasePath);
    }

    [Fact]
    public void The_run_of_a_scanning_host_killed_mid_scan_ends_Failed_with_what_reached_the_catalog()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        var consumer = new RemoteConsumer(RemoteCatalogAddress.Parse(redis.Address("dead"), out _), null, db, Registry,
            new RemoteConsumerOptions { ProducerTimeout = TimeSpan.FromSeconds(2) });
        using var stop = new CancellationTokenSource();
        Thread thread = ConsumerThread(consumer, stop.Token);
        thread.Start();
        using (var host = new ChildWriter(new[] { "publish-and-hold", redis.Address("dead"), "2500" }))
        {
            host.WaitFor(l => l.TryGetProperty("flushed", out _)); // committed, its run still open
            host.Kill(); // SIGKILL: its run never ends by itself
            host.WaitForExit();
        }
        DateTime killed = DateTime.UtcNow;
        Assert.True(SpinWait.SpinUntil(() => consumer.Status().AbandonedRuns == 1, TimeSpan.FromSeconds(60)), $"the run was not ended: {consumer.Status()}");
        stop.Cancel();
        thread.Join();
        Registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun run = Assert.Single(reader.GetScanRuns());
        Assert.Equal(ScanRunStatus.Failed, run.Status);
        Assert.Contains("stopped sending", run.Message, StringComparison.Ordinal);
        Assert.Equal(2_500, run.Files); // the counts of what reached the catalog
        Assert.True(run.EndedUtc <= killed, $"it ends at its last progress (or start), not when the consumer gave up: {run.EndedUtc:o} > {killed:o}"); // newcomer test 77
    }

    [Fact]
    public void A_run_left_Running_when_its_consumer_stopped_is_ended_by_the_next_consumer_unless_its_producer_is_heard()
    {
        // Newcomer test 77: a consumer forgets the runs it watches when it stops, so a producer killed less than 60 s before
        // left its run Running for ever. The next consumer adopts the catalog's open runs of other computers.
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        var address = RemoteCatalogAddress.Parse(redis.Address("adopt"), out _);
        Guid dead = Guid.NewGuid(), live = Guid.NewGuid();
        ScanRunStart Elsewhere(Guid run) => new() { RunKey = run, StartedUtc = DateTime.UtcNow, Roots = new[] { "/elsewhere" }, Host = "another-computer" };
        var producers = new ScanTools.Sessions.WriterSessionRegistry();
        using ScanTools.Sessions.WriterSessionLease liveLease = producers.AcquireRemote(address, null);
        var deadProducers = new ScanTools.Sessions.WriterSessionRegistry();
        ScanTools.Sessions.WriterSessionLease deadLease = deadProducers.AcquireRemote(address, null);

        var first = new RemoteConsumer(address, null, db, Registry, new RemoteConsumerOptions { ProducerTimeout = TimeSpan.FromHours(1) });
        using (var stopFirst = new CancellationTokenSource())
        {
            Thread thread = ConsumerThread(first, stopFirst.Token);
            thread.Start();
            deadLease.Write(Elsewhere(dead));
            deadLease.Write(Writes.Listing(dead, "/elsewhere/dead", 10));
            deadLease.Flush();
            liveLease.Write(Elsewhere(live));
            liveLease.Write(Writes.Listing(live, "/elsewhere/live", 10));
            liveLease.Flush();
            Assert.True(SpinWait.SpinUntil(() => Sql.Files(db) == 20, TimeSpan.FromSeconds(60)), "the first consumer did not commit both runs");
            stopFirst.Cancel();
            thread.Join();
        }
        deadLease.Dispose(); // its process is gone: no end, no more signs of life
        deadProducers.CloseAll();

        var second = new RemoteConsumer(address, null, db, Registry, new RemoteConsumerOptions { ProducerTimeout = TimeSpan.FromSeconds(2) });
        using var stopSecond = new CancellationTokenSource();
        Thread next = ConsumerThread(second, stopSecond.Token);
        next.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int batch = 0;
            // The live producer keeps sending while the second consumer gives the silent one its 2 s, and well past them.
            while (second.Status().AbandonedRuns == 0 || clock.Elapsed < TimeSpan.FromSeconds(8))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the dead producer's run was not ended: {second.Status()}");
                liveLease.Write(Writes.Listing(live, "/elsewhere/live", 10, prefix: "b" + batch++ + "-"));
                liveLease.Flush();
            }
            liveLease.Write(new ScanRunEnd { RunKey = live, Status = ScanRunStatus.Completed, EndedUtc = DateTime.UtcNow });
            liveLease.Flush();
            Assert.True(SpinWait.SpinUntil(() => Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';") == 1, TimeSpan.FromSeconds(60)), "the live run did not end");
        }
        finally
        {
            stopSecond.Cancel();
            next.Join();
        }
        Registry.CloseAll();

        using CatalogReader reader = CatalogReader.Open(db);
        ScanRun[] runs = reader.GetScanRuns().ToArray();
        ScanRun ended = Assert.Single(runs, r => r.RunKey == dead);
        Assert.Equal(ScanRunStatus.Failed, ended.Status);
        Assert.Contains("stopped sending", ended.Message, StringComparison.Ordinal);
        Assert.Equal(10, ended.Files);
        Assert.Equal(ScanRunStatus.Completed, Assert.Single(runs, r => r.RunKey == live).Status);
        Assert.Equal(1, second.Status().AbandonedRuns);
    }

    [Fact]
    public void The_processes_of_one_computer_publish_through_one_elected_publisher_and_survive_its_kill()
    {
        using var redis = new RedisServer();
        string db = Path.Combine(T.Path, "central.db");
        string address = redis.Address("one-host");
        var consumer = new RemoteConsumer(RemoteCatalogAddress.Parse(address, out _), null, db, Registry,
            new RemoteConsumerOptions { ProducerTimeout = TimeSpan.FromSeconds(6) }); // the survivors elect a new publisher well within it, even on a loaded host
        using var stop = new CancellationTokenSource();
        Thread thread = ConsumerThread(consumer, stop.Token);
        thread.Start();

        // One computer and user: the children share the user's private socket folder, so they elect one publisher,
        // whatever their environments say (one has its own XDG_RUNTIME_DIR and TMPDIR, as a login shell would).
        var env = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = T.Dir("runtime"), ["TMPDIR"] = T.Dir("tmp") };
        int[] counts = { 2_000, 2_500, 3_000 };
        var hosts = counts.Select((n, i) => new ChildWriter(new[] { "publish-and-hold", address, n.ToString(System.Globalization.CultureInfo.InvariantCulture) }, env: i == 0 ? env : null)).ToList();
        try
        {
            var held = hosts.Select(h => h.WaitFor(l => l.TryGetProperty("flushed", out _), TimeSpan.FromMinutes(2))).ToList();
            int publisher = Assert.Single(held, l => l.GetProperty("role").GetString() == "Writer").GetProperty("pid").GetInt32();
            Assert.All(held.Where(l => l.GetProperty("role").GetString() != "Writer"), l =>
            {
                Assert.Equal("Forwarder", l.GetProperty("role").GetString());
                Assert.Equal(publisher, l.GetProperty("writer").GetInt32());
            });
            Assert.Equal(counts.Sum(), Files(db).Count); // a forwarder's flush returns once the consumer committed its rows

            // SIGKILL of the computer's publisher: the others elect another one and end their runs; nothing is lost or doubled.
            ChildWriter victim = hosts.Single(h => h.Pid == publisher);
            victim.Kill();
            victim.WaitForExit();
            // The consumer ends the dead publisher's run once it has been silent past the timeout; by then the survivors'
            // runs, open all along, must have been told alive by the publisher they elected (one of them).
            Assert.True(SpinWait.SpinUntil(() => consumer.Status().AbandonedRuns >= 1, TimeSpan.FromSeconds(60)), $"the killed publisher's run was not ended: {consumer.Status()}");
            foreach (ChildWriter survivor in hosts.Where(h => h != victim))
            {
                survivor.SendLine("end");
                survivor.WaitFor(l => l.TryGetProperty("ended", out _), TimeSpan.FromMinutes(2));
                Assert.Equal(0, survivor.WaitForExit());
            }
            Assert.Equal(1, consumer.Status().AbandonedRuns);
        }
        finally
        {
            foreach (ChildWriter h in hosts)
            {
                h.Dispose();
            }
            stop.Cancel();
            thread.Join();
            Registry.CloseAll();
        }
        Assert.Equal(counts.Sum(), Files(db).Count);
        using CatalogReader reader = CatalogReader.Open(db);
        List<ScanRun> runs = reader.GetScanRuns().ToList();
        Assert.Equal(3, runs.Count);
        Assert.Equal(counts.Select(c => (long)c).Order(), runs.Select(r => r.Files).Order());
        Assert.Equal(2, runs.Count(r => r.Status == ScanRunStatus.Completed));
        Assert.Single(runs, r => r.Status == ScanRunStatus.Failed);
        Assert.Equal(0, consumer.Status().RejectedEntries);
    }

    [Fact]
    public void Over_TLS_a_broker_whose_certificate_is_not_trusted_is_refused_as_such_and_a_trusted_one_carries_a_scan()
    {
        using var redis = new RedisServer(tlsFolder: T.Dir("tls"));
        string address = redis.Address("secure");
        Assert.StartsWith("rediss://", address, StringComparison.Ordinal);

        // This process does not trust the test's authority: the error says so, and does not blame the credentials.
        var refused = Assert.Throws<CatalogException>(() => new ScanTools.Sessions.WriterSessionRegistry().AcquireRemote(RemoteCatalogAddress.Parse(address, out _), null));
        Assert.Contains("TLS certificate was not accepted", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("credentials", refused.Message, StringComparison.Ordinal);

        // Processes told to trust it (SSL_CERT_FILE, which .NET reads on Linux) scan and commit through it.
        var trust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = redis.Tls!.Authority };
        string db = Path.Combine(T.Path, "central.db");
        string root = Tree("tls-tree", 1_200);
        using var consumer = new ChildWriter(new[] { "consume", db, address }, env: trust);
        consumer.WaitFor(l => l.TryGetProperty("state", out var st) && st.GetString() == "Active", TimeSpan.FromMinutes(1));
        using (var host = new ChildWriter(new[] { "scan", address, root }, env: trust))
        {
            JsonElementAssert(host.WaitFor(l => l.TryGetProperty("status", out _), TimeSpan.FromMinutes(2)), "Completed");
            Assert.Equal(0, host.WaitForExit());
        }
        consumer.CloseInput();
        consumer.WaitFor(l => l.TryGetProperty("state", out var st) && st.GetString() == "Stopped", TimeSpan.FromMinutes(1));
        Assert.Equal(0, consumer.WaitForExit());
        Assert.Equal(Find.NonDirectories(root), Files(db));
    }
}
