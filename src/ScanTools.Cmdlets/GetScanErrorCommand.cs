using System.Management.Automation;
using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Lists the error items scans stored: unreadable folders, vanished files, odd names.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ScanError")]
[OutputType(typeof(ScanError))]
public sealed class GetScanErrorCommand : CatalogReadCommand
{
    /// <summary>Only errors of these runs. Binds a piped scan run. All runs when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(ScanRunIdCompleter))]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    public long[] ScanId { get; set; } = Array.Empty<long>();

    /// <summary>Only errors of these kinds.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty] // $null or @() is a mistake, not "every one"
    public ScanErrorKind[] Kind { get; set; } = Array.Empty<ScanErrorKind>();

    /// <summary>
    /// The RunKey of a piped scan run, bound from the pipeline: with -Database, a run whose key is not that catalog's run
    /// of the same id came from another catalog and is refused (ObjectFromOtherCatalog).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public Guid RunKey { get; set; }

    /// <summary>At most this many.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (FromPipeline(nameof(RunKey)))
        {
            NotePipedRun(ScanId, RunKey);
        }
        if (!FirstTimeFor(string.Join(',', ScanId)))
        {
            return;
        }
        ReadCatalog(reader =>
        {
            // A run the catalog does not hold is an error, as in Get-ScanChange; the runs it holds are listed.
            IReadOnlyList<long> missing = reader.MissingRuns(ScanId);
            foreach (long run in missing)
            {
                WriteError(ErrorRecords.ForMissingRun(run));
            }
            long[] runs = ScanId.Except(missing).Except(ForeignRuns(reader, ScanId)).ToArray();
            if (ScanId.Length > 0 && runs.Length == 0)
            {
                return;
            }
            var query = new ScanErrorQuery
            {
                ScanId = runs,
                Kind = Kind,
                First = MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : null,
            };
            foreach (ScanError e in reader.GetScanErrors(query))
            {
                WriteObject(e);
            }
        });
    }
}
