namespace ScanTools.Storage.Writes;

/// <summary>Opens a scan run (status Running). Applied again, it changes nothing.</summary>
public sealed class ScanRunStart : CatalogWrite
{
    /// <summary>When the run started (UTC).</summary>
    public required DateTime StartedUtc { get; init; }

    /// <summary>What produced the run: <c>Scan</c> for Start-Scan, <c>Records</c> for Write-Finding.</summary>
    public string Kind { get; init; } = "Scan";

    /// <summary>The computer the producer runs on.</summary>
    public string Host { get; init; } = Environment.MachineName;

    /// <summary>The account the producer runs as.</summary>
    public string User { get; init; } = Environment.UserName;

    /// <summary>The producer's process id (lets a later writer mark runs of dead processes Failed).</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>The folders the run scans.</summary>
    public IReadOnlyList<string> Roots { get; init; } = Array.Empty<string>();

    /// <summary>The options as JSON.</summary>
    public string OptionsJson { get; init; } = "{}";

    /// <inheritdoc />
    public override int RowCount => 1;

    /// <inheritdoc />
    public override string Describe() => $"the start of run {RunKey:D}";
}
