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
        Console.Error.WriteLine("usage: walk ROOT [--follow] [--exclude P]... [--max-depth N] | open-writer DB | scan DB ROOT...");
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

    private static int Scan(string db, string[] roots)
    {
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = roots });
        Emit(new { id = run.Id, status = run.Status.ToString(), files = run.Files, errors = run.Errors });
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

        public void OnError(ScanError error) => Emit(new { type = "error", path = error.Path, kind = error.Kind.ToString() });
    }
}
