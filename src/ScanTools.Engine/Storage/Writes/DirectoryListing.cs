using ScanTools.Scanning;

namespace ScanTools.Storage.Writes;

/// <summary>
/// The files of one folder, or one chunk of them when the folder is large. A walker emits the chunks of
/// a folder in order; the last one carries <see cref="IsFinalChunk"/> and, when the listing finished
/// without error, the names the writer needs to tell what disappeared.
/// </summary>
public sealed class DirectoryListing : CatalogWrite
{
    /// <summary>The folder's full path.</summary>
    public required string DirectoryPath { get; init; }

    /// <summary>The records of this chunk; all have <see cref="DirectoryPath"/> as their folder.</summary>
    public IReadOnlyList<FileRecord> Files { get; init; } = Array.Empty<FileRecord>();

    /// <summary>Walk listing or individual records.</summary>
    public ListingMode Mode { get; init; } = ListingMode.Walk;

    /// <summary>0 for the first chunk of a folder, then 1, 2, ...</summary>
    public int ChunkIndex { get; init; }

    /// <summary>True on the folder's last chunk.</summary>
    public bool IsFinalChunk { get; init; } = true;

    /// <summary>On the final chunk: the whole folder was listed without error.</summary>
    public bool IsComplete { get; init; }

    /// <summary>On a complete final chunk: names of non-folder entries that exist but were not recorded (excluded, unreadable).</summary>
    public IReadOnlyList<string> UnrecordedNames { get; init; } = Array.Empty<string>();

    /// <summary>On a complete final chunk: the names of every subfolder that exists, entered or not.</summary>
    public IReadOnlyList<string> SubdirectoryNames { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Set when the listing came through a broker, from a producer that may be another computer: the writer cannot
    /// look for its folder on its own disk (<c>CatalogWriter.Superseded</c>). Never forwarded.
    /// </summary>
    internal bool FromAnotherComputer { get; set; }

    /// <summary>
    /// On a first chunk, in this process only (never forwarded): what the catalog held for the folder when the
    /// walker listed it. The writer uses it instead of reading the rows again when its version is current.
    /// </summary>
    internal FolderSnapshot? Snapshot { get; init; }

    /// <inheritdoc />
    public override int RowCount => Files.Count == 0 ? 1 : Files.Count;

    /// <inheritdoc />
    public override string Describe() => Files.Count == 1
        ? $"the record of '{Path.Join(DirectoryPath, Files[0].Name)}'"
        : $"the records of {Files.Count:N0} files in '{DirectoryPath}'";
}
