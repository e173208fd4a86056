using System.Runtime.InteropServices;

namespace ScanTools.Platform;

/// <summary>
/// access(2): whether this process may create entries in a folder, asked without creating anything (for
/// -WhatIf, which must report what the real command would meet and leave no trace). Unix only.
/// </summary>
internal static partial class UnixAccess
{
    private const int WriteOk = 2, ExecuteOk = 1;

    /// <summary>Read-only file system.</summary>
    public const int ReadOnlyFileSystem = 30;

    /// <summary>Permission denied.</summary>
    public const int AccessDenied = 13;

    /// <summary>The errno that refuses creating entries in <paramref name="folder"/>, or 0 when it may (or on Windows, where this is not asked).</summary>
    public static int CannotCreateIn(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return 0;
        }
        return access(folder, WriteOk | ExecuteOk) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int access(string path, int mode);
}
