namespace ScanTools.Platform;

/// <summary>The metadata of one entry, read with a single stat call.</summary>
internal readonly struct EntryStat
{
    public EntryKind Kind { get; init; }
    public long Length { get; init; }
    public long LastWriteTicksUtc { get; init; }
    /// <summary>Birth time, or null where the file system or OS does not record it.</summary>
    public long? CreationTicksUtc { get; init; }
    public FileAttributes Attributes { get; init; }
    /// <summary>The full Unix st_mode (type and permission bits); null on Windows.</summary>
    public int? UnixMode { get; init; }

    /// <summary>The file's identity on its device (inode); null where not read.</summary>
    public long? Inode { get; init; }

    /// <summary>The device (file system) the file is on, as major * 2^32 + minor; null where not read.</summary>
    public long? Device { get; init; }

    /// <summary>How many names (hard links) the file has; null where not read.</summary>
    public int? Links { get; init; }

    /// <summary>The change time (ctime: last change of content or metadata), ticks UTC; null where not read.</summary>
    public long? ChangeTicksUtc { get; init; }

    /// <summary>The owner's user id and group id (Unix); null where not read.</summary>
    public uint? UserId { get; init; }

    /// <inheritdoc cref="UserId"/>
    public uint? GroupId { get; init; }

    /// <summary>
    /// What the OS reported that .NET cannot represent and was clamped to the nearest value it can (a
    /// time outside years 1-9999, a size beyond 2^63), in words for an error item; null when nothing was.
    /// </summary>
    public string? Clamped { get; init; }
}

/// <summary>Why a stat failed, reduced to what the scan needs to decide.</summary>
internal enum StatFailure
{
    None = 0,
    NotFound,
    AccessDenied,
    NameTooLong,
    Loop,
    Other,
}
