namespace ScanTools.Tests.Support;

/// <summary>Paths in this repository, found from the test assembly's location.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string StagedModule => Path.Combine(Root, "out", "ScanTools");

    public static string Combine(params string[] parts) => Path.Combine(new[] { Root }.Concat(parts).ToArray());

    public static string BuildOutput(string project, string relativeProjectDir)
    {
        string here = AppContext.BaseDirectory;
        string tfm = new DirectoryInfo(here).Name;
        string cfg = new DirectoryInfo(here).Parent!.Name;
        return Path.Combine(Root, relativeProjectDir, "bin", cfg, tfm, project + ".dll");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ScanTools.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ScanTools.sln not found above the test assembly.");
    }
}
