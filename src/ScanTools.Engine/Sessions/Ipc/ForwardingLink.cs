using System.Net.Sockets;
using ScanTools.Storage;

namespace ScanTools.Sessions.Ipc;

/// <summary>
/// A forwarding session's connection to the writer in another process. Sending happens on the session's
/// consumer thread; a reader thread delivers acknowledgements and notices when the writer goes away
/// (closed, Goodbye, killed: the OS closes its end), which cancels <see cref="Lost"/>.
/// </summary>
internal sealed class ForwardingLink : IDisposable
{
    private readonly IpcConnection _connection;
    private readonly CancellationTokenSource _lost = new();
    private readonly Action<long> _onAck;
    private readonly Action _onLost;
    private readonly Action<long, int, string> _onRejected;
    private readonly Thread _reader;
    private volatile CatalogException? _refusal;

    private ForwardingLink(IpcConnection connection, int writerPid, Action<long> onAck, Action onLost, Action<long, int, string> onRejected)
    {
        _onRejected = onRejected;
        _connection = connection;
        WriterProcessId = writerPid;
        _onAck = onAck;
        _onLost = onLost;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "ScanTools forwarder acks" };
        _reader.Start();
    }

    /// <summary>The writer's process id.</summary>
    public int WriterProcessId { get; }

    /// <summary>Cancelled when the link is gone.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>When the writer refused or failed with an error (not just went away), that error.</summary>
    public CatalogException? Refusal => _refusal;

    /// <summary>
    /// Connects and says Hello. Returns null when no writer listens (yet); throws when a writer answers
    /// with an error (another protocol version, another user, a failed catalog). <c>onRejected</c> hears
    /// (sequence, index in the batch, reason) when the writer refused one write of a batch. A writer that
    /// accepts the connection but does not answer within <paramref name="helloTimeout"/> (stopped, hung)
    /// counts as no writer, so an election never waits past its own deadline (Unix sockets; a named pipe
    /// cannot time out a read).
    /// </summary>
    public static ForwardingLink? TryOpen(EndpointAddress address, Guid clientId, string catalogPath, Durability durability, TimeSpan helloTimeout, Action<long> onAck, Action onLost, Action<long, int, string> onRejected)
    {
        IpcConnection? connection = IpcListener.TryConnect(address, TimeSpan.FromMilliseconds(200));
        if (connection is null)
        {
            return null;
        }
        try
        {
            WireProtocol.WriteHello(connection.Stream, clientId, address.CatalogKey, durability);
            if (connection.Stream.CanTimeout)
            {
                connection.Stream.ReadTimeout = (int)Math.Clamp(helloTimeout.TotalMilliseconds, 1, int.MaxValue);
            }
            WireProtocol.Frame? reply = WireProtocol.Read(connection.Stream);
            if (connection.Stream.CanTimeout)
            {
                connection.Stream.ReadTimeout = Timeout.Infinite; // from here the acknowledgement timeout watches the writer
            }
            switch (reply?.Type)
            {
                case FrameType.HelloAck:
                    using (BinaryReader r = WireProtocol.Body(reply.Value))
                    {
                        ushort version = r.ReadUInt16();
                        if (version != WireProtocol.Version)
                        {
                            throw new CatalogException(CatalogErrorCode.ProtocolMismatch, catalogPath,
                                $"The writer of '{catalogPath}' speaks ScanTools writer protocol version {version}; this process speaks version {WireProtocol.Version}. Use the same ScanTools version in every process that writes this catalog.");
                        }
                        return new ForwardingLink(connection, r.ReadInt32(), onAck, onLost, onRejected);
                    }
                case FrameType.Error:
                    CatalogException refused = WireProtocol.ReadError(reply.Value, catalogPath);
                    if (refused.Code == CatalogErrorCode.SessionClosed)
                    {
                        connection.Dispose(); // closing: elect again
                        return null;
                    }
                    throw refused;
                default:
                    connection.Dispose(); // Goodbye (the writer is closing) or nothing: elect again
                    return null;
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or InvalidDataException or SocketException or ObjectDisposedException)
        {
            connection.Dispose();
            return null;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Gives up on this writer: closes the connection, which ends the reader and cancels <see cref="Lost"/>.</summary>
    public void Abandon() => _connection.Dispose();

    /// <summary>Sends one batch.</summary>
    /// <exception cref="IOException">The writer is gone.</exception>
    public void Send(long sequence, byte[] body, int length)
    {
        try
        {
            WireProtocol.Write(_connection.Stream, FrameType.Batch, w =>
            {
                w.Write(sequence);
                w.Write(body, 0, length);
            });
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            throw new IOException("The writer connection is closed.", ex);
        }
    }

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                WireProtocol.Frame? frame = WireProtocol.Read(_connection.Stream);
                if (frame is not WireProtocol.Frame f)
                {
                    break;
                }
                if (f.Type == FrameType.Ack)
                {
                    using BinaryReader r = WireProtocol.Body(f);
                    _onAck(r.ReadInt64());
                }
                else if (f.Type == FrameType.Rejected)
                {
                    using BinaryReader r = WireProtocol.Body(f);
                    long sequence = r.ReadInt64();
                    int index = r.ReadInt32();
                    _onRejected(sequence, index, r.ReadString());
                }
                else if (f.Type == FrameType.Error)
                {
                    _refusal = WireProtocol.ReadError(f, _connection.ToString() ?? string.Empty);
                    break;
                }
                else
                {
                    break; // Goodbye, or anything unexpected: this writer is done with us
                }
            }
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or InvalidDataException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            try
            {
                _lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            _onLost();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _reader.Join(TimeSpan.FromSeconds(5));
        _lost.Dispose();
    }
}
