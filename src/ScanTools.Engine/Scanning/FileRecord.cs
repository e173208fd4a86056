using ScanTools.Platform;

namespace ScanTools.Scanning;

/// <summary>
/// One file as a scan found it. Property names follow <see cref="FileInfo"/> so PowerShell users meet
/// familiar names (FullName, Length, LastWriteTimeUtc, ...).
/// </summary>
public sealed class FileRecord
{
    private byte[]? _sha256;

    /// <summary>Creates a record; <paramref name="directoryName"/> must be a full path.</summary>
    public FileRecord(string directoryName, string name)
    {
        DirectoryName = directoryName;
        Name = name;
    }

    /// <summary>The full path of the folder holding the file.</summary>
    public string DirectoryName { get; }

    /// <summary>The file's name with its extension.</summary>
    public string Name { get; }

    /// <summary>The full path of the file.</summary>
    public string FullName => Path.Join(DirectoryName, Name);

    /// <summary>
    /// The full path again, under the name PowerShell's file cmdlets bind -LiteralPath to from the pipeline,
    /// so Remove-Item, Copy-Item and Get-Item take a record exactly; null where PowerShell would read it as another
    /// file (a '\' off Windows, <see cref="Platform.PowerShellPath.For"/>): Start-Scan -PassThru | Remove-Item removed
    /// 'cfg/app.env' for 'cfg\app.env' (newcomer test 79).
    /// </summary>
    public string? PSPath => Platform.PowerShellPath.For(FullName);

    /// <summary>Last write time in local time, as Get-ChildItem shows it.</summary>
    public DateTime LastWriteTime => LastWriteTimeUtc.ToLocalTime();

    /// <summary>The extension with its dot (<c>.log</c>), or empty.</summary>
    public string Extension => Path.GetExtension(Name);

    /// <summary>Size in bytes (for an unfollowed link: the link's own size).</summary>
    public long Length { get; init; }

    /// <summary>Last write time, UTC.</summary>
    public DateTime LastWriteTimeUtc { get; init; }

    /// <summary>Creation (birth) time, UTC, where the file system records it; otherwise null.</summary>
    public DateTime? CreationTimeUtc { get; init; }

    /// <summary>File attributes (on Unix: ReadOnly, Hidden, ReparsePoint as .NET derives them).</summary>
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

    /// <summary>The file's number on its device (inode); with <see cref="Device"/> it identifies the file, whatever its name. Null where not read.</summary>
    public long? Inode { get; init; }

    /// <summary>The device (file system) the file is on; null where not read.</summary>
    public long? Device { get; init; }

    /// <summary>How many names (hard links) the file has: more than 1 means other names share this content, they are not copies. Null where not read.</summary>
    public int? HardLinks { get; init; }

    /// <summary>Change time (ctime), UTC: the last change of content or metadata; null where not read.</summary>
    public DateTime? ChangeTimeUtc { get; init; }

    /// <summary>The owner's user id (Unix); null where not read.</summary>
    public uint? UserId { get; init; }

    /// <summary>The owner's group id (Unix); null where not read.</summary>
    public uint? GroupId { get; init; }

    /// <summary>Where the link points, as stored in the link; null for other entries.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>The SHA-256 digest as 64 upper-case hex digits, or null when not hashed.</summary>
    public string? Sha256 => _sha256 is null ? null : Convert.ToHexString(_sha256);

    /// <summary>The SHA-256 digest as bytes, or null when not hashed.</summary>
    public byte[]? Sha256Bytes
    {
        get => _sha256;
        init => _sha256 = value is null || value.Length == 32 ? value : throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(value));
    }

    /// <summary>What kind of entry this is (file, link or special file).</summary>
    public EntryKind Kind { get; init; }

    /// <summary>What the scan's rules found in the file (never the secrets themselves); null when none matched or no rules ran.</summary>
    public IReadOnlyList<Rules.RuleMatch>? Matches { get; init; }

    /// <summary>
    /// The rules could not look at all of the file this time (its content was unreadable, a pattern timed
    /// out): the file's open findings are kept as they are instead of being resolved.
    /// </summary>
    public bool KeepFindings { get; init; }

    /// <summary>
    /// The content rules did not read the file because the same rules read it whole before and it has not
    /// changed since: its open findings are still there, and count as seen by this run.
    /// </summary>
    public bool FindingsUnchanged { get; init; }

    /// <summary>
    /// The content rules (<see cref="Rules.RuleSet.ContentKey"/>) that read the whole file this time, or whose
    /// earlier reading still holds because the file did not change; null when none did. A rescan with the
    /// same rules need not read the file again while its size, times and file id stay the same.
    /// </summary>
    public long? RulesKey { get; init; }

    /// <inheritdoc />
    public override string ToString() => Platform.PowerShellPath.AsText(FullName, PSPath);

    /// <summary>A record carrying what a catalog already knows about a file (copying between catalogs).</summary>
    public static FileRecord FromFinding(Storage.Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return new FileRecord(finding.Directory, finding.Name)
        {
            Length = finding.Length,
            LastWriteTimeUtc = finding.LastWriteTimeUtc,
            CreationTimeUtc = finding.CreationTimeUtc,
            Attributes = finding.Attributes,
            UnixStatMode = finding.UnixStatMode,
            IsLink = finding.IsLink,
            LinkTarget = finding.LinkTarget,
            Sha256Bytes = finding.Sha256 is null ? null : Convert.FromHexString(finding.Sha256),
            Kind = finding.Kind,
            Inode = finding.Inode,
            Device = finding.Device,
            HardLinks = finding.HardLinks,
            ChangeTimeUtc = finding.ChangeTimeUtc,
            UserId = finding.UserId,
            GroupId = finding.GroupId,
        };
    }

    internal static FileRecord FromStat(string directory, string name, in EntryStat stat, bool isLink, string? linkTarget, byte[]? sha256,
        IReadOnlyList<Rules.RuleMatch>? matches = null, bool keepFindings = false, long? rulesKey = null, bool findingsUnchanged = false) =>
        new(directory, name)
        {
            FindingsUnchanged = findingsUnchanged,
            RulesKey = rulesKey,
            Matches = matches,
            KeepFindings = keepFindings,
            Length = stat.Length,
            LastWriteTimeUtc = new DateTime(stat.LastWriteTicksUtc, DateTimeKind.Utc),
            CreationTimeUtc = stat.CreationTicksUtc is long c ? new DateTime(c, DateTimeKind.Utc) : null,
            Attributes = isLink ? stat.Attributes | FileAttributes.ReparsePoint : stat.Attributes,
            UnixStatMode = stat.UnixMode,
            IsLink = isLink,
            LinkTarget = linkTarget,
            Sha256Bytes = sha256,
            Kind = stat.Kind,
            Inode = stat.Inode,
            Device = stat.Device,
            HardLinks = stat.Links,
            ChangeTimeUtc = stat.ChangeTicksUtc is long ct ? new DateTime(ct, DateTimeKind.Utc) : null,
            UserId = stat.UserId,
            GroupId = stat.GroupId,
        };
}
