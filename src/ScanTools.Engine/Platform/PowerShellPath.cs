namespace ScanTools.Platform;

/// <summary>
/// The PSPath a file's object gives PowerShell's file cmdlets (Remove-Item, Get-Item, Copy-Item bind -LiteralPath to it).
/// </summary>
public static class PowerShellPath
{
    /// <summary>
    /// <paramref name="fullName"/>, or null where PowerShell would act on another file: off Windows its FileSystem provider
    /// reads '\' as a folder separator even in -LiteralPath, so for a file named 'back\slash.txt' Remove-Item removed
    /// 'back/slash.txt' (newcomer test 76). Null only when such another file or folder exists; then a piped Remove-Item
    /// fails for this object ("Cannot bind argument to parameter 'LiteralPath'") instead. Reads file metadata only, and only
    /// for names with '\'.
    /// </summary>
    public static string? For(string fullName)
    {
        if (OperatingSystem.IsWindows() || !fullName.Contains('\\', StringComparison.Ordinal))
        {
            return fullName;
        }
        string readAs = fullName.Replace('\\', '/');
        return File.Exists(readAs) || Directory.Exists(readAs) ? null : fullName;
    }
}
