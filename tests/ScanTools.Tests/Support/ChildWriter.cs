using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ScanTools.Tests.Support;

/// <summary>
/// A running TestHost child. Its JSON output lines are collected as they arrive; tests wait for the
/// line they need (with a deadline), so every synchronisation point is a real event in the child.
/// </summary>
public sealed class ChildWriter : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<JsonElement> _incoming = new();
    private readonly List<JsonElement> _seen = new();
    private readonly StringBuilder _stderr = new();

    public ChildWriter(IEnumerable<string> args, bool asNobody = false, IDictionary<string, string>? env = null)
    {
        _process = ChildProcess.Start(args, asNobody, env);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _incoming.CompleteAdding();
            }
            else if (e.Data.StartsWith('{'))
            {
                _incoming.Add(JsonDocument.Parse(e.Data).RootElement.Clone());
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits for the first output line (already seen or still to come) that matches.</summary>
    public JsonElement WaitFor(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        foreach (JsonElement seen in _seen)
        {
            if (match(seen))
            {
                return seen;
            }
        }
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_incoming.TryTake(out JsonElement line, left))
            {
                throw new TimeoutException($"Child {Pid} did not print the expected line. Seen: {string.Join(" | ", _seen)} Stderr: {Stderr}");
            }
            _seen.Add(line);
            if (match(line))
            {
                return line;
            }
        }
    }

    public JsonElement Role() => WaitFor(l => l.TryGetProperty("role", out _) && l.TryGetProperty("pid", out _));

    public JsonElement Done(TimeSpan? timeout = null) => WaitFor(l => l.TryGetProperty("done", out _), timeout);

    public JsonElement Written(int atLeast) => WaitFor(l => l.TryGetProperty("written", out JsonElement w) && w.GetInt32() >= atLeast);

    public void SendLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGKILL on Unix: no cleanup runs in the child.</summary>
    public void Kill() => _process.Kill();

    public int WaitForExit(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"Child {Pid} did not exit. Stderr: {Stderr}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>Starts a writer child: `write DB --records N --prefix P ...`.</summary>
    public static ChildWriter Write(string db, int records, string prefix, params string[] extra) =>
        new(new[] { "write", db, "--records", records.ToString(System.Globalization.CultureInfo.InvariantCulture), "--prefix", prefix, "--report-every", "10" }.Concat(extra));
}
