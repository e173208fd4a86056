using System.Management.Automation;

namespace ScanTools.Commands;

/// <summary>What a -PassThru of a command that writes a file returns.</summary>
internal static class FileOutput
{
    /// <summary>
    /// Writes the file at <paramref name="path"/> (a file-system path) as Get-Item returns it: a FileInfo with the
    /// provider's PSPath, PSParentPath and PSChildName, so its default view is Get-ChildItem's (mode, owner, size).
    /// </summary>
    public static void WriteItem(PSCmdlet cmdlet, string path) =>
        cmdlet.WriteObject(cmdlet.InvokeProvider.Item.Get(new[] { path }, force: true, literalPath: true), enumerateCollection: true);
}
