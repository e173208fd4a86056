using System.IO.Pipes;
using System.Net.Sockets;

namespace ScanTools.Sessions.Ipc;

/// <summary>One accepted or established writer connection.</summary>
internal sealed class IpcConnection : IDisposable
{
    private readonly Socket? _socket;

    public IpcConnection(Stream stream, Socket? socket)
    {
        Stream = stream;
        _socket = socket;
    }

    public Stream Stream { get; }

    /// <summary>The peer's user id where the platform reports it (Unix sockets).</summary>
    public uint? PeerUserId => _socket is null ? null : UnixUser.PeerUserId(_socket);

    /// <summary>The peer's process id where the platform reports it (Linux).</summary>
    public int? PeerProcessId => _socket is null ? null : UnixUser.PeerProcessId(_socket);

    /// <summary>Stops receiving: a blocked read returns end-of-stream, while sends still work.</summary>
    public void ShutdownReceive()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        try
        {
            Stream.Dispose();
        }
        catch (IOException)
        {
        }
        _socket?.Dispose();
    }
}

/// <summary>Listens on a writer endpoint: a Unix socket (0600, in the private folder) or a current-user named pipe.</summary>
internal sealed class IpcListener : IDisposable
{
    private readonly EndpointAddress _address;
    private volatile Socket? _socket;
    private volatile bool _closed;
    private readonly object _bindGate = new();
    private int _disposed;
    private NamedPipeServerStream? _pendingPipe;

    public IpcListener(EndpointAddress address)
    {
        _address = address;
        if (address.SocketPath is string path)
        {
            // Only the holder of the writer lock listens, so a socket file left here is stale.
            File.Delete(path);
            _socket = Bind(path);
        }
    }

    private static Socket Bind(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds the endpoint again when its socket file is gone: a /tmp cleaner (systemd-tmpfiles removes what is
    /// older than 10 days), or someone, deleted it under a writer that runs for weeks (Start-ScanConsumer), and
    /// every new process waited out its election and failed, as if the writer had stopped. Called with the writer
    /// lock held. True when it bound again.
    /// </summary>
    public bool RestoreIfRemoved()
    {
        if (_address.SocketPath is not string path || _closed || File.Exists(path))
        {
            return false;
        }
        lock (_bindGate)
        {
            if (_closed || File.Exists(path) || _socket is not Socket old)
            {
                return false;
            }
            // First: .NET unlinks a Unix socket's path when the socket is disposed, which after the bind below would
            // be the new socket's file. Its blocked Accept fails, and the loop goes on with the new socket.
            old.Dispose();
            try
            {
                _socket = Bind(path);
            }
            catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
            {
                return false; // the folder itself is gone or refused: the next check tries again
            }
            return true;
        }
    }

    /// <summary>Waits for the next client; null once the listener is closed.</summary>
    public IpcConnection? Accept()
    {
        while (!_closed)
        {
            try
            {
                if (_socket is Socket listening)
                {
                    Socket client = listening.Accept();
                    return new IpcConnection(new NetworkStream(client, ownsSocket: false), client);
                }
                var pipe = new NamedPipeServerStream(_address.Name, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances,
                    PipeTransmissionMode.Byte, PipeOptions.CurrentUserOnly);
                _pendingPipe = pipe;
                pipe.WaitForConnection();
                _pendingPipe = null;
                return new IpcConnection(pipe, null);
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                if (_closed)
                {
                    return null;
                }
                if (ex is ObjectDisposedException)
                {
                    Thread.Sleep(20); // the socket is being bound again (RestoreIfRemoved); do not spin meanwhile
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Stops listening and removes the socket file, the first time only. A session disposes its listener while
    /// it holds the writer lock (Close, Fail) and again after it released it (releasing its resources); by the
    /// second time the next writer may have bound its own socket at the same path, and deleting that left the
    /// next writer unreachable (seen in a test: "cannot open its local endpoint: Could not find file"). While
    /// this process lives it holds the lock from bind to first dispose, so no other listener binds meanwhile.
    /// (Checking the file's inode instead would not do: ext4 gives a freed inode number to the next file, and
    /// the change time of two sockets bound within one clock tick is the same.)
    /// </summary>
    public void Dispose()
    {
        _closed = true;
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        lock (_bindGate)
        {
            _socket?.Dispose();
        }
        _pendingPipe?.Dispose();
        if (_address.SocketPath is string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Connects to a writer endpoint; null when nobody listens there (yet, or any more).</summary>
    public static IpcConnection? TryConnect(EndpointAddress address, TimeSpan timeout)
    {
        if (address.SocketPath is string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new IpcConnection(new NetworkStream(socket, ownsSocket: false), socket);
            }
            catch (SocketException)
            {
                socket.Dispose();
                return null; // refused (stale socket), or not permitted
            }
        }
        var client = new NamedPipeClientStream(".", address.Name, PipeDirection.InOut, PipeOptions.CurrentUserOnly);
        try
        {
            client.Connect((int)timeout.TotalMilliseconds);
            return new IpcConnection(client, null);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or UnauthorizedAccessException)
        {
            client.Dispose();
            return null;
        }
    }
}
