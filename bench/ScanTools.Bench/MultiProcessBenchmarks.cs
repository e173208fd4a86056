using System.Diagnostics;
using System.Text.Json;

namespace ScanTools.Bench;

/// <summary>
/// Processes writing one catalog at once: through ScanTools sessions (one elected writer, the rest
/// forwarding) against each process using its own connection; and how long a writer's death stalls
/// the others. Children are tests/ScanTools.TestHost processes, as in the multi-process tests.
/// </summary>
public static class MultiProcessBenchmarks
{
    public sealed record Outcome(double RowsPerSecond, double MaxWaitMs);

    /// <summary>N processes, each writing <paramref name="records"/> records in 1,000-record batches; timed until the last has committed.</summary>
    public static Outcome Run(string folder, int processes, int records, bool naive)
    {
        string db = WriteBenchmarks.NewCatalog(folder, naive ? "multi-naive.db" : "multi.db");
        var sw = Stopwatch.StartNew();
        var children = Enumerable.Range(0, processes)
            .Select(i => Child.Start(naive
                ? new[] { "naive", db, records.ToString(System.Globalization.CultureInfo.InvariantCulture), "p" + i }
                : new[] { "write", db, "--records", records.ToString(System.Globalization.CultureInfo.InvariantCulture), "--prefix", "p" + i, "--report-every", "1000000" }))
            .ToList();
        var done = children.Select(c => c.WaitFor(l => l.TryGetProperty("done", out _))).ToList();
        sw.Stop();
        children.ForEach(c => c.Dispose());
        return new Outcome(processes * (double)records / sw.Elapsed.TotalSeconds, done.Max(d => d.GetProperty("maxWriteMs").GetDouble()));
    }

    /// <summary>
    /// <paramref name="processes"/> processes at once, each running <paramref name="commands"/> short commands one after
    /// another (take the session, record <paramref name="records"/> files as a run, wait for the commit, let go: what a
    /// script's Write-Finding calls do). The milliseconds of every command of every process but its first.
    /// </summary>
    public static List<double> ShortCommands(string folder, int processes, int commands, int records)
    {
        string db = WriteBenchmarks.NewCatalog(folder, $"short-{processes}.db");
        var children = Enumerable.Range(0, processes)
            .Select(i => Child.Start(new[] { "commands", db, commands.ToString(System.Globalization.CultureInfo.InvariantCulture), records.ToString(System.Globalization.CultureInfo.InvariantCulture), "p" + i }))
            .ToList();
        var times = new List<double>();
        foreach (Child c in children)
        {
            JsonElement done = c.WaitFor(l => l.TryGetProperty("done", out _));
            times.AddRange(done.GetProperty("commandMs").EnumerateArray().Skip(1).Select(e => e.GetDouble())); // the first pays for JIT and start-up
        }
        children.ForEach(c => c.Dispose());
        return times;
    }

    /// <summary>Milliseconds from SIGKILL of the writer to the first commit of the process that takes over.</summary>
    public static double Failover(string folder)
    {
        string db = WriteBenchmarks.NewCatalog(folder, "failover.db");
        using Child writer = Child.Start(new[] { "write", db, "--records", "1000", "--prefix", "w", "--hold" });
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        using Child survivor = Child.Start(new[] { "write", db, "--records", "200000", "--prefix", "s", "--report-every", "5" });
        if (survivor.WaitFor(l => l.TryGetProperty("role", out _)).GetProperty("role").GetString() != "Forwarder")
        {
            throw new InvalidOperationException("The second process should have started as a forwarder.");
        }
        survivor.WaitFor(l => l.TryGetProperty("written", out JsonElement w) && w.GetInt32() >= 20_000);
        DateTime killed = DateTime.UtcNow;
        writer.Kill();
        JsonElement done = survivor.WaitFor(l => l.TryGetProperty("done", out _));
        long firstCommit = done.GetProperty("firstCommitAsWriter").GetInt64();
        return (new DateTime(firstCommit, DateTimeKind.Utc) - killed).TotalMilliseconds;
    }

    /// <summary>A TestHost child whose JSON lines can be waited for.</summary>
    internal sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly System.Collections.Concurrent.BlockingCollection<JsonElement> _lines = new();

        private Child(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _lines.CompleteAdding();
                }
                else if (e.Data.StartsWith('{'))
                {
                    _lines.Add(JsonDocument.Parse(e.Data).RootElement.Clone());
                }
            };
            _process.BeginOutputReadLine();
        }

        public static Child Start(IEnumerable<string> args)
        {
            var psi = new ProcessStartInfo(DotnetPath) { RedirectStandardOutput = true, RedirectStandardInput = true };
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(HostDll);
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }
            return new Child(Process.Start(psi)!);
        }

        public JsonElement WaitFor(Func<JsonElement, bool> match)
        {
            foreach (JsonElement line in _lines.GetConsumingEnumerable())
            {
                if (line.TryGetProperty("error", out JsonElement error))
                {
                    throw new InvalidOperationException($"Child {_process.Id} failed: {error} {line}");
                }
                if (match(line))
                {
                    return line;
                }
            }
            throw new InvalidOperationException($"Child {_process.Id} ended without the expected line.");
        }

        public void Kill() => _process.Kill();

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit();
            _process.Dispose();
        }

        private static string DotnetPath =>
            Environment.ProcessPath is string p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

        private static string HostDll
        {
            get
            {
                string here = AppContext.BaseDirectory;
                string tfm = new DirectoryInfo(here).Name;
                string cfg = new DirectoryInfo(here).Parent!.Name;
                var root = new DirectoryInfo(here);
                while (root is not null && !File.Exists(Path.Combine(root.FullName, "ScanTools.sln")))
                {
                    root = root.Parent;
                }
                string dll = Path.Combine(root?.FullName ?? ".", "tests", "ScanTools.TestHost", "bin", cfg, tfm, "ScanTools.TestHost.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException("Build tests/ScanTools.TestHost first.", dll);
            }
        }
    }
}
