using System.Diagnostics;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Bench;

/// <summary>
/// The scale proof of issue 14: a tree of 10,000,000 files (ten hard-linked copies of the five-copy query tree, built
/// once and kept), scanned into a fresh catalog and scanned again by a child process whose peak resident memory is
/// read from /proc (VmHWM), then queried.
/// </summary>
public static class ScaleBenchmark
{
    /// <summary>Runs a scan in a child process; its seconds and peak RSS in MB.</summary>
    public static (double Seconds, double PeakRssMb, long Files) ScanInChild(string db, string root)
    {
        string self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(ScaleBenchmark).Assembly.Location);
        }
        foreach (string a in new[] { "--child-scan", db, root })
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException("The scale benchmark child failed: " + output);
        }
        string[] parts = output.Trim().Split('\n')[^1].Split(' ');
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return (double.Parse(parts[0], inv), double.Parse(parts[1], inv), long.Parse(parts[2], inv));
    }

    /// <summary>The child: one scan as Start-Scan runs it; prints "seconds peak-rss-mb files".</summary>
    public static int RunChild(string db, string root)
    {
        var sw = Stopwatch.StartNew();
        var registry = new WriterSessionRegistry();
        ScanRun run = ScanJob.Run(db, new ScanOptions { Roots = new[] { root } }, new ScanJobSettings { Registry = registry });
        registry.CloseAll();
        sw.Stop();
        if (run.Status != ScanRunStatus.Completed)
        {
            Console.WriteLine($"The scan ended {run.Status}: {run.Message}");
            return 1;
        }
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine($"{sw.Elapsed.TotalSeconds.ToString("0.000", inv)} {(PeakRssBytes() / (1024.0 * 1024.0)).ToString("0.0", inv)} {run.Files.ToString(inv)}");
        return 0;
    }

    private static long PeakRssBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
