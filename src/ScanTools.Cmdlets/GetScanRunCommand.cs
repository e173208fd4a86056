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
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one" (newcomer test 81)
    [ValidateSet("Scan", "Records", "Duplicates")]
    public string[] Kind { get; set; } = Array.Empty<string>();

    /// <summary>Only the newest N runs.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    /// <summary>
    /// The RunKey of a piped scan run, bound from the pipeline: with -Database, a run whose key is not that catalog's run
    /// of the same id came from another catalog and is refused (ObjectFromOtherCatalog).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public Guid RunKey { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (FromPipeline(nameof(RunKey)))
        {
            NotePipedRun(Id, RunKey); // a run of catalog A piped with -Database B listed B's run of that id (newcomer test 76)
        }
        if (!FirstTimeFor(string.Join(',', Id)))
        {
            return;
        }
        var query = new ScanRunQuery
        {
            Id = Id, // less the piped runs of another catalog, below
            Status = Status,
            Kind = Kind,
            Last = MyInvocation.BoundParameters.ContainsKey(nameof(Last)) ? Last : null,
        };
        ReadCatalog(reader =>
        {
            if (Id.Length > 0 && ForeignRuns(reader, Id) is { Count: > 0 } foreign)
            {
                long[] own = Id.Except(foreign).ToArray();
                if (own.Length == 0)
                {
                    return;
                }
                query = query with { Id = own };
            }
            // As Get-Process -Id: an id the catalog does not hold is an error of its own, the others are returned.
            foreach (long missing in Id.Length == 0 ? Array.Empty<long>() : reader.MissingRuns(Id))
            {
                WriteError(new ErrorRecord(CatalogReader.NoRunError(new[] { missing }), "ScanRunNotFound", ErrorCategory.ObjectNotFound, missing));
            }
            WriteObject(reader.GetScanRuns(query), enumerateCollection: true);
        });
    }
}
