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

    public RedisServer(string? password = null, string? tlsFolder = null)
    {
        Password = password;
        Port = FreePort();
        if (tlsFolder is not null)
        {
            Tls = TestCertificates.Create(tlsFolder);
        }
        Start();
    }

    /// <summary>With TLS: the certificate files the server uses (its authority, which no one trusts by default).</summary>
    public TestCertificates? Tls { get; }

    public int Port { get; }

    public string? Password { get; }

    public static bool IsAvailable => File.Exists("/usr/bin/redis-server");

    public string Address(string catalog) => $"{(Tls is null ? "redis" : "rediss")}://127.0.0.1:{Port}/{catalog}";

    /// <summary>A TLS client stream for the readiness check (the server's certificate is the test's own).</summary>
    private static Stream Handshake(NetworkStream stream)
    {
        var ssl = new System.Net.Security.SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        ssl.AuthenticateAsClient("127.0.0.1");
        return ssl;
    }

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
        string port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] listen = Tls is TestCertificates tls
            ? new[] { "--port", "0", "--tls-port", port, "--tls-cert-file", tls.ServerCertificate, "--tls-key-file", tls.ServerKey, "--tls-ca-cert-file", tls.Authority, "--tls-auth-clients", "no" }
            : new[] { "--port", port };
        foreach (string a in listen.Concat(new[] { "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" }))
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
                using Stream s = Tls is null ? c.GetStream() : Handshake(c.GetStream());
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
            catch (Exception ex) when (ex is SocketException or IOException or System.Security.Authentication.AuthenticationException)
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
