using System.Runtime.InteropServices;

namespace ScanTools.Sessions.Ipc;

/// <summary>The current user's id and the checks that keep the writer's endpoint private to it (Unix).</summary>
internal static partial class UnixUser
{
    public static uint EffectiveUserId => OperatingSystem.IsWindows() ? 0 : geteuid();

    /// <summary>Throws unless <paramref name="folder"/> is a real directory owned by this user and closed to everyone else.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static void VerifyPrivateFolder(string folder)
    {
        var info = new DirectoryInfo(folder);
        if (info.LinkTarget is not null)
        {
            throw new UnauthorizedAccessException($"The ScanTools socket folder '{folder}' is a link; remove it so ScanTools can create a private one.");
        }
        UnixFileMode mode = File.GetUnixFileMode(folder);
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & others) != 0)
        {
            throw new UnauthorizedAccessException($"The ScanTools socket folder '{folder}' is open to other users (mode {Convert.ToString((int)mode, 8)}); it must be 0700. Fix it with: chmod 700 '{folder}'.");
        }
        if (OwnerOf(folder) is uint owner && owner != EffectiveUserId)
        {
            throw new UnauthorizedAccessException($"The ScanTools socket folder '{folder}' belongs to user {owner}, not to you; remove it so ScanTools can create a private one.");
        }
    }

    /// <summary>The owner of a path, via statx (Linux) or null where not read.</summary>
    internal static unsafe uint? OwnerOf(string path)
    {
        if (!Platform.LinuxStat.IsAvailable)
        {
            return null;
        }
        byte* buf = stackalloc byte[256];
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = utf8)
        {
            return statx(-100, p, 0x100, 0x8 /* STATX_UID */, buf) == 0 ? *(uint*)(buf + 20) : null;
        }
    }

    /// <summary>The peer's user id of a connected Unix socket (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS).</summary>
    public static uint? PeerUserId(System.Net.Sockets.Socket socket)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                var cred = new byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
                int n = socket.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, cred);
                return n >= 8 ? BitConverter.ToUInt32(cred, 4) : null;
            }
            if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
            {
                var cred = new byte[76]; // struct xucred { u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]; }
                int n = socket.GetRawSocketOption(0 /* SOL_LOCAL */, 1 /* LOCAL_PEERCRED */, cred);
                return n >= 8 ? BitConverter.ToUInt32(cred, 4) : null;
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
        }
        return null;
    }

    /// <summary>The peer's process id of a connected Unix socket (Linux), or null.</summary>
    public static int? PeerProcessId(System.Net.Sockets.Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            var cred = new byte[12];
            return socket.GetRawSocketOption(1, 17, cred) >= 4 ? BitConverter.ToInt32(cred, 0) : null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int statx(int dirfd, byte* pathname, int flags, uint mask, byte* statxbuf);
}
