namespace ScanTools.Scanning;

/// <summary>One problem met while scanning. The scan records it, counts it and goes on.</summary>
public sealed class ScanError
{
    /// <summary>Creates an error item.</summary>
    public ScanError(string path, ScanErrorKind kind, string message, DateTime? occurredUtc = null)
    {
        FullName = path;
        Kind = kind;
        Message = message;
        OccurredUtc = occurredUtc ?? DateTime.UtcNow;
    }

    /// <summary>
    /// The full path of the entry concerned. Named FullName, not Path: a Path property bound Remove-Item's -Path, a
    /// wildcard, so <c>Get-ScanError | Remove-Item</c> for an unreadable 'cache[1]' removed 'cache1' (newcomer test 79).
    /// </summary>
    public string FullName { get; }

    /// <summary>
    /// <see cref="FullName"/>, which Remove-Item and Get-Item bind to -LiteralPath; null where PowerShell would read it
    /// as another file or folder (a '\' off Windows, or a '*' or '?' in its name: <see cref="Platform.PowerShellPath.ForFolder"/>).
    /// </summary>
    public string? PSPath => Platform.PowerShellPath.ForFolder(FullName);

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
    public override string ToString() => $"{Kind}: {FullName}: {Message}";
}
