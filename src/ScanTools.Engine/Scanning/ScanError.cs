namespace ScanTools.Scanning;

/// <summary>One problem met while scanning. The scan records it, counts it and goes on.</summary>
public sealed class ScanError
{
    /// <summary>Creates an error item.</summary>
    public ScanError(string path, ScanErrorKind kind, string message, DateTime? occurredUtc = null)
    {
        Path = path;
        Kind = kind;
        Message = message;
        OccurredUtc = occurredUtc ?? DateTime.UtcNow;
    }

    /// <summary>The full path of the entry concerned.</summary>
    public string Path { get; }

    /// <summary>What kind of problem it was.</summary>
    public ScanErrorKind Kind { get; }

    /// <summary>What happened and, where there is one, what to do about it.</summary>
    public string Message { get; }

    /// <summary>When it happened (UTC).</summary>
    public DateTime OccurredUtc { get; }

    /// <summary>The scan run it belongs to, when read back from a catalog.</summary>
    public long? ScanId { get; init; }

    /// <summary>The catalog it was read from (null while a scan reports it live).</summary>
    public string? Database { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Path}: {Message}";
}
