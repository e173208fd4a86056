using System.Text.Json;
using System.Text.Json.Serialization;
using ScanTools.Matching;

namespace ScanTools.Scanning;

/// <summary>
/// Everything that shapes one scan, collected once and validated before any work starts; a value
/// that can be built, printed, stored with the run and tested.
/// </summary>
public sealed record ScanOptions
{
    /// <summary>The largest accepted <see cref="ThrottleLimit"/>.</summary>
    public const int MaxThrottleLimit = 256;

    /// <summary>
    /// Folders to scan (full paths). A root inside another root is walked as a root of its own (its own
    /// -MaxDepth, device and ignore rules, never left out by the outer root's) and only from there.
    /// </summary>
    public IReadOnlyList<string> Roots { get; init; } = Array.Empty<string>();

    /// <summary>Wildcard patterns of names (or of paths relative to a root, when they contain a separator) to leave out.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>How many folder levels below a root to enter; 0 lists only the root itself. Null: no limit.</summary>
    public int? MaxDepth { get; init; }

    /// <summary>Enter directory links (loops are detected and reported) and record link targets' metadata.</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>How many folders are listed at once; defaults to the number of cores.</summary>
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Record the SHA-256 of every regular file's content (on the walking threads). A file whose size,
    /// last-write time, change time and file id are what the catalog holds keeps its stored hash without
    /// being read (Linux, where all four are known), unless <see cref="Rehash"/> is set.
    /// </summary>
    public bool Hash { get; init; }

    /// <summary>Read and hash every regular file, even those whose stored hash could be kept (a bit-rot check). Implies <see cref="Hash"/>.</summary>
    public bool Rehash { get; init; }

    /// <summary>Hashing is on (<see cref="Hash"/> or <see cref="Rehash"/>).</summary>
    [JsonIgnore]
    public bool Hashes => Hash || Rehash;

    /// <summary>Stay on the file system (device) of each root, as <c>find -xdev</c> does: other mounts are not entered (Linux).</summary>
    public bool OneFileSystem { get; init; }

    /// <summary>
    /// Files of <c>.gitignore</c>-syntax rules (full paths) that apply to every root, relative to the root,
    /// with the lowest precedence (like git's core.excludesFile).
    /// </summary>
    public IReadOnlyList<string> IgnoreFile { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Names of ignore files to honour where they are found in the tree (<c>.gitignore</c>, <c>.ignore</c>):
    /// their rules apply to their folder and below, deeper files overriding, as in git.
    /// </summary>
    public IReadOnlyList<string> IgnoreFileName { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The content and property rules to apply (<see cref="Rules.RuleSet"/>); null applies none. Their
    /// matches are stored as findings, and a completed run resolves the findings of these rules it no longer sees.
    /// </summary>
    [JsonIgnore]
    public Rules.RuleSet? Rules { get; init; }

    /// <summary>The ids of <see cref="Rules"/>, stored with the run (the writer resolves findings of these rules only).</summary>
    public IReadOnlyList<string> RuleIds => Rules?.Rules.Select(r => r.Id).ToArray() ?? Array.Empty<string>();

    /// <summary>The rules files the rules were read from (for the record).</summary>
    public IReadOnlyList<string> RulePath { get; init; } = Array.Empty<string>();

    /// <summary>Largest file whose content the rules read, in bytes (a rule's MaximumFileSize overrides it); 10 MiB by default.</summary>
    public long ContentSizeLimit { get; init; } = ScanTools.Rules.RuleSet.DefaultContentSizeLimit;

    /// <summary>How many records of one folder travel together to the writer; big folders are split.</summary>
    [JsonIgnore]
    public int ChunkSize { get; init; } = 2048;

    /// <summary>Throws an <see cref="ArgumentException"/> that says what to change when the options cannot work.</summary>
    public void Validate()
    {
        if (Roots.Count == 0)
        {
            throw new ArgumentException("Give at least one folder to scan.", nameof(Roots));
        }
        foreach (string root in Roots)
        {
            if (string.IsNullOrWhiteSpace(root))
            {
                throw new ArgumentException("A folder to scan is empty or blank.", nameof(Roots));
            }
            if (!Path.IsPathFullyQualified(root))
            {
                throw new ArgumentException($"The folder '{root}' is not a full path; resolve it before scanning.", nameof(Roots));
            }
        }
        if (MaxDepth is < 0)
        {
            throw new ArgumentException($"MaxDepth must be 0 or more (0 scans only the top folder); it was {MaxDepth}.", nameof(MaxDepth));
        }
        if (ThrottleLimit is < 1 or > MaxThrottleLimit)
        {
            throw new ArgumentException($"ThrottleLimit must be between 1 and {MaxThrottleLimit}; it was {ThrottleLimit}.", nameof(ThrottleLimit));
        }
        if (ChunkSize < 1)
        {
            throw new ArgumentException("ChunkSize must be at least 1.", nameof(ChunkSize));
        }
        _ = new ExclusionMatcher(Exclude); // throws on a malformed pattern
        if (OneFileSystem && !OperatingSystem.IsLinux())
        {
            throw new ArgumentException("OneFileSystem needs the device ids that ScanTools reads on Linux only; on this platform, leave mounted folders out with -Exclude.", nameof(OneFileSystem));
        }
        foreach (string f in IgnoreFile)
        {
            if (string.IsNullOrWhiteSpace(f) || !Path.IsPathFullyQualified(f))
            {
                throw new ArgumentException($"The ignore file '{f}' is not a full path; resolve it before scanning.", nameof(IgnoreFile));
            }
        }
        if (ContentSizeLimit < 1 || ContentSizeLimit > Array.MaxLength - 1)
        {
            throw new ArgumentException($"ContentSizeLimit must be between 1 byte and {Array.MaxLength - 1:N0} bytes (2 GiB); it was {ContentSizeLimit:N0}.", nameof(ContentSizeLimit));
        }
        foreach (string n in IgnoreFileName)
        {
            if (string.IsNullOrWhiteSpace(n) || n.IndexOfAny(new[] { '/', '\\' }) >= 0 || n is "." or "..")
            {
                throw new ArgumentException($"'{n}' is not a file name; IgnoreFileName takes names such as .gitignore, found in each folder.", nameof(IgnoreFileName));
            }
        }
    }

    /// <summary>
    /// The roots to walk: full, without trailing separators and without duplicates, in the order given.
    /// A root that lies inside another stays a root: each folder the user names is scanned with its own
    /// options, and the walker does not enter it from the outer root, so nothing is walked twice.
    /// </summary>
    public IReadOnlyList<string> NormalizedRoots() => Roots
        .Select(r => TrimSeparator(Path.GetFullPath(r)))
        .Distinct(Platform.PathComparison.Comparer)
        .ToList();

    /// <summary>The options as stored with a scan run.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads options stored with <see cref="ToJson"/>.</summary>
    public static ScanOptions FromJson(string json) =>
        JsonSerializer.Deserialize<ScanOptions>(json, JsonOptions) ?? new ScanOptions();

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal static string TrimSeparator(string path)
    {
        string trimmed = Path.TrimEndingDirectorySeparator(path);
        return trimmed.Length == 0 ? path : trimmed;
    }
}
