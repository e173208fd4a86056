using System.Diagnostics;
using ScanTools.Remote;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Bench;

/// <summary>
/// Many machines, one catalog: 4 scanning processes ("hosts") send their scans through a redis-server to one
/// consumer that commits them, against the same 4 processes scanning into a local catalog file (one elected
/// writer, the others forwarding). And a broker restart without persistence in the middle of a run: how many
/// files are missing from the catalog afterwards.
/// </summary>
public static class RemoteBenchmarks
{
    /// <summary>Returns once producers have committed batches of <paramref name="catalog"/> (its committed hash has entries).</summary>
    public static void WaitForTraffic(RedisServer redis, string catalog)
    {
        using var mux = StackExchange.Redis.ConnectionMultiplexer.Connect($"127.0.0.1:{redis.Port}");
        string key = RemoteCatalogAddress.Parse(redis.Address(catalog), out _).CommittedKey;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (mux.GetDatabase().HashLength(key) < 2 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5); // polling the broker: there is no event to wait on from here
        }
    }

    /// <summary>The tree's top folders dealt out to <paramref name="hosts"/> hosts.</summary>
    public static List<string[]> Split(string tree, int hosts)
    {
        string[] tops = Directory.GetDirectories(tree).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        return Enumerable.Range(0, hosts).Select(h => tops.Where((_, i) => i % hosts == h).ToArray()).ToList();
    }

    /// <summary>Seconds until every host's scan ended (remote: committed by the consumer), and the files the catalog holds then.</summary>
    public static (double Seconds, long Files) Run(string catalogOrAddress, string localCatalog, List<string[]> hosts, RedisServer? redis, Action? midway = null)
    {
        foreach (string f in new[] { localCatalog, localCatalog + "-wal", localCatalog + "-shm" })
        {
            File.Delete(f);
        }
        var registry = new WriterSessionRegistry();
        using var stop = new CancellationTokenSource();
        Thread? consumer = null;
        if (redis is not null)
        {
            var c = new RemoteConsumer(RemoteCatalogAddress.Parse(catalogOrAddress, out _), null, localCatalog, registry);
            consumer = new Thread(() => c.Run(stop.Token)) { IsBackground = true };
            consumer.Start();
        }
        var sw = Stopwatch.StartNew();
        var children = hosts.Select(roots => MultiProcessBenchmarks.Child.Start(new[] { "scan", catalogOrAddress }.Concat(roots))).ToList();
        midway?.Invoke();
        foreach (var child in children)
        {
            var line = child.WaitFor(l => l.TryGetProperty("status", out _));
            if (line.GetProperty("status").GetString() != "Completed")
            {
                throw new InvalidOperationException($"A host's scan ended {line}.");
            }
            child.Dispose();
        }
        sw.Stop();
        stop.Cancel();
        consumer?.Join();
        registry.CloseAll();
        using CatalogReader reader = CatalogReader.Open(localCatalog);
        return (sw.Elapsed.TotalSeconds, reader.CountFiles().Present);
    }
}
