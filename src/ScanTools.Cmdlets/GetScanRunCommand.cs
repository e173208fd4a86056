using System.Management.Automation;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists the scan runs a catalog records, newest first.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanRun")]
[OutputType(typeof(ScanRun))]
public sealed class GetScanRunCommand : CatalogReadCommand
{
    /// <summary>Only these run ids.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ScanId")]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    [ValidateRange(1, long.MaxValue)] // run ids start at 1: -Id -5 listed nothing without a word (newcomer test 75)
    public long[] Id { get; set; } = Array.Empty<long>();

    /// <summary>Only runs in these states.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    public ScanRunStatus[] Status { get; set; } = Array.Empty<ScanRunStatus>();

    /// <summary>
    /// Only runs of these kinds: Scan (Start-Scan), Records (Write-Finding), Duplicates (Find-DuplicateFile, which hashes
    /// and records files too). With -Last, the newest N of those: Get-ScanRun -Kind Scan -Last 1 is the latest scan.
    /// </summary>
    [Parameter]
    [ValidateSet("Scan", "Records", "Duplicates")]
    public string[] Kind { get; set; } = Array.Empty<string>();

    /// <summary>Only the newest N runs.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!FirstTimeFor(string.Join(',', Id)))
        {
            return;
        }
        var query = new ScanRunQuery
        {
            Id = Id,
            Status = Status,
            Kind = Kind,
            Last = MyInvocation.BoundParameters.ContainsKey(nameof(Last)) ? Last : null,
        };
        ReadCatalog(reader =>
        {
            // As Get-Process -Id: an id the catalog does not hold is an error of its own, the others are returned.
            foreach (long missing in Id.Length == 0 ? Array.Empty<long>() : reader.MissingRuns(Id))
            {
                WriteError(new ErrorRecord(CatalogReader.NoRunError(new[] { missing }), "ScanRunNotFound", ErrorCategory.ObjectNotFound, missing));
            }
            WriteObject(reader.GetScanRuns(query), enumerateCollection: true);
        });
    }
}
