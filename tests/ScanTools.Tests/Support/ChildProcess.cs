using System.Diagnostics;
using System.Text.Json;

namespace ScanTools.Tests.Support;

/// <summary>Runs ScanTools.TestHost as a real child process, optionally as an unprivileged user.</summary>
public static class ChildProcess
{
    public static string HostDll
    {
        get
        {
            // tests/ScanTools.Tests/bin/<cfg>/<tfm>/ -> tests/ScanTools.TestHost/bin/<cfg>/<tfm>/ScanTools.TestHost.dll
            string here = AppContext.BaseDirectory;
            string tfm = new DirectoryInfo(here).Name;
            string cfg = new DirectoryInfo(here).Parent!.Name;
            string testsDir = Path.GetFullPath(Path.Combine(here, "..", "..", "..", ".."));
            string dll = Path.Combine(testsDir, "ScanTools.TestHost", "bin", cfg, tfm, "ScanTools.TestHost.dll");
            if (!File.Exists(dll))
            {
                throw new FileNotFoundException("Build tests/ScanTools.TestHost first (dotnet build ScanTools.sln).", dll);
            }
            return dll;
        }
    }

    public static string DotnetPath => Environment.ProcessPath is string p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>True when this process runs as root, where file permissions do not stop it.</summary>
    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    /// <summary>The unprivileged user permission tests run children as when the tests run as root.</summary>
    public const int NobodyId = 65534;

    /// <summary>A second unprivileged user, for tests where two accounts share a catalog.</summary>
    public const int SecondUserId = 65533;

    /// <summary>Starts the host with <paramref name="args"/>; as uid 65534 when <paramref name="asNobody"/>.</summary>
    public static Process Start(IEnumerable<string> args, bool asNobody = false, IDictionary<string, string>? env = null) =>
        Start(args, asNobody ? NobodyId : null, env);

    /// <summary>Starts the host with <paramref name="args"/>, as the user (and group) <paramref name="uid"/> when given (needs root).</summary>
    public static Process Start(IEnumerable<string> args, int? uid, IDictionary<string, string>? env = null)
    {
        ProcessStartInfo psi;
        if (uid is int user)
        {
            psi = new ProcessStartInfo("setpriv");
            foreach (string a in new[] { $"--reuid={user}", $"--regid={user}", "--clear-groups", DotnetPath, "exec", HostDll })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["HOME"] = Path.GetTempPath();
        }
        else
        {
            psi = new ProcessStartInfo(DotnetPath);
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(HostDll);
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null)
        {
            foreach (var kv in env)
            {
                psi.Environment[kv.Key] = kv.Value;
            }
        }
        return Process.Start(psi)!;
    }

    /// <summary>Runs the host to completion (at most <paramref name="timeout"/>) and parses its JSON lines.</summary>
    public static (int ExitCode, List<JsonElement> Lines, string Stderr) Run(IEnumerable<string> args, bool asNobody = false, TimeSpan? timeout = null) =>
        Run(args, asNobody ? NobodyId : null, timeout);

    /// <summary>Runs the host as <paramref name="uid"/> (when given) to completion and parses its JSON lines.</summary>
    public static (int ExitCode, List<JsonElement> Lines, string Stderr) Run(IEnumerable<string> args, int? uid, TimeSpan? timeout = null)
    {
        using Process p = Start(args, uid);
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"The child process did not finish: {string.Join(' ', args)}");
        }
        var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (p.ExitCode, lines, stderr.Result);
    }
}
