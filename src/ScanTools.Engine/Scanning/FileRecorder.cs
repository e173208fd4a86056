using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Scanning;

/// <summary>
/// Records individual files (what Write-Finding receives) through the catalog's shared writer session,
/// as one run of kind <c>Records</c>. Records are grouped by folder and handed over in batches, so a
/// pipeline of single files still reaches the writer as large transactions. Nothing is inferred about
/// files that were not handed in: unlike a scan, recording never marks anything removed.
/// </summary>
public sealed class FileRecorder : IDisposable
{
    private const int BatchRows = 1_000;

    private readonly WriterSessionLease _lease;
    private readonly Dictionary<string, List<FileRecord>> _pending = new(PathComparison.Comparer);
    private readonly FileHasher? _hasher;
    private int _pendingCount;
    private long _files, _bytes, _errors;
    private bool _ended;

    private FileRecorder(WriterSessionLease lease, bool hash)
    {
        _lease = lease;
        _hasher = hash ? new FileHasher() : null;
    }

    /// <summary>The run the records belong to.</summary>
    public Guid RunKey { get; } = Guid.NewGuid();

    /// <summary>Files recorded so far.</summary>
    public long Files => _files;

    /// <summary>Opens (or joins) the catalog's session and starts a Records run.</summary>
    /// <param name="databasePath">The catalog.</param>
    /// <param name="hash">Compute SHA-256 of files captured from disk.</param>
    /// <param name="sessionOptions">Used if this opens the session.</param>
    /// <param name="registry">The session registry; the process-wide one by default.</param>
    /// <exception cref="CatalogException">The catalog cannot be written.</exception>
    public static FileRecorder Start(string databasePath, bool hash = false, WriterSessionOptions? sessionOptions = null, WriterSessionRegistry? registry = null)
    {
        WriterSessionLease lease = (registry ?? WriterSessionRegistry.Shared).Acquire(databasePath, sessionOptions);
        var recorder = new FileRecorder(lease, hash);
        try
        {
            lease.Write(new ScanRunStart { RunKey = recorder.RunKey, StartedUtc = DateTime.UtcNow, Kind = "Records" });
            return recorder;
        }
        catch
        {
            recorder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a file's metadata from disk now (and its hash when the recorder hashes) into a record.
    /// A symbolic link is recorded as the link, as a scan without -FollowSymlink would. When the content
    /// cannot be read for hashing, the record comes without a hash and <paramref name="hashError"/> says why.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="UnauthorizedAccessException">The metadata cannot be read.</exception>
    /// <exception cref="ArgumentException">The path names a folder, not a file.</exception>
    public FileRecord Capture(string fullPath, out ScanError? hashError)
    {
        hashError = null;
        string path = ScanOptions.TrimSeparator(Path.GetFullPath(fullPath));
        StatFailure failure = FileStat.TryStat(path, follow: false, out EntryStat stat);
        switch (failure)
        {
            case StatFailure.None:
                break;
            case StatFailure.NotFound:
                throw new FileNotFoundException($"There is no file at '{path}'.", path);
            case StatFailure.AccessDenied:
                throw new UnauthorizedAccessException($"Permission denied while reading '{path}'.");
            default:
                throw new IOException($"The metadata of '{path}' could not be read ({failure}).");
        }
        if (stat.Kind == EntryKind.Directory)
        {
            throw new ArgumentException($"'{path}' is a folder. Write-Finding records files; use Start-Scan for folders.", nameof(fullPath));
        }
        string? target = stat.Kind == EntryKind.Symlink ? new FileInfo(path).LinkTarget : null;
        byte[]? digest = null;
        if (_hasher is not null && stat.Kind == EntryKind.File)
        {
            try
            {
                digest = _hasher.Hash(path, stat.Length, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                hashError = new ScanError(path, ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : ScanErrorKind.HashFailed,
                    $"The content could not be read, so the file is recorded without a hash: {ex.Message}");
            }
        }
        return FileRecord.FromStat(Path.GetDirectoryName(path) ?? path, Path.GetFileName(path), stat, stat.Kind == EntryKind.Symlink, target, digest);
    }

    /// <summary>Reads a file's metadata (and hash) into a record; see <see cref="Capture(string, out ScanError?)"/>.</summary>
    public FileRecord Capture(string fullPath)
    {
        FileRecord record = Capture(fullPath, out ScanError? hashError);
        if (hashError is not null)
        {
            AddError(hashError);
        }
        return record;
    }

    /// <summary>Queues a record; a full batch goes to the session (waiting if its queue is full).</summary>
    public void Add(FileRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_ended, this);
        if (!_pending.TryGetValue(record.DirectoryName, out List<FileRecord>? list))
        {
            _pending[record.DirectoryName] = list = new List<FileRecord>();
        }
        list.Add(record);
        _files++;
        _bytes += record.Length;
        if (++_pendingCount >= BatchRows)
        {
            Hand();
        }
    }

    /// <summary>Stores an error item with the run (an input that could not be recorded, a file that could not be hashed).</summary>
    public void AddError(ScanError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        ObjectDisposedException.ThrowIf(_ended, this);
        _errors++;
        _lease.Write(new ScanErrorBatch { RunKey = RunKey, Errors = new[] { error } });
    }

    /// <summary>Hands over what is queued, ends the run as Completed and waits until all of it is committed.</summary>
    /// <returns>The run as recorded.</returns>
    /// <exception cref="CatalogException">The catalog could not be written.</exception>
    public ScanRun Complete()
    {
        End(ScanRunStatus.Completed, null);
        using CatalogReader reader = CatalogReader.Open(_lease.DatabasePath);
        return reader.GetScanRun(RunKey) ?? throw new InvalidOperationException("The run was not found after it was committed.");
    }

    /// <summary>Ends the run as Cancelled if it was not completed (what was handed over stays), and releases the session.</summary>
    public void Dispose()
    {
        try
        {
            if (!_ended)
            {
                End(ScanRunStatus.Cancelled, "Stopped before the input ended; what was recorded is kept.");
            }
        }
        catch (CatalogException)
        {
            // The session failed; its producers were already told.
        }
        finally
        {
            _hasher?.Dispose();
            _lease.Dispose();
        }
    }

    private void End(ScanRunStatus status, string? message)
    {
        if (_ended)
        {
            return;
        }
        _ended = true;
        Hand();
        _lease.Write(new ScanRunEnd
        {
            RunKey = RunKey,
            Status = status,
            EndedUtc = DateTime.UtcNow,
            Files = _files,
            Bytes = _bytes,
            Directories = 0,
            Errors = _errors,
            Message = message,
        });
        _lease.Flush();
    }

    private void Hand()
    {
        foreach ((string dir, List<FileRecord> files) in _pending)
        {
            _lease.Write(new DirectoryListing { RunKey = RunKey, DirectoryPath = dir, Files = files, Mode = ListingMode.Records });
        }
        _pending.Clear();
        _pendingCount = 0;
    }
}
