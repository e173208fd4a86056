using System.Management.Automation;
using System.Text;
using ScanTools.Rules;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Writes piped findings (Get-FindingMatch) to a SARIF 2.1.0 or CSV file for the systems that collect findings.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "FindingMatch", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFindingMatchCommand : PSCmdlet
{
    private readonly List<FindingMatch> _matches = new();
    private readonly HashSet<string> _fingerprints = new(StringComparer.OrdinalIgnoreCase);
    private int _withoutMatches;
    private int _rejected;

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Sarif or Csv; by default from the file's extension (.sarif or .json: Sarif, .csv: Csv).</summary>
    [Parameter]
    public FindingExportFormat Format { get => (FindingExportFormat)_format; set => _format = (int)value; }

    private int _format; // an int, not the enum: value-type fields of engine types would load the engine before ModuleLifecycle can resolve it

    /// <summary>The findings: from Get-FindingMatch, or files from Get-Finding -Rule/-Severity/-MinimumSeverity (their Matches).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    [AllowNull] // $null piped is refused as no finding (NullPiped), so that it cannot replace a file with an empty one
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>Rules files whose descriptions the SARIF file should carry (built-in rules are described anyway).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RulePath { get; set; } = Array.Empty<string>();

    /// <summary>Do not replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replace -Path even when it is a ScanTools baseline (Export-FindingBaseline's file) or read-only (it keeps its mode).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Return the file written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (FindingMatch m in RuleSupport.MatchesOf(this, InputObject, ref _withoutMatches, ref _rejected))
        {
            if (_fingerprints.Add(m.Fingerprint))
            {
                _matches.Add(m); // a finding piped twice is one result, as it is one finding
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RuleSupport.WarnOfFilesWithoutMatches(this, _withoutMatches);
        string path = RuleSupport.OutputFilePath(this, Path, "InvalidExportPath");
        RuleSupport.ThrowIfEveryObjectRefused(this, _matches.Count, _rejected, path);
        FindingExportFormat format;
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Format)))
        {
            format = Format;
        }
        else if ((FindingExport.FormatOf(RuleSupport.FileSystemPath(this, Path, "InvalidExportPath")) ?? FindingExport.FormatOf(path)) is FindingExportFormat f)
        {
            format = f; // the name typed decides, then the file a link names: a link report.csv to target.txt writes CSV
        }
        else
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException($"'{path}' does not say which format to write: name it .sarif or .csv, or add -Format Sarif or -Format Csv."), "UnknownExportFormat", Path));
            return;
        }
        if (!Force && FindingBaseline.EntriesIn(path) is int accepted)
        {
            // .json means SARIF: a baseline named accepted.json was replaced by a report, its accepted findings gone.
            ThrowTerminatingError(new ErrorRecord(new IOException(
                $"'{path}' is a ScanTools baseline ({accepted:N0} accepted finding{(accepted == 1 ? "" : "s")}); Export-FindingMatch would replace it with a report. Choose another -Path, or add -Force to replace it."),
                "FileIsBaseline", ErrorCategory.ResourceExists, Path));
        }
        if (NoClobber && File.Exists(path))
        {
            ThrowTerminatingError(new ErrorRecord(new IOException($"'{path}' exists and -NoClobber is set; choose another -Path or leave out -NoClobber."),
                "FileExists", ErrorCategory.ResourceExists, Path));
        }
        RuleSupport.ThrowIfReadOnly(this, path, "file", Force, Path); // replaced or added to only with -Force, as Export-Csv; it keeps its mode
        if (!ShouldProcess(path, $"Write {_matches.Count:N0} findings as {format}"))
        {
            return;
        }
        if (_matches.Count == 0 && File.Exists(path) && new FileInfo(path).Length > 0)
        {
            // An upstream mistake (-ScanId 9999 -ErrorAction SilentlyContinue, a typed -Rule) replaced a 9 KB report with a
            // header only, a "nothing found" that read as clean (newcomer test 74). It is still written, as CI needs.
            WriteWarning($"No finding was piped, so '{path}' now holds none, where it held a report before. If the command before the pipe failed or its filter matched nothing by mistake, the earlier report is gone; use -NoClobber to keep an existing file.");
        }
        RuleSet rules = RuleSupport.LoadAll(this, RulePath);
        string temp = System.IO.Path.Join(System.IO.Path.GetDirectoryName(path), $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                if (format == FindingExportFormat.Sarif)
                {
                    FindingExport.WriteSarif(stream, _matches, rules, typeof(FindingExport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
                }
                else
                {
                    using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                    FindingExport.WriteCsv(writer, _matches);
                }
            }
            ScanTools.Platform.ReplacedFile.Replace(temp, path); // keeps a replaced report's mode (chmod 600 stayed 600)
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(new IOException($"'{path}' could not be written: {ex.Message}", ex), "ExportFailed", ErrorCategory.WriteError, Path));
        }
        finally
        {
            File.Delete(temp);
        }
        if (PassThru)
        {
            FileOutput.WriteItem(this, path);
        }
    }
}
