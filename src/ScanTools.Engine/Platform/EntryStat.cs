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
