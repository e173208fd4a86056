using System.Diagnostics;

namespace ScanTools.Tests.Support;

/// <summary>Builders for the awkward trees walker tests need.</summary>
public static class Trees
{
    /// <summary>
    /// A tree with hidden files and folders, odd and unicode names, empty folders, deep nesting,
    /// file and folder links, a dangling link and (on Unix) a FIFO.
    /// </summary>
    public static void BuildMixed(TempDirectory t, string root = "tree")
    {
        t.File($"{root}/a.txt", "alpha");
        t.File($"{root}/.hidden", "h");
        t.File($"{root}/.config/settings.json", "{}");
        t.File($"{root}/sub/b.log", "bravo");
        t.File($"{root}/sub/c.LOG", "charlie");
        t.File($"{root}/sub/no-extension", "n");
        t.File($"{root}/sub/inner/d.bin", new string('d', 10_000));
        t.File($"{root}/unicode/Ünïcødé ✓.txt", "u");
        t.File($"{root}/unicode/日本語.md", "j");
        t.File($"{root}/odd/with space.txt", "s");
        t.File($"{root}/odd/-leading-dash", "d");
        t.File($"{root}/odd/star*question?[brackets]", "w");
        t.File($"{root}/odd/back\\slash", "b");
        t.File($"{root}/odd/tab\there", "t");
        t.File($"{root}/odd/new\nline", "nl");
        t.File($"{root}/odd/emoji 😀.txt", "e");
        t.Dir($"{root}/empty");
        t.Dir($"{root}/empty-too/nested-empty");
        string deep = $"{root}/deep";
        for (int i = 0; i < 60; i++)
        {
            deep += $"/l{i}";
        }
        t.File(deep + "/bottom.txt", "deep");
        if (!OperatingSystem.IsWindows())
        {
            File.CreateSymbolicLink(t.Combine(root, "link-to-a.txt"), "a.txt");
            Directory.CreateSymbolicLink(t.Combine(root, "link-to-sub"), "sub");
            File.CreateSymbolicLink(t.Combine(root, "dangling"), "does-not-exist");
            MkFifo(t.Combine(root, "sub", "pipe"));
        }
    }

    public static void MkFifo(string path) => Run("mkfifo", path);

    /// <summary>Gives the file at <paramref name="path"/> a second name (a hard link, ln).</summary>
    public static void HardLink(string path, string link) => Run("ln", path, link);

    /// <summary>Creates a file whose name is not valid UTF-8 (byte 0xFF), which .NET cannot represent.</summary>
    public static void CreateInvalidUtf8Name(string directory) =>
        Run("sh", "-c", "cd \"$1\" && touch \"$(printf 'bad\\377name')\"", "sh", directory);

    /// <summary>Creates a chain of folders whose full path exceeds PATH_MAX, using relative steps (the shell's cd).</summary>
    public static void CreateOverlongPath(string directory, int levels) =>
        Run("perl", "-e", "chdir $ARGV[0] or die; my $n = 'x' x 250; for (1..$ARGV[1]) { mkdir $n or die; chdir $n or die } open(my $f, '>', 'deepest.txt') or die;",
            directory, levels.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static void RemoveTree(string path) => Run("rm", "-rf", path);

    public static void Chmod(string path, string mode) => Run("chmod", mode, path);

    /// <summary>Runs a shell script (sh -c) with <paramref name="args"/> as $1, $2, ...; returns its standard output.</summary>
    public static string Sh(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("sh");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"sh -c '{script}' failed ({p.ExitCode}): {stderr.Result}");
        }
        return stdout;
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {err}");
        }
    }
}
