namespace ScanTools.Scanning;

/// <summary>Spots names that did not survive decoding into a .NET string.</summary>
internal static class EntryNames
{
    public const string InvalidMessage =
        "The name is not valid UTF-8/UTF-16, so it cannot be stored or opened by the path ScanTools holds. Rename the entry to scan it.";

    /// <summary>
    /// True when the name holds U+FFFD (what .NET puts for bytes that are not UTF-8 on Unix) or a lone
    /// UTF-16 surrogate (possible on Windows). A genuine U+FFFD in a name is rare; the caller confirms
    /// by checking whether the decoded path exists.
    /// </summary>
    public static bool IsSuspicious(string name) =>
        (!OperatingSystem.IsWindows() && name.Contains('\uFFFD', StringComparison.Ordinal)) || HasLoneSurrogate(name);

    /// <summary>True when the text holds a UTF-16 surrogate that is not half of a pair (no UTF-8 or JSON carries it unchanged).</summary>
    public static bool HasLoneSurrogate(string name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                {
                    return true;
                }
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return true;
            }
        }
        return false;
    }
}
