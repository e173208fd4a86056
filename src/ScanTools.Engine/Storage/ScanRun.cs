namespace ScanTools.Storage;

/// <summary>One scan run as the catalog records it.</summary>
public sealed class ScanRun
{
    /// <summary>The run's number in this catalog.</summary>
    public required long Id { get; init; }

    /// <summary>The run's globally unique key (chosen by the process that ran it).</summary>
    public required Guid RunKey { get; init; }

    /// <summary><c>Scan</c> (Start-Scan) or <c>Records</c> (Write-Finding).</summary>
    public string Kind { get; init; } = "Scan";

    /// <summary>Running, Completed, Failed or Cancelled.</summary>
    public ScanRunStatus Status { get; init; }

    /// <summary>When it started (UTC).</summary>
    public DateTime StartedUtc { get; init; }

    /// <summary>When it ended (UTC); null while running.</summary>
    public DateTime? EndedUtc { get; init; }

    /// <summary>How long it took (so far, while running).</summary>
    public TimeSpan Duration => (EndedUtc ?? DateTime.UtcNow) - StartedUtc;

    /// <summary>The computer it ran on.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The account it ran as.</summary>
    public string User { get; init; } = string.Empty;

    /// <summary>The process that ran it.</summary>
    public int ProcessId { get; init; }

    /// <summary>The folders it scanned.</summary>
    public IReadOnlyList<string> Roots { get; init; } = Array.Empty<string>();

    /// <summary>The options, as JSON.</summary>
    public string Options { get; init; } = "{}";

    /// <summary>Files recorded.</summary>
    public long Files { get; init; }

    /// <summary>Bytes in the files recorded.</summary>
    public long Bytes { get; init; }

    /// <summary>Folders listed.</summary>
    public long Directories { get; init; }

    /// <summary>Error items recorded.</summary>
    public long Errors { get; init; }

    /// <summary>Files this run found gone, by name: the old names of renamed and moved files count (Get-ScanChange pairs them).</summary>
    public long Removed { get; init; }

    /// <summary>
    /// Entries the run left out: files and folders matched by -Exclude or an ignore rule, folders on
    /// another file system with -OneFileSystem, and folders below -MaxDepth (each such folder counts once).
    /// </summary>
    public long Skipped { get; init; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Message { get; init; }

    /// <summary>Matches the run's rules found (Start-Scan -Rule/-RulePath); null when it applied no rules.</summary>
    public long? RuleMatches { get; init; }

    /// <summary>Files whose content the rules read; null when the run applied no rules.</summary>
    public long? ContentFiles { get; init; }

    /// <summary>Files a content rule applied to that looked binary (a NUL byte in the first 8,000 bytes) and were not matched; null without rules.</summary>
    public long? BinarySkipped { get; init; }

    /// <summary>Files a content rule applied to that were larger than its limit (-ContentSizeLimit) and were not read; null without rules.</summary>
    public long? OversizedSkipped { get; init; }

    /// <summary>The catalog the run is recorded in; cmdlets that read runs bind their -Database to it from the pipeline.</summary>
    public string? Database { get; init; }

    /// <summary>The run's number again, under the name Get-Finding and Get-ScanError bind from the pipeline.</summary>
    public long ScanId => Id;

    /// <summary>
    /// The exit code a scheduled scan ends with for this run: Completed (0), CompletedWithErrors (3),
    /// Cancelled (4), or Failed (5); Running (7) while the run has no end (a monitor that exited with the code of
    /// a running or killed scan reported success).
    /// </summary>
    public Hosting.ScanExitCode ExitCode => Status switch
    {
        ScanRunStatus.Running => Hosting.ScanExitCode.Running,
        ScanRunStatus.Cancelled => Hosting.ScanExitCode.Cancelled,
        ScanRunStatus.Failed => Hosting.ScanExitCode.Failed,
        _ => Errors > 0 ? Hosting.ScanExitCode.CompletedWithErrors : Hosting.ScanExitCode.Completed,
    };

    /// <summary>Files recorded per second of run time.</summary>
    public double FilesPerSecond => Duration.TotalSeconds > 0 ? Files / Duration.TotalSeconds : 0;

    /// <inheritdoc />
    public override string ToString() => $"Scan {Id} ({Status})";

    /// <summary>
    /// A run as this process sent it to a catalog on another computer (a redis:// catalog): the catalog gives the
    /// run its id there, so <see cref="Id"/> is 0 here and <see cref="RunKey"/> identifies it.
    /// </summary>
    internal static ScanRun AsSent(Guid runKey, string kind, ScanRunStatus status, DateTime startedUtc, string database,
        long files, long bytes, long errors, long directories = 0, long skipped = 0, IReadOnlyList<string>? roots = null, string options = "{}", string? message = null) => new()
    {
        Id = 0, RunKey = runKey, Kind = kind, Status = status, StartedUtc = startedUtc, EndedUtc = DateTime.UtcNow,
        Host = Environment.MachineName, User = Environment.UserName, ProcessId = Environment.ProcessId,
        Roots = roots ?? Array.Empty<string>(), Options = options, Files = files, Bytes = bytes, Directories = directories,
        Errors = errors, Skipped = skipped, Message = message, Database = database,
    };
}
