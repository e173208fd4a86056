namespace ScanTools.Storage;

/// <summary>
/// A file as the catalog records it. Names follow <see cref="FileInfo"/> (FullName, Name, Length,
/// LastWriteTimeUtc, ...), so findings pipe into Remove-Item, Copy-Item and Export-Csv naturally.
/// </summary>
public sealed class Finding
{
    /// <summary>The full path of the file.</summary>
    public required string FullName { get; init; }

    /// <summary>
    /// The full path again, under the name PowerShell's file cmdlets bind -LiteralPath to from the pipeline,
    /// so Remove-Item, Copy-Item and Get-Item take a finding exactly (no wildcard surprises with [ ] in names).
    /// Null for a path with '\' off Windows where PowerShell would read it as another file that exists
    /// (<see cref="Platform.PowerShellPath.For"/>), and for a file the catalog records as removed: whatever has its path now
    /// is another file or folder (Get-Finding -Removed | Remove-Item removed a new file of the old name, and offered to
    /// remove a folder made there since, recursively: newcomer test 84).
    /// </summary>
    public string? PSPath => Removed ? null : Platform.PowerShellPath.For(FullName);

    /// <summary>Last write time in local time, as Get-ChildItem shows it.</summary>
    public DateTime LastWriteTime => LastWriteTimeUtc.ToLocalTime();

    /// <summary>The catalog the finding was read from; cmdlets that read catalogs bind their -Database to it from the pipeline.</summary>
    public string? Database { get; init; }

    /// <summary>The file's name with its extension.</summary>
    public required string Name { get; init; }

    /// <summary>The full path of the folder holding it.</summary>
    public required string Directory { get; init; }

    /// <summary>The extension with its dot, or empty.</summary>
    public string Extension { get; init; } = string.Empty;

    /// <summary>Size in bytes when last seen.</summary>
    public long Length { get; init; }

    /// <summary>Last write time (UTC) when last seen.</summary>
    public DateTime LastWriteTimeUtc { get; init; }

    /// <summary>Creation time (UTC) where the file system records it.</summary>
    public DateTime? CreationTimeUtc { get; init; }

    /// <summary>File attributes when last seen.</summary>
    public FileAttributes Attributes { get; init; }

    /// <summary>The Unix st_mode (file type and permission bits, as stat(2) returns it); null on Windows.</summary>
    public int? UnixStatMode { get; init; }

    /// <summary>The Unix mode as Get-ChildItem shows it (<c>-rw-r--r--</c>, <c>lrwxrwxrwx</c>, with s/S/t/T); null on Windows.</summary>
    public string? UnixMode => Platform.FileModeText.Format(UnixStatMode);

    /// <summary>The mode column of Get-ChildItem: the Unix mode where there is one, else the Windows attribute letters (<c>-a---</c>).</summary>
    public string Mode => Platform.FileModeText.Format(UnixStatMode, Attributes, IsLink);

    /// <summary>The permission bits (with set-user-id, set-group-id and sticky) as .NET's UnixFileMode; null on Windows.</summary>
    public UnixFileMode? UnixFileMode => UnixStatMode is int m ? (UnixFileMode)(m & 0xFFF) : null;

    /// <summary>True when the entry is a symbolic link.</summary>
    public bool IsLink { get; init; }

    /// <summary>The file's number on its device (inode); with <see cref="Device"/> it identifies the file, whatever its name. Null where not recorded.</summary>
    public long? Inode { get; init; }

    /// <summary>The device (file system) the file is on; null where not recorded.</summary>
    public long? Device { get; init; }

    /// <summary>How many names (hard links) the file had: more than 1 means other names share this content; they are links, not copies.</summary>
    public int? HardLinks { get; init; }

    /// <summary>Change time (ctime), UTC, when last seen; null where not recorded.</summary>
    public DateTime? ChangeTimeUtc { get; init; }

    /// <summary>The owner's user id (Unix) when last seen; null where not recorded.</summary>
    public uint? UserId { get; init; }

    /// <summary>The owner's group id (Unix) when last seen; null where not recorded.</summary>
    public uint? GroupId { get; init; }

    /// <summary>File, link or special file (FIFO, socket, device).</summary>
    public Platform.EntryKind Kind { get; init; }

    /// <summary>Where the link points.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>SHA-256 as 64 upper-case hex digits, or null when never hashed (or changed since).</summary>
    public string? Sha256 { get; init; }

    /// <summary>The scan run that first recorded the file.</summary>
    public long FirstScanId { get; init; }

    /// <summary>The most recent scan run that saw the file.</summary>
    public long LastScanId { get; init; }

    /// <summary>The scan run that found the file gone; null while it is present.</summary>
    public long? RemovedScanId { get; init; }

    /// <summary>True when a later scan of its folder no longer found the file.</summary>
    public bool Removed => RemovedScanId is not null;

    /// <summary>The file's open findings that passed the query's rule filters (Get-Finding -Rule, -Severity, -MinimumSeverity); empty otherwise.</summary>
    /// <remarks>A <see cref="Rules.FindingMatchList"/>: as text (ToString, which Export-Csv uses) "rule-id:line; ...".</remarks>
    public IReadOnlyList<Rules.FindingMatch> Matches { get; init; } = Rules.FindingMatchList.None;

    /// <inheritdoc />
    public override string ToString() => Removed
        ? Platform.PowerShellPath.AsRemovedText(FullName, RemovedScanId!.Value)
        : Platform.PowerShellPath.AsText(FullName, PSPath);
}
