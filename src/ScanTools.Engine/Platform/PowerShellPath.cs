namespace ScanTools.Platform;

/// <summary>
/// The PSPath a file's object gives PowerShell's file cmdlets (Remove-Item, Get-Item, Copy-Item bind -LiteralPath to it).
/// </summary>
public static class PowerShellPath
{
    /// <summary>
    /// Whether PowerShell's FileSystem provider reads <paramref name="fullName"/> as another path: off Windows, a path with
    /// '\\', which it takes for a folder separator even in -LiteralPath. Such a path can never be removed through it.
    /// </summary>
    public static bool IsMisread(string fullName) => !OperatingSystem.IsWindows() && fullName.Contains('\\', StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="fullName"/>, or null where PowerShell would act on another file: off Windows its FileSystem provider
    /// reads '\' as a folder separator even in -LiteralPath, so for a file named 'back\slash.txt' Remove-Item removed
    /// 'back/slash.txt' (newcomer test 76). Null only when such another file or folder exists; then a piped Remove-Item
    /// fails for this object ("Cannot bind argument to parameter 'LiteralPath'") instead. Reads file metadata only, and only
    /// for names with '\'.
    /// </summary>
    public static string? For(string fullName)
    {
        if (!IsMisread(fullName))
        {
            return fullName;
        }
        string readAs = fullName.Replace('\\', '/');
        return File.Exists(readAs) || Directory.Exists(readAs) ? null : fullName;
    }

    /// <summary>
    /// <see cref="For"/> for a folder (or an entry that may be one): also null off Windows where the folder's own name holds
    /// '*' or '?'. There PowerShell's <c>Remove-Item -LiteralPath -Recurse</c> reads the last name as a wildcard when it
    /// removes what is inside: for a folder 'old?' it removed 'oldX' and everything in it, and kept 'old?' (pwsh 7.6.9,
    /// newcomer test 79); '[' and ']' and such names higher up the path were taken as written. Windows allows neither
    /// character in a name.
    /// </summary>
    public static string? ForFolder(string fullName)
    {
        if (!OperatingSystem.IsWindows() && Path.GetFileName(Path.TrimEndingDirectorySeparator(fullName)).AsSpan().IndexOfAny('*', '?') >= 0)
        {
            return null;
        }
        return For(fullName);
    }
}
