using System.Security.Cryptography;
using System.Text;

namespace ScanTools.Sessions.Ipc;

/// <summary>
/// Where the writer of a catalog listens: a Unix domain socket in a folder only the current user can
/// enter (mode 0700; the socket itself 0600), or on Windows a named pipe restricted to the current user.
/// The name derives from the catalog's canonical key, so every catalog has its own endpoint and no fixed
/// port is shared; nothing listens on the network.
/// </summary>
internal sealed class EndpointAddress
{
    private EndpointAddress(string catalogKey, string name, string? socketPath)
    {
        CatalogKey = catalogKey;
        Name = name;
        SocketPath = socketPath;
    }

    /// <summary>The canonical key of the catalog this endpoint serves.</summary>
    public string CatalogKey { get; }

    /// <summary>"scantools-" + 20 hex digits of SHA-256 of the key: the pipe name, or the socket's file name.</summary>
    public string Name { get; }

    /// <summary>The socket file (Unix); null on Windows.</summary>
    public string? SocketPath { get; }

    /// <summary>The endpoint of <paramref name="catalogKey"/> for the current user.</summary>
    /// <exception cref="UnauthorizedAccessException">The private folder exists but is not private to this user.</exception>
    public static EndpointAddress For(string catalogKey, string? privateFolder = null)
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(catalogKey)))[..20].ToLowerInvariant();
        string name = "scantools-" + hash;
        if (OperatingSystem.IsWindows())
        {
            return new EndpointAddress(catalogKey, name, null);
        }
        string folder = privateFolder ?? (OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : PrivateFolder());
        return new EndpointAddress(catalogKey, name, Path.Combine(folder, name + ".sock"));
    }

    /// <summary>
    /// The current user's private socket folder: /tmp/scantools-&lt;uid&gt;, whatever the environment says.
    /// Every process of the user must find the same folder, or a forwarder never reaches the writer: a scan from
    /// cron (no XDG_RUNTIME_DIR) and one from a login shell (with it) waited out the election and failed. Nor is
    /// $XDG_RUNTIME_DIR a place for a writer that outlives the session: logind deletes it at logout. TMPDIR is not
    /// read for the same reason. Created with mode 0700; refused when it is a link, or owned by someone else, or
    /// open to others (someone could otherwise pose as the writer).
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static string PrivateFolder()
    {
        uint uid = UnixUser.EffectiveUserId;
        string folder = Path.Combine("/tmp", "scantools-" + uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!Directory.Exists(folder))
        {
            try
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Created concurrently by another process of ours; verified below.
            }
        }
        UnixUser.VerifyPrivateFolder(folder);
        return folder;
    }

    /// <inheritdoc />
    public override string ToString() => SocketPath ?? @"\\.\pipe\" + Name;
}
