using System.Runtime.InteropServices;

namespace ScanTools.Platform;

/// <summary>User names of numeric user ids, as ls -l shows them: through the C library (getpwuid), so NSS sources such as LDAP count.</summary>
public static partial class UnixAccount
{
    private static readonly object Gate = new();
    private static readonly Dictionary<uint, string> Names = new();

    /// <summary>The user name of <paramref name="uid"/>, or the number itself when no account has it (or on Windows).</summary>
    public static string UserName(uint uid)
    {
        lock (Gate) // getpwuid's result lives in a static buffer
        {
            if (Names.TryGetValue(uid, out string? name))
            {
                return name;
            }
            name = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!OperatingSystem.IsWindows())
            {
                IntPtr entry = getpwuid(uid);
                if (entry != IntPtr.Zero && Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry)) is { Length: > 0 } found)
                {
                    name = found; // pw_name is the first field of struct passwd
                }
            }
            Names[uid] = name;
            return name;
        }
    }

    [LibraryImport("libc")]
    private static partial IntPtr getpwuid(uint uid);
}
