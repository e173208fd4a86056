namespace ScanTools.Tests.Support;

/// <summary>A fresh folder under the system temp folder, deleted (permissions restored first) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "scantools-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
        if (!OperatingSystem.IsWindows())
        {
            // Child processes that run as another user (permission tests) must be able to walk in.
            System.IO.File.SetUnixFileMode(System.IO.Path.GetDirectoryName(Path)!, (UnixFileMode)0x1FF);
            System.IO.File.SetUnixFileMode(Path, (UnixFileMode)0x1FF);
        }
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine(new[] { Path }.Concat(parts).ToArray());

    /// <summary>Creates a file (and its folders) with the given content.</summary>
    public string File(string relative, string content = "x")
    {
        string full = Combine(relative.Split('/'));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Creates a folder.</summary>
    public string Dir(string relative)
    {
        string full = Combine(relative.Split('/'));
        Directory.CreateDirectory(full);
        return full;
    }

    public string Db(string name = "catalog.db") => Combine(name);

    public void Dispose()
    {
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                MakeWritable(new DirectoryInfo(Path));
            }
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Gives back permissions tests took away. Never follows links: tests build link loops.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void MakeWritable(DirectoryInfo dir)
    {
        try
        {
            dir.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            foreach (DirectoryInfo sub in dir.EnumerateDirectories("*", new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
            {
                MakeWritable(sub);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
