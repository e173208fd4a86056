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
    /// <paramref name="fullName"/>, or null where PowerShell would act on another file, off Windows:
    /// <list type="bullet">
    /// <item>a path with '\', which its FileSystem provider reads as a folder separator even in -LiteralPath: for a file named
    /// 'back\slash.txt' Remove-Item removed 'back/slash.txt' (newcomer test 76). Always null, not only while another file
    /// has the name it is read as: a PSPath kept in a CSV named that file once it was created (newcomer test 81), and
    /// PowerShell never reaches the real file through it anyway;</item>
    /// <item>a name with '*' or '?' that is a folder, or a link to one: Remove-Item -LiteralPath reads such a name as a
    /// wildcard and removed 'lXk' for a link 'l*k' (pwsh 7.6.9, newcomer test 81). One stat, only for such names.</item>
    /// </list>
    /// A piped Remove-Item, Move-Item or Copy-Item then fails for the object ("Cannot bind argument to parameter
    /// 'LiteralPath'") instead.
    /// </summary>
    public static string? For(string fullName)
    {
        if (IsMisread(fullName))
        {
            return null;
        }
        if (!OperatingSystem.IsWindows() && Path.GetFileName(fullName).AsSpan().IndexOfAny('*', '?') >= 0 && Directory.Exists(fullName))
        {
            return null;
        }
        return fullName;
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

    /// <summary>
    /// The text of an object that stands for a file or folder (its ToString): <paramref name="fullName"/>, or, where its
    /// PSPath is empty (<paramref name="psPath"/> null), the path and a note, which together name no file. Rename-Item takes
    /// an object's text as its -Path, a wildcard that reads '\' as a separator, where the PSPath is empty: a finding of
    /// 'x\..\plain.txt' renamed plain.txt, and a folder 'd*r' renamed 'd?r' (newcomer test 81).
    /// </summary>
    public static string AsText(string fullName, string? psPath) =>
        psPath is not null ? fullName : fullName + "  (no PSPath: PowerShell would read this path as another; use rm or mv)";

    /// <summary>
    /// The text of a file the catalog records as removed (its PSPath is empty): the path and a note, which together name no
    /// file, so a cmdlet that takes the text as a path (Rename-Item, Remove-Item -Path) finds nothing rather than what has
    /// the path now.
    /// </summary>
    public static string AsRemovedText(string fullName, long removedScanId) =>
        fullName + "  (removed in scan " + removedScanId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": no PSPath, so file cmdlets do not act on what has this path now)";
}
