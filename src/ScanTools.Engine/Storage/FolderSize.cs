namespace ScanTools.Storage;

/// <summary>What a folder and everything below it hold, from the catalog (Measure-ScanFolder).</summary>
public sealed class FolderSize
{
    /// <summary>
    /// The folder's full path. Named FullName, not Path: a Path property bound Remove-Item's -Path, a wildcard, so
    /// <c>Measure-ScanFolder | Where-Object Bytes -EQ 0 | Remove-Item -Recurse</c> removed 'logs1' for an empty 'logs[1]'
    /// (newcomer test 79).
    /// </summary>
    public required string FullName { get; init; }

    /// <summary>
    /// <see cref="FullName"/>, which Remove-Item, Get-Item and Get-ChildItem bind to -LiteralPath; null where PowerShell
    /// would read it as another folder (a '\' off Windows, or a '*' or '?' in its name: <see cref="Platform.PowerShellPath.ForFolder"/>).
    /// </summary>
    public string? PSPath => Platform.PowerShellPath.ForFolder(FullName);

    /// <summary>The folder's own name (the full path for a top folder).</summary>
    public required string Name { get; init; }

    /// <summary>0 for a folder asked for, 1 for its subfolders, and so on.</summary>
    public int Depth { get; init; }

    /// <summary>Bytes of the files in and below the folder (apparent sizes, as du -b; a hard-linked file once).</summary>
    public long Bytes { get; init; }

    /// <summary><see cref="Bytes"/> in binary units (KiB, MiB ...), for reading.</summary>
    public string Size => Hosting.ByteSize.Format(Bytes);

    /// <summary>Files in and below the folder (a hard-linked file once).</summary>
    public long Files { get; init; }

    /// <summary>Folders below the folder.</summary>
    public long Folders { get; init; }

    /// <summary>The newest last-write time of a file in or below the folder; null without files.</summary>
    public DateTime? NewestWriteTimeUtc { get; init; }

    /// <summary>The oldest last-write time of a file in or below the folder; null without files.</summary>
    public DateTime? OldestWriteTimeUtc { get; init; }

    /// <summary>Share of the parent folder's bytes, 0 to 100 (100 for a folder asked for).</summary>
    public double PercentOfParent { get; init; }

    /// <summary>The folder's bytes as of the run compared to (-ComparedTo); null when not compared.</summary>
    public long? PreviousBytes { get; init; }

    /// <summary>Bytes gained since the run compared to (negative: lost); null when not compared.</summary>
    public long? GrowthBytes => PreviousBytes is long before ? Bytes - before : null;

    /// <summary>The run these sizes are as of; null for the catalog's present files.</summary>
    public long? ScanId { get; init; }

    /// <summary>The catalog read.</summary>
    public required string Database { get; init; }

    /// <inheritdoc />
    public override string ToString() => Platform.PowerShellPath.AsText(FullName, PSPath);
}

/// <summary>How <see cref="FolderSizeQuery"/> orders folders (among siblings, or all of them with <see cref="FolderSizeQuery.Top"/>).</summary>
public enum FolderSort
{
    /// <summary>Largest first.</summary>
    Size = 0,
    /// <summary>Most growth since the run compared to first.</summary>
    Growth = 1,
    /// <summary>Most files first.</summary>
    Files = 2,
    /// <summary>Least recently written first: the oldest untouched data.</summary>
    Oldest = 3,
    /// <summary>By name.</summary>
    Name = 4,
}

/// <summary>Which folders to measure, and as of when.</summary>
public sealed record FolderSizeQuery
{
    /// <summary>The folders to measure (full paths); empty: each top folder of the catalog.</summary>
    public IReadOnlyList<string> Path { get; init; } = Array.Empty<string>();

    /// <summary>Levels of subfolders to return below each folder (0: the folders alone).</summary>
    public int Depth { get; init; } = 1;

    /// <summary>Sizes as of this run (files it saw, sizes as the change history records them then); null: present files.</summary>
    public long? ScanId { get; init; }

    /// <summary>Also measure as of this earlier run, for <see cref="FolderSize.GrowthBytes"/>.</summary>
    public long? ComparedToScanId { get; init; }

    /// <summary>Order of folders.</summary>
    public FolderSort SortBy { get; init; } = FolderSort.Size;

    /// <summary>Only the first N folders below the ones asked for, within <see cref="Depth"/>, all of them in <see cref="SortBy"/> order, not a tree (with a depth of 0: of the folders asked for).</summary>
    public int? Top { get; init; }

    /// <exception cref="ArgumentException">A negative depth or top, or growth without a run to compare to.</exception>
    public void Validate()
    {
        if (Depth < 0)
        {
            throw new ArgumentException("-Depth must be 0 or more.");
        }
        if (Top is < 1)
        {
            throw new ArgumentException("-Top must be 1 or more.");
        }
        if (SortBy == FolderSort.Growth && ComparedToScanId is null)
        {
            throw new ArgumentException("-SortBy Growth needs -ComparedTo <run id>: growth is measured since that run.");
        }
        if (ScanId is long run && ComparedToScanId is long earlier && earlier >= run)
        {
            // Growth is measured from -ComparedTo to -ScanId; the other way round it came out with its sign turned.
            throw new ArgumentException($"-ComparedTo ({earlier}) must be an earlier run than -ScanId ({run}): growth is measured from -ComparedTo to -ScanId.");
        }
        foreach (string p in Path)
        {
            if (string.IsNullOrWhiteSpace(p))
            {
                throw new ArgumentException("A -Path is empty.");
            }
        }
    }
}

/// <summary>What the files of one extension, owner or year hold (Measure-ScanFile).</summary>
public sealed class FileGroupSize
{
    /// <summary>What the files are grouped by.</summary>
    public required FileGrouping GroupBy { get; init; }

    /// <summary>The extension (with its dot; empty: none), the owner's name (or uid), or the year of last write.</summary>
    public required string Key { get; init; }

    /// <summary>Bytes of the group's files (a hard-linked file once).</summary>
    public long Bytes { get; init; }

    /// <summary><see cref="Bytes"/> in binary units, for reading.</summary>
    public string Size => Hosting.ByteSize.Format(Bytes);

    /// <summary>Files in the group.</summary>
    public long Files { get; init; }

    /// <summary>Share of all the measured bytes, 0 to 100.</summary>
    public double Percent { get; init; }

    /// <summary>The run the files were measured as of (-ScanId, or a piped run); null: the files present now.</summary>
    public long? ScanId { get; init; }

    /// <summary>The newest last-write time in the group.</summary>
    public DateTime? NewestWriteTimeUtc { get; init; }

    /// <summary>The oldest last-write time in the group.</summary>
    public DateTime? OldestWriteTimeUtc { get; init; }

    /// <summary>The catalog read.</summary>
    public required string Database { get; init; }

    /// <inheritdoc />
    /// <remarks>
    /// Not the Key alone: piped to Remove-Item, a group's text became a path in the current folder, and
    /// <c>Measure-ScanFile Year | ... | Remove-Item -Recurse</c> removed the folder ./2026 (newcomer test 81).
    /// </remarks>
    public override string ToString() => $"{GroupBy} {Key}: {Files:N0} files, {Size}";
}

/// <summary>What <see cref="FileGroupSize"/> groups files by.</summary>
public enum FileGrouping
{
    /// <summary>The extension, case ignored.</summary>
    Extension = 0,
    /// <summary>The owning user.</summary>
    Owner = 1,
    /// <summary>The year of the last write (UTC).</summary>
    Year = 2,
}
