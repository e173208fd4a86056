using ScanTools.Platform;
using ScanTools.Sessions;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>A forwarder must not hang on a writer that stops acknowledging.</summary>
[Collection("MultiProcess")]
public sealed class ForwarderLivenessTests : ChildProcessTest
{
    [UnixFact]
    public void AWriterThatNeverAcknowledges_IsAbandoned_AndTheForwarderTakesOverWithoutLosingRows()
    {
        string db = T.Db();
        using (new WriterSessionRegistry().Acquire(db))
        {
            // create the catalog
        }
        string key = CanonicalPath.KeyOf(CanonicalPath.Resolve(db));
        EndpointAddress address = EndpointAddress.For(key);

        // A fake writer: holds the lock, says HelloAck, reads batches, never acknowledges.
        WriterLock fakeLock = WriterLock.TryAcquire(db) ?? throw new InvalidOperationException("lock");
        var listener = new IpcListener(address);
        int connections = 0;
        using var abandoned = new ManualResetEventSlim();
        var fake = new Thread(() =>
        {
            IpcConnection? c = listener.Accept();
            if (c is null)
            {
                return;
            }
            Interlocked.Increment(ref connections);
            WireProtocol.Read(c.Stream); // Hello
            WireProtocol.Write(c.Stream, FrameType.HelloAck, w =>
            {
                w.Write(WireProtocol.Version);
                w.Write(Environment.ProcessId);
            });
            try
            {
                while (WireProtocol.Read(c.Stream) is not null)
                {
                }
            }
            catch (IOException)
            {
            }
            abandoned.Set(); // the forwarder hung up on us
            c.Dispose();
        }) { IsBackground = true };
        fake.Start();

        var registry = new WriterSessionRegistry();
        var options = new WriterSessionOptions { AcknowledgementTimeout = TimeSpan.FromSeconds(1), MaxUnacknowledgedRows = 1_000, MaxForwardBatchRows = 500 };
        using WriterSessionLease lease = registry.Acquire(db, options);
        Assert.Equal(SessionRole.Forwarder, lease.Session.Role);
        var run = Guid.NewGuid();
        lease.Write(Writes.Start(run));
        var producer = new Thread(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                lease.Write(Writes.Listing(run, $"/live/d{i}", 500));
            }
            lease.Flush();
        });
        producer.Start();

        Assert.True(abandoned.Wait(TimeSpan.FromSeconds(30)), "the forwarder kept waiting on a writer that never acknowledged");
        listener.Dispose();
        fakeLock.Dispose(); // the fake goes away: the forwarder can take over
        Assert.True(producer.Join(TimeSpan.FromSeconds(60)), "the producer never finished");

        Assert.Equal(SessionRole.Writer, lease.Session.Role);
        Assert.Equal(5_000, Sql.Files(db));
        Assert.True(lease.Session.Statistics().ResentBatches > 0);
        Assert.Equal(1, connections);
    }
}
