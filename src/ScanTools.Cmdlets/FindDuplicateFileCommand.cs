using System.Management.Automation;
using ScanTools.Duplicates;
using ScanTools.Hosting;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Finds files with identical content among the files a catalog records, reading only what it must.</para>
/// </summary>
[Cmdlet(VerbsCommon.Find, "DuplicateFile", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DuplicateGroup))]
public sealed class FindDuplicateFileCommand : CatalogReadCommand
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Only files in or below these folders (full-path wildcards as for Get-Finding). Default: the whole catalog.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Folders or files taken literally. Binds the PSPath of piped findings and files: the search is then among the
    /// piped files alone. (Before, nothing bound them and the whole catalog was searched, so
    /// <c>Get-Finding -Path X | Find-DuplicateFile | Remove-Item</c> removed copies outside X.)
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("LP", "PSPath", "FullName")]
    [AllowNull, AllowEmptyString, AllowEmptyCollection] // an empty PSPath of a piped finding: LiteralPathsGiven
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The piped object itself: a string is a path taken literally (Get-Content list.txt | Find-DuplicateFile); any other
    /// object that gives no path (no PSPath or FullName) is the error InputObjectNotBound. Before, a piped string was
    /// PowerShell's binding error, followed by a warning that no file was piped (newcomer test 78).
    /// </summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>The most paths the search takes, given or piped: each is a condition of the catalog query (<see cref="FindingQuery.MaxPaths"/>).</summary>
    public const int MaxPipedPaths = FindingQuery.MaxPaths;

    private readonly List<string> _literal = new();
    private readonly List<string> _typedLiteral = new(); // warned of when no scan recorded them
    private readonly List<string> _catalogs = new();
    private bool _pipedPaths; // a piped object gave paths: the search is among them, never the whole catalog
    private bool _piped; // an object was piped that gave no path (each was an error)

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (FromPipeline(nameof(Database)) && ResolveCatalog().Path is string catalog && !_catalogs.Contains(catalog, Platform.PathComparison.Comparer))
        {
            _catalogs.Add(catalog); // one search reads one catalog: the last piped object's won, so the answer hung on the order
        }
        string[] given = Array.Empty<string>();
        if (ParameterSetName == LiteralPathSet)
        {
            if (LiteralPathsGiven(LiteralPath, InputObject) is not string[] literal)
            {
                _piped |= FromPipeline(nameof(LiteralPath));
                return;
            }
            given = literal;
        }
        if (FromPipeline(nameof(InputObject)) && !FromPipeline(nameof(LiteralPath)))
        {
            _piped = true;
            if (InputObject?.BaseObject is string text && !string.IsNullOrWhiteSpace(text))
            {
                given = new[] { text };
            }
            else if (InputObject?.BaseObject is null or string)
            {
                WriteEmptyPathPiped(InputObject); // a blank line of a list names no file
                return;
            }
            else
            {
                WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"A piped {DisplayText.Escape(InputObject.BaseObject.GetType().Name)} gives Find-DuplicateFile no path (no PSPath or FullName), so it adds no file to the search. Pipe files, findings or paths (strings)."),
                    "InputObjectNotBound", InputObject));
                return;
            }
        }
        if (given.Length > 0)
        {
            if (!FromPipeline(nameof(LiteralPath)) && !FromPipeline(nameof(InputObject)))
            {
                _typedLiteral.AddRange(given);
            }
            else
            {
                _pipedPaths = true;
            }
            _literal.AddRange(given);
            if (_literal.Count > MaxPipedPaths)
            {
                ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"Find-DuplicateFile takes at most {MaxPipedPaths:N0} paths; more were given or piped. Give their folders with -Path instead (Find-DuplicateFile -Path /srv/share)."),
                    "InvalidFilter", null));
            }
        }
    }

    /// <summary>
    /// The group without the names in LiteralPath that hold '\' off Windows, each with a warning: PowerShell's FileSystem
    /// provider reads '\' as a folder separator there even in -LiteralPath, so | Remove-Item removed 'back/slash.txt', a
    /// file of other content, instead of the copy 'back\slash.txt' (newcomer test 74). They stay in Files.
    /// </summary>
    private DuplicateGroup WithoutBackslashNames(DuplicateGroup group)
    {
        if (!group.LiteralPath.Any(ScanTools.Platform.PowerShellPath.IsMisread))
        {
            return group;
        }
        var kept = new List<string>();
        foreach (string path in group.LiteralPath)
        {
            if (!ScanTools.Platform.PowerShellPath.IsMisread(path))
            {
                kept.Add(path);
                continue;
            }
            WriteWarning($"The copy '{DisplayText.Escape(path)}' has '\\' in its path, which PowerShell on this system reads as a folder separator even in -LiteralPath: Remove-Item would remove '{DisplayText.Escape(path.Replace('\\', '/'))}' (another file, or nothing) instead. It is left out of the group's LiteralPath (it stays in Files); remove it with rm, or rename it first.");
        }
        return new DuplicateGroup
        {
            Sha256 = group.Sha256,
            Length = group.Length,
            Count = group.Count,
            Keep = group.Keep,
            LiteralPath = new PathList(kept),
            Files = group.Files,
            Database = group.Database,
        };
    }

    /// <summary>Smallest file size considered, in bytes (1MB works). Default 1: empty files are left out; 0 includes them.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MinSize { get; set; } = 1;

    /// <summary>How many files are read at once. Default: the number of cores.</summary>
    [Parameter]
    [ValidateRange(1, Scanning.ScanOptions.MaxThrottleLimit)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Do not write the SHA-256 digests computed back to the catalog.</summary>
    [Parameter]
    public SwitchParameter NoStore { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (MyInvocation.ExpectingInput && !_pipedPaths && Path.Length == 0 && _typedLiteral.Count == 0)
        {
            // Nothing piped gave a path (an empty pipeline: Get-Finding -Path /srv/typo | Find-DuplicateFile): the search is
            // among the piped files alone, so there is none. It searched the whole catalog, and | Remove-Item removed copies
            // far outside the folder meant (newcomer test 74).
            WriteWarning(_piped
                ? "No piped object gave a file's path, so Find-DuplicateFile searched nothing (piped, it searches among the piped files alone). To search the whole catalog, run it without pipeline input, or give -Path."
                : "No file was piped, so Find-DuplicateFile searched nothing (piped, it searches among the piped files alone). To search the whole catalog, run it without pipeline input, or give -Path.");
            return;
        }
        if (_catalogs.Count > 1)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new Scanning.ScanArgumentException(
                $"The files come from {_catalogs.Count} catalogs ({string.Join(", ", _catalogs)}), and Find-DuplicateFile searches one. Pipe the files of one catalog, or search each catalog on its own."),
                "InvalidFilter", null));
        }
        string[] scope;
        try
        {
            // Piped strings (taken literally) may come with -Path: files in either are searched.
            scope = LiteralPatterns(_literal.Distinct(StringComparer.Ordinal)).Concat(Path.Select(PathPattern)).ToArray();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
            return;
        }
        CatalogLocation catalog = ResolveCatalog();
        var finder = new DuplicateFinder();
        var options = new DuplicateSearchOptions
        {
            Path = scope,
            MinSize = MinSize,
            ThrottleLimit = ThrottleLimit,
            StoreHashes = !NoStore,
            // Reported while the search runs, once stored: -ErrorAction Stop at one ends the run Cancelled.
            ProblemFound = problem => WriteError(ErrorRecords.ForScanError(problem)),
        };
        bool any = false;
        try
        {
            foreach (DuplicateGroup group in finder.Find(catalog.Path, options, _stop.Token))
            {
                any = true;
                WriteObject(WithoutBackslashNames(group));
            }
        }
        catch (CatalogException ex) when (ex.Code == CatalogErrorCode.ReadOnly && !NoStore)
        {
            // Only the hashes it computes are written: a catalog that cannot be written is still searched with -NoStore.
            ThrowTerminatingError(CatalogError(new CatalogException(ex.Code, ex.DatabasePath,
                $"{ex.Message} Find-DuplicateFile stores the hashes it computes in the catalog; add -NoStore to search a catalog it cannot write without storing them.", ex)));
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
        }
        catch (OperationCanceledException)
        {
            return; // Ctrl+C: hashes computed so far are stored
        }
        if (!any && (_typedLiteral.Count > 0 || Path.Length > 0))
        {
            // As Get-Finding: a typo in a path looked like a folder without copies.
            // A wildcard -Path that matched files which have no copies is not the typo the warning is for (newcomer test 78).
            QueryCatalog(reader => WarnOfUnknownPaths(reader, _typedLiteral,
                Path.Where(p => !WildcardPattern.ContainsWildcardCharacters(p) || !reader.FindFiles(new FindingQuery { Path = new[] { PathPattern(p) } }).Any()).ToArray()));
        }
        DuplicateSearchStatistics s = finder.Statistics;
        WriteVerbose($"{s.Candidates:N0} files considered, {s.SizeMatched:N0} shared a size; read the first and last blocks of {s.Prefiltered:N0} and the whole of {s.FullyHashed:N0} ({ByteSize.Format(s.BytesRead)}); used {s.StoredHashesUsed:N0} stored hashes; stored {s.HashesStored:N0} new ones.");
        if (s.Stale > 0)
        {
            WriteWarning(s.Stale == 1
                ? "1 file the catalog holds is gone, changed or replaced by another file since it was scanned; it was left out. Scan again to bring the catalog up to date."
                : $"{s.Stale:N0} files the catalog holds are gone, changed or replaced by other files since they were scanned; they were left out. Scan again to bring the catalog up to date.");
        }
    }

    /// <summary>Ctrl+C: stops reading; what was hashed so far is stored.</summary>
    protected override void StopProcessing() => _stop.Cancel();
}
