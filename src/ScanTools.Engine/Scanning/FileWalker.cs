using System.Collections.Concurrent;
using System.IO.Enumeration;
using ScanTools.Matching;
using ScanTools.Platform;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Scanning;

/// <summary>
/// Walks folders in parallel. A work item is one folder: a worker lists it, stats and (when asked)
/// hashes its files, hands them to the sink as one listing (chunked when large) and queues the
/// subfolders. Hidden and dot entries are included; directory links are entered only when
/// <see cref="ScanOptions.FollowSymlinks"/> is set, and then never in a loop. Every problem with one
/// entry becomes a <see cref="ScanError"/> and the walk goes on.
/// </summary>
public sealed class FileWalker
{
    private static readonly EnumerationOptions ListOptions = new()
    {
        AttributesToSkip = 0, // the default skips Hidden and System: on Unix, every dot-file
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    private readonly ScanOptions _options;
    private readonly Guid _runKey;

    /// <summary>The run the walk's records belong to.</summary>
    internal Guid RunKey => _runKey;
    private readonly ExclusionMatcher _exclusions;
    private readonly IReadOnlyList<IgnoreFileRules> _globalIgnores;
    private readonly bool _ignoring;
    private static readonly bool IgnoreCase = !OperatingSystem.IsLinux(); // git's core.ignorecase default
    private readonly bool _nativeListing;

    /// <summary>The roots held open during <see cref="Walk"/>, closed when it returns.</summary>
    private readonly List<RootHandle> _rootHandles = new();
    private readonly IReadOnlyList<string> _roots;
    private readonly HashSet<string> _rootSet;
    private readonly ConcurrentStack<DirectoryWork> _pending = new();
    private readonly SemaphoreSlim _available = new(0);
    private int _outstanding;
    private volatile bool _done;
    private Exception? _fault;

    /// <summary>Prepares a walk; nothing is read until <see cref="Walk"/>.</summary>
    /// <param name="options">What to walk and how; validated here.</param>
    /// <param name="runKey">The run the listings belong to.</param>
    public FileWalker(ScanOptions options, Guid runKey)
        : this(options, runKey, nativeListing: true)
    {
    }

    /// <summary>Lets tests run the portable listing path on Linux too.</summary>
    internal FileWalker(ScanOptions options, Guid runKey, bool nativeListing)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _runKey = runKey;
        Progress = new ScanProgress { RemembersEveryLinkedFile = options.FollowSymlinks };
        _exclusions = new ExclusionMatcher(options.Exclude);
        _roots = options.NormalizedRoots();
        _rootSet = _roots.ToHashSet(PathComparison.Comparer);
        _nativeListing = nativeListing && LinuxDirectoryReader.IsSupported;
        _globalIgnores = LoadIgnoreFiles(options.IgnoreFile);
        _ignoring = _globalIgnores.Count > 0 || options.IgnoreFileName.Count > 0;
    }

    /// <summary>The -IgnoreFile files, read once; any problem with one is an <see cref="ArgumentException"/> before the walk.</summary>
    private static List<IgnoreFileRules> LoadIgnoreFiles(IReadOnlyList<string> paths)
    {
        var loaded = new List<IgnoreFileRules>();
        foreach (string path in paths)
        {
            try
            {
                IgnoreFileRules rules = IgnoreChain.Load(path, string.Empty, IgnoreCase, out List<string> invalid, followLinks: true);
                if (invalid.Count > 0)
                {
                    throw new ArgumentException($"The ignore file '{path}' has rules that cannot work: {string.Join(" ", invalid)} Fix or remove them.");
                }
                loaded.Add(rules);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"The ignore file '{path}' cannot be used: {ex.Message}", ex);
            }
        }
        return loaded;
    }

    /// <summary>
    /// Where the walk reads what the catalog holds for each folder: handed to the writer with the folder's
    /// first chunk (so it need not read the rows itself), and the source of the hashes an incremental -Hash
    /// keeps. Null: the writer reads, and every file is hashed.
    /// </summary>
    internal IFolderSnapshotSource? Snapshots { get; set; }

    /// <summary>Test seam: runs after an entry is listed and before it is stat'ed (native Linux listing only).</summary>
    internal Action<string>? EntryListed { get; set; }

    /// <summary>Test seam: runs after a file is stat'ed and before its content is read for the hash or the rules.</summary>
    internal Action<string>? ContentOpening { get; set; }

    /// <summary>The files of the catalog this scan writes, left out where the walk meets them (see <see cref="OwnCatalogFiles"/>).</summary>
    internal OwnCatalogFiles? OwnCatalog { get; set; }

    /// <summary>The walk's live counters.</summary>
    public ScanProgress Progress { get; }

    /// <summary>What the rules did (when <see cref="ScanOptions.Rules"/> is set).</summary>
    public Rules.RuleStatistics RuleStatistics { get; } = new();

    private readonly DateTime _rulesNow = DateTime.UtcNow;

    private long? _contentKeyValue;

    /// <summary>The scan's <see cref="Rules.RuleSet.ContentKey"/>; 0 when readings may not be reused.</summary>
    private long _contentKey => _contentKeyValue ??= _options.Rules?.ContentKey(_options.ContentSizeLimit) ?? 0;

    /// <summary>
    /// Walks every root and returns when all folders are done, or soon after
    /// <paramref name="cancellationToken"/> fires (then <see cref="OperationCanceledException"/> is thrown).
    /// Everything already handed to the sink stays handed.
    /// </summary>
    /// <exception cref="OperationCanceledException">The walk was cancelled.</exception>
    public void Walk(IWalkSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            WalkRoots(sink, cancellationToken);
        }
        finally
        {
            foreach (RootHandle root in _rootHandles)
            {
                LinuxDirectoryReader.CloseRoot(root.Descriptor);
            }
            _rootHandles.Clear();
        }
    }

    private void WalkRoots(IWalkSink sink, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        foreach (string root in _roots)
        {
            DirectoryWork? work = RootWork(root, sink);
            if (work is not null)
            {
                Enqueue(work);
            }
        }
        if (Volatile.Read(ref _outstanding) == 0)
        {
            return;
        }

        var threads = new Thread[_options.ThrottleLimit];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(() => WorkerLoop(sink, stop))
            {
                IsBackground = true,
                Name = $"ScanTools walker {i + 1}",
            };
            threads[i].Start();
        }
        foreach (Thread t in threads)
        {
            t.Join();
        }

        if (_fault is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_fault);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private DirectoryWork? RootWork(string root, IWalkSink sink)
    {
        StatFailure failure = FileStat.TryStat(root, follow: true, out EntryStat stat);
        if (failure != StatFailure.None || stat.Kind != EntryKind.Directory)
        {
            string message = failure switch
            {
                StatFailure.None => "This is a file, not a folder. Give the folder that holds it.",
                StatFailure.AccessDenied => "Permission denied while looking up this folder.",
                _ when root.AsSpan().IndexOfAny("*?[") >= 0 => "No folder matches this wildcard path. Check the path and that its disk or share is mounted; the other folders are still scanned.",
                _ => "This folder does not exist. Check the path and that its disk or share is mounted; the other folders are still scanned.",
            };
            ReportError(sink, new ScanError(root, ScanErrorKind.RootNotFound, message));
            return null;
        }
        RealPathChain? chain = _options.FollowSymlinks ? new RealPathChain(CanonicalPath.Resolve(root), null) : null;
        RootHandle? handle = null;
        if (_nativeListing && !_options.FollowSymlinks)
        {
            handle = new RootHandle(root, LinuxDirectoryReader.OpenRoot(root));
            _rootHandles.Add(handle);
        }
        return new DirectoryWork(root, string.Empty, 0, chain)
        {
            Device = _options.OneFileSystem ? stat.Device : null,
            Ignore = _ignoring ? IgnoreChain.ForRoot(_globalIgnores) : null,
            Root = handle,
        };
    }

    private void Enqueue(DirectoryWork work)
    {
        if (work.Depth > 0 && _rootSet.Contains(work.Path))
        {
            return; // also a root of this walk: listed from there, with its own depth, device and rules, and once
        }
        Interlocked.Increment(ref _outstanding);
        _pending.Push(work);
        _available.Release();
    }

    private void WorkerLoop(IWalkSink sink, CancellationTokenSource stop)
    {
        WalkerPriority.LowerCurrentThread(); // the catalog's writer, which these threads feed, goes first (WalkerPriority)
        // One reader per thread serves hash and rules with one read of each file.
        using var hasher = _options.Hashes || _options.Rules is { Rules.Count: > 0 } ? new FileHasher() : null;
        var rules = _options.Rules is { Rules.Count: > 0 } set ? new Rules.RuleEvaluator(set, _options.ContentSizeLimit, _rulesNow, RuleStatistics) : null;
        while (true)
        {
            try
            {
                _available.Wait(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_done)
            {
                return;
            }
            if (!_pending.TryPop(out DirectoryWork? work))
            {
                continue;
            }
            try
            {
                ListDirectory(work, sink, hasher, rules, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Only the sink throws past ListDirectory (its writer failed): end the whole walk.
                Interlocked.CompareExchange(ref _fault, ex, null);
                stop.Cancel();
                return;
            }
            if (Interlocked.Decrement(ref _outstanding) == 0)
            {
                _done = true;
                _available.Release(_options.ThrottleLimit);
            }
        }
    }

    private void ListDirectory(DirectoryWork work, IWalkSink sink, FileHasher? hasher, Rules.RuleEvaluator? rules, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string dir = work.Path;
        Progress.AddDirectory(dir);
        var chunk = new List<FileRecord>();
        List<string>? unrecorded = null;
        var subdirectories = new List<string>();
        int chunkIndex = 0;
        bool complete = false;
        long chunkBytes = 0;

        IEntrySource? entries = null;
        try
        {
            entries = _nativeListing ? new NativeEntrySource(work, EntryListed) : new PortableEntrySource(dir);
        }
        catch (Exception ex) when (IsFileSystemError(ex))
        {
            ReportError(sink, DirectoryError(dir, ex, work.Depth == 0));
            return;
        }

        var folder = new FolderContext(work.Ignore is null ? null : WithFolderIgnoreFiles(work, sink))
        {
            Snapshot = Snapshots?.Read(dir),
        };
        // The folder's last chunk: what is left of it, and, when the folder was read to its end, what it holds besides.
        DirectoryListing FinalChunk(bool complete) => new()
        {
            RunKey = _runKey,
            DirectoryPath = dir,
            Files = chunk,
            ChunkIndex = chunkIndex,
            IsFinalChunk = true,
            Snapshot = chunkIndex == 0 ? folder.Snapshot : null,
            IsComplete = complete,
            UnrecordedNames = complete && unrecorded is not null ? unrecorded : Array.Empty<string>(),
            SubdirectoryNames = complete ? subdirectories : Array.Empty<string>(),
        };
        try
        {
            using (entries)
            {
                int sinceCheck = 0;
                while (true)
                {
                    bool more;
                    try
                    {
                        more = entries.MoveNext();
                    }
                    catch (Exception ex) when (IsFileSystemError(ex))
                    {
                        ReportError(sink, DirectoryError(dir, ex, isRoot: false));
                        break;
                    }
                    if (!more)
                    {
                        complete = true;
                        break;
                    }
                    if (++sinceCheck == 256)
                    {
                        sinceCheck = 0;
                        ct.ThrowIfCancellationRequested();
                    }

                    FileRecord? record;
                    try
                    {
                        record = ReadEntry(work, folder, entries.Current, sink, hasher, rules, subdirectories, ref unrecorded, ct);
                    }
                    catch (Exception ex) when (IsFailureOfOneEntry(ex))
                    {
                        // Whatever one entry's values do, only that entry fails: it is reported, kept as it was in the
                        // catalog (never marked removed), and the folder goes on.
                        string name = entries.Current.Name;
                        (unrecorded ??= new List<string>()).Add(name);
                        ReportError(sink, new ScanError(Path.Join(dir, name), ScanErrorKind.IoError, $"This entry could not be recorded: {ex.Message}"));
                        continue;
                    }
                    if (record is null)
                    {
                        continue;
                    }
                    chunk.Add(record);
                    chunkBytes += Progress.BytesOnce(record);
                    if (folder.Stopped)
                    {
                        throw new OperationCanceledException(ct); // kept below with what the folder had read, this entry included
                    }
                    if (chunk.Count >= _options.ChunkSize)
                    {
                        sink.OnListing(new DirectoryListing
                        {
                            RunKey = _runKey,
                            DirectoryPath = dir,
                            Files = chunk,
                            ChunkIndex = chunkIndex,
                            IsFinalChunk = false,
                            Snapshot = chunkIndex++ == 0 ? folder.Snapshot : null,
                        });
                        Progress.AddFiles(chunk.Count, chunkBytes); // counted once accepted, so counts match what is stored
                        chunk = new List<FileRecord>();
                        chunkBytes = 0;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && (chunk.Count > 0 || chunkIndex > 0))
        {
            // Stopped in the middle of a folder (Ctrl+C, SIGTERM, often while a large file was hashed): the files it
            // had read are kept, as an incomplete listing (nothing is marked removed); they were found, and a -Hash scan
            // of a folder with one huge file lost every other file of the folder before.
            sink.OnStopped(FinalChunk(complete: false));
            Progress.AddFiles(chunk.Count, chunkBytes);
            Progress.AddHashesKept(folder.Kept);
            throw;
        }

        if (chunk.Count == 0 && chunkIndex == 0 && !complete)
        {
            return; // nothing read and nothing to close
        }
        sink.OnListing(FinalChunk(complete));
        Progress.AddFiles(chunk.Count, chunkBytes);
        Progress.AddHashesKept(folder.Kept);
    }

    /// <summary>
    /// The ignore rules in force in a folder: its parent's, plus those of the ignore files (-IgnoreFileName)
    /// it holds. An unreadable ignore file or a rule that cannot work is an error item; the rest apply.
    /// </summary>
    private IgnoreChain WithFolderIgnoreFiles(DirectoryWork work, IWalkSink sink)
    {
        IgnoreChain chain = work.Ignore!;
        foreach (string name in _options.IgnoreFileName.Distinct(StringComparer.Ordinal))
        {
            string path = Path.Join(work.Path, name);
            try
            {
                if (!File.Exists(path))
                {
                    continue;
                }
                IgnoreFileRules rules = IgnoreChain.Load(path, work.RelativePath, IgnoreCase, out List<string> invalid);
                foreach (string problem in invalid)
                {
                    ReportError(sink, new ScanError(path, ScanErrorKind.InvalidIgnoreRule, problem + " The other rules of the file apply."));
                }
                chain = chain.With(rules);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ReportError(sink, new ScanError(path, ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : ScanErrorKind.IoError,
                    $"This ignore file is not used, so its rules do not apply: {ex.Message}"));
            }
        }
        return chain;
    }

    /// <summary>What the entries of one folder share: its ignore rules and, once asked for, its stored hashes.</summary>
    private sealed class FolderContext(IgnoreChain? ignore)
    {
        public IgnoreChain? Ignore { get; } = ignore;

        public FolderSnapshot? Snapshot { get; init; }

        /// <summary>Stored hashes kept in this folder, added to the progress once the folder is done.</summary>
        public int Kept { get; set; }

        /// <summary>The walk was stopped while an entry's content was read: the entry is recorded, and the folder ends there.</summary>
        public bool Stopped { get; set; }
    }

    /// <summary>Turns one listed entry into a record, a queued subfolder, or an error item.</summary>
    private FileRecord? ReadEntry(DirectoryWork work, FolderContext folder, ListedEntry entry, IWalkSink sink, FileHasher? hasher, Rules.RuleEvaluator? rules,
        List<string> subdirectories, ref List<string>? unrecorded, CancellationToken ct)
    {
        string name = entry.Name;
        EntryStat stat = entry.Stat;
        StatFailure failure = entry.Failure;
        if (!entry.ValidName || (EntryNames.IsSuspicious(name) && (OperatingSystem.IsWindows() || failure == StatFailure.NotFound)))
        {
            // The name did not survive decoding, so it cannot be stored or opened by the path we hold.
            ReportError(sink, new ScanError(Path.Join(work.Path, name), ScanErrorKind.InvalidName,
                stat.Kind == EntryKind.Directory ? EntryNames.InvalidFolderMessage : EntryNames.InvalidMessage));
            return null;
        }
        if (OwnCatalog is OwnCatalogFiles own && own.IsOwn(work.Path, name))
        {
            return null; // the scan's own catalog: it changes with every commit of this scan
        }
        if (failure != StatFailure.None)
        {
            if (failure != StatFailure.NotFound)
            {
                (unrecorded ??= new List<string>()).Add(name);
            }
            ReportError(sink, StatError(Path.Join(work.Path, name), failure));
            return null;
        }

        string? relative = _exclusions.NeedsRelativePath || folder.Ignore is not null
            ? (work.RelativePath.Length == 0 ? name : work.RelativePath + "/" + name)
            : null;
        bool excluded = (!_exclusions.IsEmpty && _exclusions.IsExcluded(name, relative))
            || (folder.Ignore is not null && folder.Ignore.IsIgnored(relative!, stat.Kind == EntryKind.Directory));

        if (stat.Kind == EntryKind.Directory)
        {
            subdirectories.Add(name);
            string full = Path.Join(work.Path, name);
            if (excluded || !CanDescend(work))
            {
                if (!_rootSet.Contains(full))
                {
                    Progress.AddSkipped(); // left out, or below -MaxDepth: counted, and kept as the catalog knew it
                }
                return null; // (a folder also given as a root is walked from there, not skipped)
            }
            if (work.Device is long device && !OnDevice(full, device))
            {
                if (!_rootSet.Contains(full))
                {
                    Progress.AddSkipped(); // -OneFileSystem: another file system is mounted here
                }
                return null;
            }
            Enqueue(new DirectoryWork(full, relative ?? string.Empty, work.Depth + 1,
                work.Chain is null ? null : new RealPathChain(Path.Join(work.Chain.RealPath, name), work.Chain))
            {
                Device = work.Device,
                Ignore = folder.Ignore,
                Root = work.Root,
            });
            return null;
        }

        bool isLink = stat.Kind == EntryKind.Symlink;
        string? linkTarget = null;
        if (isLink)
        {
            string full = Path.Join(work.Path, name);
            linkTarget = ReadLinkTarget(full);
            if (_options.FollowSymlinks
                && FileStat.TryStat(full, follow: true, out EntryStat target) == StatFailure.None)
            {
                if (target.Kind == EntryKind.Directory)
                {
                    subdirectories.Add(name);
                    // The link exists, but is not recorded as a file this time: a row an earlier scan (without
                    // -FollowSymlink) kept for it must not be marked removed.
                    (unrecorded ??= new List<string>()).Add(name);
                    if (!excluded && CanDescend(work))
                    {
                        EnterLinkedDirectory(work, full, relative, sink);
                    }
                    else
                    {
                        Progress.AddSkipped();
                    }
                    return null;
                }
                stat = target; // a followed link to a file is recorded with the file's metadata
            }
            // Not following, or a dangling link: record the link itself.
        }

        if (excluded)
        {
            (unrecorded ??= new List<string>()).Add(name);
            Progress.AddSkipped();
            return null;
        }

        byte[]? digest = null;
        if (stat.Clamped is string clamped)
        {
            ReportError(sink, new ScanError(Path.Join(work.Path, name), ScanErrorKind.ValueOutOfRange,
                $"The file system reports a {clamped} that .NET cannot represent; the file is recorded with the nearest value it can."));
        }
        bool hashing = _options.Hashes && stat.Kind == EntryKind.File;
        if (hashing && KeptHash(work, folder, name, stat) is byte[] kept)
        {
            digest = kept; // unchanged since it was hashed: not read again (unless the rules need its content)
            folder.Kept++;
            hashing = false;
        }
        string? fullName = rules is not null || hashing ? Path.Join(work.Path, name) : null;
        int capture = rules is not null && !isLink ? rules.CaptureLimit(fullName!, name, stat) : 0;
        bool contentRead = false, keepFindings = false, contentKept = false;
        if (capture > 0 && ContentUnchangedForRules(folder, name, stat))
        {
            capture = 0; // read whole by these same rules, and unchanged since: its findings stand, nothing is read
            contentKept = true;
        }
        // One large content read at a time in the process (held to the end of this method, past the rules' matching).
        using LargeContent.Lease? large = Math.Min(capture, stat.Length) >= LargeContent.Threshold ? LargeContent.Enter(hasher!, ct) : null;
        if (large is { Entered: false })
        {
            capture = 0; // stopped while waiting for the turn: not read, its findings kept open
            keepFindings = true;
            folder.Stopped = true;
        }
        if (hashing || capture > 0)
        {
            string full = fullName!;
            try
            {
                ContentOpening?.Invoke(full);
                HashOutcome hashed = hasher!.Hash(full, stat, ct, digest: hashing, capture: capture, followLink: isLink);
                contentRead = capture > 0;
                if (hashing)
                {
                    Progress.AddHashed(hashed.BytesRead);
                    digest = hashed.Digest;
                    if (hashed.Problem is string problem)
                    {
                        ReportError(sink, new ScanError(full, hashed.ProblemKind, problem));
                    }
                    else if (hashed.Length != stat.Length)
                    {
                        stat = stat with { Length = hashed.Length }; // a pseudo-file: its size is what was read
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopped while the file was read (a large file's hash): it is recorded without what was not read (no hash,
                // its findings kept open), and the folder stops after it (FolderContext.Stopped). A stored hash of an unchanged
                // file stays, as in a scan without -Hash.
                folder.Stopped = true;
                keepFindings = capture > 0;
            }
            catch (Exception ex) when (IsFileSystemError(ex))
            {
                if (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    ReportError(sink, new ScanError(full, ScanErrorKind.FileVanished, "The file was deleted (or replaced by a link) while it was being read."));
                    return null;
                }
                if (ex is Platform.FileReplacedException)
                {
                    ReportError(sink, new ScanError(full, ScanErrorKind.FileVanished, ex.Message));
                    return null;
                }
                keepFindings = capture > 0;
                ReportError(sink, new ScanError(full,
                    ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : hashing ? ScanErrorKind.HashFailed : ScanErrorKind.ContentUnreadable,
                    hashing
                        ? $"The content could not be read, so the file is recorded without a hash{(capture > 0 ? " and its content was not matched against the rules (its earlier findings stay open)" : string.Empty)}: {ex.Message}"
                        : $"The content could not be read for the rules, so its earlier findings stay open: {ex.Message}"));
            }
        }
        List<Rules.RuleMatch>? matches = null;
        long? rulesKey = null;
        if (rules is not null && !isLink && stat.Kind == EntryKind.File)
        {
            var problems = new List<ScanError>(0);
            bool whole = contentRead && hasher!.CapturedAll;
            matches = rules.Evaluate(fullName!, name, stat, contentRead ? hasher!.Captured : ReadOnlySpan<byte>.Empty, whole, problems);
            foreach (ScanError problem in problems)
            {
                keepFindings = true;
                ReportError(sink, problem);
            }
            if (rules.ContentSkipped)
            {
                keepFindings = true; // a rule that applied did not look at the content (too large, binary): nothing it found is resolved
            }
            if (_contentKey != 0 && (contentKept || (whole && problems.Count == 0 && !keepFindings)))
            {
                rulesKey = _contentKey;
            }
        }
        return FileRecord.FromStat(work.Path, name, stat, isLink, linkTarget, digest, matches, keepFindings, rulesKey, findingsUnchanged: contentKept);
    }

    /// <summary>
    /// A failure of one entry's conversion (a value out of range, a format): not cancellation, not the
    /// sink's (the catalog's) failure, and not a disposed object, which end the walk.
    /// </summary>
    private static bool IsFailureOfOneEntry(Exception ex) =>
        ex is ArgumentException or OverflowException or FormatException or IndexOutOfRangeException or NotSupportedException or ArithmeticException
        || (ex is InvalidOperationException && ex is not ObjectDisposedException and not OperationCanceledException);

    private bool CanDescend(DirectoryWork work) => _options.MaxDepth is not int max || work.Depth + 1 <= max;

    /// <summary>
    /// The stored hash of a file that has not changed since it was hashed: the same size, last-write time,
    /// change time and file id. Null when the file must be read (-Rehash, no stored hash, any difference).
    /// </summary>
    private byte[]? KeptHash(DirectoryWork work, FolderContext folder, string name, in EntryStat stat)
    {
        if (_options.Rehash || folder.Snapshot is null || stat.ChangeTicksUtc is not long ctime || stat.Inode is not long inode)
        {
            return null;
        }
        return folder.Snapshot.Rows.TryGetValue(name, out StoredRow s) && s.Sha256 is byte[] sha && s.RemovedScanId is null
            && s.Size == stat.Length && s.Mtime == stat.LastWriteTicksUtc && s.Ctime == ctime && s.Inode == inode
            ? sha
            : null;
    }

    /// <summary>
    /// True when the catalog says the content rules of this scan (the same <see cref="Rules.RuleSet.ContentKey"/>)
    /// read the whole file and it has the same size, last-write time, change time and file id since.
    /// </summary>
    private bool ContentUnchangedForRules(FolderContext folder, string name, in EntryStat stat)
    {
        if (_contentKey == 0 || _options.Rehash || folder.Snapshot is null || stat.ChangeTicksUtc is not long ctime || stat.Inode is not long inode)
        {
            return false;
        }
        return folder.Snapshot.Rows.TryGetValue(name, out StoredRow s) && s.RulesKey == _contentKey && s.RemovedScanId is null
            && s.Size == stat.Length && s.Mtime == stat.LastWriteTicksUtc && s.Ctime == ctime && s.Inode == inode;
    }

    /// <summary>-OneFileSystem: true when the folder is on <paramref name="device"/>; a folder that cannot be stat'ed is entered (its listing reports the problem).</summary>
    private static bool OnDevice(string path, long device) =>
        FileStat.TryStat(path, follow: false, out EntryStat stat) != StatFailure.None || stat.Device is not long d || d == device;

    private void EnterLinkedDirectory(DirectoryWork work, string full, string? relative, IWalkSink sink)
    {
        string real;
        try
        {
            real = CanonicalPath.Resolve(full);
        }
        catch (IOException ex)
        {
            ReportError(sink, new ScanError(full, ScanErrorKind.SymlinkLoop, ex.Message));
            return;
        }
        for (RealPathChain? c = work.Chain; c is not null; c = c.Parent)
        {
            if (string.Equals(c.RealPath, real, PathComparison.Comparison))
            {
                ReportError(sink, new ScanError(full, ScanErrorKind.SymlinkLoop,
                    $"This link leads back to '{real}', a folder already being walked on this path; it is not entered again."));
                return;
            }
        }
        Enqueue(new DirectoryWork(full, relative ?? string.Empty, work.Depth + 1, new RealPathChain(real, work.Chain)));
    }

    private static string? ReadLinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (IsFileSystemError(ex))
        {
            return null;
        }
    }

    private void ReportError(IWalkSink sink, ScanError error)
    {
        Progress.AddError();
        sink.OnError(error);
    }

    private static bool IsFileSystemError(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or System.Security.SecurityException;

    private static ScanError DirectoryError(string dir, Exception ex, bool isRoot) => ex switch
    {
        UnauthorizedAccessException => new ScanError(dir, ScanErrorKind.DirectoryUnreadable,
            "Permission denied: this folder cannot be listed. Run as an account that can read it, or exclude it."),
        FolderReplacedException => new ScanError(dir, ScanErrorKind.DirectoryVanished,
            "The folder, or one above it, was replaced by a symbolic link while the scan ran; links are not followed without -FollowSymlink, so it was not listed."),
        DirectoryNotFoundException when isRoot => new ScanError(dir, ScanErrorKind.RootNotFound, "This folder does not exist."),
        DirectoryNotFoundException => new ScanError(dir, ScanErrorKind.DirectoryVanished, "The folder was deleted or moved while the scan was running."),
        PathTooLongException => new ScanError(dir, ScanErrorKind.PathTooLong, "The path is longer than the operating system accepts (4,096 bytes on Linux, 1,024 on macOS); ScanTools reads folders by their full path, so this one and what is in it cannot be listed. Move or rename it to a shorter path to catalog it."),
        _ => new ScanError(dir, ScanErrorKind.IoError, $"The folder could not be listed: {ex.Message}"),
    };

    private static ScanError StatError(string path, StatFailure failure) => failure switch
    {
        StatFailure.NotFound => new ScanError(path, ScanErrorKind.FileVanished, "The entry was deleted between listing and reading."),
        StatFailure.AccessDenied => new ScanError(path, ScanErrorKind.AccessDenied, "Permission denied while reading this entry's metadata."),
        StatFailure.NameTooLong => new ScanError(path, ScanErrorKind.PathTooLong, "The path is longer than the operating system accepts (4,096 bytes on Linux, 1,024 on macOS), so its metadata cannot be read by its full path. Move or rename it, or a folder above it, to a shorter path to catalog it."),
        StatFailure.Loop => new ScanError(path, ScanErrorKind.SymlinkLoop, "Too many levels of symbolic links."),
        _ => new ScanError(path, ScanErrorKind.IoError, "The entry's metadata could not be read."),
    };

    /// <summary>One folder to list.</summary>
    private sealed record DirectoryWork(string Path, string RelativePath, int Depth, RealPathChain? Chain)
    {
        /// <summary>With -OneFileSystem: the device of the walk's root; null otherwise.</summary>
        public long? Device { get; init; }

        /// <summary>The ignore rules of the folder's parent (the folder adds its own); null when no ignore rules are in play.</summary>
        public IgnoreChain? Ignore { get; init; }

        /// <summary>
        /// The walk's root this folder is below, and its descriptor (-1 when links are followed, or listing is not
        /// native): folders below it are opened through it without following a link (LinuxDirectoryReader.OpenBeneath).
        /// </summary>
        public RootHandle? Root { get; init; }
    }

    /// <summary>A root of the walk held open while the walk runs (see <see cref="DirectoryWork.Root"/>).</summary>
    private sealed record RootHandle(string Path, int Descriptor);

    /// <summary>The real (link-free) paths of a folder and its ancestors, kept only when following links.</summary>
    private sealed record RealPathChain(string RealPath, RealPathChain? Parent);

    /// <summary>One listed entry with its metadata (or why that could not be read).</summary>
    private readonly record struct ListedEntry(string Name, bool ValidName, EntryStat Stat, StatFailure Failure);

    /// <summary>The entries of one folder, read on whichever path the platform allows.</summary>
    private interface IEntrySource : IDisposable
    {
        ListedEntry Current { get; }

        bool MoveNext();
    }

    /// <summary>Linux: readdir, and statx relative to the folder's descriptor; folders are known from d_type.</summary>
    private sealed class NativeEntrySource : IEntrySource
    {
        private static readonly EntryStat DirectoryStat = new() { Kind = EntryKind.Directory, Attributes = FileAttributes.Directory };
        private readonly LinuxDirectoryReader _reader;
        private readonly string _dir;
        private readonly Action<string>? _listed;

        public NativeEntrySource(DirectoryWork work, Action<string>? listed)
        {
            // A root as given (links in it followed); below it, without following a link when links are not followed.
            _reader = work.Depth > 0 && work.Root is RootHandle root
                ? LinuxDirectoryReader.OpenBeneath(root.Descriptor, root.Path, work.Path)
                : LinuxDirectoryReader.Open(work.Path);
            _dir = work.Path;
            _listed = listed;
        }

        public ListedEntry Current { get; private set; }

        public bool MoveNext()
        {
            if (!_reader.Next(out string name, out bool valid, out bool isDirectory, out IntPtr raw))
            {
                return false;
            }
            if (!valid)
            {
                Current = new ListedEntry(name, false, isDirectory ? DirectoryStat : default, StatFailure.NotFound); // the kind, for the message
                return true;
            }
            _listed?.Invoke(Path.Join(_dir, name));
            if (isDirectory)
            {
                Current = new ListedEntry(name, true, DirectoryStat, StatFailure.None);
                return true;
            }
            StatFailure failure = _reader.Stat(raw, name, follow: false, out EntryStat stat);
            Current = new ListedEntry(name, true, stat, failure);
            return true;
        }

        public void Dispose() => _reader.Dispose();
    }

    /// <summary>Elsewhere: .NET's enumerator, throwing on errors instead of skipping them.</summary>
    private sealed class PortableEntrySource : FileSystemEnumerator<ListedEntry>, IEntrySource
    {
        public PortableEntrySource(string directory)
            : base(directory, ListOptions)
        {
        }

        protected override ListedEntry TransformEntry(ref FileSystemEntry entry)
        {
            StatFailure failure = PortableStat.FromEntry(ref entry, out EntryStat stat);
            return new ListedEntry(entry.FileName.ToString(), true, stat, failure);
        }

        protected override bool ContinueOnError(int error) => false;
    }
}
