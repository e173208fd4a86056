namespace ScanTools.Storage;

/// <summary>Which findings a state filter keeps.</summary>
public enum FindingState
{
    /// <summary>Files present at their folder's last scan (the default).</summary>
    Present = 0,
    /// <summary>Files a later scan found gone.</summary>
    Removed = 1,
    /// <summary>Both.</summary>
    All = 2,
}

/// <summary>The order findings come in.</summary>
public enum FindingSort
{
    /// <summary>By folder path, then name (streams without sorting).</summary>
    Path = 0,
    /// <summary>By name.</summary>
    Name = 1,
    /// <summary>By size.</summary>
    Size = 2,
    /// <summary>By last write time.</summary>
    Modified = 3,
}

/// <summary>
/// A filter over the files of a catalog. Every set filter must hold; several values of one filter
/// (two extensions, two name patterns) are alternatives. It compiles to parameterised SQL that uses
/// the catalog's indexes where the filter allows.
/// </summary>
public sealed record FindingQuery
{
    /// <summary>
    /// Full-path wildcards. A path without wildcards means that file, or everything under that folder.
    /// Case follows the platform (ignored on Windows and macOS).
    /// </summary>
    public IReadOnlyList<string> Path { get; init; } = Array.Empty<string>();

    /// <summary>File-name wildcards; case is ignored.</summary>
    public IReadOnlyList<string> Name { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Extensions as <c>log</c>, <c>.log</c> or <c>*.log</c>; case is ignored. An empty string means "no
    /// extension". Other wildcards are refused (use <see cref="Name"/> for patterns).
    /// </summary>
    public IReadOnlyList<string> Extension { get; init; } = Array.Empty<string>();

    /// <summary>Smallest size in bytes, inclusive.</summary>
    public long? MinSize { get; init; }

    /// <summary>Largest size in bytes, inclusive.</summary>
    public long? MaxSize { get; init; }

    /// <summary>Only files last written after this time (a local time is converted to UTC).</summary>
    public DateTime? ModifiedAfter { get; init; }

    /// <summary>Only files last written before this time.</summary>
    public DateTime? ModifiedBefore { get; init; }

    /// <summary>SHA-256 digests (64 hex digits, any case).</summary>
    public IReadOnlyList<string> Hash { get; init; } = Array.Empty<string>();

    /// <summary>
    /// A scan run: for present files, those whose most recent sighting is that run; for removed files,
    /// those that run found gone.
    /// </summary>
    public long? ScanId { get; init; }

    /// <summary>Present files (default), removed files, or both.</summary>
    public FindingState State { get; init; } = FindingState.Present;

    /// <summary>Order of results.</summary>
    public FindingSort SortBy { get; init; } = FindingSort.Path;

    /// <summary>Reverse the order.</summary>
    public bool Descending { get; init; }

    /// <summary>At most this many results; null for all.</summary>
    public int? First { get; init; }

    /// <summary>
    /// Only files with open findings that pass these rule filters (-Rule, -Severity, -MinimumSeverity); each
    /// file then carries them in <see cref="Finding.Matches"/>, its baselined ones left out unless included.
    /// Null, or no rule filter set: files are not filtered by findings.
    /// </summary>
    public Rules.FindingMatchQuery? Findings { get; init; }

    /// <summary>
    /// The stored form of an extension: with its dot. <c>log</c>, <c>.log</c> and <c>*.log</c> are the same. Spaces
    /// after it are part of it (a file named <c>'a.txt '</c> has the extension <c>'.txt '</c>, which only <c>'.txt '</c>
    /// selects); spaces before it are dropped.
    /// </summary>
    /// <exception cref="ArgumentException">A wildcard pattern, or a double extension the catalog cannot match.</exception>
    public static string NormalizeExtension(string extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        string e = extension.TrimStart();
        if (e.StartsWith("*.", StringComparison.Ordinal))
        {
            e = e[1..];
        }
        if (e.IndexOfAny(new[] { '*', '?', '[', ']' }) >= 0)
        {
            throw new ArgumentException($"'{extension}' is a wildcard pattern; -Extension takes extensions such as log, .log or *.log. For patterns use -Name, for example -Name '*.lo?'.");
        }
        if (e.Contains('/', StringComparison.Ordinal))
        {
            // Newcomer test 73: -Extension 'a/b' matched nothing, without a word.
            throw new ArgumentException($"'{extension}' holds '/', which no file name holds; -Extension takes extensions such as log, .log or *.log. For a folder use -Path.");
        }
        if (e.Length > 0 && !e.StartsWith('.'))
        {
            e = "." + e;
        }
        if (e == ".")
        {
            throw new ArgumentException($"'{extension}' is a dot alone: a name that ends in a dot has no extension. Give -Extension '' for files without an extension, or -Name '*.' for names that end in a dot.");
        }
        if (e.LastIndexOf('.') > 0)
        {
            throw new ArgumentException($"'{extension}' has more than one dot; the catalog keeps only the last extension of a name ({e[e.LastIndexOf('.')..]} of x{e}). Use -Name '*{e}' instead.");
        }
        return e;
    }

    /// <summary>
    /// The most -Path or -LiteralPath values one query takes: 8,000. Each binds up to 4 values, and SQLite binds at most
    /// 32,766 in one statement (SQLITE_MAX_VARIABLE_NUMBER).
    /// </summary>
    public const int MaxPaths = 8_000;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the filter that cannot work.</summary>
    public void Validate()
    {
        if (MinSize is < 0 || MaxSize is < 0)
        {
            throw new ArgumentException("Sizes cannot be negative.");
        }
        if (MinSize is long min && MaxSize is long max && min > max)
        {
            throw new ArgumentException($"MinSize ({min}) is larger than MaxSize ({max}); no file can match.");
        }
        if (ModifiedAfter is DateTime after && ModifiedBefore is DateTime before && after.ToUniversalTime() >= before.ToUniversalTime())
        {
            throw new ArgumentException(after.ToUniversalTime() == before.ToUniversalTime()
                ? $"ModifiedAfter and ModifiedBefore are the same time ({after.ToUniversalTime():u}): no file was modified after it and before it. Give a later ModifiedBefore, or only one."
                : $"ModifiedAfter ({after.ToUniversalTime():u}) is not earlier than ModifiedBefore ({before.ToUniversalTime():u}); no file can match. Swap them, or give only one.");
        }
        if (First is < 0)
        {
            throw new ArgumentException("First cannot be negative.");
        }
        foreach (string e in Extension)
        {
            _ = NormalizeExtension(e);
        }
        foreach (string n in Name)
        {
            if (n.Contains('/', StringComparison.Ordinal))
            {
                // Newcomer test 73: -Name 'odd/*.txt' matched nothing, without a word.
                throw new ArgumentException($"-Name '{n}' holds '/', which no file name holds: -Name matches names, -Path matches full paths (for example -Path '*/{n}').");
            }
        }
        foreach (string h in Hash)
        {
            if (h.Length != 64 || !h.All(Uri.IsHexDigit))
            {
                throw new ArgumentException($"'{h}' is not a SHA-256 digest: give 64 hexadecimal digits.");
            }
        }
    }
}
