namespace ScanTools.Platform;

/// <summary>Writes a file's mode the way PowerShell's Get-ChildItem does: <c>-rw-r--r--</c> on Unix, <c>-a---</c> on Windows.</summary>
public static class FileModeText
{
    /// <summary>The Unix mode string when there is a Unix mode, else the Windows attribute letters.</summary>
    public static string Format(int? unixMode, FileAttributes attributes, bool isLink) =>
        Format(unixMode) ?? Windows(attributes, isLink);

    /// <summary>Get-ChildItem's Windows mode: directory or link, archive, read-only, hidden, system (<c>-a---</c>, <c>la---</c>).</summary>
    public static string Windows(FileAttributes a, bool isLink) => string.Create(5, (a, isLink), static (s, x) =>
    {
        s[0] = x.isLink || x.a.HasFlag(FileAttributes.ReparsePoint) ? 'l' : x.a.HasFlag(FileAttributes.Directory) ? 'd' : '-';
        s[1] = x.a.HasFlag(FileAttributes.Archive) ? 'a' : '-';
        s[2] = x.a.HasFlag(FileAttributes.ReadOnly) ? 'r' : '-';
        s[3] = x.a.HasFlag(FileAttributes.Hidden) ? 'h' : '-';
        s[4] = x.a.HasFlag(FileAttributes.System) ? 's' : '-';
    });

    /// <summary>The ten-character mode string, or null for no mode (files recorded on Windows).</summary>
    /// <param name="mode">st_mode: the file type in bits 12-15, then set-user-id, set-group-id, sticky and the nine permission bits.</param>
    public static string? Format(int? mode)
    {
        if (mode is not int m)
        {
            return null;
        }
        Span<char> s = stackalloc char[10];
        s[0] = (m & 0xF000) switch
        {
            0xA000 => 'l',
            0x4000 => 'd',
            0x1000 => 'p',
            0xC000 => 's',
            0x2000 => 'c',
            0x6000 => 'b',
            _ => '-',
        };
        s[1] = (m & 0x100) != 0 ? 'r' : '-';
        s[2] = (m & 0x80) != 0 ? 'w' : '-';
        s[3] = Execute((m & 0x40) != 0, (m & 0x800) != 0, 's');
        s[4] = (m & 0x20) != 0 ? 'r' : '-';
        s[5] = (m & 0x10) != 0 ? 'w' : '-';
        s[6] = Execute((m & 0x8) != 0, (m & 0x400) != 0, 's');
        s[7] = (m & 0x4) != 0 ? 'r' : '-';
        s[8] = (m & 0x2) != 0 ? 'w' : '-';
        s[9] = Execute((m & 0x1) != 0, (m & 0x200) != 0, 't');
        return new string(s);
    }

    // x, or s/t when the special bit is set too, S/T when it is set without execute.
    private static char Execute(bool execute, bool special, char mark) =>
        special ? (execute ? mark : char.ToUpperInvariant(mark)) : execute ? 'x' : '-';
}
