using ScanTools.Remote;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;

namespace ScanTools.Sessions;

/// <summary>
/// The publisher role, for a remote catalog: the process elected on this computer (by the same lock and local
/// endpoint as a catalog file's writer, both kept in the user's private socket folder) publishes to the broker its
/// own writes and the batches the computer's other processes forward to it. A forwarded batch goes on the stream
/// under its sender's client id and sequence, and is acknowledged to the sender only once the consumer reports it
/// committed; so when this process goes away, the senders elect another publisher and resend what is not
/// acknowledged, and the consumer's record of each client's sequence drops any copy.
/// </summary>
public sealed partial class WriterSession
{
    private readonly RemoteCatalogAddress? _remote;
    private readonly string? _brokerPassword;
    private RemotePublisher? _publisher;

    /// <summary>The file whose lock elects the writer (or publisher): next to a catalog file; in the private socket folder for a remote catalog.</summary>
    private string LockTarget => _remote is null
        ? DatabasePath
        : Path.Combine(Path.GetDirectoryName(Endpoint.SocketPath) ?? Path.GetTempPath(), Endpoint.Name);

    /// <summary>How long a closing session of a remote catalog waits for the consumer to commit what it forwarded.</summary>
    internal static readonly TimeSpan RemoteCloseWait = TimeSpan.FromSeconds(10);

    /// <summary>Hands queued writes and forwarded batches to the publisher until the queue is completed and drained.</summary>
    private void RunPublisher()
    {
        RemotePublisher publisher = _publisher!;
        while (_queue.TryTake(out SessionItem item, Timeout.Infinite))
        {
            switch (item.Kind)
            {
                case ItemKind.Write:
                    try
                    {
                        publisher.Write(item.Write!, CancellationToken.None);
                    }
                    finally
                    {
                        _budget.Return(item.Rows);
                    }
                    MarkCommitted(item.Rows); // handed to the publisher, which keeps it until the consumer committed it
                    break;
                case ItemKind.RemoteBatch:
                    ConnectedClient client = item.Client!;
                    long sequence = item.Sequence;
                    try
                    {
                        publisher.Relay(client.ClientId, sequence, item.Writes!, () => client.Acknowledge(sequence), CancellationToken.None);
                    }
                    finally
                    {
                        _forwardedBudget.Return(item.Rows);
                    }
                    MarkCommitted(item.Rows);
                    break;
                case ItemKind.Flush:
                    // Waits for the consumer on a pool thread: the other processes' batches keep moving meanwhile.
                    TaskCompletionSource flushed = item.Flushed!;
                    ThreadPool.UnsafeQueueUserWorkItem(_ =>
                    {
                        try
                        {
                            publisher.Flush(CancellationToken.None);
                            flushed.TrySetResult();
                        }
                        catch (Exception ex)
                        {
                            flushed.TrySetException(ex);
                        }
                    }, null);
                    break;
                case ItemKind.BrokerBatch:
                    item.Committed!.TrySetException(new CatalogException(CatalogErrorCode.WriterUnavailable, DatabasePath,
                        $"'{DatabasePath}' is a remote catalog: batches from its broker are applied by the consumer of the catalog file."));
                    _budget.Return(item.Rows);
                    break;
            }
        }
        // Closing: batches this process forwarded before it became the publisher are relayed; wait a little for them.
        long deadline = Environment.TickCount64 + (long)RemoteCloseWait.TotalMilliseconds;
        lock (_forwardGate)
        {
            while (_unacked.Count > 0 && Environment.TickCount64 < deadline)
            {
                Monitor.Wait(_forwardGate, 50);
            }
        }
        // The others elect another publisher and resend what the consumer has not committed yet.
        _server?.SayGoodbye();
        _lock?.Dispose();
        _lock = null;
    }
}
