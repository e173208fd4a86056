using ScanTools.Sessions;
using ScanTools.Sessions.Ipc;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// A writer's socket file belongs to the listener that bound it: the writer leaving must never remove the
/// socket of the writer elected after it, which listens at the same path.
/// </summary>
public sealed class EndpointListenerTests : CatalogTest
{
    private EndpointAddress Address() => EndpointAddress.For("endpoint-listener-test", T.Dir("sockets"));

    /// <summary>Answers whether a client can reach a listener at <paramref name="address"/> now.</summary>
    private static bool Reachable(EndpointAddress address)
    {
        using IpcConnection? connection = IpcListener.TryConnect(address, TimeSpan.FromSeconds(5));
        return connection is not null;
    }

    [UnixFact]
    public void DisposedAgainAfterTheNextWriterBound_LeavesTheNextWritersSocket()
    {
        EndpointAddress address = Address();
        var leaving = new IpcListener(address);
        leaving.Dispose(); // under the writer lock: stops receiving
        Assert.False(File.Exists(address.SocketPath));

        using var next = new IpcListener(address); // the next writer, elected once the lock was released
        leaving.Dispose(); // the leaving session releases its resources after releasing the lock

        Assert.True(File.Exists(address.SocketPath), "the next writer's socket file was deleted");
        Assert.True(Reachable(address), "the next writer cannot be reached");
    }

    [UnixFact]
    public void ASocketFileDeletedUnderTheListener_IsBoundAgain_AndClientsReachIt()
    {
        EndpointAddress address = Address();
        using var listener = new IpcListener(address);
        var accepted = new System.Collections.Concurrent.BlockingCollection<IpcConnection>();
        var acceptor = new Thread(() =>
        {
            while (listener.Accept() is IpcConnection c)
            {
                accepted.Add(c);
            }
            accepted.CompleteAdding();
        }) { IsBackground = true };
        acceptor.Start();
        Assert.False(listener.RestoreIfRemoved()); // there: nothing to do

        File.Delete(address.SocketPath!); // a /tmp cleaner
        Assert.False(Reachable(address));
        Assert.True(listener.RestoreIfRemoved());

        using IpcConnection? client = IpcListener.TryConnect(address, TimeSpan.FromSeconds(5));
        Assert.NotNull(client);
        Assert.True(accepted.TryTake(out IpcConnection? served, TimeSpan.FromSeconds(30)), "the accept loop did not go on with the new socket");
        served!.Dispose();
        listener.Dispose();
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)));
    }

    [UnixFact]
    public void AWriterWhoseSocketFileWasDeleted_IsFoundByTheNextProcess()
    {
        string db = T.Db();
        using WriterSessionLease writer = Registry.Acquire(db);
        Assert.Equal(SessionRole.Writer, writer.Session.Role);
        File.Delete(writer.Session.Endpoint.SocketPath!);

        var other = new WriterSessionRegistry(); // another process, as far as the sessions go
        try
        {
            using WriterSessionLease second = other.Acquire(db, new WriterSessionOptions { ElectionTimeout = TimeSpan.FromSeconds(20) });
            Assert.Equal(SessionRole.Forwarder, second.Session.Role);
        }
        finally
        {
            other.CloseAll();
        }
    }

    [UnixFact]
    public void Disposed_RemovesItsOwnSocketFile()
    {
        EndpointAddress address = Address();
        var listener = new IpcListener(address);
        Assert.True(Reachable(address));

        listener.Dispose();

        Assert.False(File.Exists(address.SocketPath));
        Assert.False(Reachable(address));
    }
}
