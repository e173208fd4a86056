namespace ScanTools.Platform;

/// <summary>
/// Why a folder that should hold a new file is missing: a file (or other non-folder) where one of its folders
/// should be, so that creating the folder cannot help ("/etc/passwd/backup.db" names the folder "/etc/passwd").
/// </summary>
public static class FileInTheWay
{
    /// <summary>
    /// The nearest existing path at or above <paramref name="folder"/> when it is not a folder (a file, FIFO,
    /// device or a link to one), or null when the nearest existing one is a folder (the rest is just missing),
    /// nothing of it exists, or it cannot be read. Reads metadata only.
    /// </summary>
    public static string? Of(string? folder)
    {
        for (string? at = folder; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
        {
            if (Directory.Exists(at))
            {
                return null;
            }
            if (File.Exists(at))
            {
                return at;
            }
        }
        return null;
    }

    /// <summary>
    /// The message of a missing folder <paramref name="folder"/> meant to hold <paramref name="what"/> ("the backup"),
    /// ending with what to do (<paramref name="choose"/>, "choose another -Destination"): "does not exist. Create it,
    /// or ..." when it can be created, "cannot be created: 'F' is a file, not a folder. ..." when a file is in the way.
    /// </summary>
    public static string MissingFolderMessage(string? folder, string what, string choose)
        => Of(folder) is string file
            ? $"The folder '{folder}' for {what} cannot be created: '{file}' is a file, not a folder. {char.ToUpperInvariant(choose[0])}{choose[1..]}."
            : $"The folder '{folder}' for {what} does not exist. Create it, or {choose}.";
}
