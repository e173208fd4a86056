using System.Globalization;
using System.Text;

namespace ScanTools.Hosting;

/// <summary>
/// Text from the estate (file and folder names, rule text from a .gitignore) made safe to show on a terminal.
/// A name may hold any character but '/' and NUL: ESC and CSI sequences in a hostile name would otherwise move the
/// cursor, recolour or clear the screen, or retitle the window when Get-Finding, Get-ScanError or an error message
/// shows it, and a newline would forge a line of output. GNU ls quotes such names for the same reason.
/// </summary>
public static class DisplayText
{
    /// <summary>
    /// <paramref name="text"/> with every control character (C0, DEL, C1: <see cref="char.IsControl(char)"/>), line
    /// and paragraph separator (U+2028, U+2029) and bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069,
    /// which reorder what follows on screen) written as <c>\xNN</c> or <c>\uNNNN</c>. Other text, a backslash
    /// included, is left as it is, so a plain path shows unchanged. Null gives null. Display only: the objects a
    /// command emits keep the true name, for the pipeline.
    /// </summary>
    public static string? Escape(string? text)
    {
        if (text is null || !NeedsEscape(text))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (!IsUnsafe(c))
            {
                sb.Append(c);
            }
            else if (c <= '\u00FF')
            {
                sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(string text)
    {
        foreach (char c in text)
        {
            if (IsUnsafe(c))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
