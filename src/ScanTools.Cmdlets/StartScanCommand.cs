using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Scans folders in parallel and records every file in a catalog.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Scan", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(ScanRun))]
[OutputType(typeof(FileRecord))]
public sealed class StartScanCommand : CatalogWriteCommand
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly List<string> _roots = new();

    /// <summary>
    /// Folders given by name that do not exist (an unmounted share), and patterns that match nothing: reported as PathNotFound, and scanned as roots all the
    /// same, so that the run records them (RootNotFound error items, its Roots, exit code 3). A night that missed a share
    /// looked clean before: Completed, no error, exit 0.
    /// </summary>
    private readonly HashSet<string> _missing = new(StringComparer.Ordinal);
    private int _pathsReceived;
    private readonly List<string> _pathsGiven = new(); // the first few, as typed, for NoFolderToScan's message
    private volatile ScanJob? _job;

    /// <summary>Folders to scan; wildcards expand. From the pipeline by value and by property name.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Folders to scan, taken literally (no wildcards). Binds PSPath, so Get-Item | Start-Scan works.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Also record the SHA-256 of every regular file's content. On a rescan, a file whose size, times and
    /// file id are unchanged keeps its stored hash without being read.
    /// </summary>
    [Parameter]
    public SwitchParameter Hash { get; set; }

    /// <summary>Read and hash every file again, even unchanged ones (a bit-rot check). Implies -Hash.</summary>
    [Parameter]
    public SwitchParameter Rehash { get; set; }

    /// <summary>Stay on the file system of each folder given, as find -xdev does (Linux).</summary>
    [Parameter]
    public SwitchParameter OneFileSystem { get; set; }

    /// <summary>Files of .gitignore-syntax rules that apply to every folder given, relative to it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] IgnoreFile { get; set; } = Array.Empty<string>();

    /// <summary>Names of ignore files to honour where they are found in the tree, such as .gitignore.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] IgnoreFileName { get; set; } = Array.Empty<string>();

    /// <summary>For a redis:// catalog: the broker's user and password (else $env:SCANTOOLS_REDIS_PASSWORD).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <inheritdoc />
    protected override PSCredential? BrokerCredential => Credential;

    /// <inheritdoc />
    protected override bool AcceptsRemoteCatalog => true;

    /// <summary>Ids (wildcards) of the rules to apply: built-in ones and those of -RulePath. -Rule * applies them all.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] Rule { get; set; } = Array.Empty<string>();

    /// <summary>Rules files (.psd1) to read; without -Rule, their rules are the ones applied.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RulePath { get; set; } = Array.Empty<string>();

    /// <summary>Ids (wildcards) of rules not to apply, out of those -Rule and -RulePath select.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] ExcludeRule { get; set; } = Array.Empty<string>();

    /// <summary>Largest file, in bytes, whose content the rules read (10 MiB by default; at most 1 GiB, and files over 1,073,741,791 bytes are never read).</summary>
    [Parameter]
    [ValidateRange(1L, 1L << 30)]
    public long ContentSizeLimit { get; set; } = ScanTools.Rules.RuleSet.DefaultContentSizeLimit;

    /// <summary>Wildcards of names (or of paths relative to a root, with a separator) to leave out.</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] Exclude { get; set; } = Array.Empty<string>();

    /// <summary>How many folder levels below each root to enter; 0 scans only the root's own files.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDepth { get; set; }

    /// <summary>Enter directory links (loops are detected and reported).</summary>
    [Parameter]
    public SwitchParameter FollowSymlink { get; set; }

    /// <summary>How many folders are listed at once. Default: the number of cores.</summary>
    [Parameter]
    [ValidateRange(1, ScanOptions.MaxThrottleLimit)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Emit each file record as it is found, before the scan-run object.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Full makes every commit wait for the disk (survives power loss); Normal is faster.</summary>
    [Parameter]
    public Durability Durability { get => (Durability)_durability; set => _durability = (int)value; }

    private int _durability = (int)Durability.Normal; // An int, not the enum: PowerShell loads this class before the engine can be resolved (ModuleLifecycle).

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        _pathsReceived += (literal ? LiteralPath : Path).Length;
        _pathsGiven.AddRange((literal ? LiteralPath : Path).Take(Math.Max(0, 4 - _pathsGiven.Count)));
        foreach (string p in literal ? LiteralPath : Path)
        {
            try
            {
                if (!SessionState.Path.IsPSAbsolute(p, out _) && SessionState.Path.CurrentLocation.Provider.Name != "FileSystem")
                {
                    // In Env: (or HKLM:), 'small' was looked up there: "Cannot find path 'Env:/small'", then "'small' does not
                    // exist" (newcomer test 73).
                    throw new ArgumentException($"'{p}' is relative to the current location '{SessionState.Path.CurrentLocation}', which is not a folder (it is of the {SessionState.Path.CurrentLocation.Provider.Name} provider). Give the folder's full path, or Set-Location to a folder first.");
                }
                IEnumerable<string> resolved = literal
                    ? new[] { ToFileSystemPath(p) }
                    : SessionState.Path.GetResolvedProviderPathFromPSPath(p, out ProviderInfo provider) is var paths && provider.Name == "FileSystem"
                        ? paths
                        : throw new ArgumentException($"'{p}' is a path of the {provider.Name} provider; Start-Scan scans file-system folders.");
                if (!literal && !resolved.Any() && TryFileSystemPath(p) is string named && Directory.Exists(named))
                {
                    // A folder whose own name reads as a pattern that matches nothing ('br[a]ck'): scan it as named, as for an
                    // unclosed '[' below. It was reported missing, then scanned all the same as a missing root, in a clean run.
                    _roots.Add(named);
                    continue;
                }
                if (!literal && !resolved.Any())
                {
                    WriteError(ErrorRecords.Shown(new ErrorRecord(new FolderNotFoundException($"No folder matches '{p}'; when other folders are scanned, the run records it as a RootNotFound error item."), "PathNotFound", ErrorCategory.ObjectNotFound, p))); // a hostile name reaches the terminal escaped
                    NoteRefused(p, "matches no folder");
                    RecordMissing(ToFileSystemPath(p)); // /mnt/share* with the share unmounted must not make a clean night either
                    continue;
                }
                bool pattern = !literal && WildcardPattern.ContainsWildcardCharacters(p);
                int folders = 0;
                foreach (string folder in resolved)
                {
                    if (Directory.Exists(folder))
                    {
                        _roots.Add(folder);
                        folders++;
                    }
                    else if (pattern && File.Exists(folder))
                    {
                        WriteVerbose($"Skipped '{folder}': the pattern '{p}' matched a file, not a folder.");
                    }
                    else if (File.Exists(folder))
                    {
                        WriteError(ErrorRecords.ForBadArgument(new ScanArgumentException($"'{folder}' is a file, not a folder. Give its folder, or record the file with Write-Finding; when other folders are scanned, the run records it as a RootNotFound error item."),
                            "PathIsFile", folder));
                        NoteRefused(folder, "is a file");
                        RecordMissing(folder); // a scheduled root that became a file must not make a clean night (Errors 0, exit code 0)
                    }
                    else
                    {
                        WriteError(ErrorRecords.Shown(new ErrorRecord(new FolderNotFoundException($"Cannot find the folder '{folder}' because it does not exist; when other folders are scanned, the run records it as a RootNotFound error item."),
                            "PathNotFound", ErrorCategory.ObjectNotFound, folder)));
                        NoteRefused(folder, "does not exist");
                        RecordMissing(folder);
                    }
                }
                if (pattern && folders == 0 && resolved.Any())
                {
                    WriteError(ErrorRecords.Shown(new ErrorRecord(new FolderNotFoundException($"No folder matches '{p}' (only files do)."), "PathNotFound", ErrorCategory.ObjectNotFound, p))); // a hostile name reaches the terminal escaped
                    NoteRefused(p, "matches only files");
                }
            }
            catch (ItemNotFoundException ex)
            {
                WriteError(ErrorRecords.Shown(new ErrorRecord(ex as FolderNotFoundException ?? new FolderNotFoundException(ex.Message, ex), "PathNotFound", ErrorCategory.ObjectNotFound, p))); // a hostile name reaches the terminal escaped
                NoteRefused(p, "does not exist");
                if (!literal && TryFileSystemPath(p) is string gone)
                {
                    RecordMissing(gone); // a folder by name, or a pattern that matched nothing
                }
            }
            catch (WildcardPatternException ex)
            {
                // A folder named with an unclosed '[' (any name with an ESC colour code has one): PowerShell cannot read -Path
                // as a pattern. The folder exists under that exact name: scan it, as -LiteralPath would. It ended the whole
                // command before, other folders included.
                if (TryFileSystemPath(p) is string folder && Directory.Exists(folder))
                {
                    _roots.Add(folder);
                }
                else
                {
                    WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                        $"'{p}' is not a valid wildcard pattern ({ex.Message}), and no folder has that exact name. Give the path with -LiteralPath to take it as written.", ex), "InvalidPath", p));
                    NoteRefused(p, "is not a valid wildcard pattern");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException)
            {
                WriteError(ErrorRecords.ForBadArgument(ex, "InvalidPath", p));
                NoteRefused(p, ex.Message.Contains("is relative to the current location", StringComparison.Ordinal) ? "is relative to a location that is not a folder" : "is not a usable path");
            }
        }
    }

    /// <summary>Why the first few paths were refused, for NoFolderToScan's message: the errors themselves may be hidden (-ErrorAction SilentlyContinue in a crontab line).</summary>
    private readonly List<string> _refused = new();
    private int _refusedCount;

    private void NoteRefused(string path, string why)
    {
        if (_refusedCount++ < 4)
        {
            _refused.Add($"'{ScanTools.Hosting.DisplayText.Escape(TryFileSystemPath(path) ?? path)}' {why}");
        }
    }

    private void RecordMissing(string folder)
    {
        if (_missing.Add(System.IO.Path.TrimEndingDirectorySeparator(folder)))
        {
            _roots.Add(folder);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_roots.Count == _missing.Count)
        {
            // Every path failed and was reported; a scheduled scan must not end as if it had scanned.
            ThrowTerminatingError(new ErrorRecord(
                new ScanArgumentException(_pathsReceived == 0
                    ? "Nothing to scan: no folder came through the pipeline (it was empty, or PowerShell refused what came, such as an empty string, in the errors before this one). No run was recorded."
                    : _refused.Count > 0
                        ? $"Nothing to scan: none of the paths given is a folder: {string.Join("; ", _refused)}{(_refusedCount > _refused.Count ? $"; and {_refusedCount - _refused.Count:N0} more (see the errors before this one)" : string.Empty)}. No run was recorded."
                        : $"Nothing to scan: none of the paths given is a folder ({string.Join(", ", _pathsGiven.Select(g => "'" + ScanTools.Hosting.DisplayText.Escape(TryFileSystemPath(g) ?? g) + "'"))}{(_pathsReceived > _pathsGiven.Count ? $" and {_pathsReceived - _pathsGiven.Count:N0} more" : string.Empty)}; the errors before this one say why). No run was recorded."),
                "NoFolderToScan", ErrorCategory.InvalidArgument, null));
            return;
        }
        CatalogLocation catalog = ResolveCatalog();
        var options = new ScanOptions
        {
            Roots = _roots,
            Exclude = Exclude,
            MaxDepth = MyInvocation.BoundParameters.ContainsKey(nameof(MaxDepth)) ? MaxDepth : null,
            FollowSymlinks = FollowSymlink,
            ThrottleLimit = ThrottleLimit,
            Hash = Hash,
            Rehash = Rehash,
            OneFileSystem = OneFileSystem,
            IgnoreFile = IgnoreFile.Select(ResolveIgnoreFile).ToList(),
            IgnoreFileName = IgnoreFileName,
            Rules = RuleSupport.Load(this, Rule, RulePath, ExcludeRule),
            RulePath = RulePath.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToList(),
            ContentSizeLimit = ContentSizeLimit,
        };
        if (options.Rules is null && MyInvocation.BoundParameters.ContainsKey(nameof(ContentSizeLimit)))
        {
            WriteWarning("-ContentSizeLimit sets how much of a file the content rules read, and no rule is applied (neither -Rule nor -RulePath is given), so it changes nothing. Add -Rule * to apply the built-in rules.");
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(ex.Message, ex), "InvalidScanOptions", ErrorCategory.InvalidArgument, options.ToJson()));
        }
        ThrowIfCatalogUnusableForWhatIf(catalog);
        if (!ShouldProcess(DisplayText.Escape(catalog.Path)!, DisplayText.Escape($"Scan {string.Join(", ", options.NormalizedRoots())}")!))
        {
            return;
        }
        WriteVerbose($"Catalog: {catalog}");

        ScanRun run;
        try
        {
            catalog.PrepareForWriting();
            using IDisposable? remote = OpenRemote(catalog);
            ScanJob started;
            try
            {
                started = ScanJob.Start(catalog.Path, options, new ScanJobSettings
                {
                    BrokerPassword = BrokerPassword,
                    PassThru = PassThru,
                    ReportErrors = true,
                    SessionOptions = new WriterSessionOptions { Durability = Durability },
                });
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(ex.Message, ex), "InvalidScanOptions", ErrorCategory.InvalidArgument, options.ToJson()));
                return;
            }
            using ScanJob job = started;
            _job = job;
            var progress = new ProgressRecord(0x5C4E, ProgressText.Activity(options.NormalizedRoots()), "Starting") { PercentComplete = -1 };
            try
            {
                run = job.Pump(new ScanObserver
                {
                    OnRecord = WriteObject,
                    OnError = e =>
                    {
                        if (e.Kind != ScanErrorKind.RootNotFound || !_missing.Contains(System.IO.Path.TrimEndingDirectorySeparator(e.FullName)))
                        {
                            WriteError(ScanErrorRecord(e)); // a missing root was reported as PathNotFound already
                        }
                    },
                    OnProgress = p =>
                    {
                        progress.StatusDescription = ProgressText.Status(p);
                        progress.CurrentOperation = ProgressText.CurrentOperation(p);
                        WriteProgress(progress);
                    },
                    ProgressInterval = TimeSpan.FromMilliseconds(250),
                });
            }
            catch (PipelineStoppedException)
            {
                TellHostWhatWasKept(job);
                throw;
            }
            if (Stopping)
            {
                TellHostWhatWasKept(job); // Ctrl+C arrived as the scan ended: no more pipeline output
                return;
            }
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            ScanProgressSnapshot done = job.Progress.Snapshot();
            if (options.Hashes)
            {
                WriteVerbose($"Hashed {done.FilesHashed:N0} file{(done.FilesHashed == 1 ? "" : "s")} ({ByteSize.Format(done.BytesHashed)} read); kept the stored hash of {done.HashesKept:N0} unchanged file{(done.HashesKept == 1 ? "" : "s")}.");
            }
            if (done.Skipped > 0)
            {
                WriteVerbose($"Left out {done.Skipped:N0} {(done.Skipped == 1 ? "entry" : "entries")} (-Exclude, ignore rules, -OneFileSystem, -MaxDepth); the catalog keeps what it knew of them.");
            }
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
            return;
        }
        finally
        {
            _job = null;
        }
        if (run.Status == ScanRunStatus.Failed)
        {
            WriteWarning($"Scan {run.Id} failed: {run.Message}");
        }
        else if (run.Status == ScanRunStatus.Cancelled && !ProcessShutdown.Signalled)
        {
            // After a signal its handler writes this line to the error stream (ProcessShutdown): once is enough.
            WriteWarning(ProgressText.Stopped(run));
        }
        WriteObject(run);
        ProcessShutdown.WaitForShutdown(); // after a signal, the process ends as it asks (143), not as the script would
    }

    /// <summary>
    /// After Ctrl+C the pipeline takes no more output, but the host can still be told, in one line, what
    /// the stopped run kept.
    /// </summary>
    private void TellHostWhatWasKept(ScanJob job)
    {
        if (job.Completion.IsCompletedSuccessfully)
        {
            Host.UI.WriteWarningLine(ProgressText.Stopped(job.Completion.Result));
        }
    }

    /// <summary>An -IgnoreFile as a file-system path; a missing one is an InvalidScanOptions error before anything is scanned.</summary>
    private string ResolveIgnoreFile(string path)
    {
        string resolved;
        try
        {
            resolved = ToFileSystemPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSInvalidOperationException)
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException($"-IgnoreFile '{path}' is not usable: {ex.Message}", ex), "InvalidScanOptions", ErrorCategory.InvalidArgument, path));
            throw; // not reached
        }
        if (Directory.Exists(resolved))
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException($"The ignore file '{resolved}' is a folder. Give the path of a file of .gitignore-syntax rules."),
                "InvalidScanOptions", ErrorCategory.InvalidArgument, path));
        }
        if (!File.Exists(resolved))
        {
            ThrowTerminatingError(new ErrorRecord(new ScanArgumentException($"The ignore file '{resolved}' does not exist. Give the path of a file of .gitignore-syntax rules."),
                "InvalidScanOptions", ErrorCategory.ObjectNotFound, path));
        }
        return resolved;
    }

    /// <summary>Ctrl+C: the scan stops, commits what it accepted and ends Cancelled.</summary>
    protected override void StopProcessing() => _job?.Cancel("Stopped by Ctrl+C (or a request to stop the pipeline)");
}
