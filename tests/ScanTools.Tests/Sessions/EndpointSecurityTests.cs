using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using ScanTools.Platform;
using ScanTools.Sessions.Ipc;
using ScanTools.Storage;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>The writer's endpoint: reachable only by the same user, and robust against whatever arrives on it.</summary>
[Collection("MultiProcess")]
public sealed class EndpointSecurityTests : ChildProcessTest
{
    private static string Stat(string format, string path)
    {
        var psi = new ProcessStartInfo("stat") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(format);
        psi.ArgumentList.Add(path);
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }

    [UnixFact]
    public void TheEndpoint_IsASocketOnlyItsOwnerCanOpen_InAFolderOnlyItsOwnerCanEnter()
    {
        ChildWriter writer = Child(new[] { "write", T.Db(), "--hold-open" });
        string socket = writer.Role().GetProperty("endpoint").GetString()!;
        string folder = Path.GetDirectoryName(socket)!;

        Assert.Equal("600", Stat("%a", socket));
        Assert.Equal("700", Stat("%a", folder));
        Assert.Equal(Stat("%u", "/proc/self"), Stat("%u", socket));
        if (ChildProcess.IsRoot)
        {
            // Another user cannot even reach the socket: the folder keeps them out.
            var (exit, lines, stderr) = ChildProcess.Run(new[] { "connect", socket }, asNobody: true);
            Assert.True(exit == 0, stderr);
            Assert.False(lines.Single().GetProperty("connected").GetBoolean());
            Assert.Equal(nameof(SocketError.AccessDenied), lines.Single().GetProperty("error").GetString());
        }
    }

    [RootFact]
    public void TheWriter_RefusesAClientOfAnotherUser_EvenOneThatReachesTheSocket()
    {
        // A writer running as uid 65534; root can pass the folder's permissions, so the writer's own
        // peer-credential check is what must refuse it.
        string db = T.Db();
        ChildWriter writer = Child(new[] { "write", db, "--hold-open" }, asNobody: true);
        string socket = writer.Role().GetProperty("endpoint").GetString()!;
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "scantools-65534"), socket, StringComparison.Ordinal);

        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(socket));
        using var stream = new NetworkStream(s);
        WireProtocol.WriteHello(stream, Guid.NewGuid(), CanonicalPath.KeyOf(CanonicalPath.Resolve(db)), Durability.Normal);
        WireProtocol.Frame? reply = WireProtocol.Read(stream);

        Assert.Equal(FrameType.Error, reply?.Type);
        CatalogException refusal = WireProtocol.ReadError(reply!.Value, db);
        Assert.Equal(CatalogErrorCode.WriterUnavailable, refusal.Code);
        Assert.Contains("runs as user 0", refusal.Message);
        Assert.Null(WireProtocol.Read(stream)); // and it hung up
    }

    /// <summary>Opens a raw connection to the writer of <paramref name="db"/>.</summary>
    private static NetworkStream Raw(string socketPath)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(socketPath));
        return new NetworkStream(s, ownsSocket: true);
    }

    private static string ErrorMessage(Stream stream, string db)
    {
        WireProtocol.Frame? reply = WireProtocol.Read(stream);
        Assert.Equal(FrameType.Error, reply?.Type);
        return WireProtocol.ReadError(reply!.Value, db).Message;
    }

    [UnixFact]
    public void MalformedTruncatedAndForeignMessages_AreRefused_WithoutHurtingTheWriterOrItsClients()
    {
        string db = T.Db();
        string key = CanonicalPath.KeyOf(CanonicalPath.Resolve(db));
        ChildWriter writer = Child(new[] { "write", db, "--records", "10000", "--prefix", "w", "--hold" });
        string socket = writer.Role().GetProperty("endpoint").GetString()!;
        writer.WaitFor(l => l.TryGetProperty("holding", out _));
        ChildWriter honest = Child(new[] { "write", db, "--records", "100000", "--prefix", "honest", "--report-every", "10" });
        Assert.Equal("Forwarder", honest.Role().GetProperty("role").GetString());

        // Not a frame at all: an absurd length.
        using (NetworkStream garbage = Raw(socket))
        {
            garbage.Write(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4 });
            Assert.Contains("ScanTools", ErrorMessage(garbage, db));
        }
        // A Hello with the wrong magic, and one of another protocol version.
        using (NetworkStream stranger = Raw(socket))
        {
            WireProtocol.WriteHello(stranger, Guid.NewGuid(), key, Durability.Normal, magic: 0xDEADBEEF);
            Assert.Contains("Not a ScanTools client", ErrorMessage(stranger, db));
        }
        using (NetworkStream future = Raw(socket))
        {
            WireProtocol.WriteHello(future, Guid.NewGuid(), key, Durability.Normal, version: 99);
            string message = ErrorMessage(future, db);
            Assert.Contains("version 99", message);
            Assert.Contains($"version {WireProtocol.Version}", message);
        }
        // A proper Hello, then a batch whose body is nonsense.
        using (NetworkStream liar = Raw(socket))
        {
            WireProtocol.WriteHello(liar, Guid.NewGuid(), key, Durability.Normal);
            Assert.Equal(FrameType.HelloAck, WireProtocol.Read(liar)?.Type);
            WireProtocol.Write(liar, FrameType.Batch, w =>
            {
                w.Write(1L);
                w.Write(1);
                w.Write((byte)2);
                w.Write(new byte[40]);
            });
            Assert.Contains("Malformed", ErrorMessage(liar, db));
        }
        // A proper Hello, then a frame cut off in the middle by a client that dies.
        using (NetworkStream quitter = Raw(socket))
        {
            WireProtocol.WriteHello(quitter, Guid.NewGuid(), key, Durability.Normal);
            Assert.Equal(FrameType.HelloAck, WireProtocol.Read(quitter)?.Type);
            quitter.Write(new byte[] { 0xE8, 0x03, 0, 0, (byte)FrameType.Batch, 1, 2, 3 }); // promises 1000 bytes, sends 4
        }

        JsonElement done = honest.Done();
        Assert.Equal(0, done.GetProperty("failed").GetInt64());
        writer.SendLine("finish");
        writer.Done();
        Assert.Equal(110_000, Sql.Files(db));
        Assert.Equal(2, Sql.Scalar(db, "SELECT count(*) FROM scan_runs WHERE status = 'Completed';"));
    }
}
