namespace ScanTools.Scanning;

/// <summary>Spots names that did not survive decoding into a .NET string.</summary>
internal static class EntryNames
{
    public const string InvalidMessage =
        "The name is not valid UTF-8/UTF-16, so it cannot be stored or opened by the path ScanTools holds: the entry is not recorded. "
        + Advice;

    /// <summary>The same, for an entry the listing says is a folder: nothing in it is recorded either.</summary>
    public const string InvalidFolderMessage =
        "The folder's name is not valid UTF-8/UTF-16, so it cannot be stored or opened by the path ScanTools holds: the folder is not read, and nothing in it is recorded. "
        + Advice;

    private const string Advice =
        "Bytes that are not UTF-8 are shown as \\xNN (in bash, $'...' around the path gives the name back: ls -d $'/srv/Caf\\xE9'). "
        + "Rename the entry (convmv converts such names) and scan again.";

    /// <summary>
    /// A name's bytes as text for messages and error items: valid UTF-8 decoded, every other byte as \xNN and a backslash
    /// as \\, so that bash's $'...' gives back the exact bytes and two different names never look alike (U+FFFD for
    /// every bad byte made 'Caf\xE9' and 'Caf\xE8' one name).
    /// </summary>
    public static string EscapeInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder(bytes.Length + 8);
        while (!bytes.IsEmpty)
        {
            System.Buffers.OperationStatus status = System.Text.Rune.DecodeFromUtf8(bytes, out System.Text.Rune rune, out int used);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.Value == '\\' ? "\\\\" : rune.ToString());
            }
            else
            {
                for (int i = 0; i < used; i++)
                {
                    text.Append("\\x").Append(bytes[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            bytes = bytes[Math.Max(used, 1)..];
        }
        return text.ToString();
    }

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
