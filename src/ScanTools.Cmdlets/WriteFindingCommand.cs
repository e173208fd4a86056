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
public sealed class WriteFindingCommand : CatalogCommand, IDisposable
{
    private CatalogLocation? _catalog;
    private FileRecorder? _recorder;
    private bool _declined;

    /// <summary>FileInfo objects (Get-ChildItem), findings (Get-Finding), records (Start-Scan -PassThru), paths, or any objects with FullName.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>Also record the SHA-256 of files read from disk.</summary>
    [Parameter]
    public SwitchParameter Hash { get; set; }

    /// <summary>Full makes every commit wait for the disk; Normal is faster.</summary>
    [Parameter]
    public Durability Durability { get; set; } = Durability.Normal;

    /// <summary>Emit each record as it is accepted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        _catalog = ResolveCatalog();
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
            Record(item!);
        }
    }

    private void Record(PSObject item)
    {
        FileRecorder recorder = Recorder();
        object input = item.BaseObject;
        FileRecord record;
        try
        {
            record = input switch
            {
                FileRecord r => r,
                Finding f => FileRecord.FromFinding(f),
                DirectoryInfo d => throw new NotAFileException($"'{d.FullName}' is a folder. Write-Finding records files; use Start-Scan for folders."),
                FileSystemInfo fs => recorder.Capture(fs.FullName),
                string path => recorder.Capture(ToFileSystemPath(path)),
                _ => recorder.Capture(ToFileSystemPath(FullNameOf(item))),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or NotAFileException)
        {
            (string id, ErrorCategory category, ScanErrorKind kind) = ex switch
            {
                FileNotFoundException => ("FileNotFound", ErrorCategory.ObjectNotFound, ScanErrorKind.FileVanished),
                UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied, ScanErrorKind.AccessDenied),
                NotAFileException => ("NotAFile", ErrorCategory.InvalidArgument, ScanErrorKind.IoError),
                NoFullNameException => ("NoFullName", ErrorCategory.InvalidType, ScanErrorKind.IoError),
                ArgumentException when input is not FileSystemInfo => ("InvalidPath", ErrorCategory.InvalidArgument, ScanErrorKind.IoError),
                ArgumentException => ("NotAFile", ErrorCategory.InvalidArgument, ScanErrorKind.IoError),
                _ => ("ReadFailed", ErrorCategory.ReadError, ScanErrorKind.IoError),
            };
            if (ex is not NoFullNameException)
            {
                TryStoreError(recorder, new ScanError(PathOf(item) ?? item.ToString(), kind, ex.Message));
            }
            WriteError(new ErrorRecord(ex, id, category, item));
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
        if (PassThru)
        {
            WriteObject(record);
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
                _recorder = FileRecorder.Start(_catalog.Path, Hash, new WriterSessionOptions { Durability = Durability });
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
    }

    private static string? PathOf(PSObject item) => item.BaseObject switch
    {
        FileSystemInfo fs => fs.FullName,
        string s => s,
        _ => item.Properties["FullName"]?.Value?.ToString(),
    };

    private static string FullNameOf(PSObject input) =>
        input.Properties["FullName"]?.Value?.ToString() is { Length: > 0 } name
            ? name
            : throw new NoFullNameException($"The input ({input.BaseObject.GetType().Name}) has no FullName property. Pipe files from Get-ChildItem, findings, or paths.");

    private sealed class NotAFileException : Exception
    {
        public NotAFileException(string message)
            : base(message)
        {
        }
    }

    private sealed class NoFullNameException : ArgumentException
    {
        public NoFullNameException(string message)
            : base(message)
        {
        }
    }
}
