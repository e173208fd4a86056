using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Sessions;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Records files in a catalog through the process's shared writer session.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "Finding", SupportsShouldProcess = true)]
[OutputType(typeof(FileRecord))]
public sealed class WriteFindingCommand : CatalogWriteCommand, IDisposable
{
    private CatalogLocation? _catalog;
    private FileRecorder? _recorder;
    private IDisposable? _remote;
    private bool _declined;

    /// <summary>FileInfo objects (Get-ChildItem), findings (Get-Finding), records (Start-Scan -PassThru), paths, or any objects with FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>Also record the SHA-256 of files read from disk.</summary>
    [Parameter]
    public SwitchParameter Hash { get; set; }

    /// <summary>For a redis:// catalog: the broker's user and password (else $env:SCANTOOLS_REDIS_PASSWORD).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <inheritdoc />
    protected override PSCredential? BrokerCredential => Credential;

    /// <inheritdoc />
    protected override bool AcceptsRemoteCatalog => true;

    /// <summary>Full makes every commit wait for the disk; Normal is faster.</summary>
    [Parameter]
    public Durability Durability { get => (Durability)_durability; set => _durability = (int)value; }

    private int _durability = (int)Durability.Normal; // An int, not the enum: PowerShell loads this class before the engine can be resolved (ModuleLifecycle).

    /// <summary>Emit each record as it is accepted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        _catalog = ResolveCatalog();
        ThrowIfCatalogUnusableForWhatIf(_catalog);
        _declined = !ShouldProcess(_catalog.Path, "Record files");
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (_declined)
        {
            return;
        }
        foreach (PSObject item in InputObject)
        {
            if (item?.BaseObject is ScanRun)
            {
                WriteVerbose("Skipped a scan run object (Start-Scan -PassThru emits one after its records).");
                continue;
            }
            WarnOfOtherCatalog(item);
            Record(item!);
        }
    }

    private bool _warnedOfOtherCatalog;

    /// <summary>
    /// Once: a piped finding of a catalog is recorded into the catalog -Database names, or without it into
    /// $env:SCANTOOLS_DATABASE or the per-user catalog, never back into its own; without -Database, that surprised
    /// (Get-Finding -Database A | Write-Finding wrote the per-user catalog: newcomer test 76).
    /// </summary>
    private void WarnOfOtherCatalog(PSObject? item)
    {
        if (_warnedOfOtherCatalog || Database is not null || item?.Properties["Database"]?.Value is not string { Length: > 0 } from)
        {
            return;
        }
        _warnedOfOtherCatalog = true;
        CatalogLocation target = ResolveCatalog();
        string into = target.Path;
        if (!target.IsRemote && !ScanTools.Remote.RemoteCatalogAddress.IsRemote(from) && !Platform.PathComparison.Comparer.Equals(
            Platform.CanonicalPath.KeyOf(Platform.CanonicalPath.Resolve(from)), Platform.CanonicalPath.KeyOf(Platform.CanonicalPath.Resolve(into))))
        {
            WriteWarning($"The piped objects come from the catalog '{from}'; Write-Finding records them into '{into}', as no -Database was given (it never takes the catalog from piped objects). Give -Database to choose the catalog.");
        }
    }

    private void Record(PSObject item)
    {
        object input = item.BaseObject;
        // Before the recorder starts its run, what is refused without one: objects that name no file at all (42, @{a=1},
        // an error item) and the catalog's own files each made an empty run.
        string? named = null;
        try
        {
            named = input switch
            {
                FileRecord or Finding => null,
                FileSystemInfo fs => fs.FullName,
                string text => string.IsNullOrWhiteSpace(text) ? null : TryFileSystemPath(text, literal: true),
                _ => TryFileSystemPath(FullNameOf(item), literal: true),
            };
        }
        catch (NoFullNameException ex)
        {
            WriteError(new ErrorRecord(ex, "NoFullName", ErrorCategory.InvalidType, item));
            return;
        }
        if (named is not null && IsOwnCatalogFile(named))
        {
            WriteOwnCatalogFile(named, item);
            return;
        }
        FileRecorder recorder = Recorder();
        FileRecord record;
        IReadOnlyList<ScanError> problems = Array.Empty<ScanError>();
        try
        {
            record = input switch
            {
                FileRecord r => r,
                Finding f => FileRecord.FromFinding(f),
                DirectoryInfo d => throw new ScanItemException(ScanErrorKind.NotAFile, d.FullName, $"'{d.FullName}' is a folder. Write-Finding records files; use Start-Scan for folders."),
                FileSystemInfo fs => recorder.Capture(fs.FullName, out problems),
                string path => recorder.Capture(ProviderPathOf(path), out problems),
                _ => recorder.Capture(ProviderPathOf(FullNameOf(item)), out problems),
            };
        }
        catch (ScanItemException ex)
        {
            TryStoreError(recorder, ex.ToScanError());
            WriteError(ErrorRecords.ForInput(ex, item));
            return;
        }
        catch (NoFullNameException ex)
        {
            WriteError(new ErrorRecord(ex, "NoFullName", ErrorCategory.InvalidType, item));
            return;
        }
        if (IsOwnCatalogFile(record.FullName))
        {
            // It was counted in the run's Files and Bytes, and -PassThru returned it, but nothing was stored.
            WriteOwnCatalogFile(record.FullName, item);
            return;
        }
        try
        {
            recorder.Add(record);
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
        foreach (ScanError problem in problems)
        {
            // Recorded all the same (a clamped time, no hash): stored with the run and reported, as Start-Scan does.
            TryStoreError(recorder, problem);
            WriteError(ScanErrorRecord(problem));
        }
        ReportRefusals();
        if (PassThru)
        {
            WriteObject(record);
        }
    }

    private void WriteOwnCatalogFile(string path, PSObject item) =>
        WriteError(new ErrorRecord(new InvalidOperationException(
            $"'{ScanTools.Hosting.DisplayText.Escape(path)}' is a file of the catalog this command writes; ScanTools never records its own catalog, which changes with every commit. Record it into another catalog."),
            "OwnCatalogFile", ErrorCategory.InvalidOperation, item));

    /// <summary>Whether <paramref name="path"/> is the catalog being written or one of its side files (-wal, -shm, locks).</summary>
    private bool IsOwnCatalogFile(string path)
    {
        if (_catalog is null || ScanTools.Remote.RemoteCatalogAddress.IsRemote(_catalog.Path))
        {
            return false;
        }
        return CatalogFileGuard.IsFileOfCatalog(_catalog.Path, path);
    }

    /// <summary>Records the catalog refused to store become non-terminating errors (they are stored as error items).</summary>
    private void ReportRefusals()
    {
        foreach (ScanError refused in _recorder?.TakeRefusals() ?? Array.Empty<ScanError>())
        {
            WriteError(ScanErrorRecord(refused));
        }
    }

    /// <summary>A PowerShell path as a file-system path; another provider's path is an InvalidName item.</summary>
    private string ProviderPathOf(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            // Resolved as it is, an empty path would be the current folder: refuse it as the mistake it is.
            throw new ScanItemException(ScanErrorKind.InvalidName, path, "The input is an empty path. Give the path of a file.");
        }
        try
        {
            // Literal: a path with '\' is the file as written, as the catalog records it; resolved by PowerShell, the
            // recorded file was another one ('x\..\plain.txt' recorded plain.txt, its size and hash: newcomer test 81).
            return LiteralFileSystemPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or ItemNotFoundException)
        {
            throw new ScanItemException(ScanErrorKind.InvalidName, path, ex.Message, ex);
        }
    }

    /// <summary>The recorder, started with the first input: an empty pipeline records no run.</summary>
    private FileRecorder Recorder()
    {
        if (_recorder is null)
        {
            try
            {
                _catalog!.PrepareForWriting();
                _remote = OpenRemote(_catalog);
                _recorder = FileRecorder.Start(_catalog.Path, Hash, new WriterSessionOptions { Durability = Durability }, brokerPassword: BrokerPassword);
            }
            catch (CatalogException ex)
            {
                ThrowTerminatingError(CatalogError(ex));
            }
        }
        return _recorder!;
    }

    private void TryStoreError(FileRecorder recorder, ScanError error)
    {
        try
        {
            recorder.AddError(error);
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (_recorder is null)
        {
            return;
        }
        try
        {
            ScanRun run = _recorder.Complete();
            ReportRefusals();
            WriteVerbose($"Recorded {run.Files:N0} files as run {run.Id} in {run.Duration.TotalSeconds:0.##} s.");
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <summary>Ends the run (Cancelled if the pipeline stopped early) and releases the session.</summary>
    public void Dispose()
    {
        _recorder?.Dispose();
        _recorder = null;
        _remote?.Dispose();
        _remote = null;
    }

    /// <summary>The FullName property of an object, or the FullName key of a hashtable (@{ FullName = ... }).</summary>
    private static string FullNameOf(PSObject input)
    {
        object? value = input.Properties["FullName"]?.Value;
        if (value is null && input.BaseObject is System.Collections.IDictionary map)
        {
            foreach (System.Collections.DictionaryEntry entry in map)
            {
                if (entry.Key is string key && key.Equals("FullName", StringComparison.OrdinalIgnoreCase))
                {
                    value = entry.Value;
                    break;
                }
            }
        }
        return value?.ToString() is { Length: > 0 } name
            ? name
            : throw new NoFullNameException($"The input ({input.BaseObject.GetType().Name}) has no FullName property. Pipe files from Get-ChildItem, findings, or paths.");
    }

    /// <summary>NoFullName: with -ErrorAction Stop it ends Write-Finding, whose run then ends Cancelled.</summary>
    private sealed class NoFullNameException : Exception, IScanExitCode
    {
        public NoFullNameException(string message)
            : base(message)
        {
        }

        public ScanExitCode ExitCode => ScanExitCode.Cancelled;
    }
}
