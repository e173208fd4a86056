namespace ScanTools.Storage;

/// <summary>
/// A file as the catalog records it. Names follow <see cref="FileInfo"/> (FullName, Name, Length,
/// LastWriteTimeUtc, ...), so findings pipe into Remove-Item, Copy-Item and Export-Csv naturally.
/// </summary>
public sealed class Finding
{
    /// <summary>The full path of the file.</summary>
    public required string FullName { get; init; }

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

    /// <summary>Unix st_mode (type and permission bits); null for files recorded on Windows.</summary>
    public int? UnixMode { get; init; }

    /// <summary>True when the entry is a symbolic link.</summary>
    public bool IsLink { get; init; }

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

    /// <inheritdoc />
    public override string ToString() => FullName;
}
