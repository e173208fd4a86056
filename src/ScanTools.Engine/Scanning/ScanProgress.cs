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

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long Device, long Inode), byte> _linked = new();

    /// <summary>
    /// The bytes a record adds to the run's total: its size the first time the run meets its content, 0 for
    /// another name (hard link) of content already counted, as du counts. Only hard-linked files are
    /// remembered, so memory stays small.
    /// </summary>
    internal long BytesOnce(FileRecord record) =>
        record.HardLinks is > 1 && record.Inode is long inode && !record.IsLink
            ? (_linked.TryAdd((record.Device ?? 0, inode), 0) ? record.Length : 0)
            : record.Length;

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
