using System.Collections.Concurrent;
using System.Text;
using ScanTools.Storage;
using ScanTools.Storage.Writes;

namespace ScanTools.Sessions.Ipc;

/// <summary>What the writer's endpoint needs from the session it serves.</summary>
internal interface IBatchSink
{
    /// <summary>The canonical key of the catalog, which clients must name in their Hello.</summary>
    string CatalogKey { get; }

    /// <summary>
    /// Queues a client's batch, waiting while the queue is full; <paramref name="client"/> is acknowledged
    /// after its commit. <paramref name="stopping"/> abandons the wait: the batch stays with the client.
    /// </summary>
    void Enqueue(ConnectedClient client, long sequence, List<CatalogWrite> writes, CancellationToken stopping);

    /// <summary>A client asked for durable commits.</summary>
    void RequireDurability(Durability durability);

    /// <summary>The number of connected clients changed.</summary>
    void ClientsChanged(int connected);
}

/// <summary>
/// The writer's side of the endpoint: accepts clients of the same user, checks their Hello, reads their
/// batches into the session's queue, and sends acknowledgements once batches are committed. A client that
/// sends something malformed is told so and disconnected; the writer and its other clients go on.
/// </summary>
internal sealed class EndpointServer : IDisposable
{
    private readonly IpcListener _listener;
    private readonly IBatchSink _sink;
    private readonly ConcurrentDictionary<ConnectedClient, byte> _clients = new();
    private readonly Thread _acceptor;
    private readonly CancellationTokenSource _stoppingToken = new();
    private volatile bool _stopping;

    public EndpointServer(EndpointAddress address, IBatchSink sink)
    {
        Address = address;
        _sink = sink;
        _listener = new IpcListener(address);
        _acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = "ScanTools endpoint " + address.Name };
        _acceptor.Start();
        if (address.SocketPath is not null)
        {
            _watch = new Timer(static l => ((IpcListener)l!).RestoreIfRemoved(), _listener, SocketCheckInterval, SocketCheckInterval);
        }
    }

    /// <summary>How often the writer checks that its socket file is still there (see <see cref="IpcListener.RestoreIfRemoved"/>).</summary>
    internal static readonly TimeSpan SocketCheckInterval = TimeSpan.FromSeconds(2);

    private readonly Timer? _watch;

    public EndpointAddress Address { get; }

    /// <summary>Process ids of the connected clients.</summary>
    public IReadOnlyList<int> ClientProcessIds => _clients.Keys.Select(c => c.ProcessId).Order().ToList();

    /// <summary>The client ids of the connected clients that said Hello.</summary>
    public IReadOnlyList<string> ClientIds => _clients.Keys.Select(c => c.ClientId).Where(id => id.Length > 0).ToList();

    /// <summary>Clients connected now.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Batches received from clients.</summary>
    public long ReceivedBatches => Interlocked.Read(ref _received);

    private long _received;

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            IpcConnection? connection = _listener.Accept();
            if (connection is null)
            {
                return;
            }
            if (_stopping)
            {
                WireProtocol.Write(connection.Stream, FrameType.Goodbye, w => w.Write("The writer is closing; elect another."));
                connection.Dispose();
                return;
            }
            var client = new ConnectedClient(connection);
            var reader = new Thread(() => Serve(client)) { IsBackground = true, Name = "ScanTools client reader" };
            reader.Start();
        }
    }

    private void Serve(ConnectedClient client)
    {
        try
        {
            if (!Greet(client))
            {
                client.Close();
                return;
            }
            _clients[client] = 0;
            _sink.ClientsChanged(_clients.Count);
            client.StartSending();
            while (true)
            {
                WireProtocol.Frame? frame = WireProtocol.Read(client.Connection.Stream);
                if (frame is not WireProtocol.Frame f)
                {
                    break; // the client closed, or the writer stopped reading (closing)
                }
                if (f.Type != FrameType.Batch)
                {
                    throw new InvalidDataException($"Unexpected {f.Type} frame from a client.");
                }
                long sequence;
                List<CatalogWrite> writes;
                using (BinaryReader r = WireProtocol.Body(f))
                {
                    sequence = r.ReadInt64();
                    writes = CatalogWriteCodec.ReadAll(r);
                    if (r.BaseStream.Position != r.BaseStream.Length)
                    {
                        throw new InvalidDataException("A batch frame has trailing bytes.");
                    }
                }
                Interlocked.Increment(ref _received);
                _sink.Enqueue(client, sequence, writes, _stoppingToken.Token);
            }
        }
        catch (Exception ex) when (_stopping && ex is EndOfStreamException or IOException or OperationCanceledException)
        {
            // The writer stopped reading to hand over: a frame cut short here stays unacknowledged with
            // the client, which sends it to the next writer. The client gets Goodbye, not an error.
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or DecoderFallbackException or OverflowException)
        {
            client.Fail(CatalogErrorCode.ProtocolMismatch,
                $"Malformed message from the client ({ex.Message}). This endpoint speaks the ScanTools writer protocol; the connection is closed and nothing of that message was applied.");
        }
        catch (IOException)
        {
            // The client went away.
        }
        catch (ObjectDisposedException)
        {
        }
        catch (CatalogException ex) when (ex.Code == CatalogErrorCode.SessionClosed)
        {
            // Closed while this client waited for room in the queue: it elects again on Goodbye.
        }
        catch (CatalogException ex)
        {
            // The session failed: the client fails with the same error instead of taking over.
            client.Fail(ex.Code, ex.Message);
        }
        finally
        {
            // A client that left on its own is forgotten; one cut off by a hand-over stays until it is told Goodbye.
            if (!_stopping && _clients.TryRemove(client, out _))
            {
                client.Close();
                _sink.ClientsChanged(_clients.Count);
            }
            client.ReaderDone();
        }
    }

    /// <summary>Reads and checks the Hello; answers HelloAck, or an Error saying why not.</summary>
    private bool Greet(ConnectedClient client)
    {
        Stream s = client.Connection.Stream;
        WireProtocol.Frame? hello = WireProtocol.Read(s); // read before any refusal: closing on unread data resets the connection
        if (client.Connection.PeerUserId is uint peer && !OperatingSystem.IsWindows() && peer != UnixUser.EffectiveUserId)
        {
            WireProtocol.WriteError(s, CatalogErrorCode.WriterUnavailable,
                $"Refused: the connecting process runs as user {peer}; this writer serves only user {UnixUser.EffectiveUserId}.");
            return false;
        }
        if (hello is not WireProtocol.Frame h || h.Type != FrameType.Hello || h.Length < 7)
        {
            WireProtocol.WriteError(s, CatalogErrorCode.ProtocolMismatch, "Expected a ScanTools Hello; this endpoint speaks the ScanTools writer protocol.");
            return false;
        }
        using BinaryReader r = WireProtocol.Body(h);
        uint magic = r.ReadUInt32();
        ushort version = r.ReadUInt16();
        if (magic != WireProtocol.Magic)
        {
            WireProtocol.WriteError(s, CatalogErrorCode.ProtocolMismatch, "Not a ScanTools client (wrong magic); this endpoint speaks the ScanTools writer protocol.");
            return false;
        }
        if (version != WireProtocol.Version)
        {
            WireProtocol.WriteError(s, CatalogErrorCode.ProtocolMismatch,
                $"The client speaks ScanTools writer protocol version {version}; this writer (PID {Environment.ProcessId}) speaks version {WireProtocol.Version}. Use the same ScanTools version in every process that writes this catalog.");
            return false;
        }
        client.ClientId = new Guid(r.ReadBytes(16)).ToString("D");
        client.ProcessId = r.ReadInt32();
        string key = r.ReadString();
        var durability = (Durability)r.ReadByte();
        if (key != _sink.CatalogKey)
        {
            WireProtocol.WriteError(s, CatalogErrorCode.WriterUnavailable, $"This endpoint serves another catalog ({_sink.CatalogKey}).");
            return false;
        }
        if (_stopping)
        {
            WireProtocol.Write(s, FrameType.Goodbye, w => w.Write("The writer is closing; elect another."));
            return false;
        }
        _sink.RequireDurability(durability);
        // No committed sequence is sent (see FrameType.HelloAck): the client resends all it holds
        // unacknowledged, and the writer skips what it had already committed.
        WireProtocol.Write(s, FrameType.HelloAck, w =>
        {
            w.Write(WireProtocol.Version);
            w.Write(Environment.ProcessId);
        });
        return true;
    }

    /// <summary>
    /// First step of a clean hand-over: no new clients, and no more batches read from the current ones
    /// (what they still send stays unacknowledged with them and goes to the next writer).
    /// </summary>
    public void StopReceiving()
    {
        _stopping = true;
        _watch?.Dispose();
        _listener.Dispose();
        foreach (ConnectedClient c in _clients.Keys)
        {
            c.Connection.ShutdownReceive();
        }
        foreach (ConnectedClient c in _clients.Keys)
        {
            c.WaitReaderDone(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Last step: after every acknowledgement is queued, tell clients to elect another writer and close.</summary>
    public void SayGoodbye()
    {
        foreach (ConnectedClient c in _clients.Keys)
        {
            c.Finish(goodbye: true);
        }
        _clients.Clear();
    }

    /// <summary>Tells every client the session failed, with its error, and closes.</summary>
    public void Fail(CatalogException error)
    {
        _stopping = true;
        _stoppingToken.Cancel(); // readers waiting for room give up; their clients hear of the failure
        _watch?.Dispose();
        _listener.Dispose();
        foreach (ConnectedClient c in _clients.Keys)
        {
            c.Fail(error.Code, error.Message);
        }
        _clients.Clear();
    }

    public void Dispose()
    {
        _stopping = true;
        _watch?.Dispose();
        _listener.Dispose();
        foreach (ConnectedClient c in _clients.Keys)
        {
            c.Close();
        }
    }
}

/// <summary>One client process connected to the writer. Acknowledgements go out through its own sender thread.</summary>
internal sealed class ConnectedClient
{
    private readonly BlockingCollection<Action<Stream>> _outgoing = new(new LockedQueue<Action<Stream>>()); // not ConcurrentQueue: see LockedQueue
    private readonly ManualResetEventSlim _readerDone = new();
    private Thread? _sender;
    private int _closed;

    public ConnectedClient(IpcConnection connection) => Connection = connection;

    public IpcConnection Connection { get; }

    public string ClientId { get; set; } = string.Empty;

    public int ProcessId { get; set; }

    public void StartSending()
    {
        var sender = new Thread(SendLoop) { IsBackground = true, Name = "ScanTools client sender" };
        sender.Start();
        Volatile.Write(ref _sender, sender); // published only once started: Finish may run on another thread at any time
    }

    /// <summary>Tells the client that one write of a batch was refused (called after the commit, before the batch's Ack).</summary>
    public void Reject(long sequence, int index, string reason) => Post(s => WireProtocol.Write(s, FrameType.Rejected, w =>
    {
        w.Write(sequence);
        w.Write(index);
        w.Write(reason);
    }));

    /// <summary>Acknowledges every batch up to <paramref name="sequence"/> (called after their commit).</summary>
    public void Acknowledge(long sequence) => Post(s => WireProtocol.Write(s, FrameType.Ack, w => w.Write(sequence)));

    public void ReaderDone() => _readerDone.Set();

    public void WaitReaderDone(TimeSpan timeout) => _readerDone.Wait(timeout);

    /// <summary>Sends what is queued, then (optionally) Goodbye, then closes.</summary>
    public void Finish(bool goodbye)
    {
        if (goodbye)
        {
            Post(s => WireProtocol.Write(s, FrameType.Goodbye, w => w.Write("The writer is closing after committing everything it acknowledged; elect another.")));
        }
        _outgoing.CompleteAdding();
        _sender?.Join(TimeSpan.FromSeconds(10));
        Close();
    }

    public void Fail(CatalogErrorCode code, string message)
    {
        if (_sender is null)
        {
            WireProtocol.WriteError(Connection.Stream, code, message);
            Close();
            return;
        }
        Post(s => WireProtocol.WriteError(s, code, message));
        Finish(goodbye: false);
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _outgoing.CompleteAdding();
            Connection.Dispose();
        }
    }

    private void Post(Action<Stream> send)
    {
        try
        {
            _outgoing.Add(send);
        }
        catch (InvalidOperationException)
        {
            // Closed: the client is gone; it resends unacknowledged batches to the next writer.
        }
    }

    private void SendLoop()
    {
        try
        {
            foreach (Action<Stream> send in _outgoing.GetConsumingEnumerable())
            {
                send(Connection.Stream);
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
