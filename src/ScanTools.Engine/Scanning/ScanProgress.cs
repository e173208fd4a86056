using System.Diagnostics;

namespace ScanTools.Scanning;

/// <summary>Live counters of a walk, updated by the walker threads and read by anyone.</summary>
public sealed class ScanProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _files;
    private long _bytes;
    private long _directories;
    private long _errors;
    private string? _currentDirectory;

    internal void AddFiles(long files, long bytes)
    {
        Interlocked.Add(ref _files, files);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void AddDirectory(string path)
    {
        Interlocked.Increment(ref _directories);
        Volatile.Write(ref _currentDirectory, path);
    }

    internal void AddError() => Interlocked.Increment(ref _errors);

    private long _skipped;
    private long _filesHashed;
    private long _bytesHashed;
    private long _hashesKept;

    internal void AddSkipped() => Interlocked.Increment(ref _skipped);

    internal void AddHashed(long bytes)
    {
        Interlocked.Increment(ref _filesHashed);
        Interlocked.Add(ref _bytesHashed, bytes);
    }

    internal void AddHashesKept(int files)
    {
        if (files > 0)
        {
            Interlocked.Add(ref _hashesKept, files);
        }
    }

    /// <summary>
    /// Entries left out: files and folders matched by -Exclude or an ignore rule, folders on another file
    /// system with -OneFileSystem, and folders below -MaxDepth. A skipped folder counts once; what is in it
    /// was not walked.
    /// </summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Files whose content was read and hashed.</summary>
    public long FilesHashed => Interlocked.Read(ref _filesHashed);

    /// <summary>Bytes read to hash files: what an incremental rescan saves shows here.</summary>
    public long BytesHashed => Interlocked.Read(ref _bytesHashed);

    /// <summary>Files whose stored hash was kept without reading them (unchanged size, times and file id).</summary>
    public long HashesKept => Interlocked.Read(ref _hashesKept);

    private readonly LinkTally _linked = new(forget: true);

    /// <summary>
    /// Keep every hard-linked file met until the walk ends, instead of forgetting one once all its names are met. For
    /// -FollowSymlink: a followed link carries its target's identity, one more name than the target's link count, so
    /// the count cannot tell when the last name has been met.
    /// </summary>
    internal bool RemembersEveryLinkedFile
    {
        get => !_linked.Forgets;
        init => _linked = new LinkTally(forget: !value);
    }

    /// <summary>
    /// The bytes a record adds to the run's total: its size the first time the run meets its content, 0 for
    /// another name (hard link) of content already counted, as du counts. Only hard-linked files are
    /// remembered, and only until all their names are met, so memory stays small. A symlink with several names
    /// (ln -P) counts once too, as in du and <c>Measure-ScanFolder</c>; a link followed with -FollowSymlink carries
    /// its target's identity and counts with the target's names (see <see cref="RemembersEveryLinkedFile"/>).
    /// </summary>
    internal long BytesOnce(FileRecord record) =>
        record.HardLinks is int links && links > 1 && record.Inode is long inode
            ? (_linked.FirstOfLinks(record.Device ?? 0, inode, links) ? record.Length : 0)
            : record.Length;

    /// <summary>
    /// The hard-linked files met so far, as (device, inode) with the names met, for every walker thread at once.
    /// Locked stripes of plain dictionaries: a dictionary of value types holds its entries in arrays the collector
    /// never traces. A ConcurrentDictionary allocates an object per entry; on the bench's tree, where every file
    /// has links, those 200,000 young objects made each walk's collections take 110-125 ms instead of 4-15 ms.
    /// </summary>
    private sealed class LinkTally(bool forget)
    {
        public bool Forgets => forget;

        private const int Stripes = 64; // a power of 2, well above any walker count: threads rarely meet on a stripe
        private readonly Dictionary<(long Device, long Inode), int>[] _stripes =
            Enumerable.Range(0, Stripes).Select(_ => new Dictionary<(long Device, long Inode), int>()).ToArray();

        /// <summary>
        /// True the first time (device, inode) is met. Forgets it once <paramref name="links"/> names have been
        /// met: no other name can follow (unless a link is made during the walk, when its bytes count again).
        /// </summary>
        public bool FirstOfLinks(long device, long inode, int links)
        {
            Dictionary<(long Device, long Inode), int> stripe = _stripes[(int)((ulong)(inode * -7046029254386353131L ^ device) >> 58)];
            lock (stripe)
            {
                ref int met = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(stripe, (device, inode), out bool exists);
                if (++met >= links && forget)
                {
                    stripe.Remove((device, inode));
                }
                return !exists;
            }
        }
    }

    /// <summary>Takes back files the catalog refused to store, so the counts match what is stored.</summary>
    internal void RemoveFiles(long files, long bytes)
    {
        Interlocked.Add(ref _files, -files);
        Interlocked.Add(ref _bytes, -bytes);
    }

    /// <summary>Files recorded so far.</summary>
    public long Files => Interlocked.Read(ref _files);

    /// <summary>Bytes in the files recorded so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Folders listed so far.</summary>
    public long Directories => Interlocked.Read(ref _directories);

    /// <summary>Error items so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The folder most recently started.</summary>
    public string? CurrentDirectory => Volatile.Read(ref _currentDirectory);

    /// <summary>Time since the walk started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>A consistent-enough copy for display.</summary>
    public ScanProgressSnapshot Snapshot()
    {
        TimeSpan elapsed = Elapsed;
        long files = Files;
        return new ScanProgressSnapshot(files, Bytes, Directories, Errors, CurrentDirectory, elapsed,
            elapsed.TotalSeconds > 0 ? files / elapsed.TotalSeconds : 0)
        {
            Skipped = Skipped,
            FilesHashed = FilesHashed,
            BytesHashed = BytesHashed,
            HashesKept = HashesKept,
        };
    }
}

/// <summary>A copy of a walk's counters at one moment.</summary>
/// <param name="Files">Files recorded.</param>
/// <param name="Bytes">Bytes in those files.</param>
/// <param name="Directories">Folders listed.</param>
/// <param name="Errors">Error items met.</param>
/// <param name="CurrentDirectory">The folder most recently started.</param>
/// <param name="Elapsed">Time since the walk started.</param>
/// <param name="FilesPerSecond">Average rate so far.</param>
public sealed record ScanProgressSnapshot(long Files, long Bytes, long Directories, long Errors, string? CurrentDirectory, TimeSpan Elapsed, double FilesPerSecond)
{
    /// <summary>Entries left out (see <see cref="ScanProgress.Skipped"/>).</summary>
    public long Skipped { get; init; }

    /// <summary>Files read and hashed.</summary>
    public long FilesHashed { get; init; }

    /// <summary>Bytes read to hash files.</summary>
    public long BytesHashed { get; init; }

    /// <summary>Stored hashes kept without reading the file.</summary>
    public long HashesKept { get; init; }
}
