using System.Text;
using ScanTools.Platform;
using ScanTools.Scanning;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions.Ipc;

/// <summary>
/// The binary form of catalog writes inside a forwarded batch. Compact (a file record is about 60 bytes
/// plus its name) and strict: anything out of range is rejected as malformed rather than trusted.
/// </summary>
internal static class CatalogWriteCodec
{
    private const byte StartTag = 1, ListingTag = 2, ErrorsTag = 3, EndTag = 4, ProgressTag = 5, PruneTag = 6;

    /// <summary>The most runs one prune may list (a frame of 8 MB).</summary>
    private const int MaxPrunedRuns = 1_000_000;
    private const int MaxItems = 1 << 20;
    private static readonly int MaxErrorKind = System.Enum.GetValues<ScanErrorKind>().Max(k => (int)k);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Flags]
    private enum FileFlags : byte
    {
        None = 0,
        HasCreation = 1,
        HasMode = 2,
        IsLink = 4,
        HasTarget = 8,
        HasHash = 16,
        HasIdentity = 32,
        HasMatches = 64,
        KeepFindings = 128,
    }

    /// <summary>Which of a file's identity fields follow (HasIdentity).</summary>
    [Flags]
    private enum IdentityFields : byte
    {
        None = 0,
        Device = 1,
        Inode = 2,
        Links = 4,
        ChangeTime = 8,
        UserId = 16,
        GroupId = 32,
        RulesKey = 64,
        FindingsUnchanged = 128,
    }

    public static void Write(BinaryWriter w, IReadOnlyList<CatalogWrite> writes)
    {
        w.Write(writes.Count);
        foreach (CatalogWrite write in writes)
        {
            Write(w, write);
        }
    }

    public static List<CatalogWrite> ReadAll(BinaryReader r)
    {
        int count = Count(r);
        var writes = new List<CatalogWrite>(Math.Min(count, 1024));
        for (int i = 0; i < count; i++)
        {
            writes.Add(Read(r));
        }
        return writes;
    }

    public static void Write(BinaryWriter w, CatalogWrite write)
    {
        switch (write)
        {
            case ScanRunStart s:
                w.Write(StartTag);
                w.Write(s.RunKey.ToByteArray());
                w.Write(s.StartedUtc.Ticks);
                w.Write(s.Kind);
                w.Write(s.Host);
                w.Write(s.User);
                w.Write(s.ProcessId);
                Strings(w, s.Roots);
                w.Write(s.OptionsJson);
                break;
            case DirectoryListing l:
                w.Write(ListingTag);
                w.Write(l.RunKey.ToByteArray());
                w.Write(l.DirectoryPath);
                w.Write((byte)l.Mode);
                w.Write(l.ChunkIndex);
                w.Write((byte)((l.IsFinalChunk ? 1 : 0) | (l.IsComplete ? 2 : 0)));
                w.Write(l.Files.Count);
                foreach (FileRecord f in l.Files)
                {
                    WriteFile(w, f);
                }
                Strings(w, l.UnrecordedNames);
                Strings(w, l.SubdirectoryNames);
                break;
            case ScanErrorBatch e:
                w.Write(ErrorsTag);
                w.Write(e.RunKey.ToByteArray());
                w.Write(e.Errors.Count);
                foreach (ScanError error in e.Errors)
                {
                    w.Write(error.FullName);
                    w.Write((int)error.Kind);
                    w.Write(error.Message);
                    w.Write(error.OccurredUtc.Ticks);
                }
                break;
            case ScanRunEnd end:
                w.Write(EndTag);
                w.Write(end.RunKey.ToByteArray());
                w.Write((int)end.Status);
                w.Write(end.EndedUtc.Ticks);
                w.Write(end.Files);
                w.Write(end.Bytes);
                w.Write(end.Directories);
                w.Write(end.Errors);
                w.Write(end.Skipped);
                w.Write((byte)((end.Message is not null ? 1 : 0) | (end.CountFromCatalog ? 2 : 0) | (end.Rules is not null ? 4 : 0)));
                if (end.Message is not null)
                {
                    w.Write(end.Message);
                }
                if (end.Rules is RuleCounts rc)
                {
                    w.Write(rc.Matches);
                    w.Write(rc.ContentFiles);
                    w.Write(rc.BinarySkipped);
                    w.Write(rc.OversizedSkipped);
                }
                break;
            case ScanRunProgress progress:
                w.Write(ProgressTag);
                w.Write(progress.RunKey.ToByteArray());
                w.Write(progress.Files);
                w.Write(progress.Bytes);
                w.Write(progress.Directories);
                w.Write(progress.Errors);
                w.Write(progress.Skipped);
                break;
            case CatalogPrune prune:
                w.Write(PruneTag);
                w.Write(prune.RunKey.ToByteArray());
                w.Write(prune.Optimize);
                w.Write(prune.RunIds.Count);
                foreach (long id in prune.RunIds)
                {
                    w.Write(id);
                }
                break;
            default:
                throw new ArgumentException($"Cannot forward a {write.GetType().Name}.", nameof(write));
        }
    }

    public static CatalogWrite Read(BinaryReader r)
    {
        byte tag = r.ReadByte();
        var run = new Guid(r.ReadBytes(16) is { Length: 16 } key ? key : throw new EndOfStreamException());
        switch (tag)
        {
            case StartTag:
                return new ScanRunStart
                {
                    RunKey = run,
                    StartedUtc = Ticks(r.ReadInt64()),
                    Kind = r.ReadString(),
                    Host = r.ReadString(),
                    User = r.ReadString(),
                    ProcessId = r.ReadInt32(),
                    Roots = Strings(r),
                    OptionsJson = r.ReadString(),
                };
            case ListingTag:
                string dir = r.ReadString();
                var mode = (ListingMode)Enum(r.ReadByte(), 1);
                int chunk = r.ReadInt32();
                byte flags = r.ReadByte();
                int files = Count(r);
                var records = new List<FileRecord>(Math.Min(files, 4096));
                for (int i = 0; i < files; i++)
                {
                    records.Add(ReadFile(r, dir));
                }
                return new DirectoryListing
                {
                    RunKey = run,
                    DirectoryPath = dir,
                    Mode = mode,
                    ChunkIndex = chunk >= 0 ? chunk : throw new InvalidDataException("Negative chunk index."),
                    IsFinalChunk = (flags & 1) != 0,
                    IsComplete = (flags & 2) != 0,
                    Files = records,
                    UnrecordedNames = Strings(r),
                    SubdirectoryNames = Strings(r),
                };
            case ErrorsTag:
                int errors = Count(r);
                var list = new List<ScanError>(Math.Min(errors, 1024));
                for (int i = 0; i < errors; i++)
                {
                    string path = r.ReadString();
                    var kind = (ScanErrorKind)Enum(r.ReadInt32(), MaxErrorKind, 1);
                    list.Add(new ScanError(path, kind, r.ReadString(), Ticks(r.ReadInt64())));
                }
                return new ScanErrorBatch { RunKey = run, Errors = list };
            case EndTag:
                var status = (ScanRunStatus)Enum(r.ReadInt32(), (int)ScanRunStatus.Cancelled);
                DateTime ended = Ticks(r.ReadInt64());
                long endFiles = r.ReadInt64(), endBytes = r.ReadInt64(), endDirectories = r.ReadInt64(), endErrors = r.ReadInt64(), endSkipped = NonNegative(r.ReadInt64());
                byte endFlags = r.ReadByte();
                if (endFlags > 7)
                {
                    throw new InvalidDataException($"Unknown run-end flags {endFlags}.");
                }
                return new ScanRunEnd
                {
                    RunKey = run,
                    Status = status,
                    EndedUtc = ended,
                    Files = endFiles,
                    Bytes = endBytes,
                    Directories = endDirectories,
                    Errors = endErrors,
                    Skipped = endSkipped,
                    Message = (endFlags & 1) != 0 ? r.ReadString() : null,
                    CountFromCatalog = (endFlags & 2) != 0,
                    Rules = (endFlags & 4) != 0 ? new RuleCounts(NonNegative(r.ReadInt64()), NonNegative(r.ReadInt64()), NonNegative(r.ReadInt64()), NonNegative(r.ReadInt64())) : null,
                };
            case ProgressTag:
                return new ScanRunProgress
                {
                    RunKey = run,
                    Files = NonNegative(r.ReadInt64()),
                    Bytes = NonNegative(r.ReadInt64()),
                    Directories = NonNegative(r.ReadInt64()),
                    Errors = NonNegative(r.ReadInt64()),
                    Skipped = NonNegative(r.ReadInt64()),
                };
            case PruneTag:
                bool optimize = r.ReadBoolean();
                int pruned = r.ReadInt32();
                if (pruned < 0 || pruned > MaxPrunedRuns)
                {
                    throw new InvalidDataException($"A prune of {pruned} runs is out of range.");
                }
                var ids = new long[pruned];
                for (int i = 0; i < pruned; i++)
                {
                    ids[i] = r.ReadInt64() is long id and > 0 ? id : throw new InvalidDataException("A run id to prune is not positive.");
                }
                return new CatalogPrune { RunKey = run, Optimize = optimize, RunIds = ids };
            default:
                throw new InvalidDataException($"Unknown catalog write tag {tag}.");
        }
    }

    private static void WriteFile(BinaryWriter w, FileRecord f)
    {
        FileFlags flags = FileFlags.None;
        if (f.CreationTimeUtc is not null)
        {
            flags |= FileFlags.HasCreation;
        }
        if (f.UnixStatMode is not null)
        {
            flags |= FileFlags.HasMode;
        }
        if (f.IsLink)
        {
            flags |= FileFlags.IsLink;
        }
        if (f.LinkTarget is not null)
        {
            flags |= FileFlags.HasTarget;
        }
        if (f.Sha256Bytes is not null)
        {
            flags |= FileFlags.HasHash;
        }
        IdentityFields identity = (f.Device is null ? 0 : IdentityFields.Device) | (f.Inode is null ? 0 : IdentityFields.Inode)
            | (f.HardLinks is null ? 0 : IdentityFields.Links) | (f.ChangeTimeUtc is null ? 0 : IdentityFields.ChangeTime)
            | (f.UserId is null ? 0 : IdentityFields.UserId) | (f.GroupId is null ? 0 : IdentityFields.GroupId)
            | (f.RulesKey is null ? 0 : IdentityFields.RulesKey) | (f.FindingsUnchanged ? IdentityFields.FindingsUnchanged : 0);
        if (identity != IdentityFields.None)
        {
            flags |= FileFlags.HasIdentity;
        }
        if (f.Matches is { Count: > 0 })
        {
            flags |= FileFlags.HasMatches;
        }
        if (f.KeepFindings)
        {
            flags |= FileFlags.KeepFindings;
        }
        w.Write((byte)flags);
        w.Write(f.Name);
        w.Write(f.Length);
        w.Write(f.LastWriteTimeUtc.Ticks);
        if (f.CreationTimeUtc is DateTime c)
        {
            w.Write(c.Ticks);
        }
        w.Write((int)f.Attributes);
        if (f.UnixStatMode is int m)
        {
            w.Write(m);
        }
        w.Write((byte)f.Kind);
        if (f.LinkTarget is not null)
        {
            w.Write(f.LinkTarget);
        }
        if (f.Sha256Bytes is byte[] h)
        {
            w.Write(h);
        }
        if (identity != IdentityFields.None)
        {
            w.Write((byte)identity);
            if (f.Device is long dev) w.Write(dev);
            if (f.Inode is long ino) w.Write(ino);
            if (f.HardLinks is int links) w.Write(links);
            if (f.ChangeTimeUtc is DateTime ct) w.Write(ct.Ticks);
            if (f.UserId is uint uid) w.Write(uid);
            if (f.GroupId is uint gid) w.Write(gid);
            if (f.RulesKey is long rk) w.Write(rk);
        }
        if (f.Matches is { Count: > 0 } matches)
        {
            w.Write(matches.Count);
            foreach (Rules.RuleMatch match in matches)
            {
                w.Write(match.RuleId);
                w.Write((byte)match.Severity);
                w.Write(match.Line ?? 0);
                w.Write(match.Column ?? 0);
                w.Write(match.Excerpt ?? string.Empty);
                w.Write(match.Fingerprint);
            }
        }
    }

    private static List<Rules.RuleMatch> ReadMatches(BinaryReader r)
    {
        int count = r.ReadInt32();
        if (count is < 1 or > 1_000_000)
        {
            throw new InvalidDataException($"A file record claims {count} rule matches.");
        }
        var list = new List<Rules.RuleMatch>(Math.Min(count, 1024));
        for (int i = 0; i < count; i++)
        {
            string rule = r.ReadString();
            var severity = (Rules.RuleSeverity)Enum(r.ReadByte(), (int)Rules.RuleSeverity.Critical);
            int line = r.ReadInt32(), column = r.ReadInt32();
            string excerpt = r.ReadString();
            string fingerprint = r.ReadString();
            if (rule.Length == 0 || line < 0 || column < 0 || fingerprint.Length != 32 || !fingerprint.All(char.IsAsciiHexDigitLower))
            {
                throw new InvalidDataException("A rule match has no rule, a negative place or a malformed fingerprint.");
            }
            list.Add(new Rules.RuleMatch(rule, severity, line == 0 ? null : line, column == 0 ? null : column, excerpt.Length == 0 ? null : excerpt, fingerprint));
        }
        return list;
    }

    private static FileRecord ReadFile(BinaryReader r, string dir)
    {
        var flags = (FileFlags)r.ReadByte();
        string name = r.ReadString();
        long length = r.ReadInt64();
        DateTime mtime = Ticks(r.ReadInt64());
        DateTime? ctime = (flags & FileFlags.HasCreation) != 0 ? Ticks(r.ReadInt64()) : null;
        var attributes = (FileAttributes)r.ReadInt32();
        int? mode = (flags & FileFlags.HasMode) != 0 ? r.ReadInt32() : null;
        var kind = (EntryKind)Enum(r.ReadByte(), (int)EntryKind.Special);
        string? target = (flags & FileFlags.HasTarget) != 0 ? r.ReadString() : null;
        byte[]? hash = (flags & FileFlags.HasHash) != 0 ? Exactly(r, 32) : null;
        var identity = (flags & FileFlags.HasIdentity) != 0 ? (IdentityFields)r.ReadByte() : IdentityFields.None;
        // All eight bits of the identity byte are defined (the last two are rule flags, not identity).
        long? device = identity.HasFlag(IdentityFields.Device) ? r.ReadInt64() : null;
        long? inode = identity.HasFlag(IdentityFields.Inode) ? r.ReadInt64() : null;
        int? hardLinks = identity.HasFlag(IdentityFields.Links) ? r.ReadInt32() : null;
        DateTime? changed = identity.HasFlag(IdentityFields.ChangeTime) ? Ticks(r.ReadInt64()) : null;
        uint? userId = identity.HasFlag(IdentityFields.UserId) ? r.ReadUInt32() : null;
        uint? groupId = identity.HasFlag(IdentityFields.GroupId) ? r.ReadUInt32() : null;
        long? rulesKey = identity.HasFlag(IdentityFields.RulesKey) ? r.ReadInt64() : null;
        List<Rules.RuleMatch>? matches = (flags & FileFlags.HasMatches) != 0 ? ReadMatches(r) : null;
        if (name.Length == 0 || length < 0)
        {
            throw new InvalidDataException("A file record has no name or a negative size.");
        }
        return new FileRecord(dir, name)
        {
            Matches = matches,
            KeepFindings = (flags & FileFlags.KeepFindings) != 0,
            RulesKey = rulesKey,
            FindingsUnchanged = identity.HasFlag(IdentityFields.FindingsUnchanged),
            Length = length,
            LastWriteTimeUtc = mtime,
            CreationTimeUtc = ctime,
            Attributes = attributes,
            UnixStatMode = mode,
            IsLink = (flags & FileFlags.IsLink) != 0,
            LinkTarget = target,
            Sha256Bytes = hash,
            Kind = kind,
            Device = device,
            Inode = inode,
            HardLinks = hardLinks is < 0 ? throw new InvalidDataException("A negative link count.") : hardLinks,
            ChangeTimeUtc = changed,
            UserId = userId,
            GroupId = groupId,
        };
    }

    private static void Strings(BinaryWriter w, IReadOnlyList<string> values)
    {
        w.Write(values.Count);
        foreach (string v in values)
        {
            w.Write(v);
        }
    }

    private static string[] Strings(BinaryReader r)
    {
        int count = Count(r);
        var values = new string[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = r.ReadString();
        }
        return values;
    }

    private static int Count(BinaryReader r)
    {
        int count = r.ReadInt32();
        // Each item takes at least one byte, so a count beyond what is left is a lie.
        long left = r.BaseStream.Length - r.BaseStream.Position;
        return count is >= 0 and <= MaxItems && count <= left ? count : throw new InvalidDataException($"Implausible item count {count}.");
    }

    private static long NonNegative(long value) => value >= 0 ? value : throw new InvalidDataException($"Count {value} is negative.");

    private static int Enum(int value, int max, int min = 0) =>
        value >= min && value <= max ? value : throw new InvalidDataException($"Value {value} is out of range.");

    private static DateTime Ticks(long ticks) =>
        ticks is >= 0 and <= 3155378975999999999 ? new DateTime(ticks, DateTimeKind.Utc) : throw new InvalidDataException("A time is out of range.");

    private static byte[] Exactly(BinaryReader r, int count) =>
        r.ReadBytes(count) is { } bytes && bytes.Length == count ? bytes : throw new EndOfStreamException();

    /// <summary>A BinaryReader that rejects invalid UTF-8 instead of replacing it.</summary>
    public static BinaryReader Reader(Stream stream) => new(stream, Utf8, leaveOpen: true);

    public static BinaryWriter Writer(Stream stream) => new(stream, Utf8, leaveOpen: true);
}
