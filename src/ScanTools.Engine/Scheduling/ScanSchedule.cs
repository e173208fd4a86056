using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ScanTools.Scheduling;

/// <summary>
/// A scheduled scan: what to scan into which catalog, when, through which scheduler, and the files that
/// carry it out (a PowerShell script the scheduler runs, and the log it appends to). Register-ScanSchedule
/// writes it; Get-ScanSchedule reads it back.
/// </summary>
public sealed partial record ScanSchedule
{
    /// <summary>The schedule's name: letters, digits, '.', '-' and '_' (it names files, a timer, a task).</summary>
    public required string Name { get; init; }

    /// <summary>The folders to scan (full paths).</summary>
    public required IReadOnlyList<string> Roots { get; init; }

    /// <summary>The catalog (full path).</summary>
    public required string Database { get; init; }

    /// <summary>The time of day it runs, in the computer's local time.</summary>
    public TimeOnly At { get; init; } = new(2, 0);

    /// <summary>The days it runs; empty means every day.</summary>
    public IReadOnlyList<DayOfWeek> DaysOfWeek { get; init; } = Array.Empty<DayOfWeek>();

    /// <summary>The scheduler it is registered with.</summary>
    public SchedulerKind Scheduler { get; init; }

    /// <summary>Start-Scan -Hash.</summary>
    public bool Hash { get; init; }

    /// <summary>Start-Scan -Exclude.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -MaxDepth, or null for no limit.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>Start-Scan -FollowSymlink.</summary>
    public bool FollowSymlink { get; init; }

    /// <summary>Start-Scan -ThrottleLimit, or null for the default (the number of cores).</summary>
    public int? ThrottleLimit { get; init; }

    /// <summary>Start-Scan -Rehash.</summary>
    public bool Rehash { get; init; }

    /// <summary>Start-Scan -OneFileSystem.</summary>
    public bool OneFileSystem { get; init; }

    /// <summary>Start-Scan -IgnoreFile (full paths).</summary>
    public IReadOnlyList<string> IgnoreFile { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -IgnoreFileName.</summary>
    public IReadOnlyList<string> IgnoreFileName { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -Rule.</summary>
    public IReadOnlyList<string> Rule { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -RulePath (full paths).</summary>
    public IReadOnlyList<string> RulePath { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -ExcludeRule.</summary>
    public IReadOnlyList<string> ExcludeRule { get; init; } = Array.Empty<string>();

    /// <summary>Start-Scan -ContentSizeLimit in bytes, or null for its default.</summary>
    public long? ContentSizeLimit { get; init; }

    /// <summary>The module manifest the script imports (full path): the module that registered the schedule.</summary>
    public required string ModuleManifest { get; init; }

    /// <summary>
    /// How to start PowerShell, as full paths: the pwsh executable, or (under the .NET global tool) the
    /// dotnet host and pwsh.dll, so a scheduler with a bare PATH finds it.
    /// </summary>
    public required IReadOnlyList<string> PowerShell { get; init; }

    /// <summary>
    /// The files the script needs that are gone: the PowerShell it starts (<see cref="PowerShell"/>; moved by
    /// <c>dotnet tool update</c> or a package upgrade) and the module it imports (<see cref="ModuleManifest"/>). Empty when
    /// all are there. Reads file metadata only.
    /// </summary>
    public IReadOnlyList<string> MissingFiles() =>
        PowerShell.Where(p => Path.IsPathFullyQualified(p) && !File.Exists(p))
            .Concat(File.Exists(ModuleManifest) ? Array.Empty<string>() : new[] { ModuleManifest })
            .ToList();

    /// <summary>The script the scheduler runs (full path).</summary>
    public required string ScriptPath { get; init; }

    /// <summary>The log each run appends a line to (full path).</summary>
    public required string LogPath { get; init; }

    /// <summary>When it was registered (UTC).</summary>
    public DateTime RegisteredUtc { get; init; } = DateTime.UtcNow;

    /// <summary>The command line the scheduler runs: PowerShell with the script.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Command => PowerShell.Concat(new[] { "-NoProfile", "-NonInteractive", "-File", ScriptPath }).ToList();

    /// <summary>When it runs, in words: "daily at 02:00", "Mon, Fri at 23:30".</summary>
    [JsonIgnore]
    public string When => (DaysOfWeek.Count is 0 or 7
        ? "daily"
        : string.Join(", ", DaysOfWeek.Distinct().Order().Select(d => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d))))
        + " at " + At.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Throws an <see cref="ArgumentException"/> naming what cannot work.</summary>
    public void Validate()
    {
        if (!NamePattern().IsMatch(Name))
        {
            throw new Scanning.ScanArgumentException($"'{Name}' cannot name a schedule: use letters, digits, '.', '-' and '_' (at most 64), starting with a letter or digit.");
        }
        if (Roots.Count == 0 || Roots.Any(r => !Path.IsPathFullyQualified(r)))
        {
            throw new Scanning.ScanArgumentException("A schedule needs at least one folder to scan, each as a full path.");
        }
        foreach (string p in Roots.Append(Database).Append(ScriptPath).Append(LogPath).Append(ModuleManifest).Concat(PowerShell))
        {
            if (p.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
            {
                throw new Scanning.ScanArgumentException($"A path of the schedule contains a line break or NUL, which no scheduler can carry: '{p.ReplaceLineEndings(" ")}'.");
            }
        }
        if (!Path.IsPathFullyQualified(Database) && !Remote.RemoteCatalogAddress.IsRemote(Database))
        {
            throw new Scanning.ScanArgumentException("A schedule's catalog must be a full path, or a broker address (redis://host:port/catalog).");
        }
        if (Remote.RemoteCatalogAddress.IsRemote(Database))
        {
            _ = Remote.RemoteCatalogAddress.Parse(Database, out string? password);
            if (password is not null)
            {
                throw new Scanning.ScanArgumentException("A schedule never stores a broker password: give the address without one, and set $env:SCANTOOLS_REDIS_PASSWORD where the scheduled scan runs.");
            }
        }
    }

    /// <summary>Whether <paramref name="name"/> can name a schedule (letters, digits, '.', '-', '_'; at most 64).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}

/// <summary>How a schedule starts PowerShell, decided from the PowerShell that registers it.</summary>
public static class PowerShellLauncher
{
    /// <summary>
    /// The full paths that start this PowerShell again: the process itself when it is pwsh, or, when it
    /// is the dotnet host (PowerShell installed as a .NET global tool, whose pwsh is only a launcher that
    /// needs DOTNET_ROOT), the host and pwsh.dll, which run from any scheduler's bare environment.
    /// </summary>
    /// <param name="processPath">The path of the running process (Environment.ProcessPath).</param>
    /// <param name="psHome">$PSHOME.</param>
    public static IReadOnlyList<string> Command(string processPath, string psHome)
    {
        string name = Path.GetFileNameWithoutExtension(processPath);
        return name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? new[] { processPath, Path.Combine(psHome, "pwsh.dll") }
            : new[] { processPath };
    }
}
