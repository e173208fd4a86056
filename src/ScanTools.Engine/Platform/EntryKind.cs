namespace ScanTools.Platform;

/// <summary>What kind of file-system entry a directory listing returned.</summary>
public enum EntryKind
{
    /// <summary>A regular file: the only kind whose content is hashed.</summary>
    File = 0,
    /// <summary>A directory.</summary>
    Directory = 1,
    /// <summary>A symbolic link (or, on Windows, another reparse point).</summary>
    Symlink = 2,
    /// <summary>A FIFO, socket or device node: recorded, never opened.</summary>
    Special = 3,
}
