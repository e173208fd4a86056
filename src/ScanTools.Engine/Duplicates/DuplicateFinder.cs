using System.IO.Hashing;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Duplicates;

/// <summary>What <see cref="DuplicateFinder"/> looks at.</summary>
public sealed record DuplicateSearchOptions
{
    /// <summary>Only files in or below these paths (Get-Finding's -Path rules); the whole catalog when empty.</summary>
    public IReadOnlyList<string> Path { get; init; } = Array.Empty<string>();

    /// <summary>Smallest file size considered, in bytes. 1 by default: empty files are all alike and free nothing.</summary>
    public long MinSize { get; init; } = 1;

    /// <summary>How many files are read at once; the number of cores by default.</summary>
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;

    /// <summary>Write the SHA-256 digests computed back to the catalog (as a run of kind Duplicates).</summary>
    public bool StoreHashes { get; init; } = true;

    /// <summary>The writer session registry (tests); the process-wide one by default.</summary>
    public WriterSessionRegistry? Registry { get; init; }

    /// <summary>
    /// Called with each file that could not be read, on the thread that enumerates the search, after the
    /// item is stored with the run and before the groups of its batch are returned. If it throws (a caller
    /// that stops at errors), the search stops and its run ends Cancelled. Without it, the items wait for
    /// <see cref="DuplicateFinder.TakeProblems"/>.
    /// </summary>
    public Action<ScanError>? ProblemFound { get; init; }
}

/// <summary>
/// Finds files with identical content from a catalog, reading only what it must (the fclones method):
/// files are grouped by size from the catalog; each candidate is checked on disk (gone, or no longer that
/// size: left out); a stored SHA-256 is used when the file is unchanged since it was taken (size,
/// last-write time, change time, file id); the others are told apart by an XxHash3 of their first and
/// last 4 KiB, and only files that still match another are read whole for their SHA-256, which is
/// written back to the catalog through the writer session. Hard links are one file.
/// </summary>
public sealed class DuplicateFinder
{
    private const int BlockSize = 4096;
    private const int WholeUpTo = 16 << 10;
    private const int BatchFiles = 4096;
    private static readonly byte[] EmptyDigest = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>What the last search read and used.</summary>
    public DuplicateSearchStatistics Statistics { get; } = new();

    /// <summary>One file on disk (all its names), with what is known of its content.</summary>
    private sealed class Copy
    {
        public required List<DuplicateCandidate> Names { get; init; }
        public EntryStat Stat;
        public byte[]? Sha256;
        public ulong Prefilter;

        /// <summary>Left out: gone, changed or replaced since the scan (Stale), or unreadable (<see cref="Failed"/>).</summary>
        public bool Unreadable;

        /// <summary>Left out because it could not be read (permission denied, an I/O error): an error item, not stale.</summary>
        public bool Failed;

        /// <summary>Stat was taken from the first name without following links (not from an opened file).</summary>
        public bool StatOfFirstName;

        /// <summary><see cref="Stat"/> holds the file's stat (its first read takes none on Linux).</summary>
        public bool Statted;

        public DuplicateCandidate First => Names[0];
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<ScanError> _problems = new();

    /// <summary>Hashers (each with its 1 MiB buffer) kept from one batch to the next; disposed when the search ends.</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<FileHasher> _hashers = new();

    /// <summary>Problems not yet stored with the Duplicates run; the search's own thread stores them.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<ScanError> _unstored = new();

    /// <summary>A file that could not be read (any thread): stored with the run and reported by <see cref="SettleProblems"/>.</summary>
    private void Problem(Copy copy, ScanError error)
    {
        copy.Unreadable = true;
        copy.Failed = true;
        _unstored.Enqueue(error);
    }

    /// <summary>
    /// Files that could not be read (permission denied, an I/O error), each as an error item; taken once.
    /// With <see cref="DuplicateSearchOptions.StoreHashes"/> they are also stored with the Duplicates run and
    /// counted in its Errors, before the search yields the groups of their batch.
    /// </summary>
    public IReadOnlyList<ScanError> TakeProblems()
    {
        var list = new List<ScanError>();
        while (_problems.TryDequeue(out ScanError? e))
        {
            list.Add(e);
        }
        return list;
    }

    /// <summary>
    /// The groups of identical files, largest files first, streamed as each size is settled.
    /// </summary>
    /// <exception cref="CatalogException">The catalog cannot be read, or the hashes cannot be stored.</exception>
    public IEnumerable<DuplicateGroup> Find(string databasePath, DuplicateSearchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinSize < 0)
        {
            throw new ArgumentException("MinSize cannot be negative.", nameof(options));
        }
        if (options.ThrottleLimit is < 1 or > ScanOptions.MaxThrottleLimit)
        {
            throw new ArgumentException($"ThrottleLimit must be between 1 and {ScanOptions.MaxThrottleLimit}.", nameof(options));
        }
        CatalogReader reader = CatalogReader.Open(databasePath);
        return Search(reader, options, cancellationToken);
    }

    private IEnumerable<DuplicateGroup> Search(CatalogReader reader, DuplicateSearchOptions options, CancellationToken ct)
    {
        FileRecorder? recorder = null;
        bool completed = false;
        // The catalog is read on a thread of its own, one batch ahead of the checks and hashes: the query of a
        // large catalog (about a tenth of a whole search measured in bench/) then overlaps them.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var batches = new System.Collections.Concurrent.BlockingCollection<List<List<Copy>>>(new LockedQueue<List<List<Copy>>>(), boundedCapacity: 1); // see LockedQueue
        Task query = Task.Factory.StartNew(() => ReadBatches(reader, options, batches, stop.Token),
            stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (List<List<Copy>> batch in batches.GetConsumingEnumerable(ct))
            {
                foreach (DuplicateGroup g in Settle(batch, options, ref recorder, reader.DatabasePath, ct))
                {
                    yield return g;
                }
            }
            query.GetAwaiter().GetResult(); // the catalog's error, if reading it failed
            completed = true;
        }
        finally
        {
            stop.Cancel();
            try
            {
                query.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
                // Stopped early, or already reported above.
            }
            while (_hashers.TryTake(out FileHasher? hasher))
            {
                hasher.Dispose();
            }
            reader.Dispose();
            if (recorder is not null)
            {
                if (completed)
                {
                    recorder.Finish(); // committed; the run is not read back (Get-ScanRun shows it)
                }
                recorder.Dispose(); // not completed: the run ends Cancelled, keeping what was stored
            }
        }
    }

    /// <summary>
    /// On the query's thread: the catalog's candidates, largest first, as batches of whole size groups of about
    /// <see cref="BatchFiles"/> files each (hard links collapsed, sizes held by one file left out).
    /// </summary>
    private void ReadBatches(CatalogReader reader, DuplicateSearchOptions options, System.Collections.Concurrent.BlockingCollection<List<List<Copy>>> batches, CancellationToken ct)
    {
        try
        {
            var batch = new List<List<Copy>>();
            int batchFiles = 0;
            var sameSize = new List<DuplicateCandidate>();
            foreach (DuplicateCandidate c in reader.DuplicateCandidates(options.Path, options.MinSize, ct))
            {
                Statistics.Candidates++;
                if (sameSize.Count > 0 && sameSize[0].Size != c.Size)
                {
                    batchFiles += AddSizeGroup(sameSize, batch);
                    sameSize = new List<DuplicateCandidate>();
                    if (batchFiles >= BatchFiles)
                    {
                        batches.Add(batch, ct);
                        batch = new List<List<Copy>>();
                        batchFiles = 0;
                    }
                }
                sameSize.Add(c);
            }
            AddSizeGroup(sameSize, batch);
            if (batch.Count > 0)
            {
                batches.Add(batch, ct);
            }
        }
        finally
        {
            batches.CompleteAdding();
        }
    }

    /// <summary>Adds one size's files, hard links collapsed, when two or more distinct files share it.</summary>
    private int AddSizeGroup(List<DuplicateCandidate> sameSize, List<List<Copy>> batch)
    {
        if (sameSize.Count < 2)
        {
            return 0;
        }
        var copies = new List<Copy>();
        var byInode = new Dictionary<(long, long), Copy>();
        foreach (DuplicateCandidate c in sameSize)
        {
            if (c.Device is long dev && c.Inode is long ino)
            {
                if (byInode.TryGetValue((dev, ino), out Copy? same))
                {
                    same.Names.Add(c);
                    continue;
                }
                var copy = new Copy { Names = new List<DuplicateCandidate> { c } };
                byInode[(dev, ino)] = copy;
                copies.Add(copy);
            }
            else
            {
                copies.Add(new Copy { Names = new List<DuplicateCandidate> { c } });
            }
        }
        if (copies.Count < 2)
        {
            return 0;
        }
        Statistics.SizeMatched += copies.Count;
        batch.Add(copies);
        return copies.Count;
    }

    /// <summary>Checks, prefilters and hashes a batch of size groups in parallel, and returns their groups of identical files.</summary>
    private List<DuplicateGroup> Settle(List<List<Copy>> batch, DuplicateSearchOptions options, ref FileRecorder? recorder, string database, CancellationToken ct)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.ThrottleLimit, CancellationToken = ct };
        List<Copy> all = batch.SelectMany(g => g).ToList();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();

        // 1. A stored hash is used only if nothing changed since it was taken (an lstat says). Any other copy has
        //    its first and last block read at once, without a stat: most copies end here, unique by size and ends,
        //    and only those that still match another are stat'd (step 3) and read whole.
        long prefilterBytes = 0;
        int prefiltered = 0;
        Parallel.ForEach(all, parallel, copy =>
        {
            DuplicateCandidate c = copy.First;
            bool trusted = c.Sha256 is not null && c.Ctime is not null && c.Inode is not null;
            if (c.Size == 0 || trusted)
            {
                if (FileStat.TryStat(c.FullName, follow: false, out copy.Stat) != StatFailure.None || copy.Stat.Kind != EntryKind.File || copy.Stat.Length != c.Size)
                {
                    copy.Unreadable = true;
                    return;
                }
                if (c.Size == 0)
                {
                    copy.Sha256 = EmptyDigest;
                    copy.StatOfFirstName = copy.Statted = true;
                    return;
                }
                if (copy.Stat.LastWriteTicksUtc == c.Mtime && copy.Stat.ChangeTicksUtc == c.Ctime && copy.Stat.Inode == c.Inode)
                {
                    copy.Sha256 = c.Sha256;
                    copy.StatOfFirstName = copy.Statted = true;
                    return;
                }
            }
            if (ReadEnds(copy, c.FullName, out long read))
            {
                Interlocked.Add(ref prefilterBytes, read);
                Interlocked.Increment(ref prefiltered);
                if (copy.Statted && copy.Stat.Length != c.Size)
                {
                    copy.Unreadable = true; // changed size since the scan: not this group's any more
                }
            }
        });

        // 2. In groups that mix stored and unknown digests, one file per stored digest is read too, so that a
        //    new file can be compared with it.
        var representatives = new List<Copy>();
        foreach (List<Copy> group in batch)
        {
            List<Copy> live = group.Where(c => !c.Unreadable).ToList();
            if (live.Count >= 2 && live.Any(c => c.Sha256 is null) && live.Any(c => c.Sha256 is not null))
            {
                representatives.AddRange(live.Where(c => c.Sha256 is not null && c.First.Size > 0)
                    .GroupBy(c => Convert.ToHexString(c.Sha256!)).Select(g => g.First()));
            }
        }
        Parallel.ForEach(representatives, parallel, copy =>
        {
            EntryStat stat = copy.Stat;
            bool statted = copy.Statted;
            if (ReadEnds(copy, copy.First.FullName, out long read))
            {
                Interlocked.Add(ref prefilterBytes, read);
                Interlocked.Increment(ref prefiltered);
            }
            copy.Stat = stat;
            copy.Statted = statted;
        });
        Statistics.Prefiltered += prefiltered;

        // 3. The copies that can still be in a group: those with a stored digest, and the unknown ones whose
        //    prefilter matches another file of their size (read whole next).
        var needFull = new List<Copy>();
        var candidates = new List<Copy>();
        foreach (List<Copy> group in batch)
        {
            List<Copy> live = group.Where(c => !c.Unreadable).ToList();
            if (live.Count < 2)
            {
                continue;
            }
            if (live.All(c => c.Sha256 is not null))
            {
                candidates.AddRange(live);
                continue;
            }
            // The prefilter of a stored digest stands for every file with that digest.
            var prefilterOfDigest = live.Where(c => c.Sha256 is not null && c.Prefilter != 0)
                .GroupBy(c => Convert.ToHexString(c.Sha256!)).ToDictionary(g => g.Key, g => g.First().Prefilter);
            var counts = new Dictionary<ulong, int>();
            foreach (Copy c in live)
            {
                ulong p = c.Sha256 is null ? c.Prefilter : prefilterOfDigest.GetValueOrDefault(Convert.ToHexString(c.Sha256), 0UL);
                counts[p] = counts.GetValueOrDefault(p) + 1;
            }
            candidates.AddRange(live.Where(c => c.Sha256 is not null));
            needFull.AddRange(live.Where(c => c.Sha256 is null && counts[c.Prefilter] > 1));
        }
        candidates.AddRange(needFull);
        // Each of them must still be the very file the catalog recorded, and every name of it a regular file (not a
        // link put there since the scan): a name that is not is dropped, so a group never offers to remove a file it
        // did not compare (a link to the kept copy, another file moved into its place).
        Parallel.ForEach(candidates, parallel, copy =>
        {
            DuplicateCandidate c = copy.First;
            if (!copy.Statted)
            {
                if (FileStat.TryStat(c.FullName, follow: false, out copy.Stat) != StatFailure.None || copy.Stat.Kind != EntryKind.File || copy.Stat.Length != c.Size)
                {
                    copy.Unreadable = true; // gone, or changed size since the scan
                    return;
                }
                copy.Statted = copy.StatOfFirstName = true;
            }
            if ((c.Inode is long inode && copy.Stat.Inode is long nowInode && inode != nowInode)
                || (c.Device is long device && copy.Stat.Device is long nowDevice && device != nowDevice))
            {
                copy.Unreadable = true; // another file at this path since the scan
                return;
            }
            // The first name needs no second look when its stat was already taken without following links.
            copy.Names.RemoveAll(name => !(copy.StatOfFirstName && ReferenceEquals(name, c)) && (
                FileStat.TryStat(name.FullName, follow: false, out EntryStat now) != StatFailure.None
                || now.Kind != EntryKind.File
                || (now.Inode is long i && copy.Stat.Inode is long ci && i != ci)
                || (now.Device is long d && copy.Stat.Device is long cd && d != cd)));
            if (copy.Names.Count == 0 || !ReferenceEquals(copy.Names[0], c))
            {
                copy.Unreadable = true; // the name that was read is gone or replaced: what was read is not of these names
            }
        });
        needFull.RemoveAll(c => c.Unreadable);
        Statistics.Stale += all.Count(c => c.Unreadable && !c.Failed);
        Statistics.Unreadable += all.Count(c => c.Failed);
        Statistics.StoredHashesUsed += all.Count(c => !c.Unreadable && c.Sha256 is not null && c.First.Size > 0);

        Statistics.CheckTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        started = System.Diagnostics.Stopwatch.GetTimestamp();

        long fullBytes = 0;
        var computed = new System.Collections.Concurrent.ConcurrentBag<Copy>();
        // Largest first, handed out one at a time: a few big files must not end up on one thread.
        needFull.Sort((a, b) => b.First.Size.CompareTo(a.First.Size));
        var oneAtATime = System.Collections.Concurrent.Partitioner.Create(needFull, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering);
        try
        {
        Parallel.ForEach(oneAtATime, parallel, () => _hashers.TryTake(out FileHasher? h) ? h : new FileHasher(), (copy, _, hasher) =>
        {
            try
            {
                HashOutcome h = hasher.Hash(copy.First.FullName, copy.Stat, ct);
                Interlocked.Add(ref fullBytes, h.BytesRead);
                if (h.Digest is byte[] d)
                {
                    copy.Sha256 = d;
                    computed.Add(copy);
                }
                else
                {
                    copy.Unreadable = true; // it changed while read: not a duplicate we can vouch for
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                copy.Unreadable = true; // gone since it was checked
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Problem(copy, new ScanError(copy.First.FullName, ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : ScanErrorKind.IoError,
                    $"This file could not be read, so it was left out of the search for duplicates: {ex.Message}"));
            }
            return hasher;
        }, hasher => _hashers.Add(hasher));
        }
        catch (OperationCanceledException)
        {
            // Stopped (Ctrl+C): what was read whole is kept, so the next search need not read it again.
            if (options.StoreHashes && !computed.IsEmpty)
            {
                Store(computed, ref recorder, options, database);
            }
            SettleProblems(ref recorder, options, database, deliver: false);
            throw;
        }
        Statistics.FullyHashed += needFull.Count;
        Statistics.Unreadable += needFull.Count(c => c.Failed);
        Statistics.BytesRead += prefilterBytes + fullBytes;

        Statistics.HashTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);

        // 4. Store what was computed, and the files that could not be read; group by digest.
        if (options.StoreHashes && !computed.IsEmpty)
        {
            Store(computed, ref recorder, options, database);
        }
        SettleProblems(ref recorder, options, database, deliver: true);
        var groups = new List<DuplicateGroup>();
        foreach (List<Copy> group in batch)
        {
            foreach (IGrouping<string, Copy> same in group.Where(c => !c.Unreadable && c.Sha256 is not null)
                         .GroupBy(c => Convert.ToHexString(c.Sha256!)))
            {
                List<Copy> copies = same.ToList();
                if (copies.Count < 2)
                {
                    continue;
                }
                Copy keep = copies.OrderBy(c => c.Stat.LastWriteTicksUtc).ThenBy(c => c.Names.Min(n => n.FullName), StringComparer.Ordinal).First();
                groups.Add(new DuplicateGroup
                {
                    Sha256 = same.Key,
                    Length = copies[0].First.Size,
                    Count = copies.Count,
                    Keep = keep.Names.Select(n => n.FullName).Min(StringComparer.Ordinal)!,
                    LiteralPath = new PathList(copies.Where(c => c != keep).SelectMany(c => c.Names).Select(n => n.FullName).OrderBy(p => p, StringComparer.Ordinal).ToList()),
                    Files = new PathList(copies.SelectMany(c => c.Names).Select(n => n.FullName).OrderBy(p => p, StringComparer.Ordinal).ToList()),
                    Database = database,
                });
            }
        }
        return groups;
    }

    /// <summary>Hands the computed digests to the catalog's writer session, as records of a Duplicates run.</summary>
    private void Store(IEnumerable<Copy> computed, ref FileRecorder? recorder, DuplicateSearchOptions options, string database)
    {
        recorder ??= FileRecorder.Start(database, registry: options.Registry, kind: "Duplicates");
        foreach (Copy copy in computed)
        {
            foreach (DuplicateCandidate name in copy.Names)
            {
                recorder.Add(FileRecord.FromStat(name.Directory, name.Name, copy.Stat, isLink: false, linkTarget: null, sha256: copy.Sha256));
                Statistics.HashesStored++;
            }
        }
    }

    /// <summary>
    /// On the enumerating thread: stores each file that could not be read as an error item of the Duplicates
    /// run (started for it if no hash was stored yet), so that Get-ScanError lists it and the run's Errors
    /// counts it, then hands it to <see cref="DuplicateSearchOptions.ProblemFound"/> (when
    /// <paramref name="deliver"/>) or keeps it for <see cref="TakeProblems"/>. Without
    /// <see cref="DuplicateSearchOptions.StoreHashes"/> (-NoStore) nothing is stored.
    /// </summary>
    private void SettleProblems(ref FileRecorder? recorder, DuplicateSearchOptions options, string database, bool deliver)
    {
        while (_unstored.TryDequeue(out ScanError? error))
        {
            if (options.StoreHashes)
            {
                recorder ??= FileRecorder.Start(database, registry: options.Registry, kind: "Duplicates");
                recorder.AddError(error);
            }
            if (deliver && options.ProblemFound is Action<ScanError> report)
            {
                report(error);
            }
            else
            {
                _problems.Enqueue(error);
            }
        }
    }

    /// <summary>
    /// Reads a copy's first and last <see cref="BlockSize"/> bytes of the size the catalog recorded (all of it up to
    /// 16 KiB) into its XxHash3 prefilter. On Linux it takes no stat (open, read, close: a third fewer system calls
    /// for the many copies that end here); the few that still match another are stat'd afterwards. Elsewhere the
    /// name is stat'd first. False, and the copy unreadable, when it cannot be read (gone, no longer a file, denied).
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // the 16 KiB buffer is only read where it was filled
    private bool ReadEnds(Copy copy, string path, out long read)
    {
        read = 0;
        // Files up to 16 KiB are read whole in one call: as cheap as a block, and the prefilter is then exact.
        Span<byte> buffer = stackalloc byte[WholeUpTo];
        int first, last;
        if (LinuxFile.IsSupported)
        {
            LinuxFile.ReadFailure failure = LinuxFile.TryReadEndsUnstatted(path, copy.First.Size, buffer, BlockSize, out first, out last);
            if (failure != LinuxFile.ReadFailure.None)
            {
                copy.Unreadable = true;
                if (failure is LinuxFile.ReadFailure.AccessDenied or LinuxFile.ReadFailure.Other)
                {
                    Problem(copy, new ScanError(path, failure == LinuxFile.ReadFailure.AccessDenied ? ScanErrorKind.AccessDenied : ScanErrorKind.IoError,
                        "This file could not be read, so it was left out of the search for duplicates."));
                }
                return false;
            }
        }
        else
        {
            try
            {
                if (FileStat.TryStat(path, follow: false, out copy.Stat) != StatFailure.None || copy.Stat.Kind != EntryKind.File)
                {
                    copy.Unreadable = true;
                    return false;
                }
                copy.Statted = true;
                using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                long size = copy.Stat.Length;
                if (size <= buffer.Length)
                {
                    first = RandomAccess.Read(handle, buffer[..(int)size], 0);
                    last = 0;
                }
                else
                {
                    first = RandomAccess.Read(handle, buffer[..BlockSize], 0);
                    last = RandomAccess.Read(handle, buffer.Slice(WholeUpTo / 2, BlockSize), size - BlockSize);
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                copy.Unreadable = true; // gone since the scan
                return false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Problem(copy, new ScanError(path, ex is UnauthorizedAccessException ? ScanErrorKind.AccessDenied : ScanErrorKind.IoError,
                    $"This file could not be read, so it was left out of the search for duplicates: {ex.Message}"));
                return false;
            }
        }
        read = first + last;
        ulong h = XxHash3.HashToUInt64(buffer[..first]) ^ (XxHash3.HashToUInt64(buffer.Slice(buffer.Length / 2, last)) * 31);
        copy.Prefilter = h == 0 ? 1 : h; // 0 means "not computed"
        return true;
    }
}
