namespace ScanTools.Scanning;

/// <summary>What went wrong with one entry. Scripts can branch on this; it is stored with the scan.</summary>
public enum ScanErrorKind
{
    /// <summary>A scan root does not exist or is not a directory.</summary>
    RootNotFound = 1,
    /// <summary>A directory could not be listed: permission denied.</summary>
    DirectoryUnreadable = 2,
    /// <summary>A directory disappeared between being found and being listed.</summary>
    DirectoryVanished = 3,
    /// <summary>A file disappeared between being listed and being read.</summary>
    FileVanished = 4,
    /// <summary>A file's metadata or content could not be read: permission denied.</summary>
    AccessDenied = 5,
    /// <summary>A name is not valid UTF-8 (Unix) or UTF-16 (Windows), so it cannot be stored faithfully.</summary>
    InvalidName = 6,
    /// <summary>A path is longer than the operating system accepts.</summary>
    PathTooLong = 7,
    /// <summary>A followed directory link leads back to a folder already being walked.</summary>
    SymlinkLoop = 8,
    /// <summary>A file's content could not be hashed (read error, locked file).</summary>
    HashFailed = 9,
    /// <summary>Any other input/output error.</summary>
    IoError = 10,
    /// <summary>
    /// The catalog refused to store these records on their own (SQLite would not take them); the other
    /// records of the run are stored. The message says what SQLite answered.
    /// </summary>
    WriteRejected = 11,
    /// <summary>A folder (or another non-file) was given where a file was expected (Write-Finding).</summary>
    NotAFile = 12,
    /// <summary>
    /// The file system reported a value .NET cannot represent (a time after the year 9999, a size beyond
    /// 2^63): the file is recorded with the nearest value that can be, and this item names it.
    /// </summary>
    ValueOutOfRange = 13,
    /// <summary>A file changed while its content was read for its hash: it is recorded without a hash, and the next scan reads it again.</summary>
    FileChangedWhileHashed = 14,
    /// <summary>A rule in an ignore file found in the tree (-IgnoreFileName) cannot work; the file's other rules apply.</summary>
    InvalidIgnoreRule = 15,
    /// <summary>
    /// A rule could not finish on a file (its pattern ran past its time limit, or matched too often): the
    /// matches it found are kept, the file's earlier findings of that rule stay open, the scan goes on.
    /// </summary>
    RuleFailed = 16,
    /// <summary>A file's content could not be read for the rules (permission denied, an I/O error); its earlier findings stay open.</summary>
    ContentUnreadable = 17,
}
