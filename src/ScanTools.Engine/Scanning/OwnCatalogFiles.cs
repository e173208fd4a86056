using ScanTools.Platform;

namespace ScanTools.Scanning;

/// <summary>
/// The files of the catalog a scan writes into, which the scan leaves out when it walks the folder that holds
/// them: the catalog itself, its -wal, -shm and -journal files, its writer and consumer locks (-scantools.lock,
/// -consumer.lock) and a catalog
/// being created (.creating-...). They change while the scan runs, so recording them would only report the
/// scan's own writes (a 1,000,000-file scan of a folder holding its catalog reported 1,000,004 files).
/// The folder is recognised by its identity (device and inode), whatever path leads to it.
/// </summary>
internal sealed class OwnCatalogFiles
{
    private readonly string _name;
    private readonly string _folder;
    private readonly long? _device, _inode;

    private OwnCatalogFiles(string folder, string name, long? device, long? inode)
    {
        _folder = folder;
        _name = name;
        _device = device;
        _inode = inode;
    }

    /// <summary>The files of the catalog <paramref name="databasePath"/> (a full path); null when its folder cannot be stat'd.</summary>
    public static OwnCatalogFiles? For(string databasePath)
    {
        string? folder = Path.GetDirectoryName(databasePath);
        if (string.IsNullOrEmpty(folder) || FileStat.TryStat(folder, follow: true, out EntryStat stat) != StatFailure.None)
        {
            return null;
        }
        return new OwnCatalogFiles(folder, Path.GetFileName(databasePath), stat.Device, stat.Inode);
    }

    /// <summary>True when <paramref name="name"/> in the folder <paramref name="folderPath"/> is one of the catalog's files.</summary>
    public bool IsOwn(string folderPath, string name)
    {
        if (!Storage.CatalogFiles.IsCatalogOrCompanionName(_name, name))
        {
            return false;
        }
        if (_device is long device && _inode is long inode)
        {
            return FileStat.TryStat(folderPath, follow: true, out EntryStat stat) == StatFailure.None && stat.Device == device && stat.Inode == inode;
        }
        return string.Equals(Path.TrimEndingDirectorySeparator(folderPath), Path.TrimEndingDirectorySeparator(_folder), PathComparison.Comparison);
    }
}
