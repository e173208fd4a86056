using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ScanTools.Tests.Support;

/// <summary>
/// A real redis-server child process on 127.0.0.1 and a free port, without persistence (a restart loses
/// everything, as the worst case the remote catalog must survive). Killed on dispose.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private Process? _process;

    public RedisServer(string? password = null)
    {
        Password = password;
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public string? Password { get; }

    public static bool IsAvailable => File.Exists("/usr/bin/redis-server");

    public string Address(string catalog) => $"redis://127.0.0.1:{Port}/{catalog}";

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts the server (again) and waits until it answers PING.</summary>
    public void Start()
    {
        var psi = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" })
        {
            psi.ArgumentList.Add(a);
        }
        if (Password is not null)
        {
            psi.ArgumentList.Add("--requirepass");
            psi.ArgumentList.Add(Password);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                using NetworkStream s = c.GetStream();
                byte[] ping = "PING\r\n"u8.ToArray();
                s.Write(ping);
                var buffer = new byte[64];
                int n = s.Read(buffer);
                string reply = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
                if (reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }
            Thread.Sleep(20); // polling a port that is not yet open: there is no event to wait on
        }
        throw new InvalidOperationException($"redis-server did not start on port {Port}.");
    }

    /// <summary>Kills the server (SIGKILL): everything it held is lost.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }
}
