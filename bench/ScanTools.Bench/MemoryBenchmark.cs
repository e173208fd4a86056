using System.Diagnostics;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage.Writes;

namespace ScanTools.Bench;

/// <summary>
/// Peak memory of a process while millions of records pass through one session. Runs in a child
/// process so the rest of the benchmark does not count; records are made on the fly, as a walk would.
/// </summary>
public static class MemoryBenchmark
{
    public static double MeasureInChild(string folder, int records)
    {
        string self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(MemoryBenchmark).Assembly.Location);
        }
        foreach (string a in new[] { "--child-memory", folder, records.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException("The memory benchmark child failed: " + output);
        }
        return double.Parse(output.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The child: 4 producers write <paramref name="records"/> records; prints the peak RSS in MB.</summary>
    public static int RunChild(string folder, int records)
    {
        string db = WriteBenchmarks.NewCatalog(folder, "memory.db");
        var run = Guid.NewGuid();
        var registry = new WriterSessionRegistry();
        const int perListing = 1_000, producers = 4;
        int listings = records / perListing;
        var epoch = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using (WriterSessionLease lease = registry.Acquire(db))
        {
            lease.Write(new ScanRunStart { RunKey = run, StartedUtc = DateTime.UtcNow });
            var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
            {
                for (int d = p; d < listings; d += producers)
                {
                    string dir = $"/mem/d{d / 1000:D4}/d{d:D7}";
                    var files = new List<FileRecord>(perListing);
                    for (int i = 0; i < perListing; i++)
                    {
                        files.Add(new FileRecord(dir, $"file{i:D5}.dat") { Length = i, LastWriteTimeUtc = epoch.AddSeconds(i), Attributes = FileAttributes.Normal });
                    }
                    lease.Write(new DirectoryListing { RunKey = run, DirectoryPath = dir, Files = files, Mode = ListingMode.Walk, IsComplete = true });
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            lease.Flush();
        }
        Console.WriteLine((PeakRssBytes() / (1024.0 * 1024.0)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    private static long PeakRssBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
