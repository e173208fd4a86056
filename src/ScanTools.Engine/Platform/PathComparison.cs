namespace ScanTools.Platform;

/// <summary>How this platform's file systems compare names, by convention.</summary>
public static class PathComparison
{
    /// <summary>
    /// True on Windows and macOS, whose default file systems ignore case. Linux file systems are
    /// case-sensitive. (A case-sensitive APFS volume or NTFS folder is an exception we do not probe.)
    /// </summary>
    public static bool IgnoreCase { get; } = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    /// <summary>String comparison for paths on this platform.</summary>
    public static StringComparison Comparison => IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>String comparer for paths on this platform.</summary>
    public static StringComparer Comparer => IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
}
