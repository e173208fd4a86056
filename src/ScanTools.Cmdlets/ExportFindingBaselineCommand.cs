using System.Management.Automation;
using ScanTools.Rules;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Writes piped findings to a baseline file: findings it lists are accepted, and queries given it (-Baseline) hide them.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "FindingBaseline", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportFindingBaselineCommand : PSCmdlet
{
    private readonly List<FindingMatch> _matches = new();
    private int _withoutMatches;

    /// <summary>The baseline file to write (JSON).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The findings to accept: from Get-FindingMatch, or files from Get-Finding -Rule/-Severity/-MinimumSeverity (their Matches).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    [AllowNull] // $null piped is refused as no finding (NullPiped), so that it cannot replace a file with an empty one
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>Why they are accepted (stored with each).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    /// <summary>Add to the baseline file's findings instead of replacing them (a finding already there keeps its reason unless -Reason is given).</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Replace a baseline that lists findings even when none came through the pipeline (empty it), a file that is not a baseline, or a read-only baseline (which keeps its mode).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Return the file written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Why the file is not a baseline this version reads, or null when it is one.</summary>
    private static string? NotABaseline(string path)
    {
        try
        {
            _ = FindingBaseline.Load(path);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            // Phrased to follow "is not a baseline this ScanTools reads (": "it is ..." or the reason itself, no closing stop.
            string why = ex.Message.Replace($"'{path}' ", string.Empty, StringComparison.Ordinal).Replace($"'{path}': ", string.Empty, StringComparison.Ordinal);
            return (why.StartsWith("is ", StringComparison.Ordinal) ? "it " : string.Empty) + why.TrimEnd('.');
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord() => _matches.AddRange(RuleSupport.MatchesOf(this, InputObject, ref _withoutMatches, ref _rejected));

    private int _rejected;

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RuleSupport.WarnOfFilesWithoutMatches(this, _withoutMatches);
        string path = RuleSupport.OutputFilePath(this, Path, "InvalidBaselinePath");
        RuleSupport.ThrowIfEveryObjectRefused(this, _matches.Count, _rejected, path);
        if (_matches.Count == 0 && !Append && !Force && FindingBaseline.EntriesIn(path) is int kept and > 0)
        {
            // An upstream query that found nothing (a mistyped -Rule) emptied the list of accepted findings without a word.
            WriteError(new ErrorRecord(new InvalidOperationException(
                $"No findings came through the pipeline, so the baseline '{path}' was kept as it was ({kept:N0} accepted finding{(kept == 1 ? "" : "s")}). Check the command before the pipe; to empty the baseline, add -Force."),
                "NoFindingsPiped", ErrorCategory.InvalidData, Path));
            return;
        }
        if (_matches.Count == 0 && Append && File.Exists(path))
        {
            WriteWarning($"No findings came through the pipeline; the baseline '{path}' was left as it was.");
            return;
        }
        if (Append && new FileInfo(path) is { Exists: true, Length: > 0 } && NotABaseline(path) is string notOne)
        {
            // Said before anything is read under the lock, with what to do: InvalidBaseline alone named the fault only.
            WriteError(new ErrorRecord(new IOException(
                $"'{path}' is not a baseline this ScanTools reads ({notOne}), so nothing was added to it. Give -Path a baseline that Export-FindingBaseline wrote, or a new file; to replace this file with a new baseline, leave out -Append and add -Force."),
                "FileIsNotBaseline", ErrorCategory.InvalidData, Path));
            return;
        }
        if (!Force && !Append && new FileInfo(path) is { Exists: true, Length: > 0 } && NotABaseline(path) is string why)
        {
            // A rules file or a report given as -Path by mistake was replaced without a word (Export-FindingMatch refuses the reverse).
            // Why it is not one is said: a baseline of a newer version is not "not a baseline".
            WriteError(new ErrorRecord(new IOException(
                $"'{path}' is not a baseline this ScanTools reads ({why}), so it was left as it is. Give the path of a baseline (or of a new file), or add -Force to replace it."),
                "FileIsNotBaseline", ErrorCategory.ResourceExists, Path));
            return;
        }
        RuleSupport.ThrowIfReadOnly(this, path, "baseline", Force, Path); // replaced or added to only with -Force, as Export-Csv; it keeps its mode
        int distinct = _matches.Select(m => m.Fingerprint).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        if (!ShouldProcess(path, Append ? $"Add {distinct:N0} findings to the baseline" : $"Write a baseline of {distinct:N0} findings"))
        {
            return;
        }
        IDisposable? update = null;
        try
        {
            // Appends from several processes or runspaces at once each keep their findings: read, add and replace under one lock.
            update = Append ? FindingBaseline.LockForUpdate(path, TimeSpan.FromSeconds(60)) : null;
            FindingBaseline baseline = Append && new FileInfo(path) is { Exists: true, Length: > 0 } ? RuleSupport.LoadBaseline(this, path)! : new FindingBaseline();
            foreach (FindingMatch m in _matches)
            {
                string? reason = Reason ?? m.BaselineReason;
                if (reason is null && baseline.Contains(m.Fingerprint, out string? earlier))
                {
                    reason = earlier;
                }
                baseline.Add(new FindingBaseline.Entry(m.Fingerprint, m.RuleId, m.FullName, reason));
            }
            baseline.Save(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(new IOException($"The baseline '{path}' could not be written: {ex.Message}", ex), "ExportFailed", ErrorCategory.WriteError, Path));
        }
        finally
        {
            update?.Dispose();
        }
        if (PassThru)
        {
            FileOutput.WriteItem(this, path);
        }
    }
}
