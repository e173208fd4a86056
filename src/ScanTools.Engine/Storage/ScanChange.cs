namespace ScanTools.Storage;

/// <summary>What a scan found different about a file, compared with what the catalog held before it.</summary>
public enum ScanChangeType
{
    /// <summary>New to the catalog, or back after it had been found gone.</summary>
    Added = 1,

    /// <summary>Found gone.</summary>
    Removed = 2,

    /// <summary>Still there, with different properties (see <see cref="ScanChange.Properties"/>).</summary>
    Modified = 3,

    /// <summary>Renamed or moved: a file found gone and a file added in the same run are one file (same file id, or same size, last-write time and hash).</summary>
    Renamed = 4,
}

/// <summary>Which properties of a modified file changed.</summary>
[Flags]
public enum ChangedProperties
{
    /// <summary>None (Added, Removed and Renamed changes).</summary>
    None = 0,

    /// <summary>The size.</summary>
    Length = 1,

    /// <summary>The last-write time.</summary>
    LastWriteTime = 2,

    /// <summary>The content: both the old and the new SHA-256 are known, and they differ.</summary>
    Hash = 4,

    /// <summary>Permissions or attributes (Unix mode, Windows attributes).</summary>
    Mode = 8,

    /// <summary>The owner or group (Unix user and group ids).</summary>
    Owner = 16,

    /// <summary>Where a symbolic link points.</summary>
    LinkTarget = 32,

    /// <summary>The kind of entry (file, link, special).</summary>
    Kind = 64,
}

/// <summary>One change a scan (or Write-Finding) recorded, as <c>Get-ScanChange</c> returns it.</summary>
public sealed class ScanChange
{
    /// <summary>The run that found the change (for a range of runs: the last one that changed the file).</summary>
    public long ScanId { get; init; }

    /// <summary>Added, Removed, Modified or Renamed.</summary>
    public ScanChangeType ChangeType { get; init; }

    /// <summary>For Modified: which properties changed.</summary>
    public ChangedProperties Properties { get; init; }

    /// <summary>The file's full path (for Renamed, the new one).</summary>
    public required string FullName { get; init; }

    /// <summary>For Renamed: the path the file had before.</summary>
    public string? OldFullName { get; init; }

    /// <summary>The size before the change, in bytes (null for Added).</summary>
    public long? OldLength { get; init; }

    /// <summary>The size after the change, in bytes (null for Removed).</summary>
    public long? Length { get; init; }

    /// <summary>The last-write time (UTC) before the change (null for Added).</summary>
    public DateTime? OldLastWriteTimeUtc { get; init; }

    /// <summary>The last-write time (UTC) after the change (null for Removed).</summary>
    public DateTime? LastWriteTimeUtc { get; init; }

    /// <summary>The catalog it was read from; binds -Database of the reading cmdlets from the pipeline.</summary>
    public string? Database { get; init; }

    /// <summary>
    /// The path again, for -LiteralPath of file-system cmdlets; null for Removed (the file is gone, and what has its path
    /// now is another file or folder: a piped Remove-Item removed it, newcomer test 84) and where PowerShell would read
    /// the path as another file (<see cref="Platform.PowerShellPath.For"/>).
    /// </summary>
    public string? PSPath => ChangeType == ScanChangeType.Removed ? null : Platform.PowerShellPath.For(FullName);

    /// <summary>The file's name.</summary>
    public string Name => Path.GetFileName(FullName);

    /// <summary>
    /// What changed, in words for the table view: for Modified the properties (a size change with its
    /// before and after), for Renamed where the file was, then the properties that changed with the move
    /// (a moved file whose mode changed showed only "from ..."); empty for Added and Removed.
    /// </summary>
    public string Detail => ChangeType switch
    {
        ScanChangeType.Modified => PropertiesText(),
        ScanChangeType.Renamed => "from " + OldFullName + (Properties == ChangedProperties.None ? string.Empty : "; " + PropertiesText()),
        _ => string.Empty,
    };

    private string PropertiesText() => string.Join(", ", Enum.GetValues<ChangedProperties>()
        .Where(p => p != ChangedProperties.None && Properties.HasFlag(p))
        .Select(p => p == ChangedProperties.Length && OldLength is long o && Length is long n
            ? LengthChange(o, n)
            : p.ToString()));

    /// <summary>
    /// "Length 3 B -> 12 B"; where both sizes round to the same text ("5.0 KB"), the new size and the exact
    /// difference instead: "Length 5.0 KB (+12 B)".
    /// </summary>
    internal static string LengthChange(long oldLength, long newLength)
    {
        string before = Hosting.ByteSize.Format(oldLength), after = Hosting.ByteSize.Format(newLength);
        return before != after
            ? $"Length {before} -> {after}"
            : $"Length {after} ({(newLength - oldLength).ToString("+#,0;-#,0", System.Globalization.CultureInfo.InvariantCulture)} B)";
    }
}

/// <summary>Counts of changes per type and per property, AIDE-style.</summary>
public sealed class ScanChangeSummary
{
    /// <summary>The runs the summary covers.</summary>
    public IReadOnlyList<long> ScanId { get; init; } = Array.Empty<long>();

    /// <summary>Files the newest scan of those runs recorded (else the newest run; its Files count): the entries checked.</summary>
    public long Entries { get; init; }

    /// <summary>Added files.</summary>
    public long Added { get; init; }

    /// <summary>Removed files.</summary>
    public long Removed { get; init; }

    /// <summary>Modified files.</summary>
    public long Modified { get; init; }

    /// <summary>Renamed or moved files.</summary>
    public long Renamed { get; init; }

    /// <summary>All changes.</summary>
    public long Total => Added + Removed + Modified + Renamed;

    /// <summary>Modified or renamed files whose size changed (what -Property selects).</summary>
    public long LengthChanged { get; init; }

    /// <summary>Modified or renamed files whose last-write time changed (what -Property selects).</summary>
    public long LastWriteTimeChanged { get; init; }

    /// <summary>Modified or renamed files whose content hash changed (what -Property selects).</summary>
    public long HashChanged { get; init; }

    /// <summary>Modified or renamed files whose mode or attributes changed (what -Property selects).</summary>
    public long ModeChanged { get; init; }

    /// <summary>Modified or renamed files whose owner or group changed.</summary>
    public long OwnerChanged { get; init; }

    /// <summary>Modified or renamed links whose target changed.</summary>
    public long LinkTargetChanged { get; init; }

    /// <summary>Modified or renamed entries whose kind changed.</summary>
    public long KindChanged { get; init; }

    /// <summary>The catalog it was read from.</summary>
    public string? Database { get; init; }
}
