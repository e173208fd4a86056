namespace ScanTools.Duplicates;

/// <summary>
/// Files with identical content. Hard links (names of one file) are one copy. Piped to Remove-Item, a
/// group binds <see cref="LiteralPath"/>: every name of every copy but the kept one, which frees
/// <see cref="WastedBytes"/>.
/// </summary>
public sealed class DuplicateGroup
{
    /// <summary>The SHA-256 of the content, 64 upper-case hex digits (what Get-FileHash returns).</summary>
    public required string Sha256 { get; init; }

    /// <summary>The size of each copy, in bytes.</summary>
    public long Length { get; init; }

    /// <summary>How many copies: distinct files, hard links of one file counted once.</summary>
    public int Count { get; init; }

    /// <summary>Bytes that removing every copy but one would free: (Count - 1) x Length.</summary>
    public long WastedBytes => (Count - 1) * Length;

    /// <summary>The copy kept: the oldest by last-write time, then the first in path order.</summary>
    public required string Keep { get; init; }

    /// <summary>Every name of every other copy: what to remove to free <see cref="WastedBytes"/>.</summary>
    public required IReadOnlyList<string> LiteralPath { get; init; }

    /// <summary>Every name in the group, in path order (hard links included).</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>The catalog the group was found in.</summary>
    public string? Database { get; init; }
}

/// <summary>What finding duplicates took: how much was read, for the verbose stream and the tests.</summary>
public sealed class DuplicateSearchStatistics
{
    /// <summary>Files the catalog offered (present regular files in scope, of at least the minimum size).</summary>
    public long Candidates { get; set; }

    /// <summary>Files in a size group of two or more copies (hard links collapsed).</summary>
    public long SizeMatched { get; set; }

    /// <summary>Files whose first and last blocks were read for the prefilter.</summary>
    public long Prefiltered { get; set; }

    /// <summary>Files read whole for their SHA-256.</summary>
    public long FullyHashed { get; set; }

    /// <summary>Bytes read from files, prefilter and full hashes together.</summary>
    public long BytesRead { get; set; }

    /// <summary>Files whose stored SHA-256 was used without reading them (unchanged since it was taken).</summary>
    public long StoredHashesUsed { get; set; }

    /// <summary>
    /// Catalog entries no longer on disk, changed in size or replaced by another file since the scan: left
    /// out. Files that could not be read are not stale; they are counted in <see cref="Unreadable"/>.
    /// </summary>
    public long Stale { get; set; }

    /// <summary>Files that could not be read (permission denied, an I/O error): left out, each an error item.</summary>
    public long Unreadable { get; set; }

    /// <summary>SHA-256 digests written back to the catalog.</summary>
    public long HashesStored { get; set; }

    /// <summary>Time spent checking candidates on disk and reading their first and last blocks.</summary>
    public TimeSpan CheckTime { get; set; }

    /// <summary>Time spent reading files whole for their SHA-256.</summary>
    public TimeSpan HashTime { get; set; }
}

/// <summary>
/// Paths of a duplicate group. As text (Export-Csv, string interpolation) it is its paths one per line: the type name
/// (System.Collections.Generic.List`1[System.String]) was all Export-Csv wrote of a group's files.
/// </summary>
public sealed class PathList : System.Collections.ObjectModel.ReadOnlyCollection<string>
{
    /// <summary>Wraps <paramref name="paths"/> (not copied).</summary>
    public PathList(IList<string> paths)
        : base(paths)
    {
    }

    /// <inheritdoc />
    public override string ToString() => string.Join("\n", this);
}
