using System.Collections.Concurrent;
using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Remote;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// <para type="synopsis">Commits what scans on other computers send to a catalog through a Redis broker: the catalog's consumer, run on the computer that holds the catalog file.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ScanConsumer", SupportsShouldProcess = true)]
[OutputType(typeof(RemoteConsumerStatus))]
public sealed class StartScanConsumerCommand : CatalogWriteCommand
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The remote catalog the scans send to: redis://host[:port]/catalog (rediss:// for TLS).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Broker { get; set; } = string.Empty;

    /// <summary>The broker's user and password (else $env:SCANTOOLS_REDIS_PASSWORD).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Stop once nothing has arrived for this long and the stream is empty (a scheduled drain); without it, run until Ctrl+C.</summary>
    [Parameter]
    public TimeSpan IdleTimeout { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        RemoteCatalogAddress address;
        string? fromUrl;
        try
        {
            address = RemoteCatalogAddress.Parse(Broker, out fromUrl);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidBroker", RemoteCatalogAddress.Redacted(Broker)));
            return;
        }
        if (address.PasswordWasInUrl)
        {
            WriteWarning($"The address of '{address}' holds a password, which stays in your command history and process list. Use -Credential or ${RemoteCatalogAddress.PasswordVariable} instead.");
        }
        string? password = RemotePublishers.PasswordFor(Credential?.GetNetworkCredential().Password, fromUrl);
        if (Credential is { UserName.Length: > 0 } c && c.UserName != "default")
        {
            address = address with { User = c.UserName };
        }
        if (IdleTimeout < TimeSpan.Zero || (IdleTimeout > TimeSpan.Zero && IdleTimeout < TimeSpan.FromSeconds(1)))
        {
            // A bare number binds as ticks: -IdleTimeout 90 is 9 microseconds, not 90 seconds.
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                $"-IdleTimeout {IdleTimeout} is {(IdleTimeout < TimeSpan.Zero ? "negative" : "less than a second")}: give a time span such as '00:01:30' or (New-TimeSpan -Minutes 2). A bare number is read as ticks of 100 ns."),
                "InvalidIdleTimeout", IdleTimeout));
        }
        CatalogLocation catalog = ResolveCatalog();
        ThrowIfCatalogUnusableForWhatIf(catalog);
        if (!ShouldProcess(catalog.Path, $"Commit what arrives on {address} into the catalog"))
        {
            return;
        }
        try
        {
            catalog.PrepareForWriting();
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
        var consumer = new RemoteConsumer(address, password, catalog.Path);
        var rejected = new ConcurrentQueue<string>();
        consumer.EntryRejected += rejected.Enqueue;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                consumer.Run(_stop.Token);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }) { IsBackground = true, Name = "ScanTools consumer" };
        thread.Start();
        var progress = new ProgressRecord(0x5C4F, $"Committing {address} into {catalog.Path}", "Starting") { PercentComplete = -1 };
        long lastCommitted = -1;
        DateTime quietSince = DateTime.UtcNow;
        while (!thread.Join(250))
        {
            RemoteConsumerStatus s = consumer.Status();
            while (rejected.TryDequeue(out string? why))
            {
                WriteError(new ErrorRecord(new InvalidDataException(why), "EntryRejected", ErrorCategory.InvalidData, address.ToString()));
            }
            progress.StatusDescription = $"{s.State}: {s.CommittedBatches:N0} batches, {s.CommittedRows:N0} rows committed; {s.DuplicateBatches:N0} resends skipped; backlog {s.Backlog:N0}";
            WriteProgress(progress);
            if (s.CommittedBatches != lastCommitted || s.Backlog > 0 || s.State != RemoteConsumerState.Active)
            {
                lastCommitted = s.CommittedBatches;
                quietSince = DateTime.UtcNow;
            }
            else if (s.LastPublisherSignUtc is DateTime sign && sign > quietSince)
            {
                // A scan that is sending, or has started and not sent yet (its process starts slowly): not idle.
                quietSince = sign;
            }
            else if (IdleTimeout > TimeSpan.Zero && DateTime.UtcNow - quietSince >= IdleTimeout)
            {
                _stop.Cancel();
            }
        }
        while (rejected.TryDequeue(out string? why))
        {
            WriteError(new ErrorRecord(new InvalidDataException(why), "EntryRejected", ErrorCategory.InvalidData, address.ToString()));
        }
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        if (failure is CatalogException catalogFailure)
        {
            ThrowTerminatingError(CatalogError(catalogFailure));
        }
        if (failure is not null)
        {
            ThrowTerminatingError(new ErrorRecord(failure, "ConsumerFailed", ErrorCategory.ConnectionError, address.ToString()));
        }
        WriteObject(consumer.Status());
        Scanning.ProcessShutdown.WaitForShutdown(); // after a signal, the process ends as it asks (143), not as the script would
    }

    /// <summary>Ctrl+C: what was read is committed and acknowledged, then the consumer stops.</summary>
    protected override void StopProcessing() => _stop.Cancel();
}
